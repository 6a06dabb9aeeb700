//! `cargo xtask bench`: throughput and latency figures for the real services on a fresh database
//! (docs/PERFORMANCE.md). Figures are reported, never asserted: a run fails only when a scenario
//! reports errors or finds an invalid audit chain.
//!
//! `cargo xtask bench` rebuilds this tool in release mode and runs it as the hidden `bench-run`
//! command, so the measured code is optimised whatever profile the alias was built with.
//!
//! A scenario is a type implementing [`Scenario`] in its own module, listed in [`scenarios`]. The
//! harness hands it a [`Context`] with a fresh, migrated database and a tokio runtime, and prints
//! the [`Measurement`]s it returns.

mod audit_append;
mod audit_verify;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use pincer_audit::AuditService;
use pincer_store::{Backend, Database};
use serde_json::{Value, json};

use crate::cargo;

/// The audit key of every benchmark database (the data is thrown away afterwards).
const BENCH_AUDIT_KEY: [u8; 32] = [0x42; 32];
/// Where the PostgreSQL server URL is handed from `bench` to `bench-run`, so that a password never
/// shows on a command line.
const DATABASE_URL_ENV: &str = "PINCER_BENCH_DATABASE_URL";

/// The options shared by `bench` and the `bench-run` it starts.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    /// Smaller workloads (finishes in well under two minutes).
    #[arg(long)]
    pub quick: bool,
    /// Run only this scenario (default: all). See `--list`.
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// A PostgreSQL server (`postgres://user@host/db`): each scenario runs in a fresh database
    /// `pincer_bench_<uuid>` created there and dropped afterwards. Default: a fresh SQLite file.
    #[arg(long, value_name = "URL", env = DATABASE_URL_ENV, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// List the scenarios and exit.
    #[arg(long)]
    pub list: bool,
}

/// `cargo xtask bench`: builds this tool with optimisations and runs `bench-run` with `args`.
pub fn bench(args: &Args) -> Result<(), String> {
    let mut cmd = cargo::command();
    cmd.args(["run", "--quiet", "--release", "--package", "xtask", "--", "bench-run"]);
    if args.quick {
        cmd.arg("--quick");
    }
    if args.list {
        cmd.arg("--list");
    }
    if let Some(name) = &args.scenario {
        cmd.args(["--scenario", name]);
    }
    if let Some(path) = &args.json {
        // The child runs in the workspace root; keep the path relative to where we were started.
        let path = std::env::current_dir().map(|dir| dir.join(path)).unwrap_or_else(|_| path.clone());
        cmd.arg("--json").arg(path);
    }
    cmd.env_remove(DATABASE_URL_ENV);
    if let Some(url) = &args.database_url {
        cmd.env(DATABASE_URL_ENV, url);
    }
    // Not `cargo::run`: it echoes the command with its environment, which holds the URL.
    eprintln!("$ cargo run --release --package xtask -- bench-run …");
    let status = cmd.status().map_err(|e| format!("cannot run {}: {e}", cargo::cargo()))?;
    if status.success() { Ok(()) } else { Err(format!("bench-run failed ({status})")) }
}

