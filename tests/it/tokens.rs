//! Personal API tokens through the binary (issue #19): created in a session and shown once,
//! scoped (a missing scope is a 403 naming it, the role bounds every scope), `lastUsedAt`
//! recorded, a browser session opened with a token, revoked at once, the `default` token
//! regenerated, every token gone with a deactivated account; all audited.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

/// A request authenticated by `Authorization: Bearer` only (no cookie jar).
async fn bearer(server: &TestServer, token: &str, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = server.client().request(method, server.url(path)).bearer_auth(token);
    if !body.is_null() {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_act_within_their_scopes_and_end_when_revoked() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;

    // Created in a session, shown once.
    let (status, created) = member
        .send_json(
            "POST",
            "/api/tokens",
            json!({"name": " ci ", "scopes": ["chat", "agents:read"], "expiresInDays": 30}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("pcr_") && token.len() > 40, "{token}");
    assert_eq!((&created["name"], &created["scopes"]), (&json!("ci"), &json!(["chat", "agents:read"])));
    assert!(created["expiresAt"].is_string() && created["lastUsedAt"].is_null(), "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let (_, listed) = member.send_json("GET", "/api/tokens", Value::Null).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert!(listed[0].get("token").is_none(), "the token is never shown again: {listed}");

    for bad in [
        json!({"name": "x", "scopes": ["admin"]}),
        json!({"name": "x", "scopes": ["audit:read"]}),
        json!({"name": "x", "scopes": ["root"]}),
        json!({"name": "x", "scopes": []}),
        json!({"name": "", "scopes": ["chat"]}),
        json!({"name": "x", "scopes": ["chat"], "expiresInDays": 0}),
        json!({"name": "x", "scopes": ["chat"], "expiresInDays": 3651}),
        json!({"name": "x"}),
    ] {
        let got = member.send_json("POST", "/api/tokens", bad.clone()).await;
        assert_eq!(got.0.as_u16(), 400, "{bad} → {}", got.1);
    }

    // The token acts as the member, within its scopes and the member's role.
    let (status, agents) = bearer(&server, &token, "GET", "/api/agents", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{agents}");
    // Every route needs a scope; what no scope names needs `admin`, which a member's token lacks.
    for (method, path, body) in [
        ("GET", "/api/audit", Value::Null),
        ("GET", "/api/sessions", Value::Null),
        ("GET", "/api/memory/long_term", Value::Null),
        ("PATCH", "/api/users/me", json!({"name": "Renamed by a script"})),
        ("POST", "/api/settings/telegram", json!({"code": "ABCD-EFGH"})),
        ("GET", "/api/tokens", Value::Null),
        ("POST", "/api/tokens", json!({"name": "y", "scopes": ["chat"]})),
        ("GET", "/api/qr", Value::Null),
    ] {
        assert_error(&bearer(&server, &token, method, path, body).await, 403, "missing_scope");
    }
    let (_, me) = member.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_ne!(me["name"], "Renamed by a script", "the refused rename changed nothing");
    let (_, listed) = member.send_json("GET", "/api/tokens", Value::Null).await;
    assert!(listed[0]["lastUsedAt"].is_string(), "its use is recorded: {listed}");

    // An admin's token lacking a scope gets 403 naming it.
    let (_, narrow) =
        admin.send_json("POST", "/api/tokens", json!({"name": "read agents", "scopes": ["agents:read"]})).await;
    let narrow = narrow["token"].as_str().unwrap().to_string();
    assert_eq!(bearer(&server, &narrow, "GET", "/api/agents", Value::Null).await.0, StatusCode::OK);
    let refused = bearer(&server, &narrow, "GET", "/api/audit", Value::Null).await;
    assert_error(&refused, 403, "missing_scope");
    assert!(refused.1["error"].as_str().unwrap().contains("audit:read"), "{}", refused.1);
    assert_error(&bearer(&server, &narrow, "GET", "/api/users/invites", Value::Null).await, 403, "missing_scope");

    // Even with `admin`, a token cannot manage tokens, and it never outgrows its owner's role.
    let (second_admin_id, second_admin) = server.create_user(&admin, "a2@example.com", "admin").await;
    let (_, full) = second_admin.send_json("POST", "/api/tokens", json!({"name": "all", "scopes": ["admin"]})).await;
    let full = full["token"].as_str().unwrap().to_string();
    assert_eq!(bearer(&server, &full, "GET", "/api/users", Value::Null).await.0, StatusCode::OK);
    assert_error(&bearer(&server, &full, "GET", "/api/tokens", Value::Null).await, 403, "wrong_credential");
    let demoted = admin.send_json("PATCH", &format!("/api/users/{second_admin_id}"), json!({"role": "member"})).await;
    assert_eq!(demoted.0, StatusCode::OK, "{}", demoted.1);
    assert_error(&bearer(&server, &full, "GET", "/api/users", Value::Null).await, 403, "admin_required");

    // A browser session from a token: 12 hours, usable as a session.
    let (status, session) = bearer(&server, &token, "POST", "/api/auth/session", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let session_token = session["token"].as_str().unwrap();
    let (status, me) = bearer(&server, session_token, "GET", "/api/auth/me", Value::Null).await;
    assert_eq!((status, &me["email"]), (StatusCode::OK, &json!("m@example.com")), "{me}");
    assert_error(&member.send_json("POST", "/api/auth/session", Value::Null).await, 403, "wrong_credential");

    // Revoked: refused from the next request on.
    assert_error(&member.send_json("DELETE", "/api/tokens/not-an-id", Value::Null).await, 400, "invalid_id");
    assert_error(&admin.send_json("DELETE", &format!("/api/tokens/{id}"), Value::Null).await, 404, "token_not_found");
    assert_eq!(member.send_json("DELETE", &format!("/api/tokens/{id}"), Value::Null).await.0, StatusCode::OK);
    assert_error(&bearer(&server, &token, "GET", "/api/agents", Value::Null).await, 401, "not_authenticated");
    assert_error(&member.send_json("DELETE", &format!("/api/tokens/{id}"), Value::Null).await, 404, "token_not_found");

    // The default token: everything the role may do; regenerating revokes the previous one.
    let (status, first) = member.send_json("POST", "/api/token/regenerate", Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(
        (&first["name"], &first["scopes"]),
        (&json!("default"), &json!(["chat", "sessions", "memory", "agents:read"]))
    );
    let first = first["token"].as_str().unwrap().to_string();
    assert_eq!(bearer(&server, &first, "GET", "/api/agents", Value::Null).await.0, StatusCode::OK);
    let (_, second) = member.send_json("POST", "/api/token/regenerate", Value::Null).await;
    let second = second["token"].as_str().unwrap().to_string();
    assert_error(&bearer(&server, &first, "GET", "/api/agents", Value::Null).await, 401, "not_authenticated");
    assert_eq!(bearer(&server, &second, "GET", "/api/agents", Value::Null).await.0, StatusCode::OK);

    // Deactivation revokes every token; reactivation does not bring them back.
    assert_eq!(admin.send_json("DELETE", &format!("/api/users/{member_id}"), Value::Null).await.0, StatusCode::OK);
    assert_error(&bearer(&server, &second, "GET", "/api/agents", Value::Null).await, 401, "not_authenticated");
    let reactivated = admin.send_json("POST", &format!("/api/users/{member_id}/reactivate"), Value::Null).await;
    assert_eq!(reactivated.0, StatusCode::OK, "{}", reactivated.1);
    assert_error(&bearer(&server, &second, "GET", "/api/agents", Value::Null).await, 401, "not_authenticated");

    for event in ["token.created", "token.revoked", "token.regenerated", "auth.session_from_token"] {
        let (_, page) = admin.send_json("GET", &format!("/api/audit?eventType={event}"), Value::Null).await;
        assert!(!page["entries"].as_array().unwrap().is_empty(), "no {event}: {page}");
    }
    let (_, created) = admin.send_json("GET", "/api/audit?eventType=token.created", Value::Null).await;
    assert!(!created.to_string().contains(&token), "the token is never in the audit trail");
}

/// The first acceptance point: a token with only `chat` chats over the WebSocket (sent as
/// a script sends it, `Authorization: Bearer`) and gets 403 `missing_scope` on `GET /api/users`.
#[tokio::test(flavor = "multi_thread")]
async fn a_chat_only_token_chats_over_the_socket_and_nothing_else() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let p = crate::chat_errors::with_openai().await;
    let agent = crate::chat_errors::shared_agent(&p, &[]).await;
    let (_, created) = p.admin.send_json("POST", "/api/tokens", json!({"name": "bot", "scopes": ["chat"]})).await;
    let token = created["token"].as_str().unwrap().to_string();

    let refused = bearer(&p.server, &token, "GET", "/api/users", Value::Null).await;
    assert_error(&refused, 403, "missing_scope");
    assert!(refused.1["error"].as_str().unwrap().contains("admin"), "{}", refused.1);
    assert_error(&bearer(&p.server, &token, "GET", "/api/agents", Value::Null).await, 403, "missing_scope");

    p.fake.push_reply(pincer_testkit::FakeReply::text(&["Hello ", "from the bot."]));
    let url = p.server.url("/api/ws").replacen("http://", "ws://", 1);
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.expect("a chat token opens the socket");
    let mut socket = crate::ws::ChatSocket::from_stream(ws);
    socket.message(&agent, "Hi").await;
    assert_eq!(crate::ws::chunk_text(&socket.until("complete").await), "Hello from the bot.");

    let (_, narrow) =
        p.admin.send_json("POST", "/api/tokens", json!({"name": "reader", "scopes": ["agents:read"]})).await;
    let url = p.server.url("/api/ws").replacen("http://", "ws://", 1);
    let mut request = url.as_str().into_client_request().unwrap();
    let narrow = narrow["token"].as_str().unwrap();
    request.headers_mut().insert("Authorization", format!("Bearer {narrow}").parse().unwrap());
    assert_eq!(crate::ws::refused_status(request).await, 403, "a token without chat cannot open the socket");
}
