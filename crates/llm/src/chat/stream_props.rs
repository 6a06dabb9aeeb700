//! Property tests of the stream framing: a body cut into chunks anywhere (inside a multi-byte
//! character, between the `\r` and the `\n` of a line end, inside a field name) gives the same
//! frames, and the decoders the same events, as the body in one chunk. The network decides the
//! chunking, so nothing may depend on it.

use futures::StreamExt;
use futures::stream::{self, BoxStream};
use pincer_agents::chat::{ModelError, StreamEvent};
use proptest::prelude::*;
use serde_json::json;

use super::anthropic::MessagesDecoder;
use super::google::GenerateDecoder;
use super::ollama::ChatDecoder as OllamaDecoder;
use super::openai::ChatDecoder as OpenaiDecoder;
use super::stream::{Decoder, Frame, Origin, drive, ndjson_lines, sse_events};

/// A body in chunks, as the network hands it over.
type Pieces = Vec<Result<Vec<u8>, ModelError>>;
/// Chunks into frames (SSE events or NDJSON lines).
type Framing = fn(Pieces) -> BoxStream<'static, Result<Frame, ModelError>>;
/// Frames as (event name, data).
type Frames = Vec<Result<(String, String), ModelError>>;

/// `body` cut at these byte offsets (any order, repeats and out-of-range ones ignored).
fn cut(body: &[u8], mut at: Vec<usize>) -> Pieces {
    at.retain(|&i| i > 0 && i < body.len());
    at.sort_unstable();
    at.dedup();
    let mut pieces = Vec::with_capacity(at.len() + 1);
    let mut start = 0;
    for end in at.into_iter().chain(std::iter::once(body.len())) {
        pieces.push(Ok(body[start..end].to_vec()));
        start = end;
    }
    pieces
}

fn frames(frames: BoxStream<'static, Result<Frame, ModelError>>) -> Frames {
    futures::executor::block_on(frames.map(|f| f.map(|f| (f.event, f.data))).collect())
}

fn sse(pieces: Pieces) -> Frames {
    frames(sse_events(stream::iter(pieces)))
}

fn ndjson(pieces: Pieces) -> Frames {
    frames(ndjson_lines(stream::iter(pieces)))
}

fn events<D: Decoder>(framing: Framing, pieces: Pieces, decoder: D) -> Vec<Result<StreamEvent, ModelError>> {
    let origin = Origin { kind: "test", host: "test".to_string() };
    futures::executor::block_on(drive(framing(pieces), decoder, true, origin).collect())
}

fn sse_stream(pieces: Pieces) -> BoxStream<'static, Result<Frame, ModelError>> {
    sse_events(stream::iter(pieces))
}

fn ndjson_stream(pieces: Pieces) -> BoxStream<'static, Result<Frame, ModelError>> {
    ndjson_lines(stream::iter(pieces))
}

