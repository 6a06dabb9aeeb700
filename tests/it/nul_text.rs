//! No NUL character in text, on any way in: PostgreSQL cannot store U+0000 in a `TEXT` column
//! (the fuzzer found `GET /api/audit?eventType=%00` answering 503 there), SQLite would have
//! stored it. Refused at the edge with a 400, the same on both backends, and nothing changes.

use pincer_testkit::TestServer;
use serde_json::{Value, json};

use crate::support::assert_error;
use crate::ws::ChatSocket;

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_in_a_body_is_refused_and_nothing_is_stored() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let refused = admin.send_json("PUT", "/api/users/me/context", json!({"content": "a\u{0}b"})).await;
    assert_error(&refused, 400, "invalid_input");
    assert!(refused.1["error"].as_str().unwrap().contains("NUL"), "{}", refused.1);
    assert_error(
        &admin.send_json("PUT", "/api/settings/context", json!({"content": "\u{0}"})).await,
        400,
        "invalid_input",
    );
    let (_, personal) = admin.send_json("GET", "/api/users/me/context", Value::Null).await;
    assert_eq!(personal["content"], "", "nothing was stored");
    let (_, org) = admin.send_json("GET", "/api/settings/context", Value::Null).await;
    assert_eq!(org["content"], "");
    // The text `\u0000` (an escaped backslash, then "u0000") is not a NUL.
    let (status, body) = admin.send_json("PUT", "/api/users/me/context", json!({"content": "\\u0000"})).await;
    assert_eq!(status, 200, "{body}");
    let (_, personal) = admin.send_json("GET", "/api/users/me/context", Value::Null).await;
    assert_eq!(personal["content"], "\\u0000");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_in_a_query_is_refused() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    assert_error(&admin.send_json("GET", "/api/audit?eventType=%C2%8E%00", Value::Null).await, 400, "invalid_query");
    assert_error(&admin.send_json("GET", "/api/audit/export?actorId=%00", Value::Null).await, 400, "invalid_query");
    let (status, body) = admin.send_json("GET", "/api/audit?eventType=auth.login", Value::Null).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_in_a_chat_frame_is_refused_and_the_socket_carries_on() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, agents) = admin.send_json("GET", "/api/agents", Value::Null).await;
    let agent = agents[0]["id"].as_str().unwrap().to_string();
    let mut socket = ChatSocket::open(&admin).await;
    socket.send(json!({"type": "message", "agentId": agent, "content": "hi\u{0}"})).await;
    let frame = socket.next().await;
    assert_eq!((&frame["type"], &frame["code"]), (&json!("error"), &json!("invalid_input")), "{frame}");
    socket.history(&agent).await;
    let history = socket.next().await;
    assert_eq!(history["type"], "history", "the socket still answers: {history}");
    assert_eq!(history["messages"], json!([]), "no message was stored");
}
