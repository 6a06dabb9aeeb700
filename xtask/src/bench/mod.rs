//! `cargo xtask bench`: throughput, latency and memory figures for the real services and the real
//! release binary, each scenario on a fresh database (docs/PERFORMANCE.md). Figures are reported,
//! never asserted: a run fails only when a scenario reports errors (a failed operation, an HTTP
//! status other than the expected one, an invalid audit chain, a server that will not start or
//! stop).
//!
//! `cargo xtask bench` builds this tool and the `pincer` binary in one release build and runs the
//! tool as the hidden `bench-run` command, so the measured code is optimised whatever profile the
//! alias was built with.
//!
//! A scenario is a type implementing [`Scenario`] in its own module, listed in [`scenarios`]. The
//! harness hands it a [`Context`] with a fresh, migrated database and a tokio runtime; a scenario
//! that drives the binary starts it over that database with [`Context::start_server`], loads it
//! with [`load::run`] and ends with [`Context::finish_server`]. The harness prints the
//! [`Measurement`]s and [`MemoryReading`]s it reports, then the goals ([`goals`]).

mod agents;
mod audit_append;
mod audit_page;
mod audit_verify;
mod chat;
mod cold_start;
pub(crate) mod fresh;
mod goals;
mod health;
mod load;
mod login;
mod password_flood;
mod seed;
pub(crate) mod server;
mod session_search;
mod telegram;
mod usage_reports;
mod webhooks;

use std::cell::RefCell;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pincer_audit::AuditService;
use pincer_store::{Backend, Database};
use serde_json::{Value, json};

use crate::cargo;
use fresh::FreshDatabase;
use server::{BenchServer, ServerOptions};

/// The audit key of every benchmark database and server (the data is thrown away afterwards).
const BENCH_AUDIT_KEY: [u8; 32] = [0x42; 32];
/// The encryption key of every benchmark server.
const BENCH_ENCRYPTION_KEY: [u8; 32] = [0x24; 32];
/// Where the PostgreSQL server URL is handed from `bench` to `bench-run`, so that a password never
/// shows on a command line.
const DATABASE_URL_ENV: &str = "PINCER_BENCH_DATABASE_URL";

/// How long a load phase runs, and its untimed warm-up, in full runs and with `--quick`.
const LOAD_DURATION: (Duration, Duration) = (Duration::from_millis(2_500), Duration::from_secs(10));
const WARMUP_DURATION: (Duration, Duration) = (Duration::from_millis(300), Duration::from_secs(1));
/// The request budget of a load phase: large enough that the time ends a phase first.
const LOAD_MAX_REQUESTS: (u64, u64) = (1_000_000, 4_000_000);

/// The options shared by `bench` and the `bench-run` it starts.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    /// Smaller workloads and shorter load phases (the whole run takes well under two minutes).
    #[arg(long)]
    pub quick: bool,
    /// Run only these scenarios (repeat the flag or separate with commas; default: all). See
    /// `--list`.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub scenario: Vec<String>,
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

