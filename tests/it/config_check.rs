//! `pincer config check` (issue #20): the effective configuration with each setting's source and
//! no secret in it, every problem found (exit 1), and a clean bill for a working installation on
//! the configured backend, without creating anything.

use pincer_testkit::{TestDatabase, TestServer};

use crate::commands::{pincer, said};

/// The line of the report that shows `variable`.
fn line<'a>(report: &'a str, variable: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{variable} ")))
        .unwrap_or_else(|| panic!("no {variable} in {report}"))
}

#[test]
fn a_broken_configuration_is_reported_whole_with_its_sources_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("pincer.toml");
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:7799\"\ndocuments_dir = \"{}\"\npublic_url = \"pincer.example.com\"\n",
            data.join("documents").display()
        ),
    )
    .unwrap();
    let audit_key = "ab".repeat(32);
    let audit_key_file = dir.path().join("audit.key");
    std::fs::write(&audit_key_file, &audit_key).unwrap();
    // Nobody listens on this port: the database cannot be reached.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let database_url = format!("postgres://pincer:hunter2secret@127.0.0.1:{closed}/pincer");

    let out = pincer(
        &["--config", config.to_str().unwrap(), "config", "check", "--telegram-poll-seconds", "5"],
        &[
            ("PINCER_DATA_DIR", data.to_str().unwrap()),
            ("PINCER_DATABASE_URL", &database_url),
            ("PINCER_ENCRYPTION_KEY", "not-a-key"),
            ("PINCER_AUDIT_KEY_FILE", audit_key_file.to_str().unwrap()),
            ("PINCER_METRICS_BIND", "not an address"),
            ("PINCER_LOG", "pincer_http=loud"),
            ("PINCER_LICENSE", "a.b.c"),
            ("PINCER_LICENSE_FILE", audit_key_file.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    for secret in ["hunter2secret", audit_key.as_str(), "not-a-key"] {
        assert!(!said(&out).contains(secret), "{secret} shown in {report}");
    }
    assert!(line(&report, "PINCER_BIND").ends_with("[configuration file]"), "{report}");
    assert!(line(&report, "PINCER_TELEGRAM_POLL_SECONDS").ends_with("[flag]"), "{report}");
    assert!(line(&report, "PINCER_AUDIT_KEY").ends_with("[PINCER_AUDIT_KEY_FILE]"), "{report}");
    let url = line(&report, "PINCER_DATABASE_URL");
    assert!(url.contains("postgres://pincer:***@127.0.0.1") && url.ends_with("[environment]"), "{report}");
    assert!(line(&report, "PINCER_LOG_FORMAT").ends_with("[default]"), "{report}");

    let problems = report.split("\nproblems:\n").nth(1).and_then(|rest| rest.split("\n\n").next()).unwrap_or_default();
    for expected in [
        "PINCER_METRICS_BIND",
        "overlap",
        "PINCER_ENCRYPTION_KEY must be 64 hex characters",
        "PINCER_PUBLIC_URL",
        "cannot open the database",
        "PINCER_LOG",
        "PINCER_LICENSE or PINCER_LICENSE_FILE, not both",
    ] {
        assert!(problems.contains(expected), "{expected} missing from the problems: {report}");
    }
    assert!(report.contains("7 problems"), "{report}");
    assert!(!data.exists(), "the check created the data directory");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_working_installation_passes_and_a_fresh_one_is_told_what_first_start_does() {
    let server = TestServer::start().await;
    let env = [
        ("PINCER_DATA_DIR".to_string(), server.data_dir().to_str().unwrap().to_string()),
        ("PINCER_DATABASE_URL".to_string(), server.database().url().to_string()),
    ];
    let out = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        pincer(&["config", "check"], &env)
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", said(&out));
    assert!(report.contains("no problems") && report.contains("its schema is current"), "{report}");
    assert!(report.contains("secrets/encryption.key holds the key"), "{report}");

    // A database no server has opened: its migrations are pending, nothing is applied.
    let fresh = TestDatabase::from_env();
    let data = tempfile::tempdir().unwrap();
    let missing = data.path().join("not-yet");
    let out = pincer(
        &["config", "check"],
        &[("PINCER_DATA_DIR", missing.to_str().unwrap()), ("PINCER_DATABASE_URL", fresh.url())],
    );
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", said(&out));
    assert!(report.contains("is created at first start") && report.contains("a new key is generated"), "{report}");
    if fresh.is_postgres() {
        assert!(report.contains("migrations are applied at start"), "{report}");
        let again = pincer(
            &["migrate"],
            &[("PINCER_DATA_DIR", data.path().to_str().unwrap()), ("PINCER_DATABASE_URL", fresh.url())],
        );
        assert!(said(&again).contains("000001"), "the check applied migrations: {}", said(&again));
    }
    assert!(!missing.exists(), "the check created the data directory");
}
