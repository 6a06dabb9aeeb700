//! Each audit event of docs/API.md's table that no other test produces, produced here by the real
//! action and found in `GET /api/audit` with the documented actor, resource and outcome.

use pincer_testkit::server::{Browser, PASSWORD};
use pincer_testkit::{FakeReply, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::chat_errors::{shared_agent, with_openai};
use crate::ws::ChatSocket;

const NEW_PASSWORD: &str = "another horse battery staple";

/// The entries of one event type, newest first.
async fn events(admin: &Browser, event_type: &str) -> Vec<Value> {
    let (status, page) =
        admin.send_json("GET", &format!("/api/audit?limit=100&eventType={event_type}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["entries"].as_array().unwrap().clone()
}

/// Asserts the only entry of `event_type`: by `actor` (a user id), on `resource`, with `outcome`;
/// returns it.
#[track_caller]
fn only<'a>(entries: &'a [Value], event_type: &str, actor: &str, resource: &str, outcome: &str) -> &'a Value {
    assert_eq!(entries.len(), 1, "{event_type}: {entries:?}");
    let e = &entries[0];
    assert_eq!(
        (&e["eventType"], &e["actorType"], &e["actorId"], &e["resource"], &e["outcome"]),
        (&json!(event_type), &json!("user"), &json!(actor), &json!(resource), &json!(outcome)),
        "{e}"
    );
    e
}

async fn me(browser: &Browser) -> String {
    let (_, me) = browser.send_json("GET", "/api/auth/me", Value::Null).await;
    me["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn account_lifecycle_events_name_who_did_what_to_whom() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let admin_id = me(&admin).await;
    let (member_id, _) = server.create_member(&admin, "m@example.com").await;
    let user = format!("user:{member_id}");

    // An admin issues a reset link; the member claims it.
    let (status, reset) = admin.send_json("POST", &format!("/api/users/{member_id}/reset"), Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{reset}");
    let token = reset["token"].as_str().unwrap();
    only(&events(&admin, "user.reset_created").await, "user.reset_created", &admin_id, &user, "success");
    let (status, body) = server
        .browser()
        .send_json("POST", "/api/invite/claim", json!({"token": token, "password": NEW_PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reset = events(&admin, "user.password_reset").await;
    only(&reset, "user.password_reset", &member_id, &user, "success");
    assert!(!reset[0].to_string().contains(token), "the token is not audited");

    // The member changes their password: a wrong current one first (a failure), then rightly.
    let member = server.login("m@example.com", NEW_PASSWORD).await;
    let (status, _) = member
        .send_json("POST", "/api/users/me/password", json!({"currentPassword": PASSWORD, "newPassword": PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    only(&events(&admin, "user.password_changed").await, "user.password_changed", &member_id, &user, "failure");
    let (status, body) = member
        .send_json("POST", "/api/users/me/password", json!({"currentPassword": NEW_PASSWORD, "newPassword": PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let changed = events(&admin, "user.password_changed").await;
    assert_eq!(changed.len(), 2, "{changed:?}");
    only(&changed[..1], "user.password_changed", &member_id, &user, "success");
    assert!(!changed.iter().any(|e| e.to_string().contains(PASSWORD) || e.to_string().contains(NEW_PASSWORD)));

    // The member logs out.
    let (status, _) = member.send_json("POST", "/api/auth/logout", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    only(&events(&admin, "auth.logout").await, "auth.logout", &member_id, &user, "success");

    // An invite is created and revoked.
    let (status, invite) = admin.send_json("POST", "/api/users/invite", json!({"role": "member"})).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let invite_id = invite["id"].as_str().unwrap();
    let (status, _) = admin.send_json("DELETE", &format!("/api/users/invites/{invite_id}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    only(
        &events(&admin, "user.invite_revoked").await,
        "user.invite_revoked",
        &admin_id,
        &format!("invite:{invite_id}"),
        "success",
    );

    // The admin deactivates, then reactivates the member.
    let (status, _) = admin.send_json("DELETE", &format!("/api/users/{member_id}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    only(&events(&admin, "user.deleted").await, "user.deleted", &admin_id, &user, "success");
    let (status, _) = admin.send_json("POST", &format!("/api/users/{member_id}/reactivate"), Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    only(&events(&admin, "user.reactivated").await, "user.reactivated", &admin_id, &user, "success");

    // Refused actions write no success rows: reactivating an active account, deleting oneself.
    let (status, _) = admin.send_json("POST", &format!("/api/users/{member_id}/reactivate"), Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = admin.send_json("DELETE", &format!("/api/users/{admin_id}"), Value::Null).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(events(&admin, "user.reactivated").await.len(), 1);
    assert_eq!(events(&admin, "user.deleted").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_provider_and_running_a_file_tool_are_audited() {
    let p = with_openai().await;
    let admin_id = me(&p.admin).await;
    let added = events(&p.admin, "provider.added").await;
    let entry = only(&added, "provider.added", &admin_id, "provider:openai", "success");
    assert_eq!(
        (&entry["detail"]["kind"], &entry["detail"]["isDefault"], &entry["detail"]["baseUrl"]),
        (&json!("openai"), &json!(true), &Value::Null),
        "{entry}"
    );
    let key = p.fake.api_key().unwrap();
    assert!(!entry.to_string().contains(key), "the key is never audited: {entry}");

    // A member's chat runs pinchy_ls: audited under the member, on the agent, with the path.
    let agent = shared_agent(&p, &["pinchy_ls"]).await;
    let (member_id, member) = p.server.create_member(&p.admin, "m@example.com").await;
    p.fake.push_reply(FakeReply::tool_call("pinchy_ls", json!({"path": p.hr})));
    p.fake.push_reply(FakeReply::text(&["There is a policy."]));
    let mut ws = ChatSocket::open(&member).await;
    ws.message(&agent, "what is in hr?").await;
    ws.until("complete").await;
    let listed = events(&p.admin, "tool.pinchy_ls").await;
    let entry = only(&listed, "tool.pinchy_ls", &member_id, &format!("agent:{agent}"), "success");
    assert_eq!(entry["detail"]["arguments"]["path"], p.hr.as_str(), "{entry}");
    assert_eq!(entry["detail"]["channel"], "web", "the channel the turn came through: {entry}");
    assert!(!entry.to_string().contains("what is in hr"), "chat text is never audited: {entry}");
}
