//! Security audits through the binary (issue #19, the dashboard reference's Security section):
//! the checks judge the real data directory (a world-readable key file fails `key_files`, a
//! backup in `backups/` passes `backups`), self-audits are filed one per day and listed newest
//! first, a check that got worse since the last report is audited as `security.check_failed`,
//! dates are validated, and all of it is for admins only.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_error, execute};

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no {id}: {report}"))
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Today in UTC, as the server files it.
fn today() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    pincer_core::Timestamp(i64::try_from(now.as_millis()).unwrap()).to_rfc3339()[..10].to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_checks_judge_the_real_installation_and_reports_are_filed_per_day() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    let key = server.data_dir().join("secrets/encryption.key");

    // Admins only; anonymous callers are not authenticated.
    for (method, path) in [
        ("POST", "/api/security-audit"),
        ("POST", "/api/self-audit/run"),
        ("GET", "/api/self-audit/reports"),
        ("GET", "/api/self-audit/reports/2026-01-01"),
    ] {
        assert_error(&member.send_json(method, path, Value::Null).await, 403, "admin_required");
        let anonymous = server.browser().send_json(method, path, Value::Null).await;
        assert_eq!(anonymous.0, StatusCode::UNAUTHORIZED, "{path}: {}", anonymous.1);
    }

    // A fresh installation: private key files and database, no backup yet.
    let (status, audit) = admin.send_json("POST", "/api/security-audit", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    for id in [
        "key_files",
        "secrets_exposed",
        "bind_address",
        "https",
        "domain_lock",
        "tunnel",
        "database_files",
        "database_tls",
        "backups",
        "admin_passwords",
        "admin_tokens",
        "provider_tls",
        "audit_chain",
        "migrations",
    ] {
        let c = check(&audit, id);
        assert!(["pass", "warn", "fail"].contains(&c["status"].as_str().unwrap()), "{c}");
        assert!(["critical", "high", "medium", "low"].contains(&c["severity"].as_str().unwrap()), "{c}");
    }
    assert_eq!(check(&audit, "key_files")["status"], "pass", "{audit}");
    assert_eq!(check(&audit, "database_files")["status"], "pass", "new SQLite files are 0600: {audit}");
    assert_eq!(check(&audit, "bind_address")["status"], "pass", "{audit}");
    assert_eq!(check(&audit, "migrations")["status"], "pass", "{audit}");
    assert_eq!(check(&audit, "backups")["status"], "warn", "{audit}");
    assert!(!check(&audit, "backups")["fix"].as_str().unwrap().is_empty());
    assert_eq!(check(&audit, "key_files")["fix"], "", "a passing check has no fix");
    let clean_score = audit["score"].as_u64().unwrap();
    assert!(clean_score < 100 && clean_score > 50, "{audit}");

    // A world-readable key file fails the check, with the fix; the score drops.
    chmod(&key, 0o644);
    let (_, exposed) = admin.send_json("POST", "/api/security-audit", Value::Null).await;
    let key_files = check(&exposed, "key_files");
    assert_eq!(key_files["status"], "fail", "{exposed}");
    assert_eq!(key_files["severity"], "critical");
    assert!(key_files["detail"].as_str().unwrap().contains("encryption.key (644)"), "{key_files}");
    assert!(key_files["fix"].as_str().unwrap().contains("chmod"), "{key_files}");
    assert!(exposed["score"].as_u64().unwrap() < clean_score);
    chmod(&key, 0o600);

    // A backup in the backups folder passes its check.
    std::fs::create_dir_all(server.data_dir().join("backups")).unwrap();
    std::fs::write(server.data_dir().join("backups/pincer.db"), b"copy").unwrap();
    let (_, backed_up) = admin.send_json("POST", "/api/security-audit", Value::Null).await;
    assert_eq!(check(&backed_up, "backups")["status"], "pass", "{backed_up}");

    // Nothing was filed by the audits above; yesterday's report is put in place by hand.
    let (_, none) = admin.send_json("GET", "/api/self-audit/reports", Value::Null).await;
    assert_eq!(none["total"], 0, "{none}");
    let passing = json!([{"id": "key_files", "title": "Key files are private", "severity": "critical",
        "status": "pass", "detail": "", "fix": ""}]);
    execute(
        server.database(),
        &format!(
            "INSERT INTO security_reports (day, created_at, score, checks) VALUES ('2020-05-01', 1588334400000, 97, '{passing}')"
        ),
    );

    // Today's self-audit: filed under today, listed first, readable by its date.
    chmod(&key, 0o640);
    let (status, first) = admin.send_json("POST", "/api/self-audit/run", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["date"], today());
    assert_eq!(check(&first, "key_files")["status"], "warn", "group-readable: {first}");
    chmod(&key, 0o604);
    let (_, second) = admin.send_json("POST", "/api/self-audit/run", Value::Null).await;
    assert_eq!(check(&second, "key_files")["status"], "fail", "{second}");

    let (status, list) = admin.send_json("GET", "/api/self-audit/reports", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 2, "one report per day, the day's last run: {list}");
    assert_eq!(list["reports"][0]["date"], today());
    assert_eq!(list["reports"][0]["score"], second["score"]);
    assert!(list["reports"][0]["failed"].as_u64().unwrap() >= 1, "{list}");
    assert_eq!(list["reports"][1]["date"], "2020-05-01");
    assert_eq!(list["reports"][1]["score"], 97);
    let (_, paged) = admin.send_json("GET", "/api/self-audit/reports?limit=1&page=2", Value::Null).await;
    assert_eq!(paged["reports"][0]["date"], "2020-05-01", "{paged}");

    let (status, todays) = admin.send_json("GET", &format!("/api/self-audit/reports/{}", today()), Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{todays}");
    assert_eq!(todays["checks"], second["checks"]);
    let (_, old) = admin.send_json("GET", "/api/self-audit/reports/2020-05-01", Value::Null).await;
    assert_eq!(old["checks"], passing, "{old}");

    // Bad dates are refused; a good date without a report is not found.
    for bad in ["2026-02-30", "2026-13-01", "yesterday", "2026-1-01", "20200501", "2020-05-01T00:00:00Z"] {
        let got = admin.send_json("GET", &format!("/api/self-audit/reports/{bad}"), Value::Null).await;
        assert_error(&got, 400, "invalid_date");
    }
    assert_error(
        &admin.send_json("GET", "/api/self-audit/reports/2001-01-01", Value::Null).await,
        404,
        "report_not_found",
    );
    assert_error(&admin.send_json("GET", "/api/self-audit/reports?limit=0", Value::Null).await, 400, "invalid_query");

    // Each worsening was audited once: pass (yesterday) → warn, then warn → fail.
    let (_, events) = admin.send_json("GET", "/api/audit?eventType=security.check_failed", Value::Null).await;
    let worsened: Vec<(String, String, String)> = events["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["check"] == "key_files")
        .map(|e| {
            let d = &e["detail"];
            (
                d["from"].as_str().unwrap().into(),
                d["to"].as_str().unwrap().into(),
                d["previousReport"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        worsened,
        vec![("warn".into(), "fail".into(), today()), ("pass".into(), "warn".into(), "2020-05-01".into())],
        "{events}"
    );
    let (_, runs) = admin.send_json("GET", "/api/audit?eventType=security.self_audit", Value::Null).await;
    assert_eq!(runs["total"], 2, "{runs}");
    assert_eq!(runs["entries"][0]["detail"]["trigger"], "manual");
    chmod(&key, 0o600);
}

/// A key given through `PINCER_ENCRYPTION_KEY_FILE` is used (no key file is generated in the data
/// directory), and that file being readable by others fails `secrets_exposed` (issue #20).
#[tokio::test(flavor = "multi_thread")]
async fn a_secret_file_others_can_read_fails_its_check() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("encryption-key");
    std::fs::write(&file, format!("{}\n", "ef".repeat(32))).unwrap();
    chmod(&file, 0o600);
    let server = TestServer::builder().env("PINCER_ENCRYPTION_KEY_FILE", file.to_str().unwrap()).start().await;
    assert!(!server.data_dir().join("secrets/encryption.key").exists(), "the key came from the file");
    let admin = server.setup_admin().await;
    let (_, private) = admin.send_json("POST", "/api/security-audit", Value::Null).await;
    assert_eq!(check(&private, "secrets_exposed")["status"], "pass", "{private}");
    assert!(check(&private, "key_files")["detail"].as_str().unwrap().contains("PINCER_ENCRYPTION_KEY"), "{private}");
    chmod(&file, 0o644);
    let (_, exposed) = admin.send_json("POST", "/api/security-audit", Value::Null).await;
    let c = check(&exposed, "secrets_exposed");
    assert_eq!(c["status"], "fail", "{exposed}");
    assert!(c["detail"].as_str().unwrap().contains("encryption-key (644)"), "{c}");
}
