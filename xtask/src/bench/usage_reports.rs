//! `usage-reports`: the usage dashboard's reads as an admin, 8 keep-alive clients, over a ledger
//! of 1,000,000 usage records (100,000 with `--quick`) spread over 90 days, 20 agents and 200
//! people: `GET /api/usage/summary?days=30`, `GET /api/usage/timeseries?days=30&interval=hour`
//! (720 buckets) and `GET /api/usage/by-user?days=30` (under a licence the benchmark signs).
//!
//! The records are written before the server starts, straight into its database with multi-row
//! INSERTs (a million model calls through the server would take hours); the server then sums
//! them as it would sum real ones.

use std::time::Instant;

use diesel::connection::SimpleConnection as _;
use diesel::{Connection, PgConnection, SqliteConnection};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::{Value, json};

use super::seed::{self, Plan};
use super::{Context, Measurement, Scenario, agents, load};

pub const NAME: &str = "usage-reports";
const CONCURRENCY: usize = 8;
const PLAN: Plan = Plan { admins: 2, members: 0, log_in_members: false, shared_agents: 0 };
const DAYS: i64 = 90;
const AGENTS: u64 = 20;
const PEOPLE: u64 = 200;
/// Rows per INSERT statement, and statements per transaction.
const ROWS_PER_INSERT: usize = 1_000;
const INSERTS_PER_TRANSACTION: usize = 20;
pub const READS: [(&str, &str); 3] = [
    ("usage-summary", "/api/usage/summary?days=30"),
    ("usage-timeseries", "/api/usage/timeseries?days=30&interval=hour"),
    ("usage-by-user", "/api/usage/by-user?days=30"),
];

pub struct UsageReports;

impl Scenario for UsageReports {
    fn name(&self) -> &'static str {
        NAME
    }

    fn about(&self) -> &'static str {
        "usage summary, hourly series (30 days) and by-user over 100,000 (quick) / 1,000,000 records, 8 clients; p50/p99 each"
    }

    fn uses_binary(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let rows: usize = ctx.size(100_000, 1_000_000);
        let started = Instant::now();
        load_records(ctx.database_url, rows)?;
        eprintln!("bench: {NAME}: loaded {rows} records in {:.1} s", started.elapsed().as_secs_f64());

        let (public, licence) = licence()?;
        let server = ctx.start_server(vec![("PINCER_LICENSE_KEYS", public), ("PINCER_LICENSE", licence)])?;
        let measurements = ctx.block_on(async {
            let seeded = seed::seed(&server, PLAN).await?;
            let admins = agents::cookies(&seeded.admins)?;
            let client = super::server::client()?;
            let mut measurements = Vec::new();
            for (name, path) in READS {
                // One answer first: the report covers the loaded records.
                let res = client
                    .get(server.url(path))
                    .header(COOKIE, admins[0].clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = res.status();
                let body: Value = res.json().await.map_err(|e| format!("GET {path}: {e}"))?;
                if status != StatusCode::OK {
                    return Err(format!("GET {path} answered {status}: {body}"));
                }
                let note = describe(name, &body)?;
                let admins = admins.clone();
                let outcome = load::run(&server, &ctx.load(CONCURRENCY), StatusCode::OK, move |worker, _| {
                    load::Request::get(path).header(COOKIE, admins[worker % admins.len()].clone())
                })
                .await?;
                let mut m = outcome.measurement(name, ctx.backend());
                m.note = Some(match m.note.take() {
                    Some(other) => format!("{note}; {other}"),
                    None => note,
                });
                measurements.push(m);
            }
            Ok::<_, String>(measurements)
        })?;
        ctx.finish_server(server, measurements)
    }
}

