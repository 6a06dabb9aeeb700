//! The background integrity check: it records `audit.integrity_check`, and when a row has been
//! edited it records a failure and logs loudly.

use std::time::{Duration, Instant};

use pincer_testkit::TestServer;
use pincer_testkit::server::Browser;
use serde_json::Value;

use crate::support::execute;

/// Polls the audit log until an `audit.integrity_check` entry with `outcome` appears.
async fn wait_for_check(admin: &Browser, outcome: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, page) =
            admin.send_json("GET", "/api/audit?eventType=audit.integrity_check&limit=100", Value::Null).await;
        if let Some(entry) = page["entries"].as_array().and_then(|e| e.iter().find(|e| e["outcome"] == outcome)) {
            return entry.clone();
        }
        assert!(Instant::now() < deadline, "no {outcome} integrity check within 30 s: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn periodic_check_records_success_then_detects_an_edited_row() {
    let server = TestServer::builder().env("PINCER_AUDIT_CHECK_INTERVAL", "1").start().await;
    let admin = server.setup_admin().await;

    let ok = wait_for_check(&admin, "success").await;
    assert_eq!(ok["actorType"], "system");
    assert!(ok["detail"]["checked"].as_u64().is_some_and(|n| n >= 1), "{ok}");

    // Row 1 is the admin's setup; rewrite its detail behind the application's back.
    execute(server.database(), "UPDATE audit_log SET detail = '{\"forged\":true}' WHERE id = 1");
    // The checker resumes from its last clean checkpoint, so edit a row after it as well.
    admin.send_json("PUT", "/api/users/me/context", serde_json::json!({"content": "x"})).await;
    let (_, page) = admin.send_json("GET", "/api/audit?eventType=user.context_updated", Value::Null).await;
    let id = page["entries"][0]["id"].as_i64().expect("context event");
    execute(server.database(), &format!("UPDATE audit_log SET outcome = 'failure' WHERE id = {id}"));

    let failed = wait_for_check(&admin, "failure").await;
    let invalid: Vec<i64> =
        failed["detail"]["invalidIds"].as_array().unwrap().iter().filter_map(Value::as_i64).collect();
    assert!(invalid.contains(&id), "{failed}");
    assert!(server.logs().contains("AUDIT LOG INTEGRITY VIOLATION"), "the violation must be logged loudly");
}