/// `cargo xtask bench`: builds this tool (and the `pincer` binary, when a selected scenario
/// starts it) with optimisations in one cargo invocation, then runs `bench-run` with `args`.
pub fn bench(args: &Args) -> Result<(), String> {
    let all = scenarios();
    if args.list {
        list(&all);
        return Ok(());
    }
    let selected = select(&all, &args.scenario)?;
    let needs_binary = selected.iter().any(|s| s.uses_binary());

    let mut build = cargo::command();
    build.args(["build", "--release", "--package", "xtask", "--bin", "xtask"]);
    if needs_binary {
        build.args(["--package", "pincer-server", "--bin", "pincer"]);
    }
    cargo::run(&mut build)?;
    let release = cargo::target_dir()?.join("release");

    let mut cmd = Command::new(release.join("xtask"));
    cmd.current_dir(cargo::workspace_root()).arg("bench-run");
    if args.quick {
        cmd.arg("--quick");
    }
    for name in &args.scenario {
        cmd.args(["--scenario", name]);
    }
    if let Some(path) = &args.json {
        // The child runs in the workspace root; keep the path relative to where we were started.
        let path = std::env::current_dir().map(|dir| dir.join(path)).unwrap_or_else(|_| path.clone());
        cmd.arg("--json").arg(path);
    }
    cmd.env_remove(DATABASE_URL_ENV).env(server::BIN_ENV, release.join("pincer"));
    if let Some(url) = &args.database_url {
        cmd.env(DATABASE_URL_ENV, url);
    }
    // Not `cargo::run`: it echoes the command with its environment, which holds the URL.
    eprintln!("$ {} bench-run …", release.join("xtask").display());
    let status = cmd.status().map_err(|e| format!("cannot run the release xtask: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("bench-run failed ({status})")) }
}

fn list(all: &[Box<dyn Scenario>]) {
    for s in all {
        let kind = if s.uses_binary() { "binary" } else { "in-process" };
        println!("{:<14} {:<10} {}", s.name(), kind, s.about());
    }
}

/// The scenarios named (all when none is), in the order of [`scenarios`].
fn select<'a>(all: &'a [Box<dyn Scenario>], names: &[String]) -> Result<Vec<&'a dyn Scenario>, String> {
    let names: Vec<&str> = names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()).collect();
    if let Some(unknown) = names.iter().find(|n| !all.iter().any(|s| s.name() == **n)) {
        let known: Vec<&str> = all.iter().map(|s| s.name()).collect();
        return Err(format!("unknown scenario {unknown:?}; known: {}", known.join(", ")));
    }
    Ok(all.iter().filter(|s| names.is_empty() || names.contains(&s.name())).map(|s| s.as_ref()).collect())
}

