//! What the file tools hand the model (docs/API.md): `pinchy_ls` without a path lists the granted
//! folders, `pinchy_read` reads text (at most 256 KiB of it) and refuses binary files, and a
//! relative path is taken inside the one granted folder.

use pincer_testkit::FakeReply;
use serde_json::{Value, json};

use crate::chat_errors::{WithProvider, shared_agent, with_openai};
use crate::ws::ChatSocket;

/// docs/API.md: `pinchy_read` reads "at most 256 KiB".
const MAX_READ: usize = 256 * 1024;

/// Runs one tool call through a chat; returns what the model got back and whether the step was
/// an error.
async fn call(p: &WithProvider, ws: &mut ChatSocket, agent: &str, tool: &str, arguments: Value) -> (String, bool) {
    p.fake.clear_requests();
    p.fake.push_reply(FakeReply::tool_call(tool, arguments));
    p.fake.push_reply(FakeReply::text(&["ok"]));
    ws.message(agent, "use the tool").await;
    ws.until("complete").await;
    let requests = p.fake.chat_requests();
    assert_eq!(requests.len(), 2);
    let body = requests[1].body_json().unwrap();
    let result = body["messages"].as_array().unwrap().iter().rev().find(|m| m["role"] == "tool").unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    ws.history(agent).await;
    let history = ws.next().await;
    let messages = history["messages"].as_array().unwrap();
    let step = &messages[messages.len() - 1]["steps"][0];
    assert_eq!(step["name"], tool, "{step}");
    (result, step["isError"].as_bool().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn file_tools_list_the_grants_read_text_only_and_at_most_256_kib() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &["pinchy_ls", "pinchy_read"]).await;
    let hr = std::path::Path::new(&p.hr);
    let mut big = "a".repeat(MAX_READ);
    big.push_str("TAIL-BEYOND-THE-LIMIT");
    std::fs::write(hr.join("big.txt"), &big).unwrap();
    std::fs::write(hr.join("logo.png"), [0x89, b'P', b'N', b'G', 0, 0, 0, 13, b'S', b'E', b'C', b'R', b'E', b'T'])
        .unwrap();
    std::fs::write(hr.join("table.csv"), "name,days\nada,25\n").unwrap();
    let mut ws = ChatSocket::open(&p.admin).await;

    let (listing, error) = call(&p, &mut ws, &agent, "pinchy_ls", json!({})).await;
    assert_eq!((listing.as_str(), error), (format!("{}/", p.hr).as_str(), false), "without a path: the grants");

    let (text, error) = call(&p, &mut ws, &agent, "pinchy_read", json!({"path": format!("{}/big.txt", p.hr)})).await;
    assert!(!error && text.starts_with(&"a".repeat(MAX_READ)), "the first 256 KiB are read");
    assert!(!text.contains("TAIL"), "nothing past 256 KiB reaches the model");
    assert!(text.contains("only the first 256 KiB"), "the model is told it was cut: {}", &text[MAX_READ..]);

    let (refusal, error) =
        call(&p, &mut ws, &agent, "pinchy_read", json!({"path": format!("{}/logo.png", p.hr)})).await;
    assert!(error, "a binary file is refused: {refusal}");
    assert!(!refusal.contains("SECRET") && refusal.contains("not a text file"), "{refusal}");

    // With one granted folder, a relative path is taken inside it.
    let (csv, error) = call(&p, &mut ws, &agent, "pinchy_read", json!({"path": "table.csv"})).await;
    assert_eq!((csv.as_str(), error), ("name,days\nada,25\n", false));
}