/// `bench-run`: runs the selected scenarios in this process and prints one table.
pub fn run(args: &Args) -> Result<(), String> {
    let all = scenarios();
    if args.list {
        for s in &all {
            println!("{:<14} {}", s.name(), s.about());
        }
        return Ok(());
    }
    let selected: Vec<&dyn Scenario> = match &args.scenario {
        None => all.iter().map(|s| s.as_ref()).collect(),
        Some(name) => match all.iter().find(|s| s.name() == name) {
            Some(s) => vec![s.as_ref()],
            None => {
                let names: Vec<&str> = all.iter().map(|s| s.name()).collect();
                return Err(format!("unknown scenario {name:?}; known: {}", names.join(", ")));
            }
        },
    };
    if cfg!(debug_assertions) {
        eprintln!("bench: warning: this is a debug build; run `cargo xtask bench` for meaningful figures");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;

    let mut results = Vec::new();
    let mut failures = Vec::new();
    for scenario in selected {
        eprintln!("bench: {} ({})", scenario.name(), if args.quick { "quick" } else { "full" });
        let fresh = FreshDatabase::create(args.database_url.as_deref())?;
        let outcome = runtime
            .block_on(Database::open(fresh.url()))
            .map_err(|e| format!("cannot open the benchmark database: {e}"))
            .and_then(|database| {
                runtime.block_on(database.migrate()).map_err(|e| format!("cannot migrate: {e}"))?;
                let ctx = Context { runtime: &runtime, database, quick: args.quick };
                let started = Instant::now();
                let measured = scenario.run(&ctx);
                eprintln!("bench: {} done in {:.1} s", scenario.name(), started.elapsed().as_secs_f64());
                measured
            });
        // The pool is gone before the database is dropped.
        drop(fresh);
        match outcome {
            Ok(measured) => {
                for m in &measured {
                    if m.errors > 0 {
                        failures.push(format!("{}: {} error(s)", m.scenario, m.errors));
                    }
                }
                results.extend(measured);
            }
            Err(e) => failures.push(format!("{}: {e}", scenario.name())),
        }
    }

    print!("{}", table(&results));
    for m in &results {
        if let Some(note) = &m.note {
            println!("note: {}: {note}", m.scenario);
        }
    }
    if let Some(path) = &args.json {
        write_json(path, args.quick, &results)?;
        eprintln!("bench: wrote {}", path.display());
    }
    if failures.is_empty() { Ok(()) } else { Err(format!("benchmark failed: {}", failures.join("; "))) }
}

/// Every scenario, in the order a full run executes them.
fn scenarios() -> Vec<Box<dyn Scenario>> {
    vec![Box::new(audit_append::AuditAppend), Box::new(audit_verify::AuditVerify)]
}

/// One benchmark. Keep every loop bounded in count and in time (see [`Context::time_limit`]).
pub trait Scenario {
    /// The `--scenario` name, kebab-case.
    fn name(&self) -> &'static str;
    /// One line for `--list`.
    fn about(&self) -> &'static str;
    /// Runs the workload on `ctx.database` and reports what it measured. `Err` for a failure
    /// that leaves nothing to report; operation errors go into [`Measurement::errors`].
    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String>;
}

/// What a scenario runs with: a fresh, migrated database it has to itself.
pub struct Context<'a> {
    runtime: &'a tokio::runtime::Runtime,
    pub database: Database,
    pub quick: bool,
}

impl Context<'_> {
    /// Runs a future to completion on the benchmark's multi-threaded runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// `quick` or `full` depending on `--quick`.
    pub fn size<T>(&self, quick: T, full: T) -> T {
        if self.quick { quick } else { full }
    }

    /// The longest a scenario's loops may keep going before they stop and report what they did.
    pub fn time_limit(&self) -> Duration {
        self.size(Duration::from_secs(45), Duration::from_secs(600))
    }

    pub fn backend(&self) -> &'static str {
        match self.database.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The real audit service over this database, with the system clock.
    pub fn audit_service(&self) -> AuditService {
        AuditService::new(
            std::sync::Arc::new(self.database.clone()),
            &BENCH_AUDIT_KEY,
            std::sync::Arc::new(pincer_core::SystemClock),
        )
    }
}

/// One row of the results table.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub scenario: String,
    pub backend: &'static str,
    /// Concurrent workers issuing operations.
    pub concurrency: usize,
    /// Operations completed (successfully or not).
    pub ops: u64,
    /// Wall-clock time of the measured phase.
    pub elapsed: Duration,
    /// Per-operation latency percentiles, when operations were timed one by one.
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
    pub errors: u64,
    /// Anything a reader of the figures must know (a time limit was hit, a goal was missed…).
    pub note: Option<String>,
}

impl Measurement {
    pub fn ops_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.ops as f64 / secs } else { 0.0 }
    }
}

/// The nearest-rank percentile (`p` in 0..=100) of latencies sorted ascending.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn millis(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_string(), |d| format!("{:.2} ms", d.as_secs_f64() * 1_000.0))
}

