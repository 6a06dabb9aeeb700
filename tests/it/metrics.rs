//! Prometheus metrics (issue #20): off by default; with `PINCER_METRICS_BIND` a second listener
//! serves `/metrics` — after a chat turn it counts the model call, its tokens and cost by
//! provider, the HTTP requests by route pattern, the store's queue waits and the audit appends,
//! and reads the active runs and open sockets — while the public listener never serves them.

use pincer_testkit::TestServer;
use pincer_testkit::fakes::{Behaviour, FakeKind, FakeProvider, FakeReply, FakeUsage};
use reqwest::StatusCode;
use serde_json::json;

use crate::ws::ChatSocket;

/// The metrics address the server printed.
fn metrics_url(server: &TestServer) -> String {
    let logs = server.logs();
    let line = logs.lines().find_map(|l| l.strip_prefix("pincer metrics on ")).unwrap_or_else(|| panic!("{logs}"));
    line.trim().to_string()
}

/// The value of the series whose line starts with `series` (name and labels as rendered).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find(|l| l.starts_with(series)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chat_turn_shows_in_the_metrics_on_their_own_address() {
    let fake = FakeProvider::start(FakeKind::Openai);
    let server = TestServer::builder()
        .env(&FakeKind::Openai.base_url_variable(), &fake.origin())
        .env("PINCER_ALLOW_PRIVATE_URLS", "1")
        .env("PINCER_METRICS_BIND", "127.0.0.1:0")
        .start()
        .await;
    let admin = server.setup_admin().await;
    let key = fake.api_key().unwrap().to_string();
    let (status, _) =
        admin.send_json("POST", "/api/settings/providers", json!({"provider": "openai", "apiKey": key})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, agent) =
        admin.send_json("POST", "/api/agents", json!({"name": "Helper", "templateId": "knowledge-base"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let agent = agent["id"].as_str().unwrap().to_string();

    fake.push_reply(FakeReply::text(&["Hel", "lo"]).usage(FakeUsage {
        input: 21,
        output: 7,
        cache_read: 3,
        cache_write: 0,
    }));
    let mut ws = ChatSocket::open(&admin).await;
    ws.message(&agent, "Hi").await;
    let frames = ws.until("complete").await;
    assert!(frames.iter().any(|f| f["type"] == "done" && f["status"] == "complete"), "{frames:?}");
    // A refused call and one whose stream breaks off count as model errors, by code.
    fake.set_behaviour(Behaviour::Status(401));
    ws.message(&agent, "Again").await;
    ws.until("complete").await;
    fake.set_behaviour(Behaviour::CutAfter(1));
    fake.push_reply(FakeReply::text(&["Part ", "of ", "it"]));
    ws.message(&agent, "Once more").await;
    ws.until("complete").await;

    let url = metrics_url(&server);
    let res = server.client().get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.unwrap();
    assert_eq!(value(&text, "pincer_model_calls_total{provider=\"openai\"}"), Some(1.0), "{text}");
    assert_eq!(value(&text, "pincer_model_tokens_total{provider=\"openai\",kind=\"input\"}"), Some(21.0), "{text}");
    assert_eq!(value(&text, "pincer_model_tokens_total{provider=\"openai\",kind=\"output\"}"), Some(7.0), "{text}");
    assert!(
        value(&text, "pincer_model_cost_nanodollars_total{provider=\"openai\"}").is_some_and(|c| c > 0.0),
        "{text}"
    );
    assert_eq!(
        value(&text, "pincer_http_requests_total{route=\"/api/agents\",method=\"POST\",status=\"201\"}"),
        Some(1.0),
        "by route pattern: {text}"
    );
    assert!(
        text.contains(
            "pincer_http_request_duration_seconds_bucket{route=\"/api/agents\",method=\"POST\",le=\"0.005\"}"
        ),
        "{text}"
    );
    assert_eq!(
        value(&text, "pincer_model_errors_total{provider=\"openai\",error=\"provider_unauthorized\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, "pincer_model_errors_total{provider=\"openai\",error=\"provider_stream_broken\"}"),
        Some(1.0),
        "{text}"
    );
    // The admin's login was hashed on a hashing thread.
    assert!(value(&text, "pincer_password_hash_wait_seconds_count").is_some_and(|n| n >= 1.0), "{text}");
    assert_eq!(value(&text, "pincer_password_hash_queue_depth"), Some(0.0), "{text}");
    assert_eq!(value(&text, "pincer_channel_receivers{state=\"running\"}"), Some(0.0), "no channel yet: {text}");
    assert!(text.contains("pincer_store_queue_wait_seconds_count"), "{text}");
    assert!(value(&text, "pincer_audit_appends_total").is_some_and(|n| n >= 3.0), "{text}");
    assert_eq!(value(&text, "pincer_runs_active"), Some(0.0), "{text}");
    assert_eq!(value(&text, "pincer_ws_sockets_open"), Some(1.0), "{text}");
    assert_eq!(value(&text, "pincer_audit_events_lost"), Some(0.0), "{text}");
    assert_eq!(value(&text, "pincer_store_queue_depth{queue=\"reads\"}"), Some(0.0), "idle: {text}");

    let public = server.client().get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(!public.contains("pincer_http_requests_total"), "the public listener serves no metrics");
}
