//! The real release `pincer` binary as a child process: `pincer serve` on `127.0.0.1:0` with a
//! fresh data directory, the benchmark's keys and a database chosen by the scenario. The harness
//! reads the address from the ready line, stops the server with SIGTERM, and kills it on any other
//! way out ([`BenchServer`]'s `Drop`), so no run leaves a process behind.
//!
//! The server's output is read by two threads that keep the last lines (shown when something
//! fails) and every warning, error and integrity-check line (see [`BenchServer::wait_for_log`]).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{BENCH_AUDIT_KEY, BENCH_ENCRYPTION_KEY};

/// What `pincer serve` prints once it listens (crates/server/src/lib.rs).
const READY_LINE: &str = "pincer listening on ";
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// Lines of output kept for error messages.
const TAIL_LINES: usize = 60;
/// Lines kept because they matter (warnings, errors, integrity checks), at most.
const MARKED_LINES: usize = 1_000;
/// Substrings of the lines kept in full (the text log format prints the level in capitals).
const MARKS: &[&str] = &[" WARN ", " ERROR ", "audit chain verified", "INTEGRITY VIOLATION"];
/// The address every load and every benchmark request goes to.
pub const LOOPBACK: &str = "127.0.0.1";

/// The pincer binary the server scenarios start: `PINCER_BENCH_BIN`, else `<target>/release/pincer`.
pub fn binary_path() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os(BIN_ENV).filter(|b| !b.is_empty()) {
        return Ok(PathBuf::from(bin));
    }
    Ok(crate::cargo::target_dir()?.join("release").join("pincer"))
}

/// Where `bench` tells `bench-run` which binary it built.
pub const BIN_ENV: &str = "PINCER_BENCH_BIN";
/// The servers' `PINCER_LOG` (default `info`, what operators run), for experiments such as
/// measuring what the per-request log line costs.
pub const LOG_ENV: &str = "PINCER_BENCH_SERVER_LOG";

/// Set (to anything): the servers also serve Prometheus metrics (`PINCER_METRICS_BIND` on a free
/// loopback port), so every request is recorded, as an operator who scrapes them runs it.
pub const METRICS_ENV: &str = "PINCER_BENCH_SERVER_METRICS";

