//! One socket follows at most 32 chats (issue #21, M1): each follow holds a forwarding task and a
//! subscription, so the 33rd `history` or `message` for a new chat is refused with an `error`
//! frame `too_many_follows` (docs/API.md), while chats already followed and other sockets work.

use pincer_testkit::TestServer;
use pincer_testkit::server::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::ws::ChatSocket;

/// docs/API.md: "one socket follows at most 32 chats".
const MAX_FOLLOWS: usize = 32;

/// The id of the caller's personal agent.
async fn personal_agent(browser: &Browser) -> String {
    let (status, agents) = browser.send_json("GET", "/api/agents", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{agents}");
    agents.as_array().unwrap().iter().find(|a| a["isPersonal"] == true).unwrap()["id"].as_str().unwrap().to_string()
}

async fn history(socket: &mut ChatSocket, agent: &str, chat: &str) -> Value {
    socket.send(json!({"type": "history", "agentId": agent, "chatId": chat})).await;
    socket.next().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_follows_at_most_32_chats() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let agent = personal_agent(&admin).await;
    let mut socket = ChatSocket::open(&admin).await;

    for n in 0..MAX_FOLLOWS {
        let frame = history(&mut socket, &agent, &format!("c{n}")).await;
        assert_eq!((&frame["type"], &frame["chatId"]), (&json!("history"), &json!(format!("c{n}"))), "{frame}");
    }
    // One more chat is refused, by `history` and by `message` alike.
    let frame = history(&mut socket, &agent, "one-too-many").await;
    assert_eq!(
        (&frame["type"], &frame["code"], &frame["chatId"]),
        (&json!("error"), &json!("too_many_follows"), &json!("one-too-many")),
        "{frame}"
    );
    socket.send(json!({"type": "message", "agentId": agent, "chatId": "another", "content": "hi"})).await;
    let frame = socket.next().await;
    assert_eq!((&frame["type"], &frame["code"]), (&json!("error"), &json!("too_many_follows")), "{frame}");

    // A chat already followed can be asked for again.
    let frame = history(&mut socket, &agent, "c0").await;
    assert_eq!((&frame["type"], &frame["chatId"]), (&json!("history"), &json!("c0")), "{frame}");

    // The refused message was not stored, and another socket may follow the chat.
    let mut other = ChatSocket::open(&admin).await;
    let frame = history(&mut other, &agent, "another").await;
    assert_eq!((&frame["type"], &frame["messages"]), (&json!("history"), &json!([])), "{frame}");
}
