//! What real servers send and a careless client trips on (issue #13, "Provider correctness"):
//! Gemini 3's thought signatures, tool-call ids that must not repeat across steps, errors in the
//! middle of a stream, thinking that must not leak into the answer, refusals and safety finishes
//! that are not an empty success, thinking tokens that are billed, and OpenAI-compatible servers
//! without the usage chunk or the tool-call indexes.

use pincer_agents::chat::{ModelError, ModelRequest, StopReason, StreamEvent, ToolCall, Turn};
use pincer_testkit::fakes::provider::Quirk;
use pincer_testkit::fakes::{Behaviour, FakeKind, FakeProvider, FakeReply, FakeStop, FakeUsage};
use pincer_usage::TokenCounts;
use serde_json::json;

use crate::{chat, chat_ok, chat_request, texts};

fn tool_calls(events: &[StreamEvent]) -> Vec<ToolCall> {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCall(call) => Some(call.clone()),
            _ => None,
        })
        .collect()
}

fn finished(events: &[StreamEvent]) -> (StopReason, TokenCounts) {
    match events.last() {
        Some(StreamEvent::Finished { stop, tokens }) => (*stop, *tokens),
        other => panic!("the stream did not finish: {other:?}"),
    }
}

/// The request after one step: the calls it made, each answered.
fn answered(mut request: ModelRequest, calls: &[ToolCall]) -> ModelRequest {
    request.turns.push(Turn::Assistant { text: String::new(), tool_calls: calls.to_vec() });
    for call in calls {
        request.turns.push(Turn::ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            content: format!("result of {}", call.id),
            is_error: false,
        });
    }
    request
}

#[tokio::test(flavor = "multi_thread")]
async fn gemini_thought_signatures_go_back_with_their_calls() {
    let fake = FakeProvider::start(FakeKind::Google);
    fake.push_reply(
        FakeReply::tool_call("pinchy_ls", json!({"path": "/data/hr"}))
            .with_tool_call("pinchy_read", json!({"path": "/data/hr/a.md"})),
    );
    let first = chat_request(&fake);
    let calls = tool_calls(&chat_ok(first.clone()).await);
    assert_eq!(calls.len(), 2);
    let signature = calls[0].provider_data.as_ref().and_then(|d| d["thoughtSignature"].as_str()).map(str::to_string);
    assert!(signature.is_some(), "the signature of the first call is kept: {calls:?}");

    // The follow-up carries the signature beside its call, and the fake (like Gemini 3) accepts it.
    fake.push_reply(FakeReply::text(&["Two files."]));
    let events = chat_ok(answered(first.clone(), &calls)).await;
    assert_eq!(texts(&events), ["Two files."]);
    let sent = fake.chat_requests().pop().unwrap().body_json().unwrap();
    assert_eq!(sent["contents"][1]["parts"][0]["thoughtSignature"].as_str(), signature.as_deref(), "{sent}");

    // Without it, the request is refused as the real API refuses it.
    let mut unsigned = calls.clone();
    unsigned[0].provider_data = None;
    fake.push_reply(FakeReply::text(&["never sent"]));
    assert_eq!(chat(answered(first, &unsigned)).await.err(), Some(ModelError::Upstream(400)));
    assert_eq!(fake.pending_replies(), 1);
}

