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
    assert_eq!(list["limit"], 50, "the default limit: {list}");
    let users = list["users"].as_array().unwrap();
    assert_eq!(users.len(), 2, "{list}");
    // Ordered by creation: the setup admin first.
    assert_eq!(users[0]["email"], "admin@example.com", "{list}");
    assert_eq!((users[0]["role"].clone(), users[0]["name"].clone()), (json!("admin"), json!("Admin")), "{list}");
    for user in users {
        let mut keys: Vec<&str> = user.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["banned", "createdAt", "email", "groups", "id", "name", "role"], "{user}");
        assert_eq!(user["id"].as_str().map(str::len), Some(36), "a UUID string: {user}");
        let created = user["createdAt"].as_str().unwrap();
        assert!(created.len() == 24 && created.ends_with('Z') && created.as_bytes()[19] == b'.', "{created}");
    }
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
    assert_eq!(second["page"], 2, "{second}");
    assert_eq!(second["users"][0]["id"], member_id.as_str(), "page 2 of 1 holds the second user: {second}");
    let (status, past) = admin.send_json("GET", "/api/users?page=3&limit=1", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{past}");
    assert_eq!((past["users"].clone(), past["total"].clone()), (json!([]), json!(2)), "{past}");
    let (status, most) = admin.send_json("GET", "/api/users?limit=100", Value::Null).await;
    assert_eq!((status, most["limit"].clone()), (StatusCode::OK, json!(100)), "{most}");

    assert_error(&member.send_json("GET", "/api/users", Value::Null).await, 403, "admin_required");
    assert_error(&server.browser().send_json("GET", "/api/users", Value::Null).await, 401, "not_authenticated");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_paging_is_refused_not_clamped() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    for query in [
        "page=0",
        "page=-1",
        "page=abc",
        "page=1.5",
        "page=",
        "limit=101",
        "limit=0",
        "limit=-5",
        "limit=ten",
        "page=2&limit=1000",
    ] {
        let got = admin.send_json("GET", &format!("/api/users?{query}"), Value::Null).await;
        assert_error(&got, 400, "invalid_query");
        assert!(got.1.get("users").is_none(), "{query}: a refused query lists nothing: {}", got.1);
    }
    let (status, list) = admin.send_json("GET", "/api/users", Value::Null).await;
    assert_eq!((status, list["total"].clone()), (StatusCode::OK, json!(1)), "{list}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_admin_route_refuses_members_and_anonymous_callers_and_changes_nothing() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let admin_id = me_id(&admin).await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    let (status, invite) = admin.send_json("POST", "/api/users/invite", json!({"role": "member"})).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let invite_id = invite["id"].as_str().unwrap().to_string();
    let invites_before = admin.send_json("GET", "/api/users/invites", Value::Null).await.1;
    let users_before = admin.send_json("GET", "/api/users", Value::Null).await.1;

    let routes: Vec<(&str, String, Value)> = vec![
        ("GET", "/api/users".into(), Value::Null),
        ("GET", "/api/users?page=1&limit=1".into(), Value::Null),
        ("DELETE", format!("/api/users/{admin_id}"), Value::Null),
        ("DELETE", format!("/api/users/{member_id}"), Value::Null),
        ("PATCH", format!("/api/users/{admin_id}"), json!({"role": "member"})),
        ("PATCH", format!("/api/users/{member_id}"), json!({"role": "admin"})),
        ("POST", format!("/api/users/{admin_id}/reactivate"), Value::Null),
        ("POST", format!("/api/users/{admin_id}/reset"), Value::Null),
        ("POST", format!("/api/users/{member_id}/reset"), Value::Null),
        ("POST", "/api/users/invite".into(), json!({"role": "admin", "email": "eve@example.com"})),
        ("GET", "/api/users/invites".into(), Value::Null),
        ("DELETE", format!("/api/users/invites/{invite_id}"), Value::Null),
    ];
    let anonymous = server.browser();
    for (method, path, body) in &routes {
        let as_member = member.send_json(method, path, body.clone()).await;
        assert_eq!(as_member.0, StatusCode::FORBIDDEN, "{method} {path} as a member: {}", as_member.1);
        assert_error(&as_member, 403, "admin_required");
        let as_nobody = anonymous.send_json(method, path, body.clone()).await;
        assert_eq!(as_nobody.0, StatusCode::UNAUTHORIZED, "{method} {path} anonymously: {}", as_nobody.1);
        assert_error(&as_nobody, 401, "not_authenticated");
        let forged = bearer(&server, &"0".repeat(64), method, path.clone(), body.clone()).await;
        assert_error(&forged, 401, "not_authenticated");
    }

    // Nothing changed: same users, roles and flags, same invites (no reset issued, none revoked),
    // and both accounts keep their sessions and passwords.
    assert_eq!(admin.send_json("GET", "/api/users", Value::Null).await.1, users_before);
    assert_eq!(admin.send_json("GET", "/api/users/invites", Value::Null).await.1, invites_before);
    assert_eq!(invites_before.as_array().map(Vec::len), Some(2), "the member's invite and this one: {invites_before}");
    let (_, me) = member.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!(me["role"], "member", "{me}");
    server.login("m@example.com", PASSWORD).await;
    server.login("admin@example.com", PASSWORD).await;
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
async fn a_demoted_admin_loses_admin_rights_on_their_existing_session() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    let token = member.session_token().expect("the member's session cookie");
    let path = format!("/api/users/{member_id}");

    assert_eq!(admin.send_json("PATCH", &path, json!({"role": "admin"})).await.0, StatusCode::OK);
    assert_eq!(member.send_json("GET", "/api/users", Value::Null).await.0, StatusCode::OK);
    let (status, body) = admin.send_json("PATCH", &path, json!({"role": "member"})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));

    assert_error(&member.send_json("GET", "/api/users", Value::Null).await, 403, "admin_required");
    assert_error(&member.send_json("POST", "/api/users/invite", json!({"role": "admin"})).await, 403, "admin_required");
    let bearer = server.client().get(server.url("/api/users")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(bearer.status(), StatusCode::FORBIDDEN, "the same session presented as a bearer token");
    // Demotion is not a logout: the session lives on, as a member.
    let (status, me) = member.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!((status, me["role"].clone()), (StatusCode::OK, json!("member")), "{me}");
    assert_eq!(roles(&admin).await, json!({"admin@example.com": "admin", "m@example.com": "member"}));
    let (_, invites) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    assert_eq!(invites.as_array().map(Vec::len), Some(1), "the refused invite was not created: {invites}");
}

/// Within one replica an admin cannot demote or deactivate themself, and any other caller who
/// passes the admin check is itself an active admin, so `last_admin` is reachable only when the
/// caller's admin check is out of date. Two replicas on one database give exactly that: each keeps
/// its own session cache. On SQLite (no event bus between processes) replica two's entry lags the
/// change by up to 30 seconds (`session_cache::MAX_AGE_MS`) and the store's guard is what refuses;
/// on PostgreSQL the change reaches replica two on the event bus within milliseconds, so it may
/// already refuse at the admin check — or, if the request is faster than the event, the store's
/// guard does. Refused either way, and nothing changes.
/// The refusal of a stale admin's attempt: by the store's guard (`last_admin`) on SQLite; on
/// PostgreSQL by the guard or, once the event arrived, by the admin check or a revoked session.
fn assert_refused(got: &(StatusCode, Value), server: &TestServer) {
    if server.database().is_postgres() && got.0 != StatusCode::BAD_REQUEST {
        let code = got.1["code"].as_str().unwrap_or_default();
        assert!(matches!(code, "admin_required" | "not_authenticated"), "unexpected refusal: {got:?}");
    } else {
        assert_error(got, 400, "last_admin");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_admin_on_another_replica_cannot_remove_the_last_active_admin() {
    let one = TestServer::start().await;
    let a = one.setup_admin().await;
    let a_id = me_id(&a).await;
    let (b_id, b_on_one) = one.create_user(&a, "b@example.com", "admin").await;
    let b_token = b_on_one.session_token().expect("b's session cookie");
    let data_dir = one.data_dir().to_str().unwrap().to_string();
    let two = TestServer::builder()
        .env("PINCER_DATABASE_URL", one.database().url())
        .env("PINCER_DATA_DIR", &data_dir)
        .start()
        .await;
    let b_on_two = |method: &'static str, path: String, body: Value| bearer(&two, &b_token, method, path, body);

    // Replica two now knows B as an admin.
    assert_eq!(b_on_two("GET", "/api/users".into(), Value::Null).await.0, StatusCode::OK);

    // A demotes B on replica one; B, still an admin as far as replica two remembers, tries to demote A.
    assert_eq!(a.send_json("PATCH", &format!("/api/users/{b_id}"), json!({"role": "member"})).await.0, StatusCode::OK);
    assert_error(&b_on_one.send_json("GET", "/api/users", Value::Null).await, 403, "admin_required");
    let refused = b_on_two("PATCH", format!("/api/users/{a_id}"), json!({"role": "member"})).await;
    assert_refused(&refused, &one);
    let refused = b_on_two("DELETE", format!("/api/users/{a_id}"), Value::Null).await;
    assert_refused(&refused, &one);
    assert_eq!(roles(&a).await, json!({"admin@example.com": "admin", "b@example.com": "member"}));
    assert_eq!(banned_flags(&a).await, json!({"admin@example.com": false, "b@example.com": false}));

    // The same with deactivation: A promotes B again, B is seen as admin on two, A deactivates B.
    assert_eq!(a.send_json("PATCH", &format!("/api/users/{b_id}"), json!({"role": "admin"})).await.0, StatusCode::OK);
    let b2 = one.login("b@example.com", PASSWORD).await.session_token().expect("b's new session");
    assert_eq!(bearer(&two, &b2, "GET", "/api/users".into(), Value::Null).await.0, StatusCode::OK);
    assert_eq!(a.send_json("DELETE", &format!("/api/users/{b_id}"), Value::Null).await.0, StatusCode::OK);
    let on_one = one.client().get(one.url("/api/auth/me")).bearer_auth(&b2).send().await.unwrap();
    assert_eq!(on_one.status(), StatusCode::UNAUTHORIZED, "on the replica that deactivated B, at once");
    assert_refused(&bearer(&two, &b2, "DELETE", format!("/api/users/{a_id}"), Value::Null).await, &one);
    assert_refused(&bearer(&two, &b2, "PATCH", format!("/api/users/{a_id}"), json!({"role": "member"})).await, &one);
    assert_eq!(roles(&a).await, json!({"admin@example.com": "admin", "b@example.com": "admin"}));
    assert_eq!(banned_flags(&a).await, json!({"admin@example.com": false, "b@example.com": true}));
    one.login("admin@example.com", PASSWORD).await;
    two.login("admin@example.com", PASSWORD).await;
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

/// Sends a request with a bearer token (no cookie, no Origin) and returns the status and JSON body.
async fn bearer(server: &TestServer, token: &str, method: &str, path: String, body: Value) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = server.client().request(method, server.url(&path)).bearer_auth(token);
    if !body.is_null() {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
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
