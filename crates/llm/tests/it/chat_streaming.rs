//! Every kind streams text, tool calls and token usage from its genuine chat endpoint.

use pincer_agents::chat::{StopReason, StreamEvent, ToolCall};
use pincer_testkit::fakes::{FakeKind, FakeProvider, FakeReply, FakeStop, FakeUsage};
use pincer_usage::TokenCounts;
use serde_json::json;

use crate::{chat_ok, chat_request, texts};

const USAGE: FakeUsage = FakeUsage { input: 12, output: 5, cache_read: 3, cache_write: 2 };

/// What each format can say of [`USAGE`]: OpenAI and Gemini report no cache writes, Ollama no
/// cache at all.
fn expected_tokens(kind: FakeKind) -> TokenCounts {
    match kind {
        FakeKind::Anthropic => TokenCounts { input: 12, output: 5, cache_read: 3, cache_write: 2 },
        FakeKind::Openai | FakeKind::OpenaiCompatible | FakeKind::Google => {
            TokenCounts { input: 12, output: 5, cache_read: 3, cache_write: 0 }
        }
        FakeKind::OllamaCloud | FakeKind::OllamaLocal => TokenCounts { input: 12, output: 5, ..TokenCounts::default() },
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn text_streams_in_pieces_and_finishes_with_the_reported_tokens() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::start(kind);
        fake.push_reply(FakeReply::text(&["Hel", "lo, ", "wörld", "!"]).usage(USAGE));
        let events = chat_ok(chat_request(&fake)).await;
        assert_eq!(texts(&events), ["Hel", "lo, ", "wörld", "!"], "{kind:?}");
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Finished { stop: StopReason::EndTurn, tokens: expected_tokens(kind) }),
            "{kind:?}"
        );
        let finished = events.iter().filter(|e| matches!(e, StreamEvent::Finished { .. })).count();
        assert_eq!(finished, 1, "{kind:?}");
        assert_eq!(fake.chat_requests().len(), 1, "{kind:?}");
        assert_eq!(fake.pending_replies(), 0, "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tool_call_arrives_whole_with_parsed_arguments() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::start(kind);
        fake.push_reply(FakeReply::tool_call("pinchy_ls", json!({"path": "/data/hr"})).usage(USAGE));
        let events = chat_ok(chat_request(&fake)).await;
        let [StreamEvent::ToolCall(call), StreamEvent::Finished { stop, tokens }] = events.as_slice() else {
            panic!("{kind:?}: {events:?}");
        };
        assert_eq!(call.name, "pinchy_ls", "{kind:?}");
        assert_eq!(call.arguments, json!({"path": "/data/hr"}), "{kind:?}");
        assert!(!call.id.is_empty(), "{kind:?}");
        assert_eq!(*stop, StopReason::ToolUse, "{kind:?}");
        assert_eq!(*tokens, expected_tokens(kind), "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn text_and_several_tool_calls_come_in_order_with_distinct_ids() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::start(kind);
        let nested = json!({"path": "/data/hr/ä b.md", "options": {"lines": [1, 2, 3], "raw": true}});
        fake.push_reply(
            FakeReply::text(&["Let me ", "look."])
                .with_tool_call("pinchy_ls", json!({"path": "/data/hr"}))
                .with_tool_call("pinchy_read", nested.clone()),
        );
        let events = chat_ok(chat_request(&fake)).await;
        assert_eq!(texts(&events), ["Let me ", "look."], "{kind:?}");
        let calls: Vec<&ToolCall> = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall(c) => Some(c),
                _ => None,
            })
            .collect();
        assert_eq!(calls.len(), 2, "{kind:?}");
        assert_eq!((calls[0].name.as_str(), &calls[0].arguments), ("pinchy_ls", &json!({"path": "/data/hr"})));
        assert_eq!((calls[1].name.as_str(), &calls[1].arguments), ("pinchy_read", &nested), "{kind:?}");
        assert_ne!(calls[0].id, calls[1].id, "{kind:?}");
        // The text comes before the calls, the finish last.
        assert!(matches!(events[0], StreamEvent::Text(_)), "{kind:?}");
        assert!(matches!(events.last(), Some(StreamEvent::Finished { stop: StopReason::ToolUse, .. })), "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_ids_are_kept_and_missing_ones_are_made_up() {
    for (kind, first_id) in [
        (FakeKind::Openai, Some("call_fake_")),
        (FakeKind::Anthropic, Some("toolu_fake_")),
        (FakeKind::Google, None),
        (FakeKind::OllamaLocal, None),
    ] {
        let fake = FakeProvider::start(kind);
        fake.push_reply(
            FakeReply::tool_call("pinchy_ls", json!({})).with_tool_call("pinchy_ls", json!({"path": "/x"})),
        );
        let events = chat_ok(chat_request(&fake)).await;
        let ids: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall(c) => Some(c.id.as_str()),
                _ => None,
            })
            .collect();
        match first_id {
            Some(prefix) => assert!(ids.iter().all(|id| id.starts_with(prefix)), "{kind:?}: {ids:?}"),
            // Made up: distinct, and (with a random part per stream) never those of another step.
            None => {
                assert!(ids.len() == 2 && ids[0] != ids[1], "{kind:?}: {ids:?}");
                assert!(ids.iter().all(|id| id.starts_with("call_")), "{kind:?}: {ids:?}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hitting_the_token_limit_is_max_tokens() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::start(kind);
        fake.push_reply(FakeReply::text(&["Once upon"]).stop(FakeStop::MaxTokens));
        let events = chat_ok(chat_request(&fake)).await;
        assert!(
            matches!(events.last(), Some(StreamEvent::Finished { stop: StopReason::MaxTokens, .. })),
            "{kind:?}: {events:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn replies_are_taken_in_order_then_the_default() {
    let fake = FakeProvider::start(FakeKind::Openai);
    fake.push_reply(FakeReply::text(&["one"]));
    fake.push_reply(FakeReply::text(&["two"]));
    for expected in ["one", "two"] {
        assert_eq!(texts(&chat_ok(chat_request(&fake)).await).concat(), expected);
    }
    assert_eq!(texts(&chat_ok(chat_request(&fake)).await).concat(), FakeReply::default().full_text());
    fake.set_default_reply(FakeReply::text(&["again"]));
    assert_eq!(texts(&chat_ok(chat_request(&fake)).await).concat(), "again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_stream_within_the_idle_timeout_is_fine() {
    let fake = FakeProvider::builder(FakeKind::Anthropic)
        .behaviour(pincer_testkit::fakes::Behaviour::ChunkDelay(std::time::Duration::from_millis(20)))
        .start();
    fake.push_reply(FakeReply::text(&["a", "b", "c"]));
    let events = chat_ok(chat_request(&fake)).await;
    assert_eq!(texts(&events), ["a", "b", "c"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_serves_many_calls() {
    let fake = FakeProvider::start(FakeKind::OllamaCloud);
    let client = crate::chat_client();
    for n in 0..5 {
        fake.push_reply(FakeReply::text(&["n", &n.to_string()]));
        let stream = pincer_agents::chat::ModelClient::stream(&client, chat_request(&fake)).await.unwrap();
        let events: Vec<_> = crate::drain(stream).await.into_iter().map(Result::unwrap).collect();
        assert_eq!(texts(&events).concat(), format!("n{n}"));
    }
    assert_eq!(fake.chat_requests().len(), 5);
}
