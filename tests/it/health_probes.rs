//! The health probes (issue #20): liveness touches nothing, readiness answers 503
//! `shutting_down` as soon as shutdown begins — while the listener still serves, for the drain
//! period `PINCER_DRAIN_SECONDS` — and `/api/health` carries the version.

use std::time::Duration;

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::Value;

async fn probe(client: &reqwest::Client, url: String) -> (StatusCode, Value) {
    let res = client.get(url).send().await.unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_turns_503_when_shutdown_begins_while_the_listener_still_serves() {
    let mut server = TestServer::builder().env("PINCER_DRAIN_SECONDS", "3").start().await;
    let client = server.client();
    let (status, health) = probe(&client, server.url("/api/health")).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"), "{health}");
    assert_eq!(
        probe(&client, server.url("/api/health/live")).await,
        (StatusCode::OK, serde_json::json!({"status": "ok"}))
    );
    assert_eq!(probe(&client, server.url("/api/health/ready")).await.0, StatusCode::OK);

    let pid = server.pid().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let mut draining = None;
    for _ in 0..100 {
        let ready = probe(&client, server.url("/api/health/ready")).await;
        if ready.0 == StatusCode::SERVICE_UNAVAILABLE {
            draining = Some(ready);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, body) = draining.expect("readiness never turned 503 after SIGTERM");
    assert_eq!(body["code"], "shutting_down", "{body}");
    // Still serving: liveness answers during the drain.
    assert_eq!(probe(&client, server.url("/api/health/live")).await.0, StatusCode::OK);
    let status = server.stop().await;
    assert!(status.success(), "{status}; output:\n{}", server.logs());
}