/// `bench-run`: runs the selected scenarios in this process and prints the results.
pub fn run(args: &Args) -> Result<(), String> {
    let all = scenarios();
    if args.list {
        list(&all);
        return Ok(());
    }
    let selected = select(&all, &args.scenario)?;
    if cfg!(debug_assertions) {
        eprintln!("bench: warning: this is a debug build; run `cargo xtask bench` for meaningful figures");
    }
    let binary = if selected.iter().any(|s| s.uses_binary()) { Some(server::binary_path()?) } else { None };
    if let Some(binary) = &binary {
        eprintln!("bench: server scenarios run {}", binary.display());
    }
    let server_url = args.database_url.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;

    let mut results = Vec::new();
    let mut memory = Vec::new();
    let mut failures = Vec::new();
    for scenario in selected {
        eprintln!("bench: {} ({})", scenario.name(), if args.quick { "quick" } else { "full" });
        let fresh = FreshDatabase::create(server_url)?;
        let outcome = runtime
            .block_on(Database::open(fresh.url()))
            .map_err(|e| format!("cannot open the benchmark database: {e}"))
            .and_then(|database| {
                runtime.block_on(database.migrate()).map_err(|e| format!("cannot migrate: {e}"))?;
                let ctx = Context {
                    runtime: &runtime,
                    database,
                    database_url: fresh.url(),
                    server_url,
                    binary: binary.as_deref(),
                    scenario: scenario.name(),
                    quick: args.quick,
                    memory: RefCell::default(),
                };
                let started = Instant::now();
                let measured = scenario.run(&ctx);
                eprintln!("bench: {} done in {:.1} s", scenario.name(), started.elapsed().as_secs_f64());
                memory.extend(ctx.memory.take());
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
            Err(e) => {
                eprintln!("bench: {} failed: {e}", scenario.name());
                failures.push(format!("{}: {e}", scenario.name()));
            }
        }
    }

    let goals = goals::evaluate(&results, &memory);
    print!("{}", table(&results));
    if !memory.is_empty() {
        println!();
        print!("{}", memory_table(&memory));
    }
    for m in &results {
        if let Some(note) = &m.note {
            println!("note: {}: {note}", m.scenario);
        }
    }
    for r in &memory {
        if let Some(note) = &r.note {
            println!("note: {} ({}): {note}", r.scenario, r.label);
        }
    }
    for goal in &goals {
        println!("goal: {goal}");
    }
    if let Some(path) = &args.json {
        write_json(path, args.quick, &results, &memory, &goals)?;
        eprintln!("bench: wrote {}", path.display());
    }
    if failures.is_empty() { Ok(()) } else { Err(format!("benchmark failed: {}", failures.join("; "))) }
}

/// Every scenario, in the order a full run executes them. Adding one: a module implementing
/// [`Scenario`] and one line here.
fn scenarios() -> Vec<Box<dyn Scenario>> {
    vec![
        Box::new(audit_append::AuditAppend),
        Box::new(audit_verify::AuditVerify),
        Box::new(health::Health),
        Box::new(agents::Agents),
        Box::new(audit_page::AuditPage),
        Box::new(login::Login),
        Box::new(password_flood::PasswordFlood),
        Box::new(cold_start::ColdStart),
        Box::new(chat::Chat),
        Box::new(usage_reports::UsageReports),
        Box::new(session_search::SessionSearch),
        Box::new(webhooks::Webhook),
        Box::new(telegram::Telegram),
    ]
}

/// One benchmark. Keep every loop bounded in count and in time (see [`Context::time_limit`] and
/// [`Context::load`]).
pub trait Scenario {
    /// The `--scenario` name, kebab-case.
    fn name(&self) -> &'static str;
    /// One line for `--list`.
    fn about(&self) -> &'static str;
    /// Whether the scenario starts the `pincer` binary (then `bench` builds it first).
    fn uses_binary(&self) -> bool {
        false
    }
    /// Runs the workload and reports what it measured. `Err` for a failure that leaves nothing
    /// to report; operation errors go into [`Measurement::errors`].
    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String>;
}

/// What a scenario runs with: a fresh, migrated database it has to itself.
pub struct Context<'a> {
    runtime: &'a tokio::runtime::Runtime,
    pub database: Database,
    /// The URL of `database`, for a server started on it.
    database_url: &'a str,
    /// The PostgreSQL server of `--database-url`, for scenarios that need more fresh databases.
    server_url: Option<&'a str>,
    binary: Option<&'a Path>,
    scenario: &'static str,
    pub quick: bool,
    memory: RefCell<Vec<MemoryReading>>,
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

    /// A load phase of `concurrency` workers with this run's duration and request budget.
    pub fn load(&self, concurrency: usize) -> load::Load {
        load::Load {
            concurrency,
            warmup: self.size(WARMUP_DURATION.0, WARMUP_DURATION.1),
            duration: self.size(LOAD_DURATION.0, LOAD_DURATION.1),
            max_requests: self.size(LOAD_MAX_REQUESTS.0, LOAD_MAX_REQUESTS.1),
            pace: None,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self.database.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The real audit service over this database, with the system clock and the key the
    /// benchmark servers are given.
    pub fn audit_service(&self) -> AuditService {
        AuditService::new(
            std::sync::Arc::new(self.database.clone()),
            &BENCH_AUDIT_KEY,
            std::sync::Arc::new(pincer_core::SystemClock),
        )
    }

    /// Another fresh database on this run's backend (for scenarios that start several servers).
    pub fn fresh_database(&self) -> Result<FreshDatabase, String> {
        FreshDatabase::create(self.server_url)
    }

    /// Spawns the release binary with `options` and waits for its ready line only.
    pub fn spawn_server(&self, options: &ServerOptions) -> Result<BenchServer, String> {
        let binary = self.binary.ok_or("this run has no pincer binary (bench-run found none)")?;
        BenchServer::start(binary, options)
    }

    /// Starts the release binary on this scenario's database (with extra `PINCER_*` settings),
    /// waits for its first healthy answer and records its idle RSS ([`memory::IDLE`]).
    pub fn start_server(&self, env: Vec<(&'static str, String)>) -> Result<BenchServer, String> {
        let options = ServerOptions { database_url: Some(self.database_url.to_string()), env };
        let server = self.spawn_server(&options)?;
        let client = server::client()?;
        self.block_on(server.wait_healthy(&client))?;
        self.record_server_memory(&server, memory::IDLE)?;
        Ok(server)
    }

    /// Records the server's RSS after the load ([`memory::AFTER_LOAD`]), notes any warning the
    /// server logged on the last measurement, and stops the server with SIGTERM.
    pub fn finish_server(
        &self,
        server: BenchServer,
        mut measurements: Vec<Measurement>,
    ) -> Result<Vec<Measurement>, String> {
        self.record_server_memory(&server, memory::AFTER_LOAD)?;
        let warnings = server.warnings();
        if let (Some(first), Some(last)) = (warnings.first(), measurements.last_mut()) {
            let line = format!("the server logged {} warning(s)/error(s), first: {first}", warnings.len());
            last.note = Some(match last.note.take() {
                Some(note) => format!("{note}; {line}"),
                None => line,
            });
        }
        if let Err(e) = server.stop() {
            // Keep the figures: the failed stop counts as an error of the last row.
            eprintln!("bench: {}: {e}", self.scenario);
            let Some(last) = measurements.last_mut() else { return Err(e) };
            last.errors += 1;
            let first_line = e.lines().next().unwrap_or_default().to_string();
            last.note = Some(match last.note.take() {
                Some(note) => format!("{note}; {first_line}"),
                None => first_line,
            });
        }
        Ok(measurements)
    }

    /// Adds the server's RSS and thread count now to the memory table, as `label`.
    pub fn record_server_memory(&self, server: &BenchServer, label: &str) -> Result<(), String> {
        let (rss, threads) = server.memory()?;
        self.record_memory(label, rss, Some(threads), None);
        Ok(())
    }

    /// Adds a row to the memory table under this scenario's name. `label` says what was read
    /// (see [`memory`]); the chat scenario adds its per-idle-WebSocket figure this way.
    pub fn record_memory(&self, label: &str, bytes: u64, threads: Option<u64>, note: Option<String>) {
        self.memory.borrow_mut().push(MemoryReading {
            scenario: self.scenario.to_string(),
            backend: self.backend(),
            label: label.to_string(),
            bytes,
            threads,
            note,
        });
    }
}

/// One row of the results table.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub scenario: String,
    pub backend: &'static str,
    /// Concurrent workers issuing operations.
    pub concurrency: usize,
    /// Operations (appends, rows, requests, starts) completed, successfully or not.
    pub ops: u64,
    /// Wall-clock time of the measured phase.
    pub elapsed: Duration,
    /// Per-operation latency percentiles, when operations were timed one by one.
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
    pub errors: u64,
    /// Whether ops/s means something (not for a handful of sequential cold starts).
    pub per_second: bool,
    /// Anything a reader of the figures must know (a time limit was hit, a goal was missed…).
    pub note: Option<String>,
}

impl Measurement {
    pub fn ops_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.ops as f64 / secs } else { 0.0 }
    }
}

