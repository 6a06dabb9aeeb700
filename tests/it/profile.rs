//! The caller's own profile: display name, personal context, and password change (which ends the
//! caller's other sessions but keeps this one).

use pincer_testkit::TestServer;
use pincer_testkit::server::{Browser, PASSWORD};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

const NEW_PASSWORD: &str = "a brand new passphrase";

#[tokio::test(flavor = "multi_thread")]
async fn users_rename_themselves_but_not_to_nothing() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    let before = name(&member).await;

    assert_error(&member.send_json("PATCH", "/api/users/me", json!({"name": ""})).await, 400, "invalid_input");
    let (status, body) = member.send_json("PATCH", "/api/users/me", json!({"name": 42})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(
        &server.browser().send_json("PATCH", "/api/users/me", json!({"name": "Ghost"})).await,
        401,
        "not_authenticated",
    );
    assert_eq!(name(&member).await, before, "refused renames change nothing");

    let (status, body) = member.send_json("PATCH", "/api/users/me", json!({"name": "Maria Member"})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    assert_eq!(name(&member).await, "Maria Member");
    assert_eq!(name(&admin).await, "Admin", "only the caller is renamed");
}

#[tokio::test(flavor = "multi_thread")]
async fn personal_context_is_private_and_bounded() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;

    assert_eq!(member.send_json("GET", "/api/users/me/context", Value::Null).await.1, json!({"content": ""}));
    let (status, body) =
        member.send_json("PUT", "/api/users/me/context", json!({"content": "I work in finance."})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    assert_eq!(context(&member).await, "I work in finance.");
    assert_eq!(context(&admin).await, "", "one user's context is not another's");

    let longest = "x".repeat(16_000);
    let (status, body) = member.send_json("PUT", "/api/users/me/context", json!({"content": longest})).await;
    assert_eq!(status, StatusCode::OK, "16000 characters are allowed: {body}");
    assert_eq!(context(&member).await.len(), 16_000);

    let too_long = "y".repeat(16_001);
    let (status, body) = member.send_json("PUT", "/api/users/me/context", json!({"content": too_long})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = member.send_json("PUT", "/api/users/me/context", json!({"content": 12})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "content must be a string: {body}");
    let (status, body) = member.send_json("PUT", "/api/users/me/context", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "content is required: {body}");
    assert_eq!(context(&member).await, longest, "refused writes change nothing");

    let (status, body) = member.send_json("PUT", "/api/users/me/context", json!({"content": ""})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    assert_eq!(context(&member).await, "", "context can be cleared");

    let anonymous = server.browser();
    assert_error(&anonymous.send_json("GET", "/api/users/me/context", Value::Null).await, 401, "not_authenticated");
    assert_error(
        &anonymous.send_json("PUT", "/api/users/me/context", json!({"content": "x"})).await,
        401,
        "not_authenticated",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_change_keeps_this_session_and_ends_the_others() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, here) = server.create_member(&admin, "m@example.com").await;
    let elsewhere = server.login("m@example.com", PASSWORD).await;

    let wrong = json!({"currentPassword": "not my password", "newPassword": NEW_PASSWORD});
    assert_error(&here.send_json("POST", "/api/users/me/password", wrong).await, 401, "wrong_current_password");
    let weak = json!({"currentPassword": PASSWORD, "newPassword": "password123"});
    assert_error(&here.send_json("POST", "/api/users/me/password", weak).await, 400, "weak_password");
    let anonymous = json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD});
    assert_error(
        &server.browser().send_json("POST", "/api/users/me/password", anonymous).await,
        401,
        "not_authenticated",
    );
    // Nothing changed: both sessions live, the old password still logs in.
    assert_eq!(here.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK);
    assert_eq!(elsewhere.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK);
    let third = server.login("m@example.com", PASSWORD).await;

    let change = json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD});
    let (status, body) = here.send_json("POST", "/api/users/me/password", change).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));

    assert_eq!(here.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK, "this session stays");
    assert_error(&elsewhere.send_json("GET", "/api/auth/me", Value::Null).await, 401, "not_authenticated");
    assert_error(&third.send_json("GET", "/api/auth/me", Value::Null).await, 401, "not_authenticated");
    assert_eq!(admin.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK, "other users keep theirs");
    let old = server
        .browser()
        .send_json("POST", "/api/auth/login", json!({"email": "m@example.com", "password": PASSWORD}))
        .await;
    assert_error(&old, 401, "invalid_credentials");
    server.login("m@example.com", NEW_PASSWORD).await;
}

async fn name(browser: &Browser) -> String {
    let (status, me) = browser.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me["name"].as_str().unwrap().to_string()
}

async fn context(browser: &Browser) -> String {
    let (status, body) = browser.send_json("GET", "/api/users/me/context", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["content"].as_str().unwrap_or_else(|| panic!("no content: {body}")).to_string()
}
