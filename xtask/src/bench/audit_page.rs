//! `audit-page`: the newest page of the audit log, `GET /api/audit?limit=50` as an admin, from 64
//! keep-alive clients, over a log of 1,000,000 rows (100,000 with `--quick`).
//!
//! The rows are loaded before the server starts, straight into its database with
//! `AuditService::append_batch` under the key the server is given (`PINCER_AUDIT_KEY`), so the
//! server continues the same chain; loading them through the server's own writes would take far
//! longer than the benchmark. The load phase waits for the server's first integrity check (five
//! seconds after start, a full verification) so the two do not overlap, and fails if it reports
//! a broken chain.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::Value;

use super::seed::{self, Plan};
use super::{Context, Measurement, Scenario, agents, audit_verify, load, server};

pub const NAME: &str = "audit-page";
const CONCURRENCY: usize = 64;
const PLAN: Plan = Plan { admins: 4, members: 0, log_in_members: false, shared_agents: 0 };
const PAGE: &str = "/api/audit?limit=50";
/// The server's first integrity check starts 5 s after start; verifying a million rows takes a
/// few seconds more on two cores.
const INTEGRITY_WAIT: Duration = Duration::from_secs(60);

pub struct AuditPage;

impl Scenario for AuditPage {
    fn name(&self) -> &'static str {
        NAME
    }

    fn about(&self) -> &'static str {
        "GET /api/audit?limit=50 as admin over 100,000 (quick) / 1,000,000 rows, 64 clients; requests/s, p50/p99"
    }

    fn uses_binary(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let rows: usize = ctx.size(100_000, 1_000_000);
        let service = ctx.audit_service();
        let started = Instant::now();
        let loaded = ctx.block_on(audit_verify::load_rows(&service, rows, started + ctx.time_limit()))?;
        if loaded < rows {
            return Err(format!("loaded only {loaded} of {rows} rows within the time limit"));
        }
        eprintln!("bench: {NAME}: loaded {loaded} rows in {:.1} s", started.elapsed().as_secs_f64());

        let server = ctx.start_server(Vec::new())?;
        let (outcome, mut notes) = ctx.block_on(async {
            let seeded = seed::seed(&server, PLAN).await?;
            let admins = agents::cookies(&seeded.admins)?;
            let mut notes = Vec::new();
            let verified = server.wait_for_log("audit chain verified", INTEGRITY_WAIT).await?;
            if let Some(violation) = server.marked().iter().find(|l| l.contains("INTEGRITY VIOLATION")) {
                return Err(format!("the server found the loaded chain invalid: {violation}"));
            }
            if !verified {
                notes.push(format!("the first integrity check had not finished after {INTEGRITY_WAIT:?}"));
            }

            let client = server::client()?;
            let url = server.url(PAGE);
            // One page first: 50 entries of a log holding at least the loaded rows.
            let res = client.get(&url).header(COOKIE, admins[0].clone()).send().await.map_err(|e| e.to_string())?;
            let status = res.status();
            let body: Value = res.json().await.map_err(|e| format!("GET {PAGE}: {e}"))?;
            let entries = body["entries"].as_array().map_or(0, Vec::len);
            let total = body["total"].as_u64().unwrap_or(0);
            if status != StatusCode::OK || entries != 50 || total < loaded as u64 {
                return Err(format!("GET {PAGE} answered {status} with {entries} entries of {total}"));
            }
            notes.push(format!("{total} rows in the log"));

            let outcome = load::run(&server, &ctx.load(CONCURRENCY), StatusCode::OK, move |worker, _| {
                load::Request::get(PAGE).header(COOKIE, admins[worker % admins.len()].clone())
            })
            .await?;
            Ok::<_, String>((outcome, notes))
        })?;
        let mut m = outcome.measurement(NAME, ctx.backend());
        if let Some(note) = m.note.take() {
            notes.push(note);
        }
        m.note = Some(notes.join("; "));
        ctx.finish_server(server, vec![m])
    }
}
