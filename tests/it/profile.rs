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

    for bad in [json!({"name": ""}), json!({"name": "   "}), json!({"name": "\t\n"}), json!({"name": "a\u{7}b"})] {
        assert_error(&member.send_json("PATCH", "/api/users/me", bad).await, 400, "invalid_input");
    }
    let too_long = json!({"name": "n".repeat(101)});
    assert_error(&member.send_json("PATCH", "/api/users/me", too_long).await, 400, "invalid_input");
    assert_error(&member.send_json("PATCH", "/api/users/me", json!({"name": 42})).await, 400, "invalid_input");
    assert_error(&member.send_json("PATCH", "/api/users/me", json!({})).await, 400, "invalid_input");
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
    let (_, list) = admin.send_json("GET", "/api/users", Value::Null).await;
    let listed: Vec<&Value> = list["users"].as_array().unwrap().iter().map(|u| &u["name"]).collect();
    assert_eq!(listed, [&json!("Admin"), &json!("Maria Member")], "the admin list agrees: {list}");

    let (status, _) = member.send_json("PATCH", "/api/users/me", json!({"name": "  Zoë  "})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(name(&member).await, "Zoë", "names are trimmed");
    let longest = "ü".repeat(100);
    assert_eq!(member.send_json("PATCH", "/api/users/me", json!({"name": longest})).await.0, StatusCode::OK);
    assert_eq!(name(&member).await, longest, "100 characters are allowed, however many bytes");
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
    let put = |body: Value| member.send_json("PUT", "/api/users/me/context", body);
    assert_error(&put(json!({"content": too_long})).await, 400, "invalid_input");
    assert_error(&put(json!({"content": "é".repeat(16_001)})).await, 400, "invalid_input");
    assert_error(&put(json!({"content": 12})).await, 400, "invalid_input");
    assert_error(&put(json!({"content": null})).await, 400, "invalid_input");
    assert_error(&put(json!({"content": ["a"]})).await, 400, "invalid_input");
    assert_error(&put(json!({})).await, 400, "invalid_input");
    assert_eq!(context(&member).await, longest, "refused writes change nothing");

    // The bound counts characters, not bytes.
    let wide = "é".repeat(16_000);
    assert_eq!(put(json!({"content": wide})).await.0, StatusCode::OK);
    assert_eq!(context(&member).await, wide);
    let markdown = "# Me\n\n- line one\n- \"quoted\" & <tagged> ✓\n";
    assert_eq!(put(json!({"content": markdown})).await.0, StatusCode::OK);
    assert_eq!(context(&member).await, markdown, "stored exactly, not trimmed or escaped");

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
    for new in ["short1", "password123", ""] {
        let weak = json!({"currentPassword": PASSWORD, "newPassword": new});
        assert_error(&here.send_json("POST", "/api/users/me/password", weak).await, 400, "weak_password");
    }
    let no_current = json!({"currentPassword": "", "newPassword": NEW_PASSWORD});
    assert_error(&here.send_json("POST", "/api/users/me/password", no_current).await, 400, "invalid_input");
    let missing = json!({"newPassword": NEW_PASSWORD});
    assert_error(&here.send_json("POST", "/api/users/me/password", missing).await, 400, "invalid_input");
    let wrong_and_weak = json!({"currentPassword": "not my password", "newPassword": "short1"});
    let (status, _) = here.send_json("POST", "/api/users/me/password", wrong_and_weak).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let anonymous = json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD});
    assert_error(
        &server.browser().send_json("POST", "/api/users/me/password", anonymous).await,
        401,
        "not_authenticated",
    );
    // Nothing changed: both sessions live, the old password still logs in, the new one does not.
    assert_eq!(here.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK);
    assert_eq!(elsewhere.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK);
    let not_yet = json!({"email": "m@example.com", "password": NEW_PASSWORD});
    assert_error(&server.browser().send_json("POST", "/api/auth/login", not_yet).await, 401, "invalid_credentials");
    let third = server.login("m@example.com", PASSWORD).await;
    let third_token = third.session_token().expect("a session cookie");

    let change = json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD});
    let (status, body) = here.send_json("POST", "/api/users/me/password", change).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));

    assert_eq!(here.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK, "this session stays");
    assert_error(&elsewhere.send_json("GET", "/api/auth/me", Value::Null).await, 401, "not_authenticated");
    assert_error(&third.send_json("GET", "/api/auth/me", Value::Null).await, 401, "not_authenticated");
    let as_bearer = server.client().get(server.url("/api/auth/me")).bearer_auth(&third_token).send().await.unwrap();
    assert_eq!(as_bearer.status(), StatusCode::UNAUTHORIZED, "the session is gone, not only from the cookie jar");
    assert_eq!(admin.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK, "other users keep theirs");
    let old = server
        .browser()
        .send_json("POST", "/api/auth/login", json!({"email": "m@example.com", "password": PASSWORD}))
        .await;
    assert_error(&old, 401, "invalid_credentials");
    let fresh = server.login("m@example.com", NEW_PASSWORD).await;
    assert_eq!(fresh.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK);
    assert_eq!(here.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK, "a new login ends nothing");

    // The current password is now the new one.
    let stale = json!({"currentPassword": PASSWORD, "newPassword": "a third passphrase here"});
    assert_error(&here.send_json("POST", "/api/users/me/password", stale).await, 401, "wrong_current_password");
    assert_eq!(here.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK);
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
