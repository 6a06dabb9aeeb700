//! [`UsageReports`] on [`Database`]: the usage ledger summed in SQL, the same statements on
//! SQLite and PostgreSQL. The sums read the rollups a trigger keeps as records arrive
//! (`usage_daily` per day, agent, user and source; `usage_hourly` per hour and agent;
//! `usage_unpriced`, migration 000011), so a month of reports sums a few rows per day instead of
//! every record; windows start at a UTC midnight, which the rollups' buckets cover exactly. The
//! export reads the records themselves.
//!
//! Sums are cast back to BIGINT: PostgreSQL sums a BIGINT column as NUMERIC, SQLite as INTEGER.

use std::collections::HashMap;

use async_trait::async_trait;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use pincer_core::{StoreError, Timestamp, UserId};
use pincer_usage::report::{
    AgentSourceSums, BucketSums, LineCursor, Sums, UnpricedModel, UsageLine, UsageReports, UsageWindow, UserSums,
};
use pincer_usage::{UsageRecord, UsageSource};

use crate::Database;
use crate::conn::AnyConn;
use crate::error::DbError;
use crate::rows::id;
use crate::schema::{agents, usage_daily, usage_hourly, usage_records, usage_unpriced, users};
use crate::usage::UsageRow;

type Backend = <AnyConn as Connection>::Backend;

/// The five sums of a group, in [`Sums`]'s order.
type SumColumns = (i64, i64, i64, i64, i64);

/// The SQL of one sum: zero for an empty group, BIGINT on both backends.
macro_rules! summed {
    ($column:literal) => {
        sql::<BigInt>(concat!("CAST(COALESCE(SUM(", $column, "), 0) AS BIGINT)"))
    };
}

macro_rules! sum_columns {
    () => {
        (
            summed!("input_tokens"),
            summed!("output_tokens"),
            summed!("cache_read_tokens"),
            summed!("cache_write_tokens"),
            summed!("cost_nanos"),
        )
    };
}

fn sums((input, output, cache_read, cache_write, cost): SumColumns) -> Result<Sums, DbError> {
    let count = |v: i64, column| u64::try_from(v).map_err(|_| DbError::Corrupt(column));
    Ok(Sums {
        input: count(input, "usage_records.input_tokens")?,
        output: count(output, "usage_records.output_tokens")?,
        cache_read: count(cache_read, "usage_records.cache_read_tokens")?,
        cache_write: count(cache_write, "usage_records.cache_write_tokens")?,
        cost_nanos: count(cost, "usage_records.cost_nanos")?,
    })
}

/// The records of the window.
fn in_window(window: &UsageWindow) -> usage_records::BoxedQuery<'static, Backend> {
    let mut q = usage_records::table.into_boxed();
    if let Some(since) = window.since {
        q = q.filter(usage_records::created_at.ge(since.millis()));
    }
    if let Some(agent) = window.agent_id {
        q = q.filter(usage_records::agent_id.eq(agent.to_string()));
    }
    q
}

/// `''` is how the rollups write "no agent" and "no user".
fn present(key: &str) -> Option<&str> {
    Some(key).filter(|k| !k.is_empty())
}

type AgentGroup = (String, String, i64, i64, i64, i64, i64);
type UserGroup = (String, i64, i64, i64, i64, i64);

/// Name, email and whether deactivated, of the accounts among `ids`.
fn accounts(conn: &mut AnyConn, ids: &[&str]) -> QueryResult<HashMap<String, (String, String, bool)>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name, users::email, users::banned))
        .load::<(String, String, String, bool)>(conn)?
        .into_iter()
        .map(|(id, name, email, banned)| (id, (name, email, banned)))
        .collect())
}

/// The names of the agents among `ids`, deleted ones included.
fn agent_names(conn: &mut AnyConn, ids: &[&str]) -> QueryResult<HashMap<String, (String, Option<i64>)>> {
    Ok(agents::table
        .filter(agents::id.eq_any(ids))
        .select((agents::id, agents::name, agents::deleted_at))
        .load::<(String, String, Option<i64>)>(conn)?
        .into_iter()
        .map(|(id, name, deleted_at)| (id, (name, deleted_at)))
        .collect())
}