/// The labels of the memory table's readings.
pub mod memory {
    /// RSS right after start and the first healthy answer, before any load or seeding.
    pub const IDLE: &str = "idle after start";
    /// RSS right after the measured load phase.
    pub const AFTER_LOAD: &str = "after load";
    /// The chat scenario's RSS growth per idle WebSocket, i.e.
    /// (RSS with N idle sockets open − RSS before) / N.
    pub const PER_IDLE_WEBSOCKET: &str = "per idle WebSocket";
}

/// One row of the memory table: the server's resident set size at some point of a scenario.
#[derive(Clone, Debug)]
pub struct MemoryReading {
    pub scenario: String,
    pub backend: &'static str,
    pub label: String,
    pub bytes: u64,
    /// The server's thread count at the time, when read.
    pub threads: Option<u64>,
    pub note: Option<String>,
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

fn bytes(n: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if n as f64 >= MIB { format!("{:.1} MiB", n as f64 / MIB) } else { format!("{:.1} KiB", n as f64 / 1024.0) }
}

/// Aligned columns: the first `text_columns` left-aligned, the rest (figures) right-aligned.
fn render<const N: usize>(header: [&str; N], rows: &[[String; N]], text_columns: usize) -> String {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| if i < text_columns { format!("{c:<w$}") } else { format!("{c:>w$}") })
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(&header.map(String::from));
    out.push_str(&line(&widths.map(|w| "-".repeat(w))));
    for row in rows {
        out.push_str(&line(row));
    }
    out
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
                if m.per_second { format!("{:.0}", m.ops_per_second()) } else { "-".into() },
                millis(m.p50),
                millis(m.p99),
                m.errors.to_string(),
                format!("{:.2}", m.elapsed.as_secs_f64()),
            ]
        })
        .collect();
    render(header, &rows, 2)
}