/// What the first answer of a report held, for the table's note; `Err` when it is empty.
fn describe(name: &str, body: &Value) -> Result<String, String> {
    let count = |key: &str| body[key].as_array().map_or(0, Vec::len);
    let (what, n) = match name {
        "usage-summary" => ("agents", count("agents")),
        "usage-timeseries" => ("buckets", count("buckets")),
        _ => ("people", count("users")),
    };
    if n == 0 {
        return Err(format!("{name}: no {what} in the answer: {body}"));
    }
    Ok(format!("{n} {what} in an answer"))
}

/// A vendor key pair made for this run, and a licence it signs.
fn licence() -> Result<(String, String), String> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|e| e.to_string())?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| e.to_string())?;
    let public: String = pair.public_key().as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs() as i64;
    let claims = json!({"sub": "Bench", "type": "paid", "features": ["enterprise"], "iat": now, "exp": now + 86_400});
    Ok((public, pincer_identity::licence::sign(&claims, pkcs8.as_ref())?))
}

/// A UUID-shaped id for record `n` of `kind` (distinct per kind).
fn uuid(kind: u32, n: u64) -> String {
    format!("{kind:08x}-0000-7000-8000-{n:012x}")
}

/// Writes `rows` usage records over the last [`DAYS`] days with multi-row INSERTs.
fn load_records(url: &str, rows: usize) -> Result<(), String> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_millis()
        as i64;
    let span = DAYS * 86_400_000;
    let mut batches = Vec::new();
    let mut sql = String::new();
    let mut in_statement = 0;
    let mut statements = 0;
    for n in 0..rows as u64 {
        if in_statement == 0 {
            sql.push_str(
                "INSERT INTO usage_records (id, user_id, agent_id, provider, model, input_tokens, output_tokens, \
                 cache_read_tokens, cache_write_tokens, cost_nanos, source, run_id, step, created_at) VALUES ",
            );
        } else {
            sql.push(',');
        }
        let at = now - (n as i64 * 7_919) % span;
        let source = ["chat", "chat", "chat", "system", "plugin"][(n % 5) as usize];
        sql.push_str(&format!(
            "('{}','{}','{}','anthropic','claude-haiku-4-5',{},{},{},{},{},'{source}','{}',0,{at})",
            uuid(1, n),
            uuid(2, n % PEOPLE),
            uuid(3, n % AGENTS),
            800 + n % 400,
            200 + n % 100,
            n % 3 * 100,
            n % 7,
            1_000_000 + n % 1_000,
            uuid(4, n),
        ));
        in_statement += 1;
        if in_statement == ROWS_PER_INSERT {
            sql.push(';');
            in_statement = 0;
            statements += 1;
            if statements == INSERTS_PER_TRANSACTION {
                batches.push(std::mem::take(&mut sql));
                statements = 0;
            }
        }
    }
    if in_statement > 0 {
        sql.push(';');
    }
    if !sql.is_empty() {
        batches.push(sql);
    }
    let run = |execute: &mut dyn FnMut(&str) -> Result<(), String>| -> Result<(), String> {
        for batch in &batches {
            execute(&format!("BEGIN; {batch} COMMIT;"))?;
        }
        Ok(())
    };
    if url.starts_with("postgres") {
        let mut conn = PgConnection::establish(url).map_err(|e| format!("cannot connect: {e}"))?;
        run(&mut |sql| conn.batch_execute(sql).map_err(|e| format!("loading records: {e}")))?;
        // A million upserts left as many dead versions of the rollup rows; autovacuum clears them
        // within a minute in a running system, which is the state to measure.
        conn.batch_execute("VACUUM ANALYZE usage_records, usage_daily, usage_hourly, usage_unpriced")
            .map_err(|e| e.to_string())
    } else {
        let path = url.trim_start_matches("sqlite://");
        let mut conn = SqliteConnection::establish(path).map_err(|e| format!("cannot open: {e}"))?;
        run(&mut |sql| conn.batch_execute(sql).map_err(|e| format!("loading records: {e}")))?;
        conn.batch_execute("ANALYZE").map_err(|e| e.to_string())
    }
}
