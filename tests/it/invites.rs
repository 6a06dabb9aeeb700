//! Invites (admin only): create with a token shown once, list without tokens, revoke; the public
//! claim that creates an account, and the reset claim that replaces a password.

use pincer_testkit::TestServer;
use pincer_testkit::server::{Browser, PASSWORD};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

const NEW_PASSWORD: &str = "a brand new passphrase";

#[tokio::test(flavor = "multi_thread")]
async fn invites_are_created_listed_without_tokens_and_revoked() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;

    let (status, invite) =
        admin.send_json("POST", "/api/users/invite", json!({"role": "member", "email": "Bob@Example.com"})).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    assert!(invite["token"].as_str().is_some_and(|t| t.len() >= 32), "{invite}");
    assert_eq!(invite["role"], "member");
    assert_eq!(invite["type"], "invite");
    assert_eq!(invite["groups"], json!([]));
    assert_eq!(invite["email"].as_str().map(str::to_lowercase).as_deref(), Some("bob@example.com"));
    let (created, expires) = (invite["createdAt"].as_str().unwrap(), invite["expiresAt"].as_str().unwrap());
    assert!(created.ends_with('Z') && created.contains('.'), "RFC 3339 UTC with milliseconds: {created}");
    assert!(expires > created, "{invite}");
    let id = invite["id"].as_str().unwrap().to_string();
    let token = invite["token"].as_str().unwrap().to_string();

    // Refused creations change nothing.
    let (status, body) = admin.send_json("POST", "/api/users/invite", json!({"email": "x@example.com"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a missing role: {body}");
    assert!(body["code"] == "invalid_input" || body["code"] == "invalid_json", "{body}");
    assert_error(&admin.send_json("POST", "/api/users/invite", json!({"role": "owner"})).await, 400, "invalid_input");
    let with_group = json!({"role": "member", "groupIds": ["01890a5d-ac96-774b-bcce-b302099a8057"]});
    assert_error(&admin.send_json("POST", "/api/users/invite", with_group).await, 400, "unknown_group");

    let (status, list) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap_or_else(|| panic!("not an array: {list}")).clone();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["status"], "pending");
    assert_eq!(list[0]["type"], "invite");
    assert_eq!(list[0]["role"], "member");
    assert!(list[0].get("token").is_none(), "a listed invite must never carry its token: {}", list[0]);
    assert!(!serde_json::to_string(&list).unwrap().contains(&token));

    // Members and anonymous callers can do none of it.
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    assert_error(&member.send_json("POST", "/api/users/invite", json!({"role": "admin"})).await, 403, "admin_required");
    assert_error(&member.send_json("GET", "/api/users/invites", Value::Null).await, 403, "admin_required");
    assert_error(
        &member.send_json("DELETE", &format!("/api/users/invites/{id}"), Value::Null).await,
        403,
        "admin_required",
    );
    let anonymous = server.browser();
    assert_error(
        &anonymous.send_json("POST", "/api/users/invite", json!({"role": "admin"})).await,
        401,
        "not_authenticated",
    );
    assert_error(&anonymous.send_json("GET", "/api/users/invites", Value::Null).await, 401, "not_authenticated");
    assert_eq!(invite_status(&admin, &id).await, json!("pending"));

    assert_error(
        &admin.send_json("DELETE", "/api/users/invites/01890a5d-ac96-774b-bcce-b302099a8057", Value::Null).await,
        404,
        "invite_not_found",
    );
    assert_error(&admin.send_json("DELETE", "/api/users/invites/nope", Value::Null).await, 400, "invalid_id");
    let (status, body) = admin.send_json("DELETE", &format!("/api/users/invites/{id}"), Value::Null).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    assert_eq!(invite_status(&admin, &id).await, Value::Null, "a revoked invite is gone from the list");

    let claim = json!({"token": token, "name": "Bob", "password": PASSWORD});
    assert_error(&server.browser().send_json("POST", "/api/invite/claim", claim).await, 400, "invalid_token");
    assert_error(
        &server
            .browser()
            .send_json("POST", "/api/auth/login", json!({"email": "bob@example.com", "password": PASSWORD}))
            .await,
        401,
        "invalid_credentials",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invite_is_claimed_once_into_an_account_with_its_role() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (id, token) = invite(&admin, json!({"role": "admin", "email": "carol@example.com"})).await;
    let public = server.browser();

    let unknown = json!({"token": "0".repeat(64), "name": "Carol", "password": PASSWORD});
    assert_error(&public.send_json("POST", "/api/invite/claim", unknown).await, 400, "invalid_token");
    let weak = json!({"token": token, "name": "Carol", "password": "12345678"});
    assert_error(&public.send_json("POST", "/api/invite/claim", weak).await, 400, "weak_password");
    assert_eq!(invite_status(&admin, &id).await, json!("pending"), "a refused claim leaves the invite usable");

    let claim = json!({"token": token, "name": "Carol", "password": PASSWORD});
    let (status, body) = public.send_json("POST", "/api/invite/claim", claim.clone()).await;
    assert_eq!((status, body), (StatusCode::CREATED, json!({"success": true})));
    assert_eq!(invite_status(&admin, &id).await, json!("claimed"));

    let carol = server.login("carol@example.com", PASSWORD).await;
    let (_, me) = carol.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!((me["name"].clone(), me["role"].clone()), (json!("Carol"), json!("admin")), "{me}");
    assert_eq!(carol.send_json("GET", "/api/users", Value::Null).await.0, StatusCode::OK, "invited as admin");

    // The same token cannot make a second account.
    let again = json!({"token": token, "name": "Mallory", "password": PASSWORD, "email": "mallory@example.com"});
    assert_error(&public.send_json("POST", "/api/invite/claim", again).await, 400, "invalid_token");
    let (_, users) = admin.send_json("GET", "/api/users", Value::Null).await;
    assert_eq!(users["total"], 2, "{users}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invite_without_an_email_asks_for_one_at_claim() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (id, token) = invite(&admin, json!({"role": "member"})).await;
    let public = server.browser();

    let no_email = json!({"token": token, "name": "Dan", "password": PASSWORD});
    assert_error(&public.send_json("POST", "/api/invite/claim", no_email).await, 400, "invalid_input");
    let bad_email = json!({"token": token, "name": "Dan", "password": PASSWORD, "email": "dan-at-example"});
    assert_error(&public.send_json("POST", "/api/invite/claim", bad_email).await, 400, "invalid_input");
    let taken =
        json!({"token": token, "name": "Dan", "password": "another long passphrase", "email": "admin@example.com"});
    let (status, body) = public.send_json("POST", "/api/invite/claim", taken).await;
    assert_eq!(status, StatusCode::CONFLICT, "an existing account's email cannot be claimed again: {body}");
    server.login("admin@example.com", PASSWORD).await;
    assert_eq!(invite_status(&admin, &id).await, json!("pending"));

    let claim = json!({"token": token, "name": "Dan", "password": PASSWORD, "email": "dan@example.com"});
    assert_eq!(public.send_json("POST", "/api/invite/claim", claim).await.0, StatusCode::CREATED);
    let dan = server.login("dan@example.com", PASSWORD).await;
    assert_eq!(dan.send_json("GET", "/api/auth/me", Value::Null).await.1["role"], "member");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_claim_replaces_the_password_and_ends_every_session() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, first) = server.create_member(&admin, "m@example.com").await;
    let second = server.login("m@example.com", PASSWORD).await;

    let (status, body) = admin.send_json("POST", &format!("/api/users/{member_id}/reset"), Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap().to_string();

    let weak = json!({"token": token, "name": "M", "password": "short"});
    assert_error(&server.browser().send_json("POST", "/api/invite/claim", weak).await, 400, "weak_password");
    assert_eq!(
        first.send_json("GET", "/api/auth/me", Value::Null).await.0,
        StatusCode::OK,
        "a refused reset changes nothing"
    );

    let claim = json!({"token": token, "name": "M", "password": NEW_PASSWORD});
    let (status, body) = server.browser().send_json("POST", "/api/invite/claim", claim.clone()).await;
    assert_eq!((status, body), (StatusCode::CREATED, json!({"success": true})));

    assert_error(&first.send_json("GET", "/api/auth/me", Value::Null).await, 401, "not_authenticated");
    assert_error(&second.send_json("GET", "/api/auth/me", Value::Null).await, 401, "not_authenticated");
    let old = server
        .browser()
        .send_json("POST", "/api/auth/login", json!({"email": "m@example.com", "password": PASSWORD}))
        .await;
    assert_error(&old, 401, "invalid_credentials");
    let fresh = server.login("m@example.com", NEW_PASSWORD).await;
    let (_, me) = fresh.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!((me["id"].clone(), me["role"].clone()), (json!(member_id), json!("member")), "same account: {me}");
    assert_eq!(admin.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK, "other users keep theirs");

    let reuse = json!({"token": token, "name": "M", "password": "yet another passphrase"});
    assert_error(&server.browser().send_json("POST", "/api/invite/claim", reuse).await, 400, "invalid_token");
    server.login("m@example.com", NEW_PASSWORD).await;
}

/// Creates an invite and returns its id and token.
async fn invite(admin: &Browser, body: Value) -> (String, String) {
    let (status, invite) = admin.send_json("POST", "/api/users/invite", body).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    (invite["id"].as_str().unwrap().to_string(), invite["token"].as_str().unwrap().to_string())
}

/// The listed status of one invite, or null when it is not listed.
async fn invite_status(admin: &Browser, id: &str) -> Value {
    let (status, list) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap_or_else(|| panic!("not an array: {list}"));
    list.iter().find(|i| i["id"] == id).map(|i| i["status"].clone()).unwrap_or(Value::Null)
}