#[async_trait]
impl UsageReports for Database {
    async fn sums_by_agent(&self, window: &UsageWindow) -> Result<Vec<AgentSourceSums>, StoreError> {
        let window = *window;
        self.run("usage.sums_by_agent", move |conn| {
            let (input, output, cache_read, cache_write, cost) = sum_columns!();
            let mut q = usage_daily::table
                .group_by((usage_daily::agent_id, usage_daily::source))
                .select((usage_daily::agent_id, usage_daily::source, input, output, cache_read, cache_write, cost))
                .into_boxed::<Backend>();
            if let Some(since) = window.since {
                q = q.filter(usage_daily::day.ge(since.millis()));
            }
            if let Some(agent) = window.agent_id {
                q = q.filter(usage_daily::agent_id.eq(agent.to_string()));
            }
            let groups: Vec<AgentGroup> = q.load(conn)?;
            // The names of the few agents found, in one more statement (a join would have to group
            // by the agents' columns too).
            let ids: Vec<&str> = groups.iter().filter_map(|g| present(&g.0)).collect();
            let names = agent_names(conn, &ids)?;
            let mut out = Vec::with_capacity(groups.len());
            for (agent_id, source, i, o, cr, cw, c) in &groups {
                let agent_id = present(agent_id);
                let agent = agent_id.and_then(|a| names.get(a));
                out.push(AgentSourceSums {
                    agent_id: agent_id.map(|a| id(a, "usage_daily.agent_id")).transpose()?,
                    agent_name: agent.map(|(name, _)| name.clone()),
                    agent_deleted: agent_id.is_some() && agent.is_none_or(|(_, deleted_at)| deleted_at.is_some()),
                    source: UsageSource::parse(source).ok_or(DbError::Corrupt("usage_records.source"))?,
                    sums: sums((*i, *o, *cr, *cw, *c))?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn sums_by_time(&self, window: &UsageWindow, bucket_ms: i64) -> Result<Vec<BucketSums>, StoreError> {
        let window = *window;
        // An integer from the domain (a day or an hour), never text from a request.
        let bucket = format!("(hour / {bucket_ms}) * {bucket_ms}");
        self.run("usage.sums_by_time", move |conn| {
            let (input, output, cache_read, cache_write, cost) = sum_columns!();
            let mut q = usage_hourly::table
                .group_by(sql::<BigInt>(&bucket))
                .select((sql::<BigInt>(&bucket), input, output, cache_read, cache_write, cost))
                .order(sql::<BigInt>(&bucket))
                .into_boxed::<Backend>();
            if let Some(since) = window.since {
                q = q.filter(usage_hourly::hour.ge(since.millis()));
            }
            if let Some(agent) = window.agent_id {
                q = q.filter(usage_hourly::agent_id.eq(agent.to_string()));
            }
            let groups: Vec<(i64, i64, i64, i64, i64, i64)> = q.load(conn)?;
            let mut out = Vec::with_capacity(groups.len());
            for (start, i, o, cr, cw, c) in groups {
                out.push(BucketSums { start: Timestamp(start), sums: sums((i, o, cr, cw, c))? });
            }
            Ok(out)
        })
        .await
    }

    async fn unpriced_models(&self, window: &UsageWindow) -> Result<Vec<UnpricedModel>, StoreError> {
        let window = *window;
        self.run("usage.unpriced_models", move |conn| {
            let mut q = usage_unpriced::table
                .select((usage_unpriced::provider, usage_unpriced::model))
                .distinct()
                .order((usage_unpriced::provider, usage_unpriced::model))
                .into_boxed::<Backend>();
            if let Some(since) = window.since {
                q = q.filter(usage_unpriced::day.ge(since.millis()));
            }
            if let Some(agent) = window.agent_id {
                q = q.filter(usage_unpriced::agent_id.eq(agent.to_string()));
            }
            let found: Vec<(String, String)> = q.load(conn)?;
            Ok(found.into_iter().map(|(provider, model)| UnpricedModel { provider, model }).collect())
        })
        .await
    }

    async fn first_call_at(&self, window: &UsageWindow) -> Result<Option<Timestamp>, StoreError> {
        let window = *window;
        self.run("usage.first_call_at", move |conn| {
            let mut q = usage_hourly::table.select(diesel::dsl::min(usage_hourly::hour)).into_boxed::<Backend>();
            if let Some(since) = window.since {
                q = q.filter(usage_hourly::hour.ge(since.millis()));
            }
            if let Some(agent) = window.agent_id {
                q = q.filter(usage_hourly::agent_id.eq(agent.to_string()));
            }
            let first: Option<i64> = q.get_result(conn)?;
            Ok(first.map(Timestamp))
        })
        .await
    }

    async fn sums_by_user(&self, window: &UsageWindow) -> Result<Vec<UserSums>, StoreError> {
        let window = *window;
        self.run("usage.sums_by_user", move |conn| {
            let (input, output, cache_read, cache_write, cost) = sum_columns!();
            let mut q = usage_daily::table
                .group_by(usage_daily::user_id)
                .select((usage_daily::user_id, input, output, cache_read, cache_write, cost))
                .into_boxed::<Backend>();
            if let Some(since) = window.since {
                q = q.filter(usage_daily::day.ge(since.millis()));
            }
            if let Some(agent) = window.agent_id {
                q = q.filter(usage_daily::agent_id.eq(agent.to_string()));
            }
            let groups: Vec<UserGroup> = q.load(conn)?;
            let ids: Vec<&str> = groups.iter().filter_map(|g| present(&g.0)).collect();
            let found = accounts(conn, &ids)?;
            let mut out = Vec::with_capacity(groups.len());
            for (user_id, i, o, cr, cw, c) in &groups {
                let user_id = present(user_id);
                let account = user_id.and_then(|u| found.get(u));
                out.push(UserSums {
                    user_id: user_id.map(|u| id::<UserId>(u, "usage_daily.user_id")).transpose()?,
                    name: account.map(|(name, _, _)| name.clone()),
                    email: account.map(|(_, email, _)| email.clone()),
                    deactivated: account.is_some_and(|(_, _, banned)| *banned),
                    sums: sums((*i, *o, *cr, *cw, *c))?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn lines(
        &self,
        window: &UsageWindow,
        after: Option<LineCursor>,
        limit: usize,
    ) -> Result<Vec<UsageLine>, StoreError> {
        let window = *window;
        self.run("usage.lines", move |conn| {
            let mut q = in_window(&window);
            if let Some(cursor) = after {
                let (at, last) = (cursor.created_at.millis(), cursor.id.to_string());
                q = q.filter(
                    usage_records::created_at
                        .gt(at)
                        .or(usage_records::created_at.eq(at).and(usage_records::id.gt(last))),
                );
            }
            let rows: Vec<UsageRow> = q
                .order((usage_records::created_at.asc(), usage_records::id.asc()))
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .select(UsageRow::as_select())
                .load(conn)?;
            // Each name once, however many of the batch's records share it.
            let distinct = |ids: Vec<String>| {
                let mut ids = ids;
                ids.sort_unstable();
                ids.dedup();
                ids
            };
            let user_ids = distinct(rows.iter().filter_map(|r| r.user_id.clone()).collect());
            let agent_ids = distinct(rows.iter().filter_map(|r| r.agent_id.clone()).collect());
            let people = accounts(conn, &user_ids.iter().map(String::as_str).collect::<Vec<_>>())?;
            let names = agent_names(conn, &agent_ids.iter().map(String::as_str).collect::<Vec<_>>())?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let user = row.user_id.as_deref().and_then(|u| people.get(u)).map(|(n, e, _)| (n.clone(), e.clone()));
                let agent_name = row.agent_id.as_deref().and_then(|a| names.get(a)).map(|(n, _)| n.clone());
                out.push(UsageLine { record: UsageRecord::try_from(row)?, user, agent_name });
            }
            Ok(out)
        })
        .await
    }
}
