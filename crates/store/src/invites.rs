//! [`InviteStore`] on [`Database`].

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_core::{InviteId, StoreError, Timestamp, UserId};
use pincer_identity::{Invite, InviteKind, InviteStore, User};

use crate::Database;
use crate::backend;
use crate::conn::AnyConn;
use crate::error::DbError;
use crate::rows::{InviteRow, UserRow, decode_all};
use crate::schema::{invites, sessions, users};

/// Marks an invite of `kind` used, if it is still unused and unexpired at `now`;
/// `Conflict(pincer_core::Rule::InviteUsed)` otherwise. The condition sits in the `UPDATE` itself, so two claims
/// can never both succeed.
fn mark_used(conn: &mut AnyConn, id: &str, kind: InviteKind, now: i64) -> Result<(), DbError> {
    let updated = diesel::update(
        invites::table
            .filter(invites::id.eq(id))
            .filter(invites::kind.eq(kind.as_str()))
            .filter(invites::used_at.is_null())
            .filter(invites::expires_at.gt(now)),
    )
    .set(invites::used_at.eq(now))
    .execute(conn)?;
    if updated == 0 {
        return Err(StoreError::Conflict(pincer_core::Rule::InviteUsed).into());
    }
    Ok(())
}

#[async_trait]
impl InviteStore for Database {
    async fn insert(&self, invite: &Invite) -> Result<(), StoreError> {
        let row = InviteRow::from(invite);
        self.run("invites.insert", move |conn| {
            diesel::insert_into(invites::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn list(&self) -> Result<Vec<Invite>, StoreError> {
        self.run("invites.list", |conn| {
            let rows: Vec<InviteRow> = invites::table
                .order((invites::created_at.desc(), invites::id.desc()))
                .select(InviteRow::as_select())
                .load(conn)?;
            decode_all(rows)
        })
        .await
    }

    async fn find_by_token_hash(&self, token_hash: &str) -> Result<Option<Invite>, StoreError> {
        let token_hash = token_hash.to_string();
        self.run("invites.find_by_token_hash", move |conn| {
            let row: Option<InviteRow> = invites::table
                .filter(invites::token_hash.eq(&token_hash))
                .select(InviteRow::as_select())
                .first(conn)
                .optional()?;
            row.map(Invite::try_from).transpose()
        })
        .await
    }

    async fn delete(&self, id: InviteId) -> Result<(), StoreError> {
        let id = id.to_string();
        self.run("invites.delete", move |conn| {
            let deleted = diesel::delete(invites::table.filter(invites::id.eq(&id)).filter(invites::used_at.is_null()))
                .execute(conn)?;
            if deleted == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        })
        .await
    }

    async fn claim_for_new_user(&self, id: InviteId, now: Timestamp, user: &User) -> Result<(), StoreError> {
        let id = id.to_string();
        let row = UserRow::from(user);
        self.run("invites.claim_for_new_user", move |conn| {
            backend::write(conn, None, |conn| {
                mark_used(conn, &id, InviteKind::Invite, now.millis())?;
                // A taken email fails here and rolls the mark back.
                diesel::insert_into(users::table).values(&row).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn claim_for_reset(
        &self,
        id: InviteId,
        now: Timestamp,
        user_id: UserId,
        hash: &str,
    ) -> Result<(), StoreError> {
        let (id, user_id, hash) = (id.to_string(), user_id.to_string(), hash.to_string());
        self.run("invites.claim_for_reset", move |conn| {
            backend::write(conn, None, |conn| {
                mark_used(conn, &id, InviteKind::Reset, now.millis())?;
                let updated = diesel::update(users::table.find(&user_id))
                    .set((users::password_hash.eq(&hash), users::updated_at.eq(now.millis())))
                    .execute(conn)?;
                if updated == 0 {
                    return Err(StoreError::NotFound.into());
                }
                diesel::delete(sessions::table.filter(sessions::user_id.eq(&user_id))).execute(conn)?;
                Ok(())
            })
        })
        .await
    }
}
