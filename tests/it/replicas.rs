//! Two replicas on one PostgreSQL database (issue #15 §5): a singleton worker runs on one of them
//! and moves to the other within seconds of its death (a lease: a PostgreSQL advisory lock held
//! on a connection of its own), and what one replica publishes on the event bus
//! (`LISTEN/NOTIFY`) reaches the other: a logout on one closes the session's socket on the other
//! at once and its cached session is forgotten there, instead of living on for up to 30 s.

use std::time::{Duration, Instant};

use pincer_testkit::TestServer;
use reqwest::StatusCode;
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
