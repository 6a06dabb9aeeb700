//! The operator's commands of the `pincer` binary (issue #20): `pincer migrate [--revert]` on a
//! database no server has opened, and `pincer healthcheck` against a running server and a
//! closed port. Each on the configured backend.

use std::process::{Command, Output};

use pincer_testkit::server::binary_path;
use pincer_testkit::{TestDatabase, TestServer};

fn pincer(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(binary_path());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PINCER_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(args).envs(env.iter().copied()).output().unwrap()
}

fn said(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn migrate_applies_everything_once_and_reverts_the_newest() {
    let database = TestDatabase::from_env();
    let data = tempfile::tempdir().unwrap();
    let env = [("PINCER_DATA_DIR", data.path().to_str().unwrap()), ("PINCER_DATABASE_URL", database.url())];

    let first = pincer(&["migrate"], &env);
    assert!(first.status.success(), "{}", said(&first));
    let applied = said(&first);
    assert!(applied.contains("applied ") && applied.contains("000001") && applied.contains("000019"), "{applied}");

    let again = pincer(&["migrate"], &env);
    assert!(again.status.success() && said(&again).contains("up to date"), "{}", said(&again));

    let reverted = pincer(&["migrate", "--revert"], &env);
    assert!(reverted.status.success(), "{}", said(&reverted));
    let newest = said(&reverted);
    assert!(newest.contains("reverted") && newest.contains("20261211000019"), "{newest}");

    let reapplied = pincer(&["migrate"], &env);
    let text = said(&reapplied);
    assert!(reapplied.status.success() && text.contains("000019") && !text.contains("000001"), "{text}");

    let nowhere = pincer(&["migrate"], &[("PINCER_DATA_DIR", "/nonexistent/pincer-data")]);
    assert!(!nowhere.status.success() && said(&nowhere).contains("does not exist"), "{}", said(&nowhere));
}

#[tokio::test(flavor = "multi_thread")]
async fn healthcheck_exits_zero_for_a_ready_server_and_one_otherwise() {
    let server = TestServer::start().await;
    let bind = server.base_url().trim_start_matches("http://").to_string();
    let ready = tokio::task::spawn_blocking(move || pincer(&["healthcheck", "--bind", &bind], &[])).await.unwrap();
    assert!(ready.status.success(), "{}", said(&ready));

    // A port nobody listens on (bound, then released).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let down =
        tokio::task::spawn_blocking(move || pincer(&["healthcheck"], &[("PINCER_BIND", &closed)])).await.unwrap();
    assert_eq!(down.status.code(), Some(1), "{}", said(&down));
    assert!(said(&down).contains("cannot connect"), "{}", said(&down));
}

#[test]
fn version_names_the_release_and_the_commit() {
    let out = pincer(&["--version"], &[]);
    assert!(out.status.success(), "{}", said(&out));
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let prefix = format!("pincer {} (commit ", env!("CARGO_PKG_VERSION"));
    let commit = text.strip_prefix(&prefix).and_then(|rest| rest.strip_suffix(')')).unwrap_or_else(|| panic!("{text}"));
    assert!(commit == "unknown" || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())), "{text}");
}