fn memory_table(readings: &[MemoryReading]) -> String {
    let header = ["scenario", "backend", "server memory", "RSS", "threads"];
    let rows: Vec<[String; 5]> = readings
        .iter()
        .map(|r| {
            let threads = r.threads.map_or_else(|| "-".to_string(), |t| t.to_string());
            [r.scenario.clone(), r.backend.to_string(), r.label.clone(), bytes(r.bytes), threads]
        })
        .collect();
    render(header, &rows, 3)
}

fn write_json(
    path: &Path,
    quick: bool,
    results: &[Measurement],
    memory: &[MemoryReading],
    goals: &[goals::Goal],
) -> Result<(), String> {
    let ms = |d: Option<Duration>| d.map_or(Value::Null, |d| json!(d.as_secs_f64() * 1_000.0));
    let doc = json!({
        "quick": quick,
        "optimised": !cfg!(debug_assertions),
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "finishedAtUnixMs": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        "results": results.iter().map(|m| json!({
            "scenario": m.scenario,
            "backend": m.backend,
            "concurrency": m.concurrency,
            "ops": m.ops,
            "opsPerSecond": if m.per_second { json!(m.ops_per_second()) } else { Value::Null },
            "p50Ms": ms(m.p50),
            "p99Ms": ms(m.p99),
            "errors": m.errors,
            "seconds": m.elapsed.as_secs_f64(),
            "note": m.note,
        })).collect::<Vec<_>>(),
        "memory": memory.iter().map(|r| json!({
            "scenario": r.scenario,
            "backend": r.backend,
            "reading": r.label,
            "rssBytes": r.bytes,
            "threads": r.threads,
            "note": r.note,
        })).collect::<Vec<_>>(),
        "goals": goals.iter().map(|g| json!({
            "goal": g.goal,
            "met": g.met,
            "detail": g.detail,
        })).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| format!("cannot encode the results: {e}"))?;
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
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
    fn every_scenario_has_a_distinct_name() {
        let mut names: Vec<&str> = scenarios().iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), scenarios().len());
    }

    #[test]
    fn selection_keeps_the_list_order_and_refuses_unknown_names() {
        let all = scenarios();
        let names = |v: Vec<&dyn Scenario>| v.iter().map(|s| s.name()).collect::<Vec<_>>();
        assert_eq!(select(&all, &[]).map(names).map(|n| n.len()), Ok(all.len()));
        let picked = select(&all, &["login".into(), "health".into()]).map(names);
        assert_eq!(picked, Ok(vec!["health", "login"]));
        assert!(select(&all, &["nope".into()]).is_err());
    }

    #[test]
    fn the_tables_align_their_columns() {
        let m = Measurement {
            scenario: "audit-append".into(),
            backend: "sqlite",
            concurrency: 8,
            ops: 4_000,
            elapsed: Duration::from_secs(2),
            p50: Some(Duration::from_micros(1_500)),
            p99: None,
            errors: 0,
            per_second: true,
            note: None,
        };
        let cold = Measurement { scenario: "cold-start".into(), per_second: false, ..m.clone() };
        let text = table(&[m, cold]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[2].starts_with("audit-append  sqlite"));
        assert!(lines[2].contains("2000") && lines[2].contains("1.50 ms"));
        assert!(!lines[3].contains("2000"));

        let reading = MemoryReading {
            scenario: "health".into(),
            backend: "sqlite",
            label: memory::IDLE.into(),
            bytes: 15 * 1024 * 1024 + 512 * 1024,
            threads: Some(9),
            note: None,
        };
        let text = memory_table(&[reading]);
        assert!(text.lines().nth(2).is_some_and(|l| l.starts_with("health") && l.ends_with("15.5 MiB        9")));
        assert_eq!(bytes(3 * 1024 + 512), "3.5 KiB");
    }
}
