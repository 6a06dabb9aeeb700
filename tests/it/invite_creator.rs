//! An invite speaks for the admin who made it: once they are demoted or deactivated, what they
//! handed out opens nothing (security review, low). Until then it works as usual.

use pincer_testkit::TestServer;
use pincer_testkit::server::{Browser, PASSWORD};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

#[tokio::test(flavor = "multi_thread")]
async fn invites_die_with_their_creators_admin_rights() {
    let server = TestServer::start().await;
    let first = server.setup_admin().await;
    let (second_id, second) = server.create_user(&first, "second@example.com", "admin").await;
    let invite = |admin: Browser, email: &'static str| async move {
        let (status, body) =
            admin.send_json("POST", "/api/users/invite", json!({"role": "member", "email": email})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_string()
    };
    let claim = |token: String, email: &'static str| {
        let browser = server.browser();
        async move {
            browser
                .send_json(
                    "POST",
                    "/api/invite/claim",
                    json!({"token": token, "name": email, "email": email, "password": PASSWORD}),
                )
                .await
        }
    };
    let kept = invite(second.clone(), "kept@example.com").await;
    let orphan = invite(second.clone(), "orphan@example.com").await;
    let (status, body) = claim(kept, "kept@example.com").await;
    assert_eq!(status, StatusCode::CREATED, "a live admin's invite works: {body}");

    let (status, body) = first.send_json("PATCH", &format!("/api/users/{second_id}"), json!({"role": "member"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_error(&claim(orphan, "orphan@example.com").await, 400, "invalid_token");
    let (_, users) = first.send_json("GET", "/api/users", Value::Null).await;
    assert!(!users.to_string().contains("orphan@example.com"), "no account was created: {users}");
}