/// Gemini and Ollama send no ids: the ones made up must differ from step to step, or a result
/// would answer the wrong call.
#[tokio::test(flavor = "multi_thread")]
async fn made_up_call_ids_do_not_repeat_across_steps() {
    for kind in [FakeKind::Google, FakeKind::OllamaLocal, FakeKind::OllamaCloud] {
        let fake = FakeProvider::start(kind);
        fake.push_reply(FakeReply::tool_call("pinchy_ls", json!({"path": "/data/hr"})));
        fake.push_reply(FakeReply::tool_call("pinchy_read", json!({"path": "/data/hr/a.md"})));
        fake.push_reply(FakeReply::text(&["Done."]));
        let request = chat_request(&fake);
        let first = tool_calls(&chat_ok(request.clone()).await);
        let request = answered(request, &first);
        let second = tool_calls(&chat_ok(request.clone()).await);
        let request = answered(request, &second);
        assert_eq!(texts(&chat_ok(request.clone()).await), ["Done."], "{kind:?}");
        assert_eq!((first.len(), second.len()), (1, 1), "{kind:?}");
        assert_ne!(first[0].id, second[0].id, "{kind:?}: two steps, two ids");
        // Each result still follows its own call in what was sent.
        let ids: Vec<&str> = request
            .turns
            .iter()
            .filter_map(|t| match t {
                Turn::ToolResult { call_id, .. } => Some(call_id.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(ids, [first[0].id.as_str(), second[0].id.as_str()]);
    }
}

/// An error the server sends after `200 OK` is a typed error, never a quiet end.
#[tokio::test(flavor = "multi_thread")]
async fn an_error_in_the_middle_of_a_stream_is_an_error() {
    for (kind, expected) in [
        (FakeKind::Openai, ModelError::BrokenStream),
        (FakeKind::OpenaiCompatible, ModelError::BrokenStream),
        (FakeKind::Anthropic, ModelError::Upstream(529)),
        (FakeKind::Google, ModelError::Upstream(503)),
        (FakeKind::OllamaLocal, ModelError::BrokenStream),
        (FakeKind::OllamaCloud, ModelError::BrokenStream),
    ] {
        let fake = FakeProvider::start(kind);
        fake.push_reply(FakeReply::text(&["Hel", "lo", " there", " and", " more."]));
        fake.set_behaviour(Behaviour::ErrorAfter(3));
        let items = chat(chat_request(&fake)).await.expect("the call starts");
        assert_eq!(items.last(), Some(&Err(expected)), "{kind:?}: {items:?}");
        assert!(!items.iter().any(|i| matches!(i, Ok(StreamEvent::Finished { .. }))), "{kind:?}: {items:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn thinking_stays_out_of_the_answer() {
    for kind in [FakeKind::Anthropic, FakeKind::Google, FakeKind::OllamaLocal] {
        let fake = FakeProvider::start(kind);
        fake.push_reply(FakeReply::text(&["The answer."]).thinking(&["Let me think", " SECRET-THOUGHT"], 3));
        let events = chat_ok(chat_request(&fake)).await;
        assert_eq!(texts(&events), ["The answer."], "{kind:?}");
        assert_eq!(finished(&events).0, StopReason::EndTurn, "{kind:?}");
    }
}

/// Gemini counts thinking apart from the candidates; it is billed as output.
#[tokio::test(flavor = "multi_thread")]
async fn gemini_thinking_tokens_count_as_output() {
    let fake = FakeProvider::start(FakeKind::Google);
    let usage = FakeUsage { input: 30, output: 50, cache_read: 0, cache_write: 0 };
    fake.push_reply(FakeReply::text(&["Yes."]).thinking(&["hm"], 42).usage(usage));
    let events = chat_ok(chat_request(&fake)).await;
    // The fake reported 8 candidate tokens and 42 thought tokens.
    assert_eq!(finished(&events).1, TokenCounts { input: 30, output: 50, ..TokenCounts::default() });
}

/// A refusal or a safety finish ends the stream as a refusal, never as an empty success.
#[tokio::test(flavor = "multi_thread")]
async fn refusals_are_reported_as_such() {
    for kind in [FakeKind::Anthropic, FakeKind::Google, FakeKind::Openai, FakeKind::OpenaiCompatible] {
        let fake = FakeProvider::start(kind);
        fake.push_reply(FakeReply::text(&[]).stop(FakeStop::Refusal));
        let events = chat_ok(chat_request(&fake)).await;
        assert_eq!(finished(&events).0, StopReason::Refusal, "{kind:?}: {events:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn compatible_servers_without_usage_or_indexes() {
    let fake = FakeProvider::builder(FakeKind::OpenaiCompatible)
        .quirk(Quirk::NoUsageChunk)
        .quirk(Quirk::NoToolCallIndex)
        .start();
    fake.push_reply(
        FakeReply::tool_call("pinchy_ls", json!({"path": "/data/hr"}))
            .with_tool_call("pinchy_read", json!({"path": "/data/hr/a.md"})),
    );
    let events = chat_ok(chat_request(&fake)).await;
    let calls = tool_calls(&events);
    assert_eq!(
        calls.iter().map(|c| (c.name.as_str(), c.arguments.clone())).collect::<Vec<_>>(),
        [("pinchy_ls", json!({"path": "/data/hr"})), ("pinchy_read", json!({"path": "/data/hr/a.md"}))]
    );
    assert!(calls[0].id.starts_with("call_fake_") && calls[0].id != calls[1].id, "{calls:?}");
    // No usage chunk: no tokens, not an error and not counted twice.
    assert_eq!(finished(&events), (StopReason::ToolUse, TokenCounts::default()));

    // Each quirk on its own, and the usage is then exact.
    fake.set_quirk(Quirk::NoUsageChunk, false);
    let usage = FakeUsage { input: 7, output: 3, cache_read: 0, cache_write: 0 };
    fake.push_reply(FakeReply::text(&["a", "b"]).usage(usage));
    let events = chat_ok(chat_request(&fake)).await;
    assert_eq!(finished(&events).1, TokenCounts { input: 7, output: 3, ..TokenCounts::default() });
}
