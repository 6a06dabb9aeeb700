//! Provider correctness through the whole server (issue #13): tool turns with Gemini 3's thought
//! signatures, tool-call ids that stay unique across the steps of a run, refusals and safety
//! finishes that fail the run with `model_refused`, and errors in the middle of a stream.

use std::path::PathBuf;

use pincer_testkit::server::Browser;
use pincer_testkit::{Behaviour, FakeKind, FakeProvider, FakeReply, FakeStop, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::ws::{ChatSocket, chunk_text};

struct Setup {
    _server: TestServer,
    admin: Browser,
    fake: FakeProvider,
    agent: String,
    _docs: tempfile::TempDir,
    hr: PathBuf,
}

/// A server with one provider (a fake of `kind`) and an agent granted the file tools on `hr`.
async fn setup(kind: FakeKind) -> Setup {
    let fake = FakeProvider::start(kind);
    let docs = tempfile::Builder::new().prefix("pincer-docs-").tempdir().unwrap();
    let root = std::fs::canonicalize(docs.path()).unwrap();
    let hr = root.join("hr");
    std::fs::create_dir_all(&hr).unwrap();
    std::fs::write(hr.join("policy.md"), "Everyone gets 25 days of paid leave.").unwrap();
    let server = TestServer::builder()
        .env(&kind.base_url_variable(), &fake.origin())
        .env("PINCER_ALLOW_PRIVATE_URLS", "1")
        .env("PINCER_DOCUMENTS_DIR", root.to_str().unwrap())
        .start()
        .await;
    let admin = server.setup_admin().await;
    let body = match kind {
        FakeKind::OllamaLocal => json!({"provider": "ollama-local", "baseUrl": fake.base_url()}),
        other => json!({"provider": other.as_str(), "apiKey": fake.api_key()}),
    };
    let (status, saved) = admin.send_json("POST", "/api/settings/providers", body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, agent) =
        admin.send_json("POST", "/api/agents", json!({"name": "HR", "templateId": "knowledge-base"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let agent = agent["id"].as_str().unwrap().to_string();
    let (status, body) = admin
        .send_json(
            "PATCH",
            &format!("/api/agents/{agent}"),
            json!({"allowedTools": ["pinchy_ls", "pinchy_read"],
                "pluginConfig": {"allowed_paths": [hr.to_str().unwrap()]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    fake.clear_requests();
    Setup { _server: server, admin, fake, agent, _docs: docs, hr }
}

fn path(setup: &Setup, rel: &str) -> String {
    setup.hr.join(rel).to_string_lossy().into_owned()
}

fn done_status(frames: &[Value]) -> Value {
    frames.iter().find(|f| f["type"] == "done").map(|f| f["status"].clone()).unwrap_or(Value::Null)
}

/// Two tool steps, then the answer: with Gemini the signed calls go back signed (the fake refuses
/// them otherwise, as Gemini 3 does); with Gemini and Ollama, which have no call ids, the ids
/// made up for the two steps differ.
#[tokio::test(flavor = "multi_thread")]
async fn tool_turns_keep_signatures_and_distinct_call_ids() {
    for kind in [FakeKind::Google, FakeKind::OllamaLocal] {
        let s = setup(kind).await;
        let mut ws = ChatSocket::open(&s.admin).await;
        s.fake.push_reply(FakeReply::tool_call("pinchy_ls", json!({"path": path(&s, "")})));
        s.fake.push_reply(FakeReply::tool_call("pinchy_read", json!({"path": path(&s, "policy.md")})));
        s.fake.push_reply(FakeReply::text(&["You get ", "25 days."]));
        ws.message(&s.agent, "How much leave do I get?").await;
        let frames = ws.until("complete").await;
        assert_eq!(done_status(&frames), "complete", "{kind:?}: {frames:?}");
        assert_eq!(chunk_text(&frames), "You get 25 days.");

        let requests: Vec<Value> = s.fake.chat_requests().iter().filter_map(|r| r.body_json()).collect();
        assert_eq!(requests.len(), 3, "{kind:?}");
        if kind == FakeKind::Google {
            // The last request replays both steps, each call with its signature.
            let calls: Vec<&Value> = requests[2]["contents"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["parts"].as_array().unwrap())
                .filter(|p| p.get("functionCall").is_some())
                .collect();
            assert_eq!(calls.len(), 2, "{}", requests[2]);
            assert!(calls.iter().all(|p| p["thoughtSignature"].as_str().is_some_and(|s| !s.is_empty())), "{calls:?}");
        }

        ws.history(&s.agent).await;
        let history = ws.next().await;
        let steps = history["messages"][1]["steps"].as_array().unwrap().clone();
        let ids: Vec<&str> = steps.iter().map(|s| s["callId"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 2, "{kind:?}: {steps:?}");
        assert_ne!(ids[0], ids[1], "{kind:?}: each step's call has its own id");
    }
}

/// A refusal (Anthropic `refusal`, a Gemini `SAFETY` finish, OpenAI `content_filter`) is not an
/// empty success: the run fails with `model_refused`, and what streamed before is kept.
#[tokio::test(flavor = "multi_thread")]
async fn refusals_fail_the_run_with_model_refused() {
    for kind in [FakeKind::Anthropic, FakeKind::Google, FakeKind::Openai] {
        let s = setup(kind).await;
        let mut ws = ChatSocket::open(&s.admin).await;
        s.fake.push_reply(FakeReply::text(&["I can"]).stop(FakeStop::Refusal));
        ws.message(&s.agent, "Something it will not do").await;
        let frames = ws.until("complete").await;
        let error = frames.iter().find(|f| f["type"] == "error").unwrap_or_else(|| panic!("{kind:?}: {frames:?}"));
        assert_eq!(error["code"], "model_refused", "{kind:?}: {frames:?}");
        assert_eq!(done_status(&frames), "failed", "{kind:?}");

        ws.history(&s.agent).await;
        let history = ws.next().await;
        let answer = &history["messages"][1];
        assert_eq!((answer["status"].clone(), answer["error"].clone()), (json!("failed"), json!("model_refused")));
        assert_eq!(answer["content"], "I can", "{kind:?}");
    }
}

/// An error event in the middle of a stream fails the run with the provider's error.
#[tokio::test(flavor = "multi_thread")]
async fn an_error_in_the_middle_of_a_stream_fails_the_run() {
    for (kind, code) in [(FakeKind::Anthropic, "provider_error"), (FakeKind::OllamaLocal, "provider_stream_broken")] {
        let s = setup(kind).await;
        let mut ws = ChatSocket::open(&s.admin).await;
        s.fake.push_reply(FakeReply::text(&["Hel", "lo", " there", " and", " more."]));
        s.fake.set_behaviour(Behaviour::ErrorAfter(3));
        ws.message(&s.agent, "hello").await;
        let frames = ws.until("complete").await;
        let error = frames.iter().find(|f| f["type"] == "error").unwrap_or_else(|| panic!("{kind:?}: {frames:?}"));
        assert_eq!(error["code"], code, "{kind:?}: {frames:?}");
        assert_eq!(done_status(&frames), "failed", "{kind:?}");
    }
}
