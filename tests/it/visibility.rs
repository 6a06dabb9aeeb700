//! Agent visibility through the binary: with a licence an admin restricts a shared agent to
//! groups; then admins and the members of its groups see it and chat with it, a member outside
//! them gets 404 over REST and `agent_not_found` over the WebSocket — and their open sockets
//! stop receiving its frames at once, whether the agent was restricted or they left the group.
//! Without a licence `restricted` acts as `all` and the setting is kept. Invites put their new
//! accounts in groups. Changes are audited.

use pincer_testkit::licence::TestVendor;
use pincer_testkit::server::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::chat_errors::{personal_agent, shared_agent, with_openai_env};
use crate::support::{assert_error, execute};
use crate::ws::ChatSocket;

async fn agent_ids(browser: &Browser) -> Vec<String> {
    let (status, agents) = browser.send_json("GET", "/api/agents", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{agents}");
    agents.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect()
}

/// Whether `browser` sees the agent, checked on both REST routes (which must agree).
async fn sees(browser: &Browser, agent: &str) -> bool {
    let listed = agent_ids(browser).await.iter().any(|id| id == agent);
    let (status, body) = browser.send_json("GET", &format!("/api/agents/{agent}"), Value::Null).await;
    match status {
        StatusCode::OK => assert!(listed, "GET one and the list disagree"),
        StatusCode::NOT_FOUND => {
            assert!(!listed, "GET one and the list disagree");
            assert_eq!(body["code"], "agent_not_found");
        }
        other => panic!("unexpected {other}: {body}"),
    }
    listed
}

/// The next error frame's code, skipping anything else the socket was sent.
async fn next_error(ws: &mut ChatSocket) -> Value {
    ws.until("error").await.pop().unwrap()
}

async fn audit_count(admin: &Browser, event: &str) -> u64 {
    let (_, audit) = admin.send_json("GET", &format!("/api/audit?eventType={event}"), Value::Null).await;
    audit["total"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_visibility_matrix_over_rest_and_the_websocket() {
    let vendor = TestVendor::new();
    let p = with_openai_env(&[("PINCER_LICENSE_KEYS", &vendor.public_hex())]).await;
    let admin = &p.admin;
    let agent = shared_agent(&p, &[]).await;
    let path = format!("/api/agents/{agent}");
    let (insider_id, insider) = p.server.create_member(admin, "in@example.com").await;
    let (_, outsider) = p.server.create_member(admin, "out@example.com").await;

    // Without a licence nothing can be restricted.
    let restrict = json!({"visibility": "restricted"});
    assert_error(&admin.send_json("PATCH", &path, restrict.clone()).await, 403, "enterprise_required");
    let key = vendor.licence("Acme", "paid", 30, 0);
    assert_eq!(admin.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await.0, StatusCode::OK);
    let (_, eng) = admin.send_json("POST", "/api/groups", json!({"name": "Engineering"})).await;
    let eng = eng["id"].as_str().unwrap().to_string();
    let members = format!("/api/groups/{eng}/members");
    assert_eq!(admin.send_json("PUT", &members, json!({"userIds": [insider_id]})).await.0, StatusCode::OK);

    // Every member sees a shared agent until it is restricted; the outsider follows it.
    assert!(sees(&insider, &agent).await && sees(&outsider, &agent).await);
    let mut outsider_ws = ChatSocket::open(&outsider).await;
    outsider_ws.history(&agent).await;
    assert_eq!(outsider_ws.next().await["type"], "history");

    // Only admins restrict, only to groups that exist, never a personal agent.
    assert_error(&insider.send_json("PATCH", &path, restrict.clone()).await, 403, "admin_required");
    assert_error(&admin.send_json("PATCH", &path, json!({"visibility": "private"})).await, 400, "invalid_input");
    let stray = json!({"visibility": "restricted", "groupIds": ["01900000-0000-7000-8000-0000000000ff"]});
    assert_error(&admin.send_json("PATCH", &path, stray).await, 400, "unknown_group");
    assert_error(&admin.send_json("PATCH", &path, json!({"groupIds": ["nope"]})).await, 400, "unknown_group");
    let own = personal_agent(&insider).await;
    let own_path = format!("/api/agents/{own}");
    assert_error(&insider.send_json("PATCH", &own_path, restrict.clone()).await, 403, "admin_required");
    assert_eq!(audit_count(admin, "agent.visibility_changed").await, 0, "refusals change nothing");

    let (status, body) =
        admin.send_json("PATCH", &path, json!({"visibility": "restricted", "groupIds": [eng, eng]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((&body["visibility"], &body["groupIds"]), (&json!("restricted"), &json!([eng])));
    assert_eq!(audit_count(admin, "agent.visibility_changed").await, 1);

    // The outsider's open socket is told at once and follows the agent no more.
    let lost = next_error(&mut outsider_ws).await;
    assert_eq!((&lost["code"], &lost["agentId"]), (&json!("agent_not_found"), &json!(agent)), "{lost}");
    p.fake.clear_requests();
    outsider_ws.message(&agent, "let me in").await;
    assert_eq!(next_error(&mut outsider_ws).await["code"], "agent_not_found");
    outsider_ws.history(&agent).await;
    assert_eq!(next_error(&mut outsider_ws).await["code"], "agent_not_found");
    assert!(p.fake.chat_requests().is_empty(), "the outsider's turn never reached the model");

    // REST: admins and the group's members see it; the outsider gets 404 everywhere.
    assert!(sees(admin, &agent).await && sees(&insider, &agent).await);
    assert!(!sees(&outsider, &agent).await);
    assert_error(&outsider.send_json("PATCH", &path, json!({"name": "Mine"})).await, 404, "agent_not_found");
    let (_, listed) = admin.send_json("GET", &path, Value::Null).await;
    assert_eq!(listed["groupIds"], json!([eng]));

    // The insider chats with it; leaving the group cuts their socket off the agent.
    let mut insider_ws = ChatSocket::open(&insider).await;
    insider_ws.message(&agent, "hello").await;
    let frames = insider_ws.until("complete").await;
    assert!(frames.iter().all(|f| f["type"] != "error"), "{frames:?}");
    assert_eq!(admin.send_json("PUT", &members, json!({"userIds": []})).await.0, StatusCode::OK);
    let lost = next_error(&mut insider_ws).await;
    assert_eq!((&lost["code"], &lost["agentId"]), (&json!("agent_not_found"), &json!(agent)), "{lost}");
    assert!(!sees(&insider, &agent).await);

    // Restricted to no group: admins only. Opening it again needs no licence check and tells nobody off.
    assert!(sees(admin, &agent).await);
    let (status, body) = admin.send_json("PATCH", &path, json!({"visibility": "all", "groupIds": []})).await;
    assert_eq!((status, &body["visibility"]), (StatusCode::OK, &json!("all")), "{body}");
    assert!(sees(&outsider, &agent).await && sees(&insider, &agent).await);
    assert_eq!(audit_count(admin, "agent.visibility_changed").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_licence_restricted_acts_as_all_and_is_kept() {
    let vendor = TestVendor::new();
    let mut p = with_openai_env(&[("PINCER_LICENSE_KEYS", &vendor.public_hex())]).await;
    let agent = shared_agent(&p, &[]).await;
    let (_, member) = p.server.create_member(&p.admin, "m@example.com").await;
    let key = vendor.licence("Acme", "paid", 30, 0);
    assert_eq!(p.admin.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await.0, StatusCode::OK);
    let path = format!("/api/agents/{agent}");
    let (status, body) = p.admin.send_json("PATCH", &path, json!({"visibility": "restricted"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!sees(&member, &agent).await);

    // The licence goes (its stored copy removed while the server is down).
    p.server.stop().await;
    execute(p.server.database(), "DELETE FROM settings WHERE key = 'enterprise.license'");
    p.server.start_again().await;
    let admin = p.server.login("admin@example.com", pincer_testkit::server::PASSWORD).await;
    let member = p.server.login("m@example.com", pincer_testkit::server::PASSWORD).await;
    assert!(sees(&member, &agent).await, "restricted acts as all without a licence");
    let (_, shown) = admin.send_json("GET", &path, Value::Null).await;
    assert_eq!(shown["visibility"], "restricted", "the setting is kept for when a licence returns");
    let mut ws = ChatSocket::open(&member).await;
    ws.message(&agent, "hello").await;
    let frames = ws.until("complete").await;
    assert!(frames.iter().all(|f| f["type"] != "error"), "{frames:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invite_puts_its_new_account_in_its_groups() {
    let vendor = TestVendor::new();
    let server = pincer_testkit::TestServer::builder().env("PINCER_LICENSE_KEYS", &vendor.public_hex()).start().await;
    let admin = server.setup_admin().await;
    let some_group = "01900000-0000-7000-8000-0000000000ff";
    let invite = |groups: Value| json!({"role": "member", "email": "new@example.com", "groupIds": groups});
    assert_error(
        &admin.send_json("POST", "/api/users/invite", invite(json!([some_group]))).await,
        403,
        "enterprise_required",
    );

    let key = vendor.licence("Acme", "paid", 30, 0);
    assert_eq!(admin.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await.0, StatusCode::OK);
    let (_, eng) = admin.send_json("POST", "/api/groups", json!({"name": "Engineering"})).await;
    let (_, ops) = admin.send_json("POST", "/api/groups", json!({"name": "Ops"})).await;
    let (eng, ops) = (eng["id"].as_str().unwrap().to_string(), ops["id"].as_str().unwrap().to_string());
    assert_error(
        &admin.send_json("POST", "/api/users/invite", invite(json!([some_group]))).await,
        400,
        "unknown_group",
    );
    assert_error(&admin.send_json("POST", "/api/users/invite", invite(json!(["nope"]))).await, 400, "unknown_group");
    let (_, listed) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    assert_eq!(listed, json!([]), "refused invites are not kept");

    let (status, created) = admin.send_json("POST", "/api/users/invite", invite(json!([eng, ops]))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let mut names: Vec<&str> =
        created["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Engineering", "Ops"], "{created}");
    let (_, audit) = admin.send_json("GET", "/api/audit?eventType=user.invited", Value::Null).await;
    assert_eq!(audit["entries"][0]["detail"]["groupIds"].as_array().map(Vec::len), Some(2), "{audit}");

    // A group deleted before the claim drops out; the rest are joined when the invite is claimed.
    assert_eq!(admin.send_json("DELETE", &format!("/api/groups/{ops}"), Value::Null).await.0, StatusCode::OK);
    let (_, listed) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    assert_eq!(listed[0]["groups"], json!([{"id": eng, "name": "Engineering"}]), "{listed}");
    let token = created["token"].as_str().unwrap();
    let claim = json!({"token": token, "name": "New", "password": pincer_testkit::server::PASSWORD});
    assert_eq!(server.browser().send_json("POST", "/api/invite/claim", claim).await.0, StatusCode::CREATED);
    let (_, users) = admin.send_json("GET", "/api/users", Value::Null).await;
    let newcomer = users["users"].as_array().unwrap().iter().find(|u| u["email"] == "new@example.com").unwrap();
    assert_eq!(newcomer["groups"], json!([{"id": eng, "name": "Engineering"}]), "{users}");
}
