//! What each kind sends: path, auth headers, and the body as the provider wants it (asserted on
//! the fake's record, and accepted by the fake's own checks of the conversation).

use pincer_agents::chat::{ModelRequest, StreamEvent, ToolCall, Turn};
use pincer_testkit::fakes::{FakeKind, FakeProvider, FakeReply, RecordedRequest};
use serde_json::{Value, json};

use crate::{chat_ok, chat_request, texts, with_key};

/// The conversation after one step with two tool calls, the second one refused.
fn follow_up(fake: &FakeProvider, ids: [&str; 2]) -> ModelRequest {
    let mut request = chat_request(fake);
    request.turns.push(Turn::Assistant {
        text: "Let me look.".to_string(),
        tool_calls: vec![
            ToolCall {
                id: ids[0].to_string(),
                name: "pinchy_ls".to_string(),
                arguments: json!({"path": "/data/hr"}),
                provider_data: None,
            },
            ToolCall {
                id: ids[1].to_string(),
                name: "pinchy_read".to_string(),
                arguments: json!({"path": "/etc/passwd"}),
                provider_data: None,
            },
        ],
    });
    request.turns.push(Turn::ToolResult {
        call_id: ids[0].to_string(),
        name: "pinchy_ls".to_string(),
        content: "salaries.csv\nhandbook.md".to_string(),
        is_error: false,
    });
    request.turns.push(Turn::ToolResult {
        call_id: ids[1].to_string(),
        name: "pinchy_read".to_string(),
        content: "access denied".to_string(),
        is_error: true,
    });
    request
}

/// Runs the request (the fake must accept it) and returns the body it received.
async fn sent_body(fake: &FakeProvider, request: ModelRequest) -> (RecordedRequest, Value) {
    fake.push_reply(FakeReply::text(&["Two files."]));
    let events = chat_ok(request).await;
    assert_eq!(texts(&events), ["Two files."]);
    let sent = fake.chat_requests().pop().expect("a chat request");
    let body = sent.body_json().expect("a JSON body");
    (sent, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_sends_chat_completions() {
    let fake = FakeProvider::start(FakeKind::Openai);
    let (sent, body) = sent_body(&fake, follow_up(&fake, ["call_a", "call_b"])).await;
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/v1/chat/completions"));
    assert_eq!(sent.header("authorization"), Some(format!("Bearer {}", fake.api_key().unwrap()).as_str()));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("accept"), Some("text/event-stream"));
    assert_eq!(body["model"], "gpt-4.1-mini");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(body["max_completion_tokens"], 1024);
    assert!(body.get("max_tokens").is_none());
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "You are Pinchy, a careful assistant."},
            {"role": "user", "content": "What is in /data/hr?"},
            {"role": "assistant", "content": "Let me look.", "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "pinchy_ls", "arguments": "{\"path\":\"/data/hr\"}"}},
                {"id": "call_b", "type": "function", "function": {"name": "pinchy_read", "arguments": "{\"path\":\"/etc/passwd\"}"}},
            ]},
            {"role": "tool", "tool_call_id": "call_a", "content": "salaries.csv\nhandbook.md"},
            {"role": "tool", "tool_call_id": "call_b", "content": "access denied"},
        ])
    );
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["function"]["name"], "pinchy_ls");
    assert_eq!(body["tools"][1]["function"]["parameters"]["required"], json!(["path"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_compatible_uses_its_base_and_max_tokens() {
    let fake = FakeProvider::start(FakeKind::OpenaiCompatible);
    let (sent, body) = sent_body(&fake, follow_up(&fake, ["1", "2"])).await;
    // The base ends in /v1; the adapter appends /chat/completions.
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(body["max_tokens"], 1024);
    assert!(body.get("max_completion_tokens").is_none());
    assert_eq!(
        body["messages"][3],
        json!({"role": "tool", "tool_call_id": "1", "content": "salaries.csv\nhandbook.md"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_sends_messages_with_blocks() {
    let fake = FakeProvider::start(FakeKind::Anthropic);
    let (sent, body) = sent_body(&fake, follow_up(&fake, ["toolu_a", "toolu_b"])).await;
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/v1/messages"));
    assert_eq!(sent.header("x-api-key"), fake.api_key());
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(body["system"], "You are Pinchy, a careful assistant.");
    assert_eq!(body["max_tokens"], 1024);
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": "What is in /data/hr?"},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_a", "name": "pinchy_ls", "input": {"path": "/data/hr"}},
                {"type": "tool_use", "id": "toolu_b", "name": "pinchy_read", "input": {"path": "/etc/passwd"}},
            ]},
            // Both results in one user message, right after the calls.
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_a", "content": "salaries.csv\nhandbook.md", "is_error": false},
                {"type": "tool_result", "tool_use_id": "toolu_b", "content": "access denied", "is_error": true},
            ]},
        ])
    );
    assert_eq!(
        body["tools"][0],
        json!({"name": "pinchy_ls", "description": "List a folder",
            "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn google_sends_contents_with_function_parts() {
    let fake = FakeProvider::start(FakeKind::Google);
    let (sent, body) = sent_body(&fake, follow_up(&fake, ["call_1", "call_2"])).await;
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path_only(), "/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    assert_eq!(sent.query("alt").as_deref(), Some("sse"));
    assert_eq!(sent.header("x-goog-api-key"), fake.api_key());
    // The key never travels in the URL, which gets logged.
    assert_eq!(sent.query("key"), None);
    assert!(!sent.path.contains(fake.api_key().unwrap()));
    assert_eq!(body["systemInstruction"], json!({"parts": [{"text": "You are Pinchy, a careful assistant."}]}));
    assert_eq!(body["generationConfig"], json!({"maxOutputTokens": 1024}));
    assert_eq!(
        body["contents"],
        json!([
            {"role": "user", "parts": [{"text": "What is in /data/hr?"}]},
            {"role": "model", "parts": [
                {"text": "Let me look."},
                {"functionCall": {"name": "pinchy_ls", "args": {"path": "/data/hr"}}},
                {"functionCall": {"name": "pinchy_read", "args": {"path": "/etc/passwd"}}},
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "pinchy_ls", "response": {"content": "salaries.csv\nhandbook.md"}}},
                {"functionResponse": {"name": "pinchy_read", "response": {"error": "access denied"}}},
            ]},
        ])
    );
    assert_eq!(body["tools"][0]["functionDeclarations"][1]["name"], "pinchy_read");
}

