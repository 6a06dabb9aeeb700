//! Admin management of users: listing with paging, deactivation and reactivation, role changes
//! that take effect at once, and the rules that keep at least one admin.

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

const UNKNOWN_ID: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

#[tokio::test(flavor = "multi_thread")]
async fn admins_list_users_page_by_page_and_others_cannot() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;

    let (status, list) = admin.send_json("GET", "/api/users", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 2, "{list}");
    assert_eq!(list["page"], 1, "{list}");
    let users = list["users"].as_array().unwrap();
    assert_eq!(users.len(), 2, "{list}");
    let m = users.iter().find(|u| u["id"] == member_id.as_str()).unwrap_or_else(|| panic!("member missing: {list}"));
    assert_eq!(m["email"], "m@example.com");
    assert_eq!(m["role"], "member");
    assert_eq!(m["banned"], false);
    assert_eq!(m["groups"], json!([]));
    assert!(m["name"].is_string() && m["createdAt"].is_string(), "{m}");
    assert!(m.get("passwordHash").is_none() && m.get("password_hash").is_none(), "{m}");

    let (_, first) = admin.send_json("GET", "/api/users?page=1&limit=1", Value::Null).await;
    let (_, second) = admin.send_json("GET", "/api/users?page=2&limit=1", Value::Null).await;
    assert_eq!((first["total"].clone(), first["limit"].clone()), (json!(2), json!(1)), "{first}");
    assert_eq!(first["users"].as_array().map(Vec::len), Some(1), "{first}");
    assert_eq!(second["users"].as_array().map(Vec::len), Some(1), "{second}");
    assert_ne!(first["users"][0]["id"], second["users"][0]["id"], "pages must not overlap");

    assert_error(&member.send_json("GET", "/api/users", Value::Null).await, 403, "admin_required");
    assert_error(&server.browser().send_json("GET", "/api/users", Value::Null).await, 401, "not_authenticated");
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivation_bans_ends_sessions_at_once_and_reactivation_undoes_it() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    let (_, other) = server.create_member(&admin, "o@example.com").await;
    let admin_id = me_id(&admin).await;

    // Refused: a member, the admin on themself, an unknown id, a malformed id.
    assert_error(
        &other.send_json("DELETE", &format!("/api/users/{member_id}"), Value::Null).await,
        403,
        "admin_required",
    );
    assert_error(&admin.send_json("DELETE", &format!("/api/users/{admin_id}"), Value::Null).await, 400, "self_action");
    assert_error(
        &admin.send_json("DELETE", &format!("/api/users/{UNKNOWN_ID}"), Value::Null).await,
        404,
        "user_not_found",
    );
    assert_error(&admin.send_json("DELETE", "/api/users/not-a-uuid", Value::Null).await, 400, "invalid_id");
    assert_eq!(
        banned_flags(&admin).await,
        json!({"admin@example.com": false, "m@example.com": false, "o@example.com": false})
    );
    assert_eq!(member.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK);

    let (status, body) = admin.send_json("DELETE", &format!("/api/users/{member_id}"), Value::Null).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    assert_error(&member.send_json("GET", "/api/auth/me", Value::Null).await, 401, "not_authenticated");
    assert_eq!(banned_flags(&admin).await["m@example.com"], true);
    let login = server
        .browser()
        .send_json("POST", "/api/auth/login", json!({"email": "m@example.com", "password": PASSWORD}))
        .await;
    assert_error(&login, 401, "invalid_credentials");
    assert_eq!(
        other.send_json("GET", "/api/auth/me", Value::Null).await.0,
        StatusCode::OK,
        "others keep their sessions"
    );

    assert_error(
        &other.send_json("POST", &format!("/api/users/{member_id}/reactivate"), Value::Null).await,
        403,
        "admin_required",
    );
    let (status, body) = admin.send_json("POST", &format!("/api/users/{member_id}/reactivate"), Value::Null).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    assert_eq!(banned_flags(&admin).await["m@example.com"], false);
    assert_error(&member.send_json("GET", "/api/auth/me", Value::Null).await, 401, "not_authenticated");
    server.login("m@example.com", PASSWORD).await;

    assert_error(
        &admin.send_json("POST", &format!("/api/users/{member_id}/reactivate"), Value::Null).await,
        404,
        "user_not_deactivated",
    );
    assert_error(
        &admin.send_json("POST", &format!("/api/users/{UNKNOWN_ID}/reactivate"), Value::Null).await,
        404,
        "user_not_found",
    );
    assert_error(&admin.send_json("POST", "/api/users/123/reactivate", Value::Null).await, 400, "invalid_id");
}

