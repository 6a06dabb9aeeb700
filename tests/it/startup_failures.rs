//! docs/OPERATIONS.md: "A failure at start (bad configuration, unreadable key, unreachable
//! database, port in use) prints `pincer: <reason>` on stderr and exits non-zero" — and the
//! reason never carries a secret.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pincer_testkit::ClosedPort;
use pincer_testkit::server::binary_path;

/// Runs `pincer serve` with this environment (and a fresh data directory) until it exits;
/// returns whether it succeeded and what it printed on stderr. Panics if it keeps running.
fn serve_until_exit(env: &[(&str, &str)]) -> (bool, String) {
    let data = tempfile::Builder::new().prefix("pincer-data-").tempdir().unwrap();
    let mut cmd = Command::new(binary_path());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PINCER_") {
            cmd.env_remove(key);
        }
    }
    cmd.arg("serve")
        .env("PINCER_BIND", "127.0.0.1:0")
        .env("PINCER_DATA_DIR", data.path())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("pincer kept running with {env:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    (status.success(), stderr)
}

/// The last line of stderr (the reason `main` prints after any log lines).
fn reason(stderr: &str) -> &str {
    stderr.lines().last().unwrap_or_default()
}

#[test]
fn a_port_in_use_is_reported_and_the_process_exits() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (ok, stderr) = serve_until_exit(&[("PINCER_BIND", &addr)]);
    assert!(!ok, "{stderr}");
    assert!(reason(&stderr).starts_with(&format!("pincer: cannot bind {addr}")), "{stderr}");
    drop(taken);
}

#[test]
fn a_malformed_key_is_reported_without_echoing_it() {
    let key = "5ecret-but-not-hex-5ecret-but-not-hex";
    let (ok, stderr) = serve_until_exit(&[("PINCER_ENCRYPTION_KEY", key)]);
    assert!(!ok, "{stderr}");
    assert_eq!(reason(&stderr), "pincer: PINCER_ENCRYPTION_KEY must be 64 hex characters", "{stderr}");
    assert!(!stderr.contains(key), "the key was printed: {stderr}");
}

#[test]
fn an_unreachable_database_is_reported_without_its_password() {
    let closed = ClosedPort::new();
    let url = format!("postgres://pincer:hunter2-secret@127.0.0.1:{}/pincer", closed.port());
    let (ok, stderr) = serve_until_exit(&[("PINCER_DATABASE_URL", &url)]);
    assert!(!ok, "{stderr}");
    assert!(reason(&stderr).starts_with("pincer: could not connect to postgres://pincer:***@127.0.0.1:"), "{stderr}");
    assert!(!stderr.contains("hunter2-secret"), "the password was printed: {stderr}");
}

/// Issue #20: a documents root that contains the data directory (or lies inside it) would let an
/// agent granted documents reach the keys and the database: the server refuses to start.
#[test]
fn a_documents_root_overlapping_the_data_directory_is_refused() {
    // The fresh data directory is created in the temporary folder: that folder contains it.
    let tmp = std::env::temp_dir();
    let (ok, stderr) = serve_until_exit(&[("PINCER_DOCUMENTS_DIR", tmp.to_str().unwrap())]);
    assert!(!ok, "{stderr}");
    let why = reason(&stderr);
    assert!(why.starts_with("pincer: the documents root") && why.contains("overlap"), "{stderr}");
}

/// Issue #20: a secret given as a flag is refused (the command line is world-readable) without
/// echoing it; `PINCER_*_FILE` gives it from a file instead; both the variable and its file is
/// refused.
#[test]
fn secrets_come_from_the_environment_or_files_never_from_flags() {
    let secret = "ab".repeat(32);
    let out = Command::new(binary_path())
        .args(["serve", "--audit-key", &secret])
        .env_remove("PINCER_AUDIT_KEY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--audit-key is refused") && stderr.contains("PINCER_AUDIT_KEY_FILE"), "{stderr}");
    assert!(!stderr.contains(&secret), "the secret is not echoed: {stderr}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    let file = file.to_str().unwrap();
    let (ok, stderr) = serve_until_exit(&[("PINCER_AUDIT_KEY", &"cd".repeat(32)), ("PINCER_AUDIT_KEY_FILE", file)]);
    assert!(!ok && reason(&stderr).contains("set PINCER_AUDIT_KEY or PINCER_AUDIT_KEY_FILE, not both"), "{stderr}");
    let (ok, stderr) = serve_until_exit(&[("PINCER_ENCRYPTION_KEY_FILE", "/nonexistent/key")]);
    assert!(!ok && reason(&stderr).contains("cannot read PINCER_ENCRYPTION_KEY_FILE"), "{stderr}");
    // A malformed key read from a file is reported like one from the environment.
    std::fs::write(dir.path().join("short"), "abc").unwrap();
    let short = dir.path().join("short");
    let (ok, stderr) = serve_until_exit(&[("PINCER_ENCRYPTION_KEY_FILE", short.to_str().unwrap())]);
    assert!(!ok && reason(&stderr).contains("PINCER_ENCRYPTION_KEY must be 64 hex characters"), "{stderr}");
}
