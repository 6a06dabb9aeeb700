//! A restart keeps users, sessions, settings and sealed keys (file-backed SQLite, or the same
//! PostgreSQL); a stop stores the runs it cancels; expired sessions are purged in the background.

use std::time::{Duration, Instant};

use pincer_testkit::server::{Browser, PASSWORD};
use pincer_testkit::{Behaviour, FakeKind, FakeProvider, FakeReply, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{execute, query_text};
use crate::ws::{ChatSocket, chunk_text};

/// A server whose Anthropic provider is the fake (its key sealed in the database), and an agent.
pub(crate) async fn with_provider(fake: &FakeProvider) -> (TestServer, Browser, String) {
    let server = TestServer::builder()
        .env(&FakeKind::Anthropic.base_url_variable(), &fake.origin())
        .env("PINCER_ALLOW_PRIVATE_URLS", "1")
        .start()
        .await;
    let admin = server.setup_admin().await;
    let (status, saved) = admin
        .send_json("POST", "/api/settings/providers", json!({"provider": "anthropic", "apiKey": fake.api_key()}))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, agent) =
        admin.send_json("POST", "/api/agents", json!({"name": "Ops", "templateId": "knowledge-base"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let agent = agent["id"].as_str().unwrap().to_string();
    (server, admin, agent)
}

#[tokio::test(flavor = "multi_thread")]
async fn users_sessions_settings_and_keys_survive_a_restart() {
    let fake = FakeProvider::start(FakeKind::Anthropic);
    let (mut server, admin, agent) = with_provider(&fake).await;
    let token = admin.session_token().unwrap();
    admin.send_json("POST", "/api/settings", json!({"key": "openai_api_key", "value": "sk-persist-0123456789"})).await;
    admin.send_json("PUT", "/api/users/me/context", json!({"content": "I run ops."})).await;

    server.restart().await;

    // The old session still works, against the new process (new port, same data).
    let res = server.client().get(server.url("/api/auth/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let again = server.login("admin@example.com", PASSWORD).await;
    let (_, settings) = again.send_json("GET", "/api/settings", Value::Null).await;
    assert_eq!(settings, json!([{"key": "openai_api_key", "value": "••••••••", "encrypted": true}]));
    let (_, context) = again.send_json("GET", "/api/users/me/context", Value::Null).await;
    assert_eq!(context, json!({"content": "I run ops."}));

    // The same encryption key was read back: the provider key sealed before the restart opens,
    // and the fake receives exactly the key that was saved (it refuses any other).
    fake.clear_requests();
    fake.push_reply(FakeReply::text(&["Still ", "here."]));
    let mut ws = ChatSocket::open(&again).await;
    ws.message(&agent, "are you there?").await;
    let frames = ws.until("complete").await;
    assert_eq!(chunk_text(&frames), "Still here.", "{frames:?}");
    let sent = fake.chat_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header("x-api-key"), fake.api_key());

    // The same audit key was read back: the chain written by both processes verifies.
    let (status, report) = again.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["valid"], true, "{report}");
    assert!(report["totalChecked"].as_i64().is_some_and(|n| n >= 5), "{report}");
    assert!(server.data_dir().join("secrets/encryption.key").is_file());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_cancelled_by_sigterm_is_stored_as_aborted_before_the_process_exits() {
    let fake = FakeProvider::start(FakeKind::Anthropic);
    let (mut server, admin, agent) = with_provider(&fake).await;
    let mut ws = ChatSocket::open(&admin).await;
    // The fake streams four events, then holds the answer open until the client goes away.
    fake.set_behaviour(Behaviour::HoldAfter(4));
    fake.push_reply(FakeReply::text(&["Half ", "an ", "answer ", "and ", "more"]));
    ws.message(&agent, "a long one").await;
    let mut seen = String::new();
    while seen.is_empty() {
        let frame = ws.next().await;
        if frame["type"] == "chunk" {
            seen.push_str(frame["content"].as_str().unwrap());
        }
    }

    let status = server.stop().await;
    assert!(status.success(), "{status}");

    // Read with the server gone, before any restart could mark leftovers "interrupted".
    let stored = query_text(
        server.database(),
        "SELECT status || '|' || content AS value FROM messages WHERE role = 'assistant' ORDER BY seq",
    );
    assert_eq!(stored.len(), 1, "{stored:?}");
    let (status, content) = stored[0].split_once('|').unwrap();
    assert_eq!(status, "aborted", "{stored:?}\n{}", server.logs());
    assert!(content.starts_with(seen.as_str()) && !content.contains("more"), "{stored:?}");
    assert!(server.logs().contains("cancelled answers stored"), "{}", server.logs());
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_sessions_are_purged_in_the_background_and_live_ones_stay() {
    let server = TestServer::builder().env("PINCER_SESSION_PURGE_INTERVAL", "1").start().await;
    let admin = server.setup_admin().await;
    let stale = server.login("admin@example.com", PASSWORD).await;
    let stale_token = stale.session_token().unwrap();
    // Two sessions now; the newer one (ids are time-ordered UUIDv7) is made to have expired.
    execute(
        server.database(),
        "UPDATE sessions SET expires_at = 1 WHERE id = (SELECT id FROM sessions ORDER BY id DESC LIMIT 1)",
    );

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = query_text(server.database(), "SELECT CAST(COUNT(*) AS TEXT) AS value FROM sessions");
        if left == ["1"] {
            break;
        }
        assert!(Instant::now() < deadline, "the expired session was not purged within 30 s: {left:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, me) = admin.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "the live session stays: {me}");
    let res = server.client().get(server.url("/api/auth/me")).bearer_auth(&stale_token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(server.logs().contains("removed expired sessions"));
}
