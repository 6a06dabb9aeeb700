//! `audit-append`: concurrent writers appending events one by one through
//! `AuditService::append`, as the services do; afterwards the whole chain must verify.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pincer_audit::{Actor, AuditEvent};
use serde_json::json;

use super::{Context, Measurement, Scenario, percentile};

/// Concurrent writers (tokio tasks).
const WRITERS: usize = 8;

pub struct AuditAppend;

impl Scenario for AuditAppend {
    fn name(&self) -> &'static str {
        "audit-append"
    }

    fn about(&self) -> &'static str {
        "8 concurrent writers × 500 (quick) / 5,000 events through AuditService::append; appends/s and latency"
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let per_writer: usize = ctx.size(500, 5_000);
        let service = Arc::new(ctx.audit_service());
        let deadline = Instant::now() + ctx.time_limit();
        ctx.block_on(async {
            let started = Instant::now();
            let writers: Vec<_> = (0..WRITERS)
                .map(|writer| {
                    let service = service.clone();
                    tokio::spawn(async move {
                        let mut latencies = Vec::with_capacity(per_writer);
                        let mut errors = 0u64;
                        for seq in 0..per_writer {
                            if Instant::now() >= deadline {
                                break;
                            }
                            // A user actor, as most audited actions have: the append also looks
                            // up (and on first use creates) the user's pseudonym.
                            let event = AuditEvent::new(Actor::User(format!("bench-user-{writer}")), "bench.append")
                                .resource(format!("bench:{writer}-{seq}"))
                                .detail(json!({ "writer": writer, "seq": seq, "note": "benchmark event" }));
                            let sent = Instant::now();
                            match service.append(event).await {
                                Ok(Some(_)) => latencies.push(sent.elapsed()),
                                Ok(None) => errors += 1,
                                Err(e) => {
                                    if errors == 0 {
                                        eprintln!("bench: writer {writer}: append failed: {e}");
                                    }
                                    errors += 1;
                                }
                            }
                        }
                        (latencies, errors)
                    })
                })
                .collect();
            let mut latencies: Vec<Duration> = Vec::with_capacity(WRITERS * per_writer);
            let mut errors = 0u64;
            for writer in writers {
                let (lat, err) = writer.await.map_err(|e| format!("a writer task failed: {e}"))?;
                latencies.extend(lat);
                errors += err;
            }
            let elapsed = started.elapsed();
            latencies.sort_unstable();
            let stored = latencies.len() as u64;
            let ops = stored + errors;

            let (report, _) = service.verify_since(None).await.map_err(|e| format!("verification failed: {e}"))?;
            if !report.valid || report.total_checked != stored {
                return Err(format!(
                    "the chain does not verify after concurrent appends: {} rows checked for {stored} appended, \
                     {} invalid, {} chain breaks",
                    report.total_checked,
                    report.invalid_ids.len(),
                    report.chain_break_ids.len()
                ));
            }
            let planned = (WRITERS * per_writer) as u64;
            let note = (ops < planned).then(|| {
                format!("stopped at the {} s time limit after {ops} of {planned} appends", ctx.time_limit().as_secs())
            });
            Ok(vec![Measurement {
                scenario: self.name().into(),
                backend: ctx.backend(),
                concurrency: WRITERS,
                ops,
                elapsed,
                p50: percentile(&latencies, 50.0),
                p99: percentile(&latencies, 99.0),
                errors,
                per_second: true,
                note,
            }])
        })
    }
}