/// A plain client for single requests to a benchmark server (health probes, sanity checks):
/// no cookie store, no proxy from the environment.
pub fn client() -> Result<reqwest::Client, String> {
    pincer_outbound::client_builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

/// How to start one server.
#[derive(Default)]
pub struct ServerOptions {
    /// `None`: the server's default, SQLite in its (fresh) data directory.
    pub database_url: Option<String>,
    /// Extra `PINCER_*` settings.
    pub env: Vec<(&'static str, String)>,
}

/// A running `pincer serve`. Dropping it kills the process; [`BenchServer::stop`] stops it
/// gracefully.
pub struct BenchServer {
    child: Option<Child>,
    pid: u32,
    base: String,
    /// When the process was spawned.
    pub spawned_at: Instant,
    /// From spawning the process to its ready line.
    pub ready_after: Duration,
    output: Arc<Output>,
    readers: Vec<std::thread::JoinHandle<()>>,
    _data_dir: tempfile::TempDir,
}

#[derive(Default)]
struct Output {
    tail: Mutex<VecDeque<String>>,
    marked: Mutex<Vec<String>>,
}

impl Output {
    fn push(&self, line: String) {
        if MARKS.iter().any(|m| line.contains(m))
            && let Ok(mut marked) = self.marked.lock()
            && marked.len() < MARKED_LINES
        {
            marked.push(line.clone());
        }
        if let Ok(mut tail) = self.tail.lock() {
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    }
}

impl BenchServer {
    /// Spawns the binary and waits for its ready line (not for a first answer: see
    /// [`BenchServer::wait_healthy`]).
    pub fn start(binary: &Path, options: &ServerOptions) -> Result<BenchServer, String> {
        if !binary.is_file() {
            return Err(format!(
                "the pincer binary was not found at {}: run `cargo xtask bench`, which builds it, \
                 or set {BIN_ENV}",
                binary.display()
            ));
        }
        // The data directory and the documents root side by side in one temporary folder: the
        // server refuses a documents root that contains or lies in the data directory.
        let root = tempfile::Builder::new()
            .prefix("pincer-bench-")
            .tempdir()
            .map_err(|e| format!("cannot create a data directory: {e}"))?;
        let (data, documents) = (root.path().join("data"), root.path().join("documents"));
        for dir in [&data, &documents] {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }

        let mut cmd = Command::new(binary);
        // The server sees only the configuration given here, never the caller's PINCER_* variables
        // (among them the benchmark's own PostgreSQL URL). Everything else is inherited, so an
        // experiment can pass e.g. MALLOC_ARENA_MAX to the server.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PINCER_") {
                cmd.env_remove(key);
            }
        }
        cmd.arg("serve")
            .env("PINCER_BIND", format!("{LOOPBACK}:0"))
            .env("PINCER_DATA_DIR", &data)
            .env("PINCER_DOCUMENTS_DIR", &documents)
            // The keys the harness loads audit rows with, so the server continues the same chain.
            .env("PINCER_AUDIT_KEY", hex(&BENCH_AUDIT_KEY))
            .env("PINCER_ENCRYPTION_KEY", hex(&BENCH_ENCRYPTION_KEY))
            // The load generator is the "proxy": its X-Forwarded-For spreads logins over many
            // source addresses (see the login scenario).
            .env("PINCER_TRUSTED_PROXIES", LOOPBACK)
            // What an operator runs: one info line per request.
            .env("PINCER_LOG", std::env::var(LOG_ENV).ok().filter(|l| !l.is_empty()).as_deref().unwrap_or("info"))
            .env("PINCER_LOG_FORMAT", "text")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(url) = &options.database_url {
            cmd.env("PINCER_DATABASE_URL", url);
        }
        if std::env::var_os(METRICS_ENV).is_some_and(|v| !v.is_empty()) {
            cmd.env("PINCER_METRICS_BIND", format!("{LOOPBACK}:0"));
        }
        for (key, value) in &options.env {
            cmd.env(key, value);
        }

        let spawned = Instant::now();
        let mut child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let pid = child.id();
        let output = Arc::new(Output::default());
        let (ready_tx, ready_rx) = mpsc::channel::<String>();
        let stdout = child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
        let stderr = child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
        let mut readers = Vec::new();
        for stream in [stdout, stderr].into_iter().flatten() {
            let output = output.clone();
            let ready_tx = ready_tx.clone();
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix(READY_LINE) {
                        ready_tx.send(url.trim().to_string()).ok();
                    }
                    output.push(line);
                }
            }));
        }
        drop(ready_tx);
        // From here on, `Drop` kills the process whatever happens.
        let mut server = BenchServer {
            child: Some(child),
            pid,
            base: String::new(),
            spawned_at: spawned,
            ready_after: Duration::ZERO,
            output,
            readers,
            _data_dir: root,
        };
        match ready_rx.recv_timeout(START_TIMEOUT) {
            Ok(url) => {
                server.ready_after = spawned.elapsed();
                server.base = url;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!("pincer did not start within {START_TIMEOUT:?}; output:\n{}", server.tail()));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Both streams closed: the process exited. Let the readers finish the last lines.
                for reader in server.readers.drain(..) {
                    reader.join().ok();
                }
                return Err(format!("pincer exited before listening; output:\n{}", server.tail()));
            }
        }
        let expected = format!("http://{LOOPBACK}:");
        if !server.base.starts_with(&expected) {
            return Err(format!("pincer listens on {}, not on {LOOPBACK}", server.base));
        }
        Ok(server)
    }

    /// Polls `GET /api/health` until it answers 200 (the first answer ends a cold start).
    pub async fn wait_healthy(&self, client: &reqwest::Client) -> Result<(), String> {
        let url = self.url("/api/health");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let last = match client.get(&url).send().await {
                Ok(res) if res.status() == reqwest::StatusCode::OK => return Ok(()),
                Ok(res) => format!("status {}", res.status()),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(format!("GET /api/health did not answer 200 within {START_TIMEOUT:?} ({last})"));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Waits until the server printed a line containing `needle` (it must be one of [`MARKS`]).
    /// `Ok(false)` when `timeout` passed first.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) -> Result<bool, String> {
        debug_assert!(MARKS.iter().any(|m| needle.contains(m) || m.contains(needle)));
        let deadline = Instant::now() + timeout;
        loop {
            if self.marked().iter().any(|line| line.contains(needle)) {
                return Ok(true);
            }
            if !self.running() {
                return Err(format!("pincer exited; output:\n{}", self.tail()));
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The resident set size (`VmRSS`, bytes) and the number of threads of the server process
    /// now, from `/proc/<pid>/status`.
    pub fn memory(&self) -> Result<(u64, u64), String> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let rss = parse_vm_rss(&status).ok_or_else(|| format!("{path} has no VmRSS line"))?;
        let threads = status_field(&status, "Threads:").ok_or_else(|| format!("{path} has no Threads line"))?;
        Ok((rss, threads))
    }

    /// CPU time (user + system, all threads) the server process has used so far.
    pub fn cpu_time(&self) -> Result<Duration, String> {
        process_cpu_time(&self.pid.to_string())
    }

    /// Warnings and errors the server logged so far, and integrity-check lines.
    pub fn marked(&self) -> Vec<String> {
        self.output.marked.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// The warning and error lines the server logged so far.
    pub fn warnings(&self) -> Vec<String> {
        self.marked().into_iter().filter(|l| l.contains(" WARN ") || l.contains(" ERROR ")).collect()
    }

    /// The last lines the server printed.
    pub fn tail(&self) -> String {
        self.output.tail.lock().map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n")).unwrap_or_default()
    }

    /// Whether the process is still running (not yet a zombie). Read from /proc because
    /// `Child::try_wait` needs `&mut self`.
    pub fn running(&self) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).is_ok_and(|stat| !stat.contains(") Z "))
    }

    /// SIGTERM, then waits for a clean exit; kills the process if it does not stop in time.
    /// An error when it had to be killed or exited unsuccessfully.
    pub fn stop(mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        if let Ok(Some(status)) = child.try_wait() {
            for reader in self.readers.drain(..) {
                reader.join().ok();
            }
            return Err(format!("pincer had already exited ({status}) before SIGTERM; output:\n{}", self.tail()));
        }
        let pid = self.pid.to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        if !sent.is_ok_and(|s| s.success()) {
            child.kill().ok();
            child.wait().ok();
            return Err(format!("could not send SIGTERM to pincer (pid {pid}); killed it"));
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                Ok(None) | Err(_) => {
                    child.kill().ok();
                    child.wait().ok();
                    return Err(format!("pincer did not stop within {STOP_TIMEOUT:?} of SIGTERM; killed it"));
                }
            }
        };
        for reader in self.readers.drain(..) {
            reader.join().ok();
        }
        if status.success() {
            Ok(())
        } else {
            Err(format!("pincer exited with {status} after SIGTERM; output:\n{}", self.tail()))
        }
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

/// CPU time of a process (`self` or a pid) from `/proc/<pid>/stat`: utime + stime.
pub fn process_cpu_time(pid: &str) -> Result<Duration, String> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    parse_cpu_ticks(&stat)
        // USER_HZ is 100 on every Linux architecture we run on.
        .map(|ticks| Duration::from_millis(ticks * 10))
        .ok_or_else(|| format!("{path} is not in the expected format"))
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    status_field(status, "VmRSS:").map(|kib| kib * 1024)
}

/// The first number after `name` in `/proc/<pid>/status`.
fn status_field(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line; the command name (field 2) may
/// contain spaces, so fields are counted after its closing parenthesis.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): field n is at index n - 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc_figures() {
        assert_eq!(parse_vm_rss("Name:\tpincer\nVmRSS:\t   12345 kB\nThreads: 9\n"), Some(12345 * 1024));
        assert_eq!(parse_vm_rss("Name:\tpincer\n"), None);
        assert_eq!(status_field("VmRSS:\t 1 kB\nThreads:\t9\n", "Threads:"), Some(9));
        let stat = "4242 (tokio worker) S 1 4242 4242 0 -1 4194560 500 0 0 0 150 25 0 0 20 0 9 0 100 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some(175));
        assert!(process_cpu_time("self").is_ok());
        assert_eq!(hex(&[0x42, 0x0a]), "420a");
    }

    #[test]
    fn the_log_keeps_a_bounded_tail_and_the_marked_lines() {
        let output = Output::default();
        for i in 0..200 {
            output.push(format!("2026-01-01T00:00:00Z  INFO pincer_http::trace: request {i}"));
        }
        output.push("2026-01-01T00:00:00Z  WARN pincer_http::trace: request failed".into());
        assert_eq!(output.tail.lock().map(|t| t.len()).unwrap_or_default(), TAIL_LINES);
        assert_eq!(output.marked.lock().map(|m| m.len()).unwrap_or_default(), 1);
    }
}
