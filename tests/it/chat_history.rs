//! The window of a chat (docs/API.md): `history` answers the newest 40 messages, oldest first,
//! and the newest 40 messages are what the model is given before the new one.

use pincer_testkit::FakeReply;
use serde_json::Value;

use crate::chat_errors::{shared_agent, with_openai};
use crate::ws::ChatSocket;

/// docs/API.md: "the newest 40 messages".
const WINDOW: usize = 40;

#[tokio::test(flavor = "multi_thread")]
async fn history_and_the_models_context_are_the_newest_forty_messages() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    let mut ws = ChatSocket::open(&p.admin).await;
    // 21 turns: 42 stored messages, two more than the window.
    for n in 1..=21 {
        p.fake.push_reply(FakeReply::text(&[&format!("a{n}")]));
        ws.message(&agent, &format!("q{n}")).await;
        ws.until("complete").await;
    }
    p.fake.clear_requests();
    p.fake.push_reply(FakeReply::text(&["a22"]));
    ws.message(&agent, "q22").await;
    ws.until("complete").await;

    // The model got the system prompt, the newest 40 earlier messages (q2 … a21) and q22.
    let requests = p.fake.chat_requests();
    assert_eq!(requests.len(), 1);
    let body = requests[0].body_json().unwrap();
    let sent: Vec<String> = body["messages"].as_array().unwrap()[1..]
        .iter()
        .map(|m| format!("{}:{}", m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    let expected: Vec<String> = (2..=21)
        .flat_map(|n| [format!("user:q{n}"), format!("assistant:a{n}")])
        .chain(["user:q22".to_string()])
        .collect();
    assert_eq!(expected.len(), WINDOW + 1);
    assert_eq!(sent, expected);

    // The history holds the newest 40 of the 44 messages, oldest first.
    ws.history(&agent).await;
    let history = ws.next().await;
    let messages: Vec<&str> =
        history["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    let expected: Vec<String> = (3..=22).flat_map(|n| [format!("q{n}"), format!("a{n}")]).collect();
    assert_eq!(messages, expected);
    assert_eq!(history["activeRun"], Value::Null);
}
