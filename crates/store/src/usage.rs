//! [`UsageStore`] on [`Database`], and the row of a usage record.
//!
//! Token counts and costs are `u64` in the domain and BIGINT (`i64`) in both databases: a value
//! above `i64::MAX` is stored as `i64::MAX` (the record is kept, at the largest amount the column
//! holds); a negative stored value does not decode.

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_core::{RunId, StoreError, Timestamp};
use pincer_usage::{TokenCounts, UsageRecord, UsageSource, UsageStore};

use crate::Database;
use crate::backend;
use crate::error::DbError;
use crate::rows::{decode_all, id};
use crate::schema::usage_records;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = usage_records, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
// `None` is written as NULL, not as SQL DEFAULT (which SQLite does not accept in VALUES).
#[diesel(treat_none_as_default_value = false)]
pub struct UsageRow {
    pub id: String,
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub provider: String,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_write_tokens: i64,
    pub cost_nanos: Option<i64>,
    pub source: String,
    pub run_id: String,
    pub step: i64,
    pub created_at: i64,
}

/// Saturates at `i64::MAX`.
fn to_bigint(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_u64(value: i64, column: &'static str) -> Result<u64, DbError> {
    u64::try_from(value).map_err(|_| DbError::Corrupt(column))
}

impl From<&UsageRecord> for UsageRow {
    fn from(r: &UsageRecord) -> Self {
        Self {
            id: r.id.to_string(),
            user_id: r.user_id.map(|u| u.to_string()),
            agent_id: r.agent_id.map(|a| a.to_string()),
            provider: r.provider.clone(),
            model: r.model.clone(),
            input_tokens: to_bigint(r.tokens.input),
            output_tokens: to_bigint(r.tokens.output),
            cache_read_tokens: to_bigint(r.tokens.cache_read),
            cache_write_tokens: to_bigint(r.tokens.cache_write),
            cost_nanos: r.cost_nanos.map(to_bigint),
            source: r.source.as_str().to_string(),
            run_id: r.run_id.to_string(),
            step: i64::from(r.step),
            created_at: r.created_at.millis(),
        }
    }
}

impl TryFrom<UsageRow> for UsageRecord {
    type Error = DbError;

    fn try_from(r: UsageRow) -> Result<Self, DbError> {
        Ok(Self {
            id: id(&r.id, "usage_records.id")?,
            user_id: r.user_id.as_deref().map(|u| id(u, "usage_records.user_id")).transpose()?,
            agent_id: r.agent_id.as_deref().map(|a| id(a, "usage_records.agent_id")).transpose()?,
            provider: r.provider,
            model: r.model,
            tokens: TokenCounts {
                input: to_u64(r.input_tokens, "usage_records.input_tokens")?,
                output: to_u64(r.output_tokens, "usage_records.output_tokens")?,
                cache_read: to_u64(r.cache_read_tokens, "usage_records.cache_read_tokens")?,
                cache_write: to_u64(r.cache_write_tokens, "usage_records.cache_write_tokens")?,
            },
            cost_nanos: r.cost_nanos.map(|c| to_u64(c, "usage_records.cost_nanos")).transpose()?,
            source: UsageSource::parse(&r.source).ok_or(DbError::Corrupt("usage_records.source"))?,
            run_id: id(&r.run_id, "usage_records.run_id")?,
            step: u32::try_from(r.step).map_err(|_| DbError::Corrupt("usage_records.step"))?,
            created_at: Timestamp(r.created_at),
        })
    }
}

#[async_trait]
impl UsageStore for Database {
    async fn record(&self, record: &UsageRecord) -> Result<bool, StoreError> {
        let row = UsageRow::from(record);
        let inserted =
            self.run_write("usage.record", move |conn| Ok(backend::insert_usage_if_absent(conn, &row)? == 1)).await;
        if inserted == Ok(true) {
            count_model_call(record);
        }
        inserted
    }

    async fn for_run(&self, run: RunId) -> Result<Vec<UsageRecord>, StoreError> {
        let run = run.to_string();
        self.run("usage.for_run", move |conn| {
            let rows: Vec<UsageRow> = usage_records::table
                .filter(usage_records::run_id.eq(&run))
                .order(usage_records::step.asc())
                .select(UsageRow::as_select())
                .load(conn)?;
            decode_all(rows)
        })
        .await
    }
}

/// The metrics of a model call, once its record is stored (a retried record counts once).
fn count_model_call(record: &UsageRecord) {
    let provider = record.provider.clone();
    metrics::counter!("pincer_model_calls_total", "provider" => provider.clone()).increment(1);
    let t = &record.tokens;
    for (kind, n) in
        [("input", t.input), ("output", t.output), ("cache_read", t.cache_read), ("cache_write", t.cache_write)]
    {
        metrics::counter!("pincer_model_tokens_total", "provider" => provider.clone(), "kind" => kind).increment(n);
    }
    if let Some(nanos) = record.cost_nanos {
        metrics::counter!("pincer_model_cost_nanodollars_total", "provider" => provider).increment(nanos);
    }
}

#[cfg(test)]
mod tests {
    use pincer_core::{AgentId, UsageId, UserId};

    use super::*;

    fn record() -> UsageRecord {
        UsageRecord {
            id: UsageId::new(),
            user_id: Some(UserId::new()),
            agent_id: Some(AgentId::new()),
            provider: "anthropic".into(),
            model: "claude-haiku".into(),
            tokens: TokenCounts { input: 1, output: 2, cache_read: 3, cache_write: 4 },
            cost_nanos: Some(5),
            source: UsageSource::Chat,
            run_id: RunId::new(),
            step: u32::MAX,
            created_at: Timestamp(-7),
        }
    }

    #[test]
    fn records_round_trip_through_rows() {
        let r = record();
        assert_eq!(UsageRecord::try_from(UsageRow::from(&r)).unwrap(), r);
        let bare = UsageRecord { user_id: None, agent_id: None, cost_nanos: None, source: UsageSource::System, ..r };
        assert_eq!(UsageRecord::try_from(UsageRow::from(&bare)).unwrap(), bare);
    }

    #[test]
    fn values_beyond_bigint_saturate() {
        let huge = UsageRecord {
            tokens: TokenCounts {
                input: u64::MAX,
                output: i64::MAX as u64 + 1,
                cache_read: i64::MAX as u64,
                cache_write: 0,
            },
            cost_nanos: Some(u64::MAX),
            ..record()
        };
        let row = UsageRow::from(&huge);
        assert_eq!(
            (row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cost_nanos),
            (i64::MAX, i64::MAX, i64::MAX, Some(i64::MAX))
        );
    }

    #[test]
    fn corrupt_values_name_the_column() {
        let corrupt = |edit: fn(&mut UsageRow)| {
            let mut row = UsageRow::from(&record());
            edit(&mut row);
            match UsageRecord::try_from(row) {
                Err(DbError::Corrupt(column)) => column,
                _ => panic!("expected a corrupt column"),
            }
        };
        assert_eq!(corrupt(|r| r.id = "x".into()), "usage_records.id");
        assert_eq!(corrupt(|r| r.user_id = Some("x".into())), "usage_records.user_id");
        assert_eq!(corrupt(|r| r.agent_id = Some(String::new())), "usage_records.agent_id");
        assert_eq!(corrupt(|r| r.run_id = "x".into()), "usage_records.run_id");
        assert_eq!(corrupt(|r| r.source = "Chat".into()), "usage_records.source");
        assert_eq!(corrupt(|r| r.input_tokens = -1), "usage_records.input_tokens");
        assert_eq!(corrupt(|r| r.output_tokens = -1), "usage_records.output_tokens");
        assert_eq!(corrupt(|r| r.cache_read_tokens = i64::MIN), "usage_records.cache_read_tokens");
        assert_eq!(corrupt(|r| r.cache_write_tokens = -1), "usage_records.cache_write_tokens");
        assert_eq!(corrupt(|r| r.cost_nanos = Some(-1)), "usage_records.cost_nanos");
        assert_eq!(corrupt(|r| r.step = -1), "usage_records.step");
        assert_eq!(corrupt(|r| r.step = i64::from(u32::MAX) + 1), "usage_records.step");
    }
}
