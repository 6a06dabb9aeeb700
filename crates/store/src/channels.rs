//! [`ChannelStore`] on [`Database`]: channel bindings, users' linked identities, and the chat each
//! conversation continues in. Replacements (a target's binding, a user's link) are one
//! transaction each, so a refused one changes nothing; dependent rows are deleted explicitly, not
//! only by the cascade (SQLite enforces it per connection setting). A thread is set with an
//! `ON CONFLICT` upsert, built per backend here like the ones in `backend.rs`.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use pincer_channels::{Binding, ChannelStore, Link, Target, Transport};
use pincer_core::{AgentId, ChannelBindingId, StoreError, Timestamp, UserId};

use crate::Database;
use crate::backend;
use crate::conn::AnyConn;
use crate::error::DbError;
use crate::rows::id;
use crate::schema::{channel_bindings, channel_links, channel_threads};

/// A binding as stored: its target as the `slot` key and a nullable agent.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = channel_bindings, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
// `None` is written as NULL, not as SQL DEFAULT (which SQLite does not accept in VALUES).
#[diesel(treat_none_as_default_value = false)]
struct BindingRow {
    id: String,
    transport: String,
    slot: String,
    agent_id: Option<String>,
    account_id: String,
    account_name: String,
    secret_sealed: String,
    secret_hint: String,
    secret_digest: String,
    enabled: bool,
    cursor: i64,
    last_error: Option<String>,
    last_error_at: Option<i64>,
    created_by: String,
    created_at: i64,
    updated_at: i64,
}

impl From<&Binding> for BindingRow {
    fn from(b: &Binding) -> Self {
        BindingRow {
            id: b.id.to_string(),
            transport: b.transport.as_str().to_string(),
            slot: Binding::slot(b.transport, b.target),
            agent_id: b.target.agent().map(|a| a.to_string()),
            account_id: b.account_id.clone(),
            account_name: b.account_name.clone(),
            secret_sealed: b.secret_sealed.clone(),
            secret_hint: b.secret_hint.clone(),
            secret_digest: b.secret_digest.clone(),
            enabled: b.enabled,
            cursor: b.cursor,
            last_error: b.last_error.clone(),
            last_error_at: b.last_error_at.map(Timestamp::millis),
            created_by: b.created_by.to_string(),
            created_at: b.created_at.millis(),
            updated_at: b.updated_at.millis(),
        }
    }
}

fn transport(raw: &str, column: &'static str) -> Result<Transport, DbError> {
    Transport::parse(raw).ok_or(DbError::Corrupt(column))
}

fn binding(row: BindingRow) -> Result<Binding, DbError> {
    let target = match row.agent_id {
        None => Target::Personal,
        Some(agent) => Target::Agent(id::<AgentId>(&agent, "channel_bindings.agent_id")?),
    };
    Ok(Binding {
        id: id(&row.id, "channel_bindings.id")?,
        transport: transport(&row.transport, "channel_bindings.transport")?,
        target,
        account_id: row.account_id,
        account_name: row.account_name,
        secret_sealed: row.secret_sealed,
        secret_hint: row.secret_hint,
        secret_digest: row.secret_digest,
        enabled: row.enabled,
        cursor: row.cursor,
        last_error: row.last_error,
        last_error_at: row.last_error_at.map(Timestamp),
        created_by: id(&row.created_by, "channel_bindings.created_by")?,
        created_at: Timestamp(row.created_at),
        updated_at: Timestamp(row.updated_at),
    })
}

type LinkRow = (String, String, String, i64);

fn link(row: LinkRow) -> Result<Link, DbError> {
    let (kind, external_id, user, created) = row;
    Ok(Link {
        transport: transport(&kind, "channel_links.transport")?,
        external_id,
        user_id: id(&user, "channel_links.user_id")?,
        created_at: Timestamp(created),
    })
}

fn link_columns()
-> (channel_links::transport, channel_links::external_id, channel_links::user_id, channel_links::created_at) {
    (channel_links::transport, channel_links::external_id, channel_links::user_id, channel_links::created_at)
}

/// Deletes these bindings and their threads, inside the caller's transaction.
fn delete_binding_rows(conn: &mut AnyConn, ids: &[String]) -> Result<usize, DbError> {
    diesel::delete(channel_threads::table.filter(channel_threads::binding_id.eq_any(ids))).execute(conn)?;
    Ok(diesel::delete(channel_bindings::table.filter(channel_bindings::id.eq_any(ids))).execute(conn)?)
}

