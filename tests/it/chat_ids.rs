//! Several chats with one agent (docs/API.md: a chat is one user × one agent × an optional
//! `chatId`, `main` without one): frames name their chat, histories stay apart, and a message
//! or an abort in one chat leaves the run of another alone.

use pincer_testkit::{Behaviour, FakeReply};
use serde_json::{Value, json};

use crate::chat_errors::{shared_agent, with_openai};
use crate::ws::{ChatSocket, chunk_text};

/// The next frame of `chat` (frames of other chats, which keep coming, are set aside).
async fn next_of(ws: &mut ChatSocket, chat: &str, others: &mut Vec<Value>) -> Value {
    loop {
        let frame = ws.next().await;
        if frame["chatId"] == chat {
            return frame;
        }
        others.push(frame);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn chats_with_one_agent_are_kept_apart() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    let mut ws = ChatSocket::open(&p.admin).await;
    let mut others = Vec::new();

    // Chat "a" holds its answer open after two chunks.
    p.fake.set_behaviour(Behaviour::HoldAfter(2));
    p.fake.push_reply(FakeReply::text(&["A1 ", "A2 ", "A3 ", "A4"]));
    ws.send(json!({"type": "message", "agentId": agent, "chatId": "a", "content": "in a"})).await;
    let ack = next_of(&mut ws, "a", &mut others).await;
    assert_eq!((ack["type"].clone(), ack["agentId"].clone()), (json!("ack"), json!(agent)), "{ack}");
    loop {
        if next_of(&mut ws, "a", &mut others).await["type"] == "chunk" {
            break;
        }
    }

    // A message in chat "b" is answered without superseding chat "a"'s run.
    p.fake.set_behaviour(Behaviour::Normal);
    p.fake.push_reply(FakeReply::text(&["B ", "answer."]));
    ws.send(json!({"type": "message", "agentId": agent, "chatId": "b", "content": "in b"})).await;
    let mut b = Vec::new();
    loop {
        let frame = next_of(&mut ws, "b", &mut others).await;
        let done = frame["type"] == "complete";
        b.push(frame);
        if done {
            break;
        }
    }
    assert_eq!(chunk_text(&b), "B answer.");
    assert!(b.iter().all(|f| f["agentId"] == agent.as_str()), "{b:?}");
    assert_eq!(b.iter().find(|f| f["type"] == "done").unwrap()["status"], "complete");
    // Aborting chat "b" (no run going) and the default chat is a no-op for chat "a".
    ws.send(json!({"type": "abort", "agentId": agent, "chatId": "b"})).await;
    ws.send(json!({"type": "abort", "agentId": agent})).await;
    ws.send(json!({"type": "history", "agentId": agent, "chatId": "a"})).await;
    let history_a = next_of(&mut ws, "a", &mut others).await;
    assert_eq!(history_a["type"], "history", "{history_a}");
    assert_eq!(history_a["activeRun"]["messageId"], ack["messageId"], "chat a still runs: {history_a}");
    assert!(others.iter().all(|f| f["type"] != "done" || f["chatId"] != "a"), "{others:?}");

    // Aborting chat "a" ends its run only.
    ws.send(json!({"type": "abort", "agentId": agent, "chatId": "a"})).await;
    let mut a = Vec::new();
    loop {
        let frame = next_of(&mut ws, "a", &mut others).await;
        let over = frame["type"] == "complete";
        a.push(frame);
        if over {
            break;
        }
    }
    assert_eq!(a.iter().find(|f| f["type"] == "done").unwrap()["status"], "aborted", "{a:?}");

    // Each history holds its own chat; the default chat (`main`) has none of them.
    let mut contents = Vec::new();
    for chat in [Some("a"), Some("b"), None] {
        let mut frame = json!({"type": "history", "agentId": agent});
        if let Some(chat) = chat {
            frame["chatId"] = json!(chat);
        }
        ws.send(frame).await;
        let history = next_of(&mut ws, chat.unwrap_or("main"), &mut others).await;
        assert_eq!(history["type"], "history", "{history}");
        let texts: Vec<String> = history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| format!("{}:{}", m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
            .collect();
        contents.push(texts);
    }
    assert_eq!(contents[0][0], "user:in a");
    assert!(contents[0][1].starts_with("assistant:A1"), "{contents:?}");
    assert_eq!(contents[1], ["user:in b", "assistant:B answer."]);
    assert!(contents[2].is_empty(), "{contents:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_ids_are_short_plain_names() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    let mut ws = ChatSocket::open(&p.admin).await;
    let longest = format!("{}.x:Y_-", "z".repeat(58));
    assert_eq!(longest.len(), 64);
    ws.send(json!({"type": "history", "agentId": agent, "chatId": longest})).await;
    let history = ws.next().await;
    assert_eq!((history["type"].clone(), history["chatId"].clone()), (json!("history"), json!(longest)));
    for bad in [format!("{longest}z"), "has space".into(), "slash/y".into(), "ünï".into()] {
        ws.send(json!({"type": "message", "agentId": agent, "chatId": bad, "content": "hi"})).await;
        assert_eq!(ws.next().await["code"], "invalid_input", "{bad}");
    }
    assert!(p.fake.chat_requests().is_empty());
}