fn table(results: &[Measurement]) -> String {
    let header = ["scenario", "backend", "concurrency", "ops", "ops/s", "p50", "p99", "errors", "seconds"];
    let rows: Vec<[String; 9]> = results
        .iter()
        .map(|m| {
            [
                m.scenario.clone(),
                m.backend.to_string(),
                m.concurrency.to_string(),
                m.ops.to_string(),
                format!("{:.0}", m.ops_per_second()),
                millis(m.p50),
                millis(m.p99),
                m.errors.to_string(),
                format!("{:.2}", m.elapsed.as_secs_f64()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            // Text columns left-aligned, figures right-aligned.
            .map(|(i, (c, w))| if i < 2 { format!("{c:<w$}") } else { format!("{c:>w$}") })
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(&header.map(String::from));
    out.push_str(&line(&widths.map(|w| "-".repeat(w))));
    for row in &rows {
        out.push_str(&line(row));
    }
    out
}

fn write_json(path: &Path, quick: bool, results: &[Measurement]) -> Result<(), String> {
    let ms = |d: Option<Duration>| d.map_or(Value::Null, |d| json!(d.as_secs_f64() * 1_000.0));
    let doc = json!({
        "quick": quick,
        "optimised": !cfg!(debug_assertions),
        "results": results.iter().map(|m| json!({
            "scenario": m.scenario,
            "backend": m.backend,
            "concurrency": m.concurrency,
            "ops": m.ops,
            "opsPerSecond": m.ops_per_second(),
            "p50Ms": ms(m.p50),
            "p99Ms": ms(m.p99),
            "errors": m.errors,
            "seconds": m.elapsed.as_secs_f64(),
            "note": m.note,
        })).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| format!("cannot encode the results: {e}"))?;
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A database for one scenario: a SQLite file in a temporary directory, or a fresh PostgreSQL
/// database on the given server. Removed on drop.
struct FreshDatabase {
    url: String,
    kind: Fresh,
}

enum Fresh {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { server_url: String, name: String },
}

impl FreshDatabase {
    fn create(server_url: Option<&str>) -> Result<FreshDatabase, String> {
        let Some(server_url) = server_url.map(str::trim).filter(|u| !u.is_empty()) else {
            let dir = tempfile::Builder::new()
                .prefix("pincer-bench-")
                .tempdir()
                .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            return Ok(FreshDatabase { url, kind: Fresh::Sqlite { _dir: dir } });
        };
        if !(server_url.starts_with("postgres://") || server_url.starts_with("postgresql://")) {
            return Err("--database-url must be a postgres:// URL (SQLite is the default)".into());
        }
        let name = format!("pincer_bench_{}", uuid::Uuid::now_v7().simple());
        let mut admin =
            PgConnection::establish(server_url).map_err(|e| format!("cannot connect to the PostgreSQL server: {e}"))?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .map_err(|e| format!("cannot create database {name}: {e}"))?;
        eprintln!("bench: created database {name}");
        let url = with_database(server_url, &name);
        Ok(FreshDatabase { url, kind: Fresh::Postgres { server_url: server_url.to_string(), name } })
    }

    fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if let Fresh::Postgres { server_url, name } = &self.kind {
            let dropped = PgConnection::establish(server_url).map_err(|e| e.to_string()).and_then(|mut admin| {
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .map_err(|e| e.to_string())
            });
            match dropped {
                Ok(_) => eprintln!("bench: dropped database {name}"),
                Err(e) => eprintln!("bench: warning: could not drop database {name}: {e}"),
            }
        }
    }
}

/// `server_url` with its database path replaced by `name`, keeping user, host and query.
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&ms, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&ms[..1], 99.0), Some(Duration::from_millis(1)));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn database_name_replaces_the_path() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "b1"),
            "postgres://postgres@127.0.0.1:5432/b1"
        );
        assert_eq!(with_database("postgresql://h/db?sslmode=disable", "b1"), "postgresql://h/b1?sslmode=disable");
    }

    #[test]
    fn every_scenario_has_a_distinct_name() {
        let mut names: Vec<&str> = scenarios().iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), scenarios().len());
    }

    #[test]
    fn the_table_aligns_its_columns() {
        let m = Measurement {
            scenario: "audit-append".into(),
            backend: "sqlite",
            concurrency: 8,
            ops: 4_000,
            elapsed: Duration::from_secs(2),
            p50: Some(Duration::from_micros(1_500)),
            p99: None,
            errors: 0,
            note: None,
        };
        let text = table(&[m]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].starts_with("audit-append  sqlite"));
        assert!(lines[2].contains("2000") && lines[2].contains("1.50 ms"));
    }
}