#[tokio::test(flavor = "multi_thread")]
async fn role_changes_take_effect_on_the_next_request() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    let admin_id = me_id(&admin).await;
    let path = format!("/api/users/{member_id}");

    assert_error(&member.send_json("PATCH", &path, json!({"role": "admin"})).await, 403, "admin_required");
    assert_error(&admin.send_json("PATCH", &path, json!({"role": "owner"})).await, 400, "invalid_input");
    assert_error(&admin.send_json("PATCH", &path, json!({})).await, 400, "invalid_input");
    assert_error(
        &admin.send_json("PATCH", &format!("/api/users/{admin_id}"), json!({"role": "member"})).await,
        400,
        "self_action",
    );
    assert_error(
        &admin.send_json("PATCH", &format!("/api/users/{UNKNOWN_ID}"), json!({"role": "admin"})).await,
        404,
        "user_not_found",
    );
    assert_error(&admin.send_json("PATCH", "/api/users/xyz", json!({"role": "admin"})).await, 400, "invalid_id");
    assert_eq!(roles(&admin).await, json!({"admin@example.com": "admin", "m@example.com": "member"}));
    assert_error(&member.send_json("GET", "/api/users", Value::Null).await, 403, "admin_required");

    let (status, body) = admin.send_json("PATCH", &path, json!({"role": "admin"})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    let (status, list) = member.send_json("GET", "/api/users", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "a promoted member is an admin on the same session: {list}");
    let (_, me) = member.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!(me["role"], "admin");

    // The new admin demotes the original one, who loses admin rights on the very next request.
    let (status, _) = member.send_json("PATCH", &format!("/api/users/{admin_id}"), json!({"role": "member"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_error(&admin.send_json("GET", "/api/users", Value::Null).await, 403, "admin_required");
    assert_eq!(roles(&member).await, json!({"admin@example.com": "member", "m@example.com": "admin"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let server = TestServer::start().await;
    let a = server.setup_admin().await;
    let (b_id, b) = server.create_user(&a, "b@example.com", "admin").await;
    let a_id = me_id(&a).await;
    let (a_path, b_path) = (format!("/api/users/{a_id}"), format!("/api/users/{b_id}"));
    for round in 0..5 {
        let demote_b = a.send_json("PATCH", &b_path, json!({"role": "member"}));
        let demote_a = b.send_json("PATCH", &a_path, json!({"role": "member"}));
        let (ra, rb) = tokio::join!(demote_b, demote_a);
        let mut outcomes = [ra.0.as_u16(), rb.0.as_u16()];
        outcomes.sort_unstable();
        // Read through whichever of the two is still an admin.
        let mut seen = roles(&a).await;
        if seen.is_null() {
            seen = roles(&b).await;
        }
        assert!(!seen.is_null(), "round {round}: no admin left after {ra:?} and {rb:?}");
        let admins = seen.as_object().unwrap().values().filter(|r| *r == "admin").count();
        assert_eq!(admins, 1, "round {round}: {seen} after {ra:?} and {rb:?}");
        assert_eq!(outcomes[0], 200, "round {round}: one demotion must win: {ra:?} {rb:?}");
        assert!(outcomes[1] == 400 || outcomes[1] == 403, "round {round}: the other must be refused: {ra:?} {rb:?}");
        for (status, body) in [&ra, &rb] {
            if status.as_u16() == 400 {
                assert_eq!(body["code"], "last_admin", "{body}");
            }
        }
        // Whoever is still admin promotes the other back for the next round.
        let (winner, loser_id) = if seen["admin@example.com"] == "admin" { (&a, &b_id) } else { (&b, &a_id) };
        let (status, _) = winner.send_json("PATCH", &format!("/api/users/{loser_id}"), json!({"role": "admin"})).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_tokens_are_issued_by_admins_for_existing_users() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;

    assert_error(
        &member.send_json("POST", &format!("/api/users/{member_id}/reset"), Value::Null).await,
        403,
        "admin_required",
    );
    assert_error(
        &server.browser().send_json("POST", &format!("/api/users/{member_id}/reset"), Value::Null).await,
        401,
        "not_authenticated",
    );
    assert_error(
        &admin.send_json("POST", &format!("/api/users/{UNKNOWN_ID}/reset"), Value::Null).await,
        404,
        "user_not_found",
    );
    assert_error(&admin.send_json("POST", "/api/users/nope/reset", Value::Null).await, 400, "invalid_id");

    let (status, body) = admin.send_json("POST", &format!("/api/users/{member_id}/reset"), Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["token"].as_str().is_some_and(|t| t.len() >= 32), "{body}");
    // Issuing a reset changes nothing by itself: the member's session and password still work.
    assert_eq!(member.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK);
    server.login("m@example.com", PASSWORD).await;
}

async fn me_id(browser: &pincer_testkit::server::Browser) -> String {
    let (status, me) = browser.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me["id"].as_str().unwrap().to_string()
}

/// `{email: banned}` for every user, read through the admin API.
async fn banned_flags(admin: &pincer_testkit::server::Browser) -> Value {
    by_email(admin, "banned").await
}

/// `{email: role}` for every user, read through the admin API.
async fn roles(admin: &pincer_testkit::server::Browser) -> Value {
    by_email(admin, "role").await
}

async fn by_email(admin: &pincer_testkit::server::Browser, field: &str) -> Value {
    let (status, list) = admin.send_json("GET", "/api/users?limit=100", Value::Null).await;
    if status != StatusCode::OK {
        return Value::Null;
    }
    let users = list["users"].as_array().unwrap_or_else(|| panic!("no users array: {list}"));
    users.iter().map(|u| (u["email"].as_str().unwrap().to_string(), u[field].clone())).collect()
}