#[tokio::test(flavor = "multi_thread")]
async fn ollama_sends_api_chat() {
    for kind in [FakeKind::OllamaLocal, FakeKind::OllamaCloud] {
        let fake = FakeProvider::start(kind);
        let mut request = follow_up(&fake, ["call_1", "call_2"]);
        if kind == FakeKind::OllamaLocal {
            // A key configured for a local server anyway is not sent.
            request.endpoint = with_key(request.endpoint, Some("stray-key"));
        }
        let (sent, body) = sent_body(&fake, request).await;
        assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/api/chat"));
        match kind {
            FakeKind::OllamaLocal => assert_eq!(sent.header("authorization"), None),
            _ => assert_eq!(sent.header("authorization"), Some(format!("Bearer {}", fake.api_key().unwrap()).as_str())),
        }
        assert_eq!(body["stream"], true);
        assert_eq!(body["options"], json!({"num_predict": 1024}));
        assert_eq!(
            body["messages"],
            json!([
                {"role": "system", "content": "You are Pinchy, a careful assistant."},
                {"role": "user", "content": "What is in /data/hr?"},
                {"role": "assistant", "content": "Let me look.", "tool_calls": [
                    {"function": {"name": "pinchy_ls", "arguments": {"path": "/data/hr"}}},
                    {"function": {"name": "pinchy_read", "arguments": {"path": "/etc/passwd"}}},
                ]},
                {"role": "tool", "content": "salaries.csv\nhandbook.md", "tool_name": "pinchy_ls"},
                {"role": "tool", "content": "access denied", "tool_name": "pinchy_read"},
            ]),
            "{kind:?}"
        );
        assert_eq!(body["tools"][0]["function"]["name"], "pinchy_ls", "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_tools_or_system_nothing_empty_is_sent() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::start(kind);
        let mut request = chat_request(&fake);
        request.tools.clear();
        request.system.clear();
        let (_, body) = sent_body(&fake, request).await;
        assert!(body.get("tools").is_none(), "{kind:?}: {body}");
        assert!(body.get("system").is_none() && body.get("systemInstruction").is_none(), "{kind:?}: {body}");
        if let Some(messages) = body.get("messages").and_then(Value::as_array) {
            assert!(messages.iter().all(|m| m["role"] != "system"), "{kind:?}: {body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_tool_round_trip_is_accepted_by_every_fake() {
    // The call ids the model gave go back with the results: each fake checks they match.
    for kind in FakeKind::ALL {
        let fake = FakeProvider::start(kind);
        fake.push_reply(
            FakeReply::tool_call("pinchy_ls", json!({"path": "/data"}))
                .with_tool_call("pinchy_read", json!({"path": "/data/a"})),
        );
        let mut request = chat_request(&fake);
        let calls: Vec<ToolCall> = chat_ok(request.clone())
            .await
            .into_iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall(c) => Some(c),
                _ => None,
            })
            .collect();
        assert_eq!(calls.len(), 2, "{kind:?}");
        request.turns.push(Turn::Assistant { text: String::new(), tool_calls: calls.clone() });
        for call in &calls {
            request.turns.push(Turn::ToolResult {
                call_id: call.id.clone(),
                name: call.name.clone(),
                content: format!("result of {}", call.name),
                is_error: false,
            });
        }
        let (_, body) = sent_body(&fake, request).await;
        assert!(body.to_string().contains("result of pinchy_read"), "{kind:?}");
    }
}
