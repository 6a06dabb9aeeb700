//! `UsageStore`: records round trip every field, a run's records come back by step and only
//! that run's, a `(run_id, step)` is recorded once (the insert-if-absent is backend-specific SQL)
//! and the first record is kept, also under concurrent reports; failed writes change nothing,
//! values beyond BIGINT saturate, and rows that do not decode are reported.

use pincer_core::{AgentId, RunId, StoreError, Timestamp, UsageId, UserId};
use pincer_usage::{TokenCounts, UsageRecord, UsageSource, UsageStore};

use crate::support::{NOW, each_backend_with_url, each_usage_store, execute};

/// Step `step` of `run`, priced, by a user chatting with an agent.
fn record(run: RunId, step: u32) -> UsageRecord {
    UsageRecord {
        id: UsageId::new(),
        user_id: Some(UserId::new()),
        agent_id: Some(AgentId::new()),
        provider: "anthropic".into(),
        model: "claude-haiku-4-5".into(),
        tokens: TokenCounts { input: 1_200 + u64::from(step), output: 340, cache_read: 5_000, cache_write: 17 },
        cost_nanos: Some(987_654_321),
        source: UsageSource::Chat,
        run_id: run,
        step,
        created_at: NOW.plus_millis(i64::from(step)),
    }
}

async fn for_run(db: &dyn UsageStore, run: RunId) -> Vec<UsageRecord> {
    db.for_run(run).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn records_round_trip_and_come_back_by_step_for_their_run_only() {
    each_usage_store(|db| async move {
        let (run, other_run) = (RunId::new(), RunId::new());
        let step0 = record(run, 0);
        // Unpriced platform work: no user, no agent, no cost.
        let step1 = UsageRecord {
            user_id: None,
            agent_id: None,
            cost_nanos: None,
            source: UsageSource::System,
            provider: "groq-ünï".into(),
            tokens: TokenCounts::default(),
            created_at: Timestamp(-3),
            ..record(run, 1)
        };
        let step2 = UsageRecord { cost_nanos: Some(0), created_at: Timestamp(i64::MAX), ..record(run, 2) };
        let step10 = record(run, 10);
        let elsewhere = record(other_run, 1);
        // Reported out of order; step 10 sorts after 2 (a number, not text).
        for r in [&step10, &step2, &elsewhere, &step0, &step1] {
            assert_eq!(db.record(r).await, Ok(true));
        }
        assert_eq!(for_run(&*db, run).await, vec![step0, step1, step2, step10]);
        assert_eq!(for_run(&*db, other_run).await, vec![elsewhere]);
        assert_eq!(for_run(&*db, RunId::new()).await, vec![]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_is_recorded_once_and_the_first_record_kept() {
    each_usage_store(|db| async move {
        let run = RunId::new();
        let first = record(run, 0);
        assert_eq!(db.record(&first).await, Ok(true));

        // The same step reported again, with other values and a new id: skipped, not applied.
        let again = UsageRecord {
            id: UsageId::new(),
            user_id: None,
            tokens: TokenCounts { input: 1, output: 1, cache_read: 0, cache_write: 0 },
            cost_nanos: None,
            source: UsageSource::System,
            created_at: NOW.plus_millis(9_999),
            ..first.clone()
        };
        assert_eq!(db.record(&again).await, Ok(false));
        assert_eq!(db.record(&first).await, Ok(false));
        assert_eq!(for_run(&*db, run).await, vec![first.clone()]);

        // The same step of another run and the next step of this one are new.
        let next = record(run, 1);
        assert_eq!(db.record(&record(RunId::new(), 0)).await, Ok(true));
        assert_eq!(db.record(&next).await, Ok(true));
        assert_eq!(for_run(&*db, run).await, vec![first, next]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_reports_of_one_step_record_it_once() {
    each_usage_store(|db| async move {
        let run = RunId::new();
        let reports: Vec<UsageRecord> = (0..8)
            .map(|i| UsageRecord { tokens: TokenCounts { output: i, ..TokenCounts::default() }, ..record(run, 3) })
            .collect();
        let tasks: Vec<_> = reports
            .iter()
            .cloned()
            .map(|r| {
                let db = db.clone();
                tokio::spawn(async move { db.record(&r).await })
            })
            .collect();
        let mut recorded = 0;
        for task in tasks {
            if task.await.unwrap().unwrap() {
                recorded += 1;
            }
        }
        assert_eq!(recorded, 1);
        let stored = for_run(&*db, run).await;
        assert_eq!(stored.len(), 1);
        assert!(reports.contains(&stored[0]), "one of the reports, unchanged: {stored:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reused_id_is_a_conflict_and_changes_nothing() {
    each_usage_store(|db| async move {
        let first = record(RunId::new(), 0);
        db.record(&first).await.unwrap();
        // Another step with the id of an existing record: an error, not a silent skip.
        let clash = UsageRecord { id: first.id, ..record(RunId::new(), 0) };
        assert_eq!(db.record(&clash).await, Err(StoreError::Conflict(pincer_core::Rule::Id)));
        assert_eq!(for_run(&*db, clash.run_id).await, vec![]);
        assert_eq!(for_run(&*db, first.run_id).await, vec![first]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn values_beyond_bigint_are_stored_saturated() {
    each_usage_store(|db| async move {
        let run = RunId::new();
        let largest = UsageRecord {
            tokens: TokenCounts {
                input: i64::MAX as u64,
                output: i64::MAX as u64,
                cache_read: 0,
                cache_write: u64::from(u32::MAX) + 1,
            },
            cost_nanos: Some(i64::MAX as u64),
            step: u32::MAX,
            ..record(run, 0)
        };
        let beyond = UsageRecord {
            tokens: TokenCounts { input: u64::MAX, output: i64::MAX as u64 + 1, ..largest.tokens },
            cost_nanos: Some(u64::MAX),
            step: 0,
            ..record(run, 0)
        };
        db.record(&largest).await.unwrap();
        db.record(&beyond).await.unwrap();
        let saturated = UsageRecord {
            tokens: TokenCounts { input: i64::MAX as u64, output: i64::MAX as u64, ..beyond.tokens },
            cost_nanos: Some(i64::MAX as u64),
            ..beyond
        };
        assert_eq!(for_run(&*db, run).await, vec![saturated, largest]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_that_do_not_decode_are_reported_not_panicked_on() {
    each_backend_with_url(|db, url| async move {
        let (good, bad) = (record(RunId::new(), 0), record(RunId::new(), 0));
        db.record(&good).await.unwrap();
        db.record(&bad).await.unwrap();
        let set = |assignment: &str| format!("UPDATE usage_records SET {assignment} WHERE id = '{}'", bad.id);
        for corrupt in ["input_tokens = -1", "cost_nanos = -5", "step = -1", "source = 'cron'", "user_id = 'x'"] {
            execute(&url, &set(corrupt)).await;
            assert_eq!(db.for_run(bad.run_id).await, Err(StoreError::Unavailable), "{corrupt}");
            assert_eq!(for_run(&db, good.run_id).await, vec![good.clone()]);
            let user = bad.user_id.unwrap();
            execute(
                &url,
                &set(&format!(
                    "input_tokens = 1200, cost_nanos = 987654321, step = 0, source = 'chat', user_id = '{user}'"
                )),
            )
            .await;
            assert_eq!(for_run(&db, bad.run_id).await, vec![bad.clone()], "repaired after {corrupt}");
        }
    })
    .await;
}
