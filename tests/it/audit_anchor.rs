//! The head of the audit chain is also kept outside the database, in the data directory
//! (issue #21, H2): a database restored from an older copy, or a log emptied together with its
//! head row, no longer holds the entry the file names, and verification says so.

use std::path::{Path, PathBuf};

use pincer_testkit::TestServer;
use pincer_testkit::server::{Browser, PASSWORD};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::execute;

async fn verify(admin: &Browser) -> Value {
    let (status, report) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

async fn audited_actions(admin: &Browser, n: usize) {
    for i in 0..n {
        let (status, _) = admin.send_json("PUT", "/api/users/me/context", json!({"content": format!("v{i}")})).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn emptying_the_log_and_its_head_row_together_is_reported() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    audited_actions(&admin, 3).await;
    let newest = verify(&admin).await["headId"].as_i64().unwrap();

    execute(server.database(), "DELETE FROM audit_log; DELETE FROM audit_head;");
    let report = verify(&admin).await;
    assert_eq!(report["valid"], false, "an empty log with no head row looks new; the file knows better: {report}");
    assert_eq!(report["truncated"], true, "{report}");
    assert_eq!(report["anchorId"].as_i64(), Some(newest), "{report}");
}

/// The SQLite database file and its companions (`-wal`, `-shm`), as paths.
fn database_files(server: &TestServer) -> Vec<PathBuf> {
    let db = PathBuf::from(server.database().url().trim_start_matches("sqlite://"));
    ["", "-wal", "-shm"].iter().map(|suffix| PathBuf::from(format!("{}{suffix}", db.display()))).collect()
}

fn copy_files(files: &[PathBuf], to: &Path) {
    for file in files.iter().filter(|f| f.exists()) {
        std::fs::copy(file, to.join(file.file_name().unwrap())).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_restored_from_an_older_copy_is_reported_at_start_and_by_verify() {
    let mut server = TestServer::builder().env("PINCER_AUDIT_CHECK_INTERVAL", "1").start().await;
    // SQLite: its database is a file an operator copies back. (PostgreSQL runs the same check;
    // the wipe test above covers it there.)
    if server.database().is_postgres() {
        return;
    }
    let admin = server.setup_admin().await;
    audited_actions(&admin, 1).await;
    server.stop().await;
    let backup = tempfile::tempdir().unwrap();
    let files = database_files(&server);
    copy_files(&files, backup.path());

    server.start_again().await;
    let admin = server.login("admin@example.com", PASSWORD).await;
    audited_actions(&admin, 5).await;
    let newest = verify(&admin).await["headId"].as_i64().unwrap();
    server.stop().await;

    // The operator restores the older copy.
    for file in &files {
        std::fs::remove_file(file).ok();
    }
    for file in &files {
        let saved = backup.path().join(file.file_name().unwrap());
        if saved.exists() {
            std::fs::copy(saved, file).unwrap();
        }
    }
    server.start_again().await;
    let admin = server.login("admin@example.com", PASSWORD).await;
    let report = verify(&admin).await;
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["anchorId"].as_i64(), Some(newest), "{report}");
    assert_eq!(report["truncated"], true, "the restored log ends before the entry the file names: {report}");

    // The periodic check, the first one a second after start, says it loudly.
    let mut logged = false;
    for _ in 0..100 {
        if server.logs().contains("AUDIT LOG INTEGRITY VIOLATION") {
            logged = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(logged, "no integrity violation in the log:\n{}", server.logs());
}
