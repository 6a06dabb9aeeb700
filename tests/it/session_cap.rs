//! A user holds at most 50 sessions (issue #21, low): a script that signs in on every run does not
//! pile them up; the 51st login ends the oldest session, and only that one.

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::json;

/// docs/SECURITY.md: "at most 50 sessions per user".
const MAX_SESSIONS: usize = 50;

/// Signs the admin in from its own address; returns the session token.
async fn login(server: &TestServer, n: usize) -> String {
    let res = server
        .client()
        .post(server.url("/api/auth/login"))
        .header("X-Forwarded-For", format!("198.51.{}.{}", n / 250, n % 250 + 1))
        .json(&json!({"email": "admin@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    cookie.strip_prefix("pincer_session=").unwrap().split(';').next().unwrap().to_string()
}

async fn me(server: &TestServer, token: &str) -> StatusCode {
    server.client().get(server.url("/api/auth/me")).bearer_auth(token).send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fifty_first_login_ends_the_oldest_session() {
    let server = TestServer::builder().env("PINCER_TRUSTED_PROXIES", "127.0.0.1").start().await;
    let setup = server.setup_admin().await;
    let setup_token = setup.session_token().unwrap();
    // Setup's session is the first; 49 more reach the cap.
    let mut tokens = vec![setup_token];
    for n in 1..MAX_SESSIONS {
        tokens.push(login(&server, n).await);
    }
    assert!(me(&server, &tokens[0]).await.is_success(), "50 sessions are allowed");
    tokens.push(login(&server, MAX_SESSIONS).await);
    assert_eq!(me(&server, &tokens[0]).await, StatusCode::UNAUTHORIZED, "the oldest went");
    for token in &tokens[1..] {
        assert_eq!(me(&server, token).await, StatusCode::OK);
    }
}