#[async_trait]
impl ChannelStore for Database {
    async fn bindings(&self) -> Result<Vec<Binding>, StoreError> {
        self.run("channel_bindings.list", |conn| {
            let rows: Vec<BindingRow> = channel_bindings::table
                .order((channel_bindings::created_at, channel_bindings::id))
                .select(BindingRow::as_select())
                .load(conn)?;
            rows.into_iter().map(binding).collect()
        })
        .await
    }

    async fn binding_for(&self, transport: Transport, target: Target) -> Result<Option<Binding>, StoreError> {
        let slot = Binding::slot(transport, target);
        self.run("channel_bindings.for", move |conn| {
            let row: Option<BindingRow> = channel_bindings::table
                .filter(channel_bindings::slot.eq(&slot))
                .select(BindingRow::as_select())
                .first(conn)
                .optional()?;
            row.map(binding).transpose()
        })
        .await
    }

    async fn binding(&self, binding_id: ChannelBindingId) -> Result<Option<Binding>, StoreError> {
        let binding_id = binding_id.to_string();
        self.run("channel_bindings.get", move |conn| {
            let row: Option<BindingRow> =
                channel_bindings::table.find(&binding_id).select(BindingRow::as_select()).first(conn).optional()?;
            row.map(binding).transpose()
        })
        .await
    }

