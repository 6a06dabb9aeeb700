//! Lifetimes (docs/SECURITY.md): invites last 7 days, reset links 24 hours, sessions 14 days.
//! Past their end (moved into the past in the database, the clock being real) an invite is listed
//! as `expired` and, like a reset link, claims as `invalid_token`; a session no longer
//! authenticates.

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_error, execute};

#[tokio::test(flavor = "multi_thread")]
async fn expired_invites_and_reset_links_cannot_be_claimed() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, _) = server.create_member(&admin, "m@example.com").await;
    let (status, invite) = admin.send_json("POST", "/api/users/invite", json!({"role": "admin"})).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let (status, reset) = admin.send_json("POST", &format!("/api/users/{member_id}/reset"), Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{reset}");
    execute(server.database(), "UPDATE invites SET expires_at = created_at - 1 WHERE used_at IS NULL");

    let (_, list) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    let status_of = |id: &str| list.as_array().unwrap().iter().find(|i| i["id"] == id).unwrap()["status"].clone();
    assert_eq!(status_of(invite["id"].as_str().unwrap()), "expired", "{list}");
    let anonymous = server.browser();
    let claim = json!({"token": invite["token"], "name": "Late", "email": "late@example.com", "password": PASSWORD});
    assert_error(&anonymous.send_json("POST", "/api/invite/claim", claim).await, 400, "invalid_token");
    let claim = json!({"token": reset["token"], "password": "a brand new password"});
    assert_error(&anonymous.send_json("POST", "/api/invite/claim", claim).await, 400, "invalid_token");

    // Nothing changed: no account was created, the member's password is the old one.
    let (_, users) = admin.send_json("GET", "/api/users", Value::Null).await;
    assert_eq!(users["total"], 2, "{users}");
    server.login("m@example.com", PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_past_its_end_no_longer_authenticates() {
    let mut server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let token = admin.session_token().unwrap();
    let me = |server: &TestServer| server.client().get(server.url("/api/auth/me")).bearer_auth(&token).send();
    assert_eq!(me(&server).await.unwrap().status(), StatusCode::OK);
    execute(server.database(), "UPDATE sessions SET expires_at = 1");
    // A restart empties the session cache, so the next request reads the stored session.
    server.restart().await;
    let res = me(&server).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "not_authenticated");
}
