//! [`SessionStore`] on [`Database`].

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_core::{SessionId, StoreError, Timestamp, UserId};
use pincer_identity::{Session, SessionStore, User};

use crate::Database;
use crate::backend::{self, Singleton};
use crate::rows::{SessionRow, UserRow};
use crate::schema::{sessions, users};

/// An affected-row count as the port reports it.
fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[async_trait]
impl SessionStore for Database {
    async fn insert(&self, session: &Session) -> Result<(), StoreError> {
        let row = SessionRow::from(session);
        self.run_write("sessions.insert", move |conn| {
            diesel::insert_into(sessions::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn find_active(&self, token_hash: &str, now: Timestamp) -> Result<Option<(Session, User)>, StoreError> {
        let token_hash = token_hash.to_string();
        self.run("sessions.find_active", move |conn| {
            let found: Option<(SessionRow, UserRow)> = sessions::table
                .inner_join(users::table)
                .filter(sessions::token_hash.eq(&token_hash))
                .filter(sessions::expires_at.gt(now.millis()))
                .select((SessionRow::as_select(), UserRow::as_select()))
                .first(conn)
                .optional()?;
            match found {
                Some((session, user)) => Ok(Some((Session::try_from(session)?, User::try_from(user)?))),
                None => Ok(None),
            }
        })
        .await
    }

    async fn delete(&self, id: SessionId) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.run_write("sessions.delete", move |conn| Ok(diesel::delete(sessions::table.find(&id)).execute(conn)? > 0))
            .await
    }

    async fn trim_for_user(&self, user_id: UserId, keep_newest: usize) -> Result<Vec<SessionId>, StoreError> {
        let user_id = user_id.to_string();
        let keep = i64::try_from(keep_newest).unwrap_or(i64::MAX);
        self.run_write("sessions.trim_for_user", move |conn| {
            backend::write(conn, None, |conn| {
                let oldest: Vec<String> = sessions::table
                    .filter(sessions::user_id.eq(&user_id))
                    .order((sessions::created_at.desc(), sessions::id.desc()))
                    .offset(keep)
                    .select(sessions::id)
                    .load(conn)?;
                if !oldest.is_empty() {
                    diesel::delete(sessions::table.filter(sessions::id.eq_any(&oldest))).execute(conn)?;
                }
                Ok(oldest)
            })?
            .iter()
            .map(|id| crate::rows::id(id, "sessions.id"))
            .collect()
        })
        .await
    }

    async fn delete_for_user(&self, user_id: UserId, keep: Option<SessionId>) -> Result<u64, StoreError> {
        let user_id = user_id.to_string();
        let keep = keep.map(|k| k.to_string());
        self.run_write("sessions.delete_for_user", move |conn| {
            let mine = sessions::table.filter(sessions::user_id.eq(&user_id));
            let deleted = match &keep {
                Some(keep) => diesel::delete(mine.filter(sessions::id.ne(keep))).execute(conn)?,
                None => diesel::delete(mine).execute(conn)?,
            };
            Ok(count(deleted))
        })
        .await
    }

    async fn delete_expired(&self, now: Timestamp) -> Result<u64, StoreError> {
        // Consistent with `find_active`: a session is expired once `expires_at <= now`. Replicas
        // purge on the same schedule; one of them does the work, the others find the lock taken.
        self.run_write("sessions.delete_expired", move |conn| {
            let purged = backend::singleton(conn, Singleton::SessionPurge, |conn| {
                Ok(diesel::delete(sessions::table.filter(sessions::expires_at.le(now.millis()))).execute(conn)?)
            })?;
            Ok(count(purged.unwrap_or(0)))
        })
        .await
    }
}
