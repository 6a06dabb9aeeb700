//! First-run setup, login, logout, `me`, the three ways to present a token, and throttling.

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_error, without_request_id};

#[tokio::test(flavor = "multi_thread")]
async fn setup_creates_the_first_admin_once_and_logs_them_in() {
    let server = TestServer::start().await;
    let b = server.browser();
    let (_, status) = b.send_json("GET", "/api/setup/status", Value::Null).await;
    assert_eq!(status, json!({"setupComplete": false, "providerConfigured": false}));

    assert_error(
        &b.send_json("POST", "/api/setup", json!({"name": "A", "email": "a@example.com", "password": "short"})).await,
        400,
        "weak_password",
    );
    assert_error(
        &b.send_json("POST", "/api/setup", json!({"name": "A", "email": "a@example.com", "password": "password123"}))
            .await,
        400,
        "weak_password",
    );
    assert_error(
        &b.send_json("POST", "/api/setup", json!({"name": "A", "email": "not-an-email", "password": PASSWORD})).await,
        400,
        "invalid_input",
    );
    let (_, status) = b.send_json("GET", "/api/setup/status", Value::Null).await;
    assert_eq!(status["setupComplete"], false, "refused setups change nothing");

    let res = b.post("/api/setup", json!({"name": "Ada", "email": "Ada@Example.com", "password": PASSWORD})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("pincer_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(body["user"]["email"], "ada@example.com");

    let (status, me) = b.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["name"], "Ada");
    assert!(me["createdAt"].as_str().unwrap().ends_with('Z'));

    let again = server.browser();
    assert_error(
        &again
            .send_json("POST", "/api/setup", json!({"name": "Eve", "email": "eve@example.com", "password": PASSWORD}))
            .await,
        409,
        "setup_complete",
    );
    let (_, status) = b.send_json("GET", "/api/setup/status", Value::Null).await;
    assert_eq!(status["setupComplete"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_logout_and_every_token_carrier() {
    let server = TestServer::start().await;
    server.setup_admin().await;
    let anonymous = server.browser();
    assert_error(&anonymous.send_json("GET", "/api/auth/me", Value::Null).await, 401, "not_authenticated");

    let wrong = anonymous
        .send_json("POST", "/api/auth/login", json!({"email": "admin@example.com", "password": "wrong password"}))
        .await;
    let unknown = anonymous
        .send_json("POST", "/api/auth/login", json!({"email": "nobody@example.com", "password": PASSWORD}))
        .await;
    assert_error(&wrong, 401, "invalid_credentials");
    assert_eq!(
        without_request_id(&wrong),
        without_request_id(&unknown),
        "a wrong password and an unknown email must look the same"
    );

    let user = server.login("ADMIN@example.com", PASSWORD).await;
    let token = user.session_token().expect("cookie");
    let (status, me) = user.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!((status, me["email"].clone()), (StatusCode::OK, json!("admin@example.com")));

    let bearer = server.client().get(server.url("/api/auth/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    // `?token=` opens the WebSocket only (tests/it/token_links.rs); on an API route it is ignored.
    let query = server.client().get(server.url(&format!("/api/auth/me?token={token}"))).send().await.unwrap();
    assert_eq!(query.status(), StatusCode::UNAUTHORIZED);
    let forged = server.client().get(server.url("/api/auth/me")).bearer_auth("0".repeat(64)).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    let (status, body) = user.send_json("POST", "/api/auth/logout", Value::Null).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    let after = server.client().get(server.url("/api/auth/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "the session must be gone, not only the cookie");
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_failures_for_one_account_are_throttled_with_retry_after() {
    let server = TestServer::start().await;
    server.setup_admin().await;
    let b = server.browser();
    for _ in 0..10 {
        let (status, _) = b
            .send_json("POST", "/api/auth/login", json!({"email": "admin@example.com", "password": "wrong password"}))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let res = b.post("/api/auth/login", json!({"email": "admin@example.com", "password": PASSWORD})).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits out the lock");
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "rate_limited");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_source_is_throttled_across_accounts() {
    let server = TestServer::start().await;
    let b = server.browser();
    let mut statuses = Vec::new();
    for i in 0..21 {
        let (status, _) = b
            .send_json(
                "POST",
                "/api/auth/login",
                json!({"email": format!("u{i}@example.com"), "password": "whatever1"}),
            )
            .await;
        statuses.push(status.as_u16());
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[20], 429);
}
