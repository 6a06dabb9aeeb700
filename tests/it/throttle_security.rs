//! Login and password-change throttling against the attacks of the security review (#21):
//! parallel guesses (M4), an attacker keeping the admin locked out (M6), a flood of password
//! changes (M11). Every client comes through a trusted proxy with its own address.

use futures::future::join_all;
use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::json;

async fn server() -> TestServer {
    let server = TestServer::builder().env("PINCER_TRUSTED_PROXIES", "127.0.0.1").start().await;
    server.setup_admin().await;
    server
}

/// One admin login from `address`, with the status it got.
async fn login_from(server: &TestServer, address: &str, password: &str) -> StatusCode {
    server
        .client()
        .post(server.url("/api/auth/login"))
        .header("X-Forwarded-For", address)
        .json(&json!({"email": "admin@example.com", "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

/// M4: thirty wrong guesses sent at once, each from its own address. The account allows ten
/// attempts per window, and checking and counting are one step, so no more than ten reach the
/// password check; the rest are refused before it.
#[tokio::test(flavor = "multi_thread")]
async fn parallel_guesses_cannot_exceed_the_account_limit() {
    let server = server().await;
    let addresses: Vec<String> = (1..=30).map(|n| format!("198.51.100.{n}")).collect();
    let statuses = join_all(addresses.iter().map(|a| login_from(&server, a, "wrong password"))).await;
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, refused), (10, 20), "statuses: {statuses:?}");
}

/// M6: an attacker who knows the admin's e-mail locks the account from addresses of their own;
/// the admin still signs in from an address they used before, while a new address is held.
#[tokio::test(flavor = "multi_thread")]
async fn a_locked_out_admin_still_signs_in_from_a_known_address() {
    let server = server().await;
    assert_eq!(login_from(&server, "203.0.113.10", PASSWORD).await, StatusCode::OK, "the admin's office");
    for n in 1..=10 {
        assert_eq!(login_from(&server, &format!("198.51.100.{n}"), "guess").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login_from(&server, "192.0.2.77", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the account is locked for addresses it does not know, even with the right password"
    );
    assert_eq!(login_from(&server, "203.0.113.10", PASSWORD).await, StatusCode::OK, "the known address passes");

    // The known address has a limit of its own: an attacker sharing it gets ten guesses.
    for _ in 0..10 {
        assert_eq!(login_from(&server, "203.0.113.10", "guess").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login_from(&server, "203.0.113.10", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
}

/// M11: password changes are throttled per user before any hashing: the eleventh in fifteen
/// minutes is refused with 429 and Retry-After, and the password stays what it was.
#[tokio::test(flavor = "multi_thread")]
async fn password_changes_are_throttled_per_user() {
    let server = server().await;
    let admin = server.login("admin@example.com", PASSWORD).await;
    for n in 1..=10 {
        let res = admin
            .client()
            .post(admin.url("/api/users/me/password"))
            .header("X-Forwarded-For", format!("198.51.100.{n}"))
            .json(&json!({"currentPassword": "not the password", "newPassword": "another long passphrase"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "change {n} reaches the password check");
    }
    let res = admin
        .client()
        .post(admin.url("/api/users/me/password"))
        .header("X-Forwarded-For", "198.51.100.99")
        .json(&json!({"currentPassword": PASSWORD, "newPassword": "another long passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    server.login("admin@example.com", PASSWORD).await;
}
