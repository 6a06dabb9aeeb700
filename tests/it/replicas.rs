//! Two replicas on one PostgreSQL database (issue #15 §5): a singleton worker runs on one of them
//! and moves to the other within seconds of its death (a lease: a PostgreSQL advisory lock held
//! on a connection of its own), and what one replica publishes on the event bus
//! (`LISTEN/NOTIFY`) reaches the other: a logout on one closes the session's socket on the other
//! at once and its cached session is forgotten there, instead of living on for up to 30 s.

use std::time::{Duration, Instant};

use pincer_testkit::{Behaviour, FakeKind, FakeProvider, FakeReply, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::ws::ChatSocket;

/// Replicas share their keys.
const KEYS: [(&str, &str); 2] = [
    ("PINCER_ENCRYPTION_KEY", "1111111111111111111111111111111111111111111111111111111111111111"),
    ("PINCER_AUDIT_KEY", "2222222222222222222222222222222222222222222222222222222222222222"),
];

async fn replicas(env: &[(&str, &str)]) -> (TestServer, TestServer) {
    let mut a = TestServer::builder();
    for (key, value) in KEYS.iter().chain(env) {
        a = a.env(key, value);
    }
    let a = a.start().await;
    let mut b = TestServer::builder().replica_of(&a);
    for (key, value) in KEYS.iter().chain(env) {
        b = b.env(key, value);
    }
    (a, b.start().await)
}

/// Whether a server logged that it took the integrity check's lease.
fn runs_the_check(server: &TestServer) -> bool {
    server.logs().lines().any(|l| l.contains("took the worker's lease") && l.contains("audit.integrity_check"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_singleton_worker_runs_on_one_replica_and_moves_within_seconds_when_it_dies() {
    if pincer_testkit::db::postgres_or_skip("it::replicas::a_singleton_worker_runs_on_one_replica").is_none() {
        return;
    }
    let (a, b) = replicas(&[("PINCER_AUDIT_CHECK_INTERVAL", "1")]).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !runs_the_check(&a) && !runs_the_check(&b) {
        assert!(Instant::now() < deadline, "no replica took the lease:\n{}\n---\n{}", a.logs(), b.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Several rounds later, still only one of them runs it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(runs_the_check(&a) != runs_the_check(&b), "both replicas run the check:\n{}\n---\n{}", a.logs(), b.logs());
    let (mut holder, other) = if runs_the_check(&a) { (a, b) } else { (b, a) };
    let verified = |s: &TestServer| s.logs().matches("audit chain verified").count();
    assert!(verified(&holder) >= 2, "the holder runs the check every second:\n{}", holder.logs());
    assert_eq!(verified(&other), 0, "the other replica does not:\n{}", other.logs());

    // The holder dies without a word; the other takes over within seconds.
    holder.kill().await;
    let killed = Instant::now();
    while !runs_the_check(&other) {
        assert!(killed.elapsed() < Duration::from_secs(10), "the lease did not move:\n{}", other.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while verified(&other) == 0 {
        assert!(Instant::now() < deadline, "the new holder does not run the check:\n{}", other.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_logout_on_one_replica_closes_the_sessions_socket_and_cache_on_the_other() {
    if pincer_testkit::db::postgres_or_skip("it::replicas::a_logout_on_one_replica_closes").is_none() {
        return;
    }
    let (a, b) = replicas(&[]).await;
    let admin = a.setup_admin().await;
    let token = admin.session_token().unwrap();
    let cookie = format!("pincer_session={token}");
    let me_on_b =
        || async { b.client().get(b.url("/api/auth/me")).header("Cookie", &cookie).send().await.unwrap().status() };
    // The session works on B (and is cached there), and B holds a socket of it.
    assert_eq!(me_on_b().await, StatusCode::OK);
    let mut request = b.url("/api/ws").replacen("http://", "ws://", 1).into_client_request().unwrap();
    request.headers_mut().insert("Cookie", cookie.parse().unwrap());
    request.headers_mut().insert("Origin", b.base_url().trim_end_matches('/').parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut socket = ChatSocket::from_stream(ws);

    // The user logs out on A.
    let res = admin.post("/api/auth/logout", serde_json::Value::Null).await;
    assert!(res.status().is_success(), "{}", res.status());
    let logged_out = Instant::now();
    let told = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("B said nothing");
    assert_eq!(told["code"], "not_authenticated", "{told}");
    assert_eq!(socket.closed().await.map(|(code, _)| code), Some(4401), "B closes the socket with 4401");
    assert_eq!(me_on_b().await, StatusCode::UNAUTHORIZED, "B no longer trusts its cached session");
    assert!(logged_out.elapsed() < Duration::from_secs(5), "well within the cache's 30 s");
}

/// A replica that starts while another one streams an answer leaves that answer streaming (it
/// marks interrupted only the answers of nodes whose lease is free, i.e. that are gone); once the
/// streaming replica dies, the next start marks it interrupted.
#[tokio::test(flavor = "multi_thread")]
async fn a_starting_replica_leaves_the_answers_another_is_streaming_alone() {
    if pincer_testkit::db::postgres_or_skip("it::replicas::a_starting_replica_leaves_the_answers").is_none() {
        return;
    }
    let fake = FakeProvider::start(FakeKind::Openai);
    let env = [(FakeKind::Openai.base_url_variable(), fake.origin()), ("PINCER_ALLOW_PRIVATE_URLS".into(), "1".into())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut a = TestServer::builder();
    for (key, value) in KEYS.iter().chain(&env) {
        a = a.env(key, value);
    }
    let mut a = a.start().await;
    let admin = a.setup_admin().await;
    let (status, body) = admin
        .send_json("POST", "/api/settings/providers", json!({"provider": "openai", "apiKey": fake.api_key()}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, agents) = admin.send_json("GET", "/api/agents", Value::Null).await;
    let agent = agents.as_array().unwrap().iter().find(|a| a["isPersonal"] == true).unwrap()["id"].clone();
    let agent = agent.as_str().unwrap();

    // A streams an answer that does not end.
    fake.set_behaviour(Behaviour::HoldAfter(2));
    fake.push_reply(FakeReply::text(&["Still ", "writing ", "this"]));
    let mut ws = ChatSocket::open(&admin).await;
    ws.message(agent, "write slowly").await;
    while ws.next().await["type"] != "chunk" {}

    // B starts meanwhile: A's answer is A's, alive, and stays streaming.
    let mut b = TestServer::builder().replica_of(&a);
    for (key, value) in KEYS.iter().chain(&env) {
        b = b.env(key, value);
    }
    let b = b.start().await;
    let status_on = |server: &TestServer| {
        let (client, url, token) = (server.client(), server.url("/api/ws"), admin.session_token().unwrap_or_default());
        async move {
            let mut request = url.replacen("http://", "ws://", 1).into_client_request().unwrap();
            request.headers_mut().insert("Cookie", format!("pincer_session={token}").parse().unwrap());
            let origin = url.trim_end_matches("/api/ws").to_string();
            request.headers_mut().insert("Origin", origin.parse().unwrap());
            drop(client);
            let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
            let mut socket = ChatSocket::from_stream(ws);
            socket.send(json!({"type": "history", "agentId": agent})).await;
            let history = socket.next().await;
            history["messages"][1]["status"].as_str().unwrap_or_default().to_string()
        }
    };
    assert_eq!(status_on(&b).await, "streaming", "a starting replica must not interrupt a live replica's answer");
    assert!(!b.logs().contains("marked answers interrupted"), "{}", b.logs());

    // A dies mid-answer; when it starts again, the answer it left is marked interrupted.
    a.kill().await;
    a.start_again().await;
    assert_eq!(status_on(&a).await, "interrupted");
}