/// Text with what breaks naive framing: multi-byte characters of every length, quotes, colons,
/// backslashes, no line ends (they would end the field).
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("a".to_string()),
            Just(" ".to_string()),
            Just(":".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("é".to_string()),
            Just("€".to_string()),
            Just("𝄞".to_string()),
            Just("日本".to_string()),
            "[^\r\n]".prop_map(|s| s),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

/// One SSE event: an optional name, data lines (at least one non-empty in all), an optional
/// comment line before it.
fn sse_event() -> impl Strategy<Value = (Option<String>, Vec<String>, bool)> {
    (
        proptest::option::of("[a-z_]{1,12}"),
        proptest::collection::vec(text(), 1..4).prop_filter("some data", |lines| !lines.concat().is_empty()),
        any::<bool>(),
    )
}

fn line_end() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("\n"), Just("\r\n")]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sse_frames_do_not_depend_on_chunking(
        events in proptest::collection::vec(sse_event(), 1..6),
        newline in line_end(),
        at in proptest::collection::vec(any::<usize>(), 0..24),
    ) {
        let mut body = String::new();
        for (name, data, comment) in &events {
            if *comment {
                body.push_str(": ping");
                body.push_str(newline);
            }
            if let Some(name) = name {
                body.push_str(&format!("event: {name}{newline}"));
            }
            for line in data {
                body.push_str(&format!("data: {line}{newline}"));
            }
            body.push_str(newline);
        }
        let expected: Frames = events
            .iter()
            .map(|(name, data, _)| Ok((name.clone().unwrap_or_else(|| "message".into()), data.join("\n"))))
            .collect();
        let bytes = body.as_bytes();
        let at: Vec<usize> = at.into_iter().map(|i| i % (bytes.len() + 1)).collect();
        prop_assert_eq!(sse(cut(bytes, Vec::new())), expected.clone());
        prop_assert_eq!(sse(cut(bytes, at.clone())), expected);
        // Every byte its own chunk.
        prop_assert_eq!(sse(cut(bytes, (1..bytes.len()).collect())), sse(cut(bytes, Vec::new())));
    }

    #[test]
    fn ndjson_lines_do_not_depend_on_chunking(
        lines in proptest::collection::vec((text(), any::<bool>()), 1..6),
        newline in line_end(),
        last_newline in any::<bool>(),
        at in proptest::collection::vec(any::<usize>(), 0..24),
    ) {
        let mut body = String::new();
        for (n, (text, blank_before)) in lines.iter().enumerate() {
            if *blank_before {
                body.push_str(newline);
            }
            body.push_str(&json!({"message": {"content": text}, "done": false}).to_string());
            if n + 1 < lines.len() || last_newline {
                body.push_str(newline);
            }
        }
        let bytes = body.as_bytes();
        let whole = ndjson(cut(bytes, Vec::new()));
        let contents: Vec<String> = whole
            .iter()
            .map(|f| {
                let (_, data) = f.as_ref().expect("a line");
                let value: serde_json::Value = serde_json::from_str(data).expect("JSON");
                value["message"]["content"].as_str().expect("content").to_string()
            })
            .collect();
        prop_assert_eq!(contents, lines.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>());
        let at: Vec<usize> = at.into_iter().map(|i| i % (bytes.len() + 1)).collect();
        prop_assert_eq!(ndjson(cut(bytes, at)), whole.clone());
        prop_assert_eq!(ndjson(cut(bytes, (1..bytes.len()).collect())), whole);
    }

    /// Whole recorded streams of each format through their decoders.
    #[test]
    fn decoded_events_do_not_depend_on_chunking(
        text in text(),
        at in proptest::collection::vec(any::<usize>(), 0..32),
    ) {
        let piece = serde_json::to_string(&text).expect("a JSON string");
        let gemini = format!(
            "data: {{\"candidates\": [{{\"content\": {{\"parts\": [{{\"text\": {piece}}}],\"role\": \"model\"}},\"index\": 0}}]}}\r\n\r\n\
             data: {{\"candidates\": [{{\"content\": {{\"parts\": [{{\"text\": \"é\"}}]}},\"finishReason\": \"STOP\"}}],\
             \"usageMetadata\": {{\"promptTokenCount\": 3,\"candidatesTokenCount\": 2,\"thoughtsTokenCount\": 1}}}}\r\n\r\n"
        );
        let anthropic = format!(
            "event: message_start\ndata: {{\"type\":\"message_start\",\"message\":{{\"usage\":{{\"input_tokens\":5}}}}}}\n\n\
             event: content_block_start\ndata: {{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{{\"type\":\"text\",\"text\":\"\"}}}}\n\n\
             event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":{piece}}}}}\n\n\
             event: message_delta\ndata: {{\"type\":\"message_delta\",\"delta\":{{\"stop_reason\":\"end_turn\"}},\"usage\":{{\"output_tokens\":4}}}}\n\n\
             event: message_stop\ndata: {{\"type\":\"message_stop\"}}\n\n"
        );
        let openai = format!(
            "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{piece}}},\"finish_reason\":null}}]}}\n\n\
             data: {{\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}\n\n\
             data: {{\"choices\":[],\"usage\":{{\"prompt_tokens\":4,\"completion_tokens\":2}}}}\n\ndata: [DONE]\n\n"
        );
        let ollama = format!(
            "{{\"message\":{{\"role\":\"assistant\",\"content\":{piece}}},\"done\":false}}\r\n\
             {{\"message\":{{\"role\":\"assistant\",\"content\":\"\"}},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":2,\"eval_count\":1}}\r\n"
        );
        fn check<D: Decoder + Clone>(
            framing: Framing,
            body: &str,
            at: &[usize],
            decoder: D,
        ) -> Result<(), TestCaseError> {
            let bytes = body.as_bytes();
            let whole = events(framing, cut(bytes, Vec::new()), decoder.clone());
            prop_assert!(matches!(whole.last(), Some(Ok(StreamEvent::Finished { .. }))), "{:?}", whole);
            let at: Vec<usize> = at.iter().map(|i| i % (bytes.len() + 1)).collect();
            prop_assert_eq!(events(framing, cut(bytes, at), decoder.clone()), whole.clone());
            prop_assert_eq!(events(framing, cut(bytes, (1..bytes.len()).collect()), decoder), whole);
            Ok(())
        }
        check(sse_stream, &gemini, &at, GenerateDecoder::default())?;
        check(sse_stream, &anthropic, &at, MessagesDecoder::default())?;
        check(sse_stream, &openai, &at, OpenaiDecoder::new(true))?;
        check(ndjson_stream, &ollama, &at, OllamaDecoder::default())?;
    }
}
