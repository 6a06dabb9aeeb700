//! The background integrity check: it records `audit.integrity_check`, and when a row has been
//! edited it records a failure and logs loudly.

use std::time::{Duration, Instant};

use pincer_testkit::TestServer;
use pincer_testkit::server::{Browser, PASSWORD};
use serde_json::Value;

use crate::support::execute;

/// Polls the audit log until an `audit.integrity_check` entry with `outcome` that `wanted`
/// accepts appears.
async fn wait_for_check(admin: &Browser, outcome: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, page) =
            admin.send_json("GET", "/api/audit?eventType=audit.integrity_check&limit=100", Value::Null).await;
        if let Some(entry) =
            page["entries"].as_array().and_then(|e| e.iter().find(|e| e["outcome"] == outcome && wanted(e)))
        {
            return entry.clone();
        }
        assert!(Instant::now() < deadline, "no {outcome} integrity check within 30 s: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn periodic_check_records_success_then_detects_an_edited_row() {
    let mut server = TestServer::builder().env("PINCER_AUDIT_CHECK_INTERVAL", "1").start().await;
    let admin = server.setup_admin().await;

    let ok = wait_for_check(&admin, "success", |_| true).await;
    assert_eq!(ok["actorType"], "system");
    assert!(ok["detail"]["checked"].as_u64().is_some_and(|n| n >= 1), "{ok}");

    // Two rows rewritten behind the application's back: row 1 (the admin's setup) and a newer one.
    admin.send_json("PUT", "/api/users/me/context", serde_json::json!({"content": "x"})).await;
    let (_, page) = admin.send_json("GET", "/api/audit?eventType=user.context_updated", Value::Null).await;
    let id = page["entries"][0]["id"].as_i64().expect("context event");
    execute(server.database(), "UPDATE audit_log SET detail = '{\"forged\":true}' WHERE id = 1");
    execute(server.database(), &format!("UPDATE audit_log SET outcome = 'failure' WHERE id = {id}"));
    // The running checker resumes from its last clean checkpoint, which may already be past both
    // rows (it runs every second); a new process checks the whole chain from the first row.
    server.restart().await;
    let admin = server.login("admin@example.com", PASSWORD).await;

    // The new process's full check finds both rows (a check before the restart could only have
    // found the newer one).
    let invalid = |e: &Value| -> Vec<i64> {
        e["detail"]["invalidIds"]
            .as_array()
            .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default()
    };
    let failed = wait_for_check(&admin, "failure", |e| invalid(e).contains(&1)).await;
    assert!(invalid(&failed).contains(&id), "{failed}");
    assert!(server.logs().contains("AUDIT LOG INTEGRITY VIOLATION"), "the violation must be logged loudly");
}
