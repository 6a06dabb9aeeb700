//! Before setup, a server reachable from the network cannot be claimed by whoever comes first
//! (security review M9): `POST /api/setup` from anywhere but the server's own loopback needs the
//! one-time code the server printed when it started. A proxied request counts as remote.

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

fn printed_code(server: &TestServer) -> Option<String> {
    server
        .logs()
        .lines()
        .find_map(|l| l.strip_prefix("pincer setup code: ")?.split_whitespace().next().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_setup_needs_the_printed_code_and_the_local_one_does_not_need_it() {
    let mut server = TestServer::start().await;
    let code = printed_code(&server).expect("a code is printed before setup");
    assert_eq!(code.len(), 16, "{code}");
    let setup = |extra: Value| {
        let mut body = json!({"name": "Admin", "email": "admin@example.com", "password": PASSWORD});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let browser = server.browser();
        async move {
            let res = browser
                .client()
                .post(browser.url("/api/setup"))
                // Through a proxy on this host: the request comes from elsewhere.
                .header("X-Forwarded-For", "203.0.113.7")
                .json(&body)
                .send()
                .await
                .unwrap();
            (res.status(), res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_error(&setup(json!({})).await, 403, "setup_code_required");
    assert_error(&setup(json!({"setupCode": "0".repeat(16)})).await, 403, "setup_code_required");
    let (_, status) = server.browser().send_json("GET", "/api/setup/status", Value::Null).await;
    assert_eq!(status["setupComplete"], false, "nothing was created");
    let (status, body) = setup(json!({"setupCode": code})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Once set up, a start prints no code (the log keeps the first start's lines).
    server.restart().await;
    assert_eq!(server.logs().matches("pincer setup code:").count(), 1, "{}", server.logs());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_on_the_machine_needs_no_code() {
    let server = TestServer::start().await;
    assert!(printed_code(&server).is_some());
    server.setup_admin().await; // from 127.0.0.1, no forwarding header
}
