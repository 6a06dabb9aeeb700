//! [`ProviderStore`] on [`Database`]. Writes take [`Guard::Providers`], so "one default provider"
//! and the removal plan (which reads the providers that remain) are never decided on stale rows.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use pincer_agents::{Provider, ProviderStore, RemovalPlan, RemovalRefused, RemovalRule};
use pincer_core::{StoreError, Timestamp};

use crate::Database;
use crate::agent_rows::ProviderRow;
use crate::backend::{self, Guard};
use crate::conn::AnyConn;
use crate::error::DbError;
use crate::rows::decode_all;
use crate::schema::{agents, providers};

diesel::define_sql_function! {
    /// `substr(text, start, length)`, 1-based, in characters: the same on SQLite and PostgreSQL.
    fn substr(text: Nullable<Text>, start: Integer, length: Integer) -> Nullable<Text>;
}

/// Oldest first; the name breaks ties.
fn load_all(conn: &mut AnyConn) -> Result<Vec<Provider>, DbError> {
    let rows: Vec<ProviderRow> = providers::table
        .order((providers::created_at.asc(), providers::name.asc()))
        .select(ProviderRow::as_select())
        .load(conn)?;
    decode_all(rows)
}

/// Every provider but `name` stops being the default. Runs before `name` becomes the default: a
/// partial unique index allows one default row at any moment.
fn clear_other_defaults(conn: &mut AnyConn, name: &str) -> QueryResult<usize> {
    diesel::update(providers::table.filter(providers::name.ne(name)).filter(providers::is_default))
        .set(providers::is_default.eq(false))
        .execute(conn)
}

/// Makes `name` the only default provider.
fn make_default(conn: &mut AnyConn, name: &str) -> QueryResult<()> {
    clear_other_defaults(conn, name)?;
    diesel::update(providers::table.find(name)).set(providers::is_default.eq(true)).execute(conn)?;
    Ok(())
}

/// Moves every live agent whose model is `provider/…` to `model`; returns how many moved.
fn move_agents(conn: &mut AnyConn, provider: &str, model: Option<&str>, now: Timestamp) -> Result<u64, DbError> {
    // An exact, case-sensitive prefix test (SQLite's LIKE ignores ASCII case).
    let prefix = format!("{provider}/");
    let length = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
    let moved = diesel::update(
        agents::table.filter(agents::deleted_at.is_null()).filter(substr(agents::model, 1, length).eq(&prefix)),
    )
    .set((agents::model.eq(model), agents::updated_at.eq(now.millis())))
    .execute(conn)?;
    Ok(moved as u64)
}

#[async_trait]
impl ProviderStore for Database {
    async fn list(&self) -> Result<Vec<Provider>, StoreError> {
        self.run("providers.list", load_all).await
    }

    async fn get(&self, name: &str) -> Result<Option<Provider>, StoreError> {
        let name = name.to_string();
        self.run("providers.get", move |conn| {
            let row: Option<ProviderRow> =
                providers::table.find(&name).select(ProviderRow::as_select()).first(conn).optional()?;
            row.map(Provider::try_from).transpose()
        })
        .await
    }

    async fn upsert(&self, provider: &Provider) -> Result<(), StoreError> {
        let row = ProviderRow::from(provider);
        self.run_write("providers.upsert", move |conn| {
            backend::write(conn, Some(Guard::Providers), |conn| {
                if row.is_default {
                    clear_other_defaults(conn, &row.name)?;
                }
                backend::upsert_provider(conn, &row)?;
                Ok(())
            })
        })
        .await
    }

    async fn remove(&self, name: &str, now: Timestamp, rule: RemovalRule) -> Result<(RemovalPlan, u64), StoreError> {
        let name = name.to_string();
        self.run_write("providers.remove", move |conn| {
            backend::write(conn, Some(Guard::Providers), |conn| {
                let (removed, remaining): (Vec<Provider>, Vec<Provider>) =
                    load_all(conn)?.into_iter().partition(|p| p.name == name);
                let removed = removed.into_iter().next().ok_or(StoreError::NotFound)?;
                let plan = rule(&removed, &remaining).map_err(|refused| match refused {
                    RemovalRefused::LastProvider => StoreError::Conflict(pincer_core::Rule::LastProvider),
                })?;
                diesel::delete(providers::table.find(&name)).execute(conn)?;
                if let Some(new_default) = &plan.new_default {
                    make_default(conn, new_default)?;
                }
                let moved = move_agents(conn, &name, plan.replacement_model.as_deref(), now)?;
                Ok((plan, moved))
            })
        })
        .await
    }
}
