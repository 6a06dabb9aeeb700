//! Concurrent runs are capped per user (issue #21, M2): with `PINCER_MAX_RUNS_PER_USER=2`, a third
//! chat's message while two answers are being written is refused with `too_many_runs` before
//! anything is stored; a message superseding a run in its own chat is not; a stopped run frees
//! its place.

use pincer_testkit::Behaviour;
use serde_json::{Value, json};

use crate::chat_errors::{shared_agent, with_openai_env};
use crate::ws::ChatSocket;

fn message(agent: &str, chat: &str) -> Value {
    json!({"type": "message", "agentId": agent, "chatId": chat, "content": "take your time"})
}

/// Sends a message and returns the first frame about it that is not a follow-up of a run.
async fn send(ws: &mut ChatSocket, agent: &str, chat: &str) -> Value {
    ws.send(message(agent, chat)).await;
    loop {
        let frame = ws.next().await;
        if matches!(frame["type"].as_str(), Some("ack" | "error")) && frame["chatId"] == chat {
            return frame;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_third_concurrent_run_is_refused_until_one_ends() {
    let p = with_openai_env(&[("PINCER_MAX_RUNS_PER_USER", "2")]).await;
    let agent = shared_agent(&p, &[]).await;
    // The provider never answers: runs stay going until they are stopped.
    p.fake.set_behaviour(Behaviour::Hang);
    let mut ws = ChatSocket::open(&p.admin).await;

    assert_eq!(send(&mut ws, &agent, "a").await["type"], "ack");
    assert_eq!(send(&mut ws, &agent, "b").await["type"], "ack");
    let refused = send(&mut ws, &agent, "c").await;
    assert_eq!((&refused["type"], &refused["code"]), (&json!("error"), &json!("too_many_runs")), "{refused}");

    // A new message in a chat with a run going replaces that run: not a third one.
    assert_eq!(send(&mut ws, &agent, "a").await["type"], "ack");

    // Nothing of the refused message was stored.
    let mut other = ChatSocket::open(&p.admin).await;
    other.send(json!({"type": "history", "agentId": agent, "chatId": "c"})).await;
    let history = other.next().await;
    assert_eq!((&history["type"], &history["messages"]), (&json!("history"), &json!([])), "{history}");

    // Stopping a run frees its place.
    ws.send(json!({"type": "abort", "agentId": agent, "chatId": "b"})).await;
    loop {
        let frame = ws.next().await;
        if frame["type"] == "complete" && frame["chatId"] == "b" {
            break;
        }
    }
    assert_eq!(send(&mut ws, &agent, "c").await["type"], "ack");
}
