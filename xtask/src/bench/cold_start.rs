//! `cold-start`: from spawning `pincer serve` to its first 200 on `GET /api/health`, the median
//! of 5 starts, each on a fresh data directory and a fresh database (SQLite in the data
//! directory; a fresh PostgreSQL database with `--database-url`), so migrations and key generation
//! are part of it. Each server is stopped with SIGTERM before the next starts. Also records the
//! median idle RSS right after the first answer.

use std::time::{Duration, Instant};

use super::server::{self, ServerOptions};
use super::{Context, Measurement, Scenario, memory, percentile};

pub const NAME: &str = "cold-start";
pub const STARTS: usize = 5;

pub struct ColdStart;

impl Scenario for ColdStart {
    fn name(&self) -> &'static str {
        NAME
    }

    fn about(&self) -> &'static str {
        "process start to the first 200 on /api/health, fresh data dir and database, median of 5; idle RSS"
    }

    fn uses_binary(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let client = server::client()?;
        let mut times = Vec::with_capacity(STARTS);
        let mut ready = Vec::with_capacity(STARTS);
        let mut rss = Vec::with_capacity(STARTS);
        let mut threads = Vec::with_capacity(STARTS);
        // A server that does not stop cleanly is an error; the starts go on, to be counted.
        let mut errors = 0u64;
        let mut first_error = None;
        let started = Instant::now();
        for _ in 0..STARTS {
            let postgres = ctx.server_url.is_some();
            let fresh = if postgres { Some(ctx.fresh_database()?) } else { None };
            // SQLite: no URL, so the server creates its database in its fresh data directory.
            let options = ServerOptions { database_url: fresh.as_ref().map(|f| f.url().to_string()), env: Vec::new() };
            let server = ctx.spawn_server(&options)?;
            ctx.block_on(server.wait_healthy(&client))?;
            times.push(server.spawned_at.elapsed());
            ready.push(server.ready_after);
            let (bytes, count) = server.memory()?;
            rss.push(bytes);
            threads.push(count);
            if let Err(e) = server.stop() {
                eprintln!("bench: {NAME}: {e}");
                errors += 1;
                first_error.get_or_insert_with(|| e.lines().next().unwrap_or_default().to_string());
            }
            drop(fresh);
        }
        let elapsed = started.elapsed();
        times.sort_unstable();
        ready.sort_unstable();
        rss.sort_unstable();
        threads.sort_unstable();
        let (median_rss, median_threads) = (rss[rss.len() / 2], threads[threads.len() / 2]);
        let note = Some(format!("median of {STARTS} fresh starts"));
        ctx.record_memory(memory::IDLE, median_rss, Some(median_threads), note);
        let list: Vec<String> = times.iter().map(|t| format!("{:.0}", t.as_secs_f64() * 1_000.0)).collect();
        let ready_median = percentile(&ready, 50.0).unwrap_or(Duration::ZERO);
        Ok(vec![Measurement {
            scenario: NAME.into(),
            backend: ctx.backend(),
            concurrency: 1,
            ops: STARTS as u64,
            elapsed,
            p50: percentile(&times, 50.0),
            p99: percentile(&times, 99.0),
            errors,
            per_second: false,
            note: Some(
                format!(
                    "p50 is the median start, p99 the slowest; starts took {} ms; the ready line came after {:.0} ms \
                 (median); seconds include stopping each server",
                    list.join(", "),
                    ready_median.as_secs_f64() * 1_000.0
                ) + &first_error.map(|e| format!("; {errors} server(s) did not stop cleanly: {e}")).unwrap_or_default(),
            ),
        }])
    }
}
