//! `audit-verify`: a full verification (`AuditService::verify_since(None)`) of a log of
//! 1,000,000 rows (100,000 with `--quick`). The rows are loaded first with
//! `AuditService::append_batch`, which is timed and reported as `audit-verify:load`.

use std::time::{Duration, Instant};

use pincer_audit::{Actor, AuditEvent, AuditService};
use serde_json::json;

use super::{Context, Measurement, Scenario};

/// Events per `append_batch` call (one write transaction each).
const LOAD_BATCH: usize = 20_000;
/// The goal of the audit issue: 1,000,000 rows verified in under 3 s on SQLite.
const GOAL_ROWS_PER_SECOND: f64 = 1_000_000.0 / 3.0;

pub struct AuditVerify;

impl Scenario for AuditVerify {
    fn name(&self) -> &'static str {
        "audit-verify"
    }

    fn about(&self) -> &'static str {
        "verify_since(None) over 100,000 (quick) / 1,000,000 rows loaded with append_batch; rows/s"
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let rows: usize = ctx.size(100_000, 1_000_000);
        let service = ctx.audit_service();
        let deadline = Instant::now() + ctx.time_limit();
        ctx.block_on(async {
            let started = Instant::now();
            let loaded = load_rows(&service, rows, deadline).await?;
            let load_elapsed = started.elapsed();
            let load_note = (loaded < rows).then(|| {
                format!("stopped at the {} s time limit after {loaded} of {rows} rows", ctx.time_limit().as_secs())
            });

            let started = Instant::now();
            let (report, _) = service.verify_since(None).await.map_err(|e| format!("verification failed: {e}"))?;
            let verify_elapsed = started.elapsed();
            if !report.valid || report.total_checked != loaded as u64 {
                return Err(format!(
                    "the loaded chain does not verify: {} rows checked for {loaded} loaded, {} invalid, {} chain breaks",
                    report.total_checked,
                    report.invalid_ids.len(),
                    report.chain_break_ids.len()
                ));
            }
            let verify = Measurement {
                scenario: self.name().into(),
                backend: ctx.backend(),
                concurrency: 1,
                ops: report.total_checked,
                elapsed: verify_elapsed,
                p50: None,
                p99: None,
                errors: 0,
                per_second: true,
                note: None,
            };
            let note = goal_note(&verify);
            Ok(vec![
                Measurement {
                    scenario: format!("{}:load", self.name()),
                    backend: ctx.backend(),
                    concurrency: 1,
                    ops: loaded as u64,
                    elapsed: load_elapsed,
                    p50: None,
                    p99: None,
                    errors: 0,
                    per_second: true,
                    note: load_note,
                },
                Measurement { note, ..verify },
            ])
        })
    }
}

/// Appends `rows` benchmark events with `AuditService::append_batch`, [`LOAD_BATCH`] per call,
/// stopping early at `deadline`; returns how many were stored.
pub async fn load_rows(service: &AuditService, rows: usize, deadline: Instant) -> Result<usize, String> {
    let mut loaded = 0usize;
    while loaded < rows && Instant::now() < deadline {
        let n = LOAD_BATCH.min(rows - loaded);
        let events: Vec<AuditEvent> = (loaded..loaded + n).map(event).collect();
        let ids = service.append_batch(events).await.map_err(|e| format!("loading rows failed: {e}"))?;
        if ids.len() != n {
            return Err(format!("append_batch stored {} of {n} rows", ids.len()));
        }
        loaded += n;
    }
    Ok(loaded)
}

/// The benchmark events: agent and user actors, a resource and a small detail, like real rows.
fn event(i: usize) -> AuditEvent {
    let actor = if i.is_multiple_of(3) {
        Actor::User(format!("bench-user-{}", i % 16))
    } else {
        Actor::Agent(format!("agent-{}", i % 32))
    };
    AuditEvent::new(actor, "bench.verify")
        .resource(format!("chat:{}", i / 10))
        .detail(json!({ "seq": i, "model": "bench-model", "tokens": i % 4_096 }))
}

/// How the measured rate compares with the goal (stated for SQLite only).
fn goal_note(m: &Measurement) -> Option<String> {
    if m.backend != "sqlite" || m.ops == 0 {
        return None;
    }
    let rate = m.ops_per_second();
    let for_a_million = Duration::from_secs_f64(1_000_000.0 / rate.max(1.0));
    let verdict = if rate >= GOAL_ROWS_PER_SECOND { "met" } else { "MISSED" };
    Some(format!(
        "goal 1,000,000 rows in < 3 s on SQLite {verdict}: {:.0} rows/s, {:.2} s per million rows",
        rate,
        for_a_million.as_secs_f64()
    ))
}
