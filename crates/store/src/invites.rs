//! [`InviteStore`] on [`Database`].

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_core::{InviteId, StoreError, Timestamp, UserId};
use pincer_identity::{Invite, InviteKind, InviteStore, User};

use crate::Database;
use crate::backend;
use crate::conn::AnyConn;
use crate::error::DbError;
use crate::rows::{InviteRow, UserRow, decode_all, id};
use crate::schema::{group_members, invite_groups, invites, sessions, users};

/// Fills each invite's `group_ids` (one query for all of them).
fn with_groups(conn: &mut AnyConn, mut all: Vec<Invite>) -> Result<Vec<Invite>, DbError> {
    if all.is_empty() {
        return Ok(all);
    }
    let ids: Vec<String> = all.iter().map(|i| i.id.to_string()).collect();
    let rows: Vec<(String, String)> = invite_groups::table
        .filter(invite_groups::invite_id.eq_any(&ids))
        .order((invite_groups::invite_id, invite_groups::group_id))
        .select((invite_groups::invite_id, invite_groups::group_id))
        .load(conn)?;
    for (invite_id, group_id) in rows {
        let invite_id: InviteId = id(&invite_id, "invite_groups.invite_id")?;
        let group_id = id(&group_id, "invite_groups.group_id")?;
        if let Some(invite) = all.iter_mut().find(|i| i.id == invite_id) {
            invite.group_ids.push(group_id);
        }
    }
    Ok(all)
}

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
        let groups: Vec<(String, String)> =
            invite.group_ids.iter().map(|g| (invite.id.to_string(), g.to_string())).collect();
        self.run_write("invites.insert", move |conn| {
            backend::write(conn, None, |conn| {
                diesel::insert_into(invites::table).values(&row).execute(conn)?;
                for (invite_id, group_id) in &groups {
                    // An unknown group fails here (foreign key) and takes the invite back with it.
                    diesel::insert_into(invite_groups::table)
                        .values((invite_groups::invite_id.eq(invite_id), invite_groups::group_id.eq(group_id)))
                        .execute(conn)?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn list(&self) -> Result<Vec<Invite>, StoreError> {
        self.run("invites.list", |conn| {
            let rows: Vec<InviteRow> = invites::table
                .order((invites::created_at.desc(), invites::id.desc()))
                .select(InviteRow::as_select())
                .load(conn)?;
            with_groups(conn, decode_all(rows)?)
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
            let found: Vec<Invite> = row.map(Invite::try_from).transpose()?.into_iter().collect();
            Ok(with_groups(conn, found)?.pop())
        })
        .await
    }

    async fn delete(&self, id: InviteId) -> Result<(), StoreError> {
        let id = id.to_string();
        self.run_write("invites.delete", move |conn| {
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
        self.run_write("invites.claim_for_new_user", move |conn| {
            backend::write(conn, None, |conn| {
                mark_used(conn, &id, InviteKind::Invite, now.millis())?;
                // A taken email fails here and rolls the mark back.
                diesel::insert_into(users::table).values(&row).execute(conn)?;
                // The invite's groups (those still there: a deleted group left the list).
                let groups: Vec<String> = invite_groups::table
                    .filter(invite_groups::invite_id.eq(&id))
                    .select(invite_groups::group_id)
                    .load(conn)?;
                for group_id in &groups {
                    diesel::insert_into(group_members::table)
                        .values((group_members::group_id.eq(group_id), group_members::user_id.eq(&row.id)))
                        .execute(conn)?;
                }
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
        self.run_write("invites.claim_for_reset", move |conn| {
            backend::write(conn, None, |conn| {
                mark_used(conn, &id, InviteKind::Reset, now.millis())?;
                let updated = diesel::update(users::table.find(&user_id))
                    .set((
                        users::password_hash.eq(&hash),
                        users::updated_at.eq(now.millis()),
                        users::password_changed_at.eq(now.millis()),
                    ))
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
