//! The per-account half of login throttling (docs/SECURITY.md): 10 failed attempts per account
//! in 15 minutes, and a successful login clears the account's count. Every attempt here comes
//! through a trusted proxy from its own address, so the per-address limit never interferes.

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use serde_json::json;

/// One login for the admin, from the `n`th client address behind the proxy.
async fn attempt(server: &TestServer, n: u8, password: &str) -> u16 {
    let res = server
        .client()
        .post(server.url("/api/auth/login"))
        .header("X-Forwarded-For", format!("198.51.100.{n}"))
        .json(&json!({"email": "admin@example.com", "password": password}))
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_successful_login_clears_the_accounts_failures() {
    let server = TestServer::builder().env("PINCER_TRUSTED_PROXIES", "127.0.0.1").start().await;
    server.setup_admin().await;
    let mut n = 0..;
    for _ in 0..9 {
        assert_eq!(attempt(&server, n.next().unwrap(), "wrong password").await, 401);
    }
    assert_eq!(attempt(&server, n.next().unwrap(), PASSWORD).await, 200, "nine failures do not lock");
    // Cleared: ten more failures are checked (without the clear, the tenth overall is the last).
    for i in 0..10 {
        assert_eq!(attempt(&server, n.next().unwrap(), "wrong password").await, 401, "failure {i} after the clear");
    }
    assert_eq!(attempt(&server, n.next().unwrap(), PASSWORD).await, 429, "the eleventh is locked out");
}
