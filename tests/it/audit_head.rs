//! The sealed head of the audit chain (issue #21, H2): removing the newest rows, or all of them,
//! is reported by verification, and a range cannot reach past the head.

use pincer_testkit::TestServer;
use pincer_testkit::server::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::execute;

/// A server with a few audited events after setup; returns the newest id.
async fn server_with_events() -> (TestServer, Browser, i64) {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    for i in 0..4 {
        admin.send_json("PUT", "/api/users/me/context", json!({"content": format!("v{i}")})).await;
    }
    let (status, report) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["truncated"], false, "{report}");
    let newest = report["headId"].as_i64().expect("a head after appends");
    assert_eq!(report["lastId"].as_i64(), Some(newest), "{report}");
    (server, admin, newest)
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_the_newest_rows_is_reported_as_truncation() {
    let (server, admin, newest) = server_with_events().await;
    execute(server.database(), &format!("DELETE FROM audit_log WHERE id > {}", newest - 3));

    let (status, report) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["truncated"], true, "{report}");
    assert_eq!(report["headId"].as_i64(), Some(newest), "{report}");
    assert_eq!(report["lastId"].as_i64(), Some(newest - 3), "{report}");
    // The remaining links are intact: only the head shows the loss.
    assert_eq!(report["chainBreakIds"], json!([]), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn emptying_the_log_is_reported() {
    let (server, admin, newest) = server_with_events().await;
    execute(server.database(), "DELETE FROM audit_log");

    let (_, report) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["truncated"], true, "{report}");
    assert_eq!(report["headId"].as_i64(), Some(newest), "{report}");
    assert_eq!(report["lastId"], Value::Null, "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_the_head_is_reported_and_to_id_beyond_it_is_refused() {
    let (server, admin, newest) = server_with_events().await;
    let (status, body) = admin.send_json("GET", &format!("/api/audit/verify?toId={}", newest + 1), Value::Null).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_query");

    execute(server.database(), "UPDATE audit_head SET last_id = last_id - 1");
    let (_, report) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!((report["valid"].clone(), report["headInvalid"].clone()), (json!(false), json!(true)), "{report}");

    execute(server.database(), "DELETE FROM audit_head");
    let (_, report) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!((report["valid"].clone(), report["headInvalid"].clone()), (json!(false), json!(true)), "{report}");
}