    async fn put_binding(&self, b: &Binding) -> Result<(), StoreError> {
        let row = BindingRow::from(b);
        self.run_write("channel_bindings.put", move |conn| {
            backend::write(conn, None, |conn| {
                let replaced: Vec<String> = channel_bindings::table
                    .filter(channel_bindings::slot.eq(&row.slot))
                    .select(channel_bindings::id)
                    .load(conn)?;
                delete_binding_rows(conn, &replaced)?;
                // A clash with another target's credential fails here, rolling the removal back.
                diesel::insert_into(channel_bindings::table).values(&row).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn delete_binding(&self, binding_id: ChannelBindingId) -> Result<bool, StoreError> {
        let binding_id = binding_id.to_string();
        self.run_write("channel_bindings.delete", move |conn| {
            backend::write(conn, None, |conn| Ok(delete_binding_rows(conn, std::slice::from_ref(&binding_id))? > 0))
        })
        .await
    }

    async fn delete_bindings(&self, transport: Transport) -> Result<u64, StoreError> {
        self.run_write("channel_bindings.delete_all", move |conn| {
            backend::write(conn, None, |conn| {
                let ids: Vec<String> = channel_bindings::table
                    .filter(channel_bindings::transport.eq(transport.as_str()))
                    .select(channel_bindings::id)
                    .load(conn)?;
                let removed = delete_binding_rows(conn, &ids)?;
                Ok(u64::try_from(removed).unwrap_or(u64::MAX))
            })
        })
        .await
    }

    async fn set_enabled(
        &self,
        binding_id: ChannelBindingId,
        enabled: bool,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let binding_id = binding_id.to_string();
        self.run_write("channel_bindings.set_enabled", move |conn| {
            let updated = diesel::update(channel_bindings::table.find(&binding_id))
                .set((channel_bindings::enabled.eq(enabled), channel_bindings::updated_at.eq(now.millis())))
                .execute(conn)?;
            Ok(updated > 0)
        })
        .await
    }

    async fn advance_cursor(&self, binding_id: ChannelBindingId, cursor: i64) -> Result<(), StoreError> {
        let binding_id = binding_id.to_string();
        self.run_write("channel_bindings.advance_cursor", move |conn| {
            diesel::update(
                channel_bindings::table
                    .filter(channel_bindings::id.eq(&binding_id))
                    .filter(channel_bindings::cursor.lt(cursor)),
            )
            .set(channel_bindings::cursor.eq(cursor))
            .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn set_last_error(
        &self,
        binding_id: ChannelBindingId,
        error: Option<&str>,
        at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let (binding_id, error) = (binding_id.to_string(), error.map(str::to_string));
        self.run_write("channel_bindings.set_last_error", move |conn| {
            diesel::update(channel_bindings::table.find(&binding_id))
                .set((
                    channel_bindings::last_error.eq(&error),
                    channel_bindings::last_error_at.eq(at.map(Timestamp::millis)),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn link(&self, l: &Link) -> Result<(), StoreError> {
        let l = l.clone();
        self.run_write("channel_links.link", move |conn| {
            backend::write(conn, None, |conn| {
                let kind = l.transport.as_str();
                let user = l.user_id.to_string();
                diesel::delete(
                    channel_links::table
                        .filter(channel_links::transport.eq(kind))
                        .filter(channel_links::user_id.eq(&user).or(channel_links::external_id.eq(&l.external_id))),
                )
                .execute(conn)?;
                diesel::insert_into(channel_links::table)
                    .values((
                        channel_links::transport.eq(kind),
                        channel_links::external_id.eq(&l.external_id),
                        channel_links::user_id.eq(&user),
                        channel_links::created_at.eq(l.created_at.millis()),
                    ))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn link_of_user(&self, transport: Transport, user: UserId) -> Result<Option<Link>, StoreError> {
        let user = user.to_string();
        self.run("channel_links.of_user", move |conn| {
            let row: Option<LinkRow> = channel_links::table
                .filter(channel_links::transport.eq(transport.as_str()))
                .filter(channel_links::user_id.eq(&user))
                .select(link_columns())
                .first(conn)
                .optional()?;
            row.map(link).transpose()
        })
        .await
    }

    async fn link_of_identity(&self, transport: Transport, external_id: &str) -> Result<Option<Link>, StoreError> {
        let external_id = external_id.to_string();
        self.run("channel_links.of_identity", move |conn| {
            let row: Option<LinkRow> = channel_links::table
                .find((transport.as_str(), &external_id))
                .select(link_columns())
                .first(conn)
                .optional()?;
            row.map(link).transpose()
        })
        .await
    }

    async fn unlink(&self, transport: Transport, user: UserId) -> Result<bool, StoreError> {
        let user = user.to_string();
        self.run_write("channel_links.unlink", move |conn| {
            let removed = diesel::delete(
                channel_links::table
                    .filter(channel_links::transport.eq(transport.as_str()))
                    .filter(channel_links::user_id.eq(&user)),
            )
            .execute(conn)?;
            Ok(removed > 0)
        })
        .await
    }

    async fn thread(
        &self,
        binding_id: ChannelBindingId,
        conversation: &str,
        user: UserId,
    ) -> Result<Option<String>, StoreError> {
        let (binding_id, conversation, user) = (binding_id.to_string(), conversation.to_string(), user.to_string());
        self.run("channel_threads.get", move |conn| {
            Ok(channel_threads::table
                .find((&binding_id, &conversation, &user))
                .select(channel_threads::chat_key)
                .first(conn)
                .optional()?)
        })
        .await
    }

    async fn set_thread(
        &self,
        binding_id: ChannelBindingId,
        conversation: &str,
        user: UserId,
        chat_key: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (binding_id, conversation, user, chat_key) =
            (binding_id.to_string(), conversation.to_string(), user.to_string(), chat_key.to_string());
        self.run_write("channel_threads.set", move |conn| {
            // An upsert, so two first messages of one conversation at once cannot collide.
            // `ON CONFLICT` is outside the subset `MultiConnection` offers: built per backend.
            macro_rules! upsert {
                ($c:expr) => {
                    diesel::insert_into(channel_threads::table)
                        .values((
                            channel_threads::binding_id.eq(&binding_id),
                            channel_threads::conversation.eq(&conversation),
                            channel_threads::user_id.eq(&user),
                            channel_threads::chat_key.eq(&chat_key),
                            channel_threads::updated_at.eq(now.millis()),
                        ))
                        .on_conflict((
                            channel_threads::binding_id,
                            channel_threads::conversation,
                            channel_threads::user_id,
                        ))
                        .do_update()
                        .set((
                            channel_threads::chat_key.eq(excluded(channel_threads::chat_key)),
                            channel_threads::updated_at.eq(excluded(channel_threads::updated_at)),
                        ))
                        .execute($c)
                };
            }
            match conn {
                AnyConn::Sqlite(c) => upsert!(c)?,
                AnyConn::Postgres(c) => upsert!(c)?,
            };
            Ok(())
        })
        .await
    }
}
