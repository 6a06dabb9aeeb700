//! The Gemini API, streamed: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`, the key
//! in `x-goog-api-key` (never in the URL).
//!
//! The request: `{systemInstruction: {parts: [{text}]}, contents: [{role: "user" | "model",
//! parts: [{text} | {functionCall: {name, args}} | {functionResponse: {name, response}}]}],
//! tools: [{functionDeclarations: [{name, description, parameters}]}], generationConfig:
//! {maxOutputTokens}}`. The function responses of one step share one `user` content (the API
//! wants as many responses as the model turn had calls).
//!
//! The stream: `data:` chunks, each a `GenerateContentResponse` with `candidates[0].content.parts`
//! (text, or whole `functionCall`s), a `finishReason` on the last, and `usageMetadata` (the last
//! one counts). The stream ends with the body; function calls carry no id, so one is made up.

use std::collections::VecDeque;

use pincer_agents::chat::{ModelError, ModelRequest, StopReason, StreamEvent, ToolCall, Turn};
use pincer_usage::TokenCounts;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::stream::{CallIds, Decoder, Flow, Frame, object_or_empty, parse};

/// `/v1beta/models/<model>:streamGenerateContent?alt=sse`, the model id percent-encoded as a
/// path segment (and without the `models/` prefix a pasted id may carry).
pub(crate) fn path(model: &str) -> String {
    let model = model.strip_prefix("models/").unwrap_or(model);
    let mut path = String::with_capacity(model.len() + 48);
    path.push_str("/v1beta/models/");
    for byte in model.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            path.push(char::from(byte));
        } else {
            path.push_str(&format!("%{byte:02X}"));
        }
    }
    path.push_str(":streamGenerateContent?alt=sse");
    path
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<SystemInstruction<'a>>,
    contents: Vec<Content<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<Tools<'a>>,
    generation_config: GenerationConfig,
}

#[derive(Serialize)]
struct SystemInstruction<'a> {
    parts: [TextPart<'a>; 1],
}

#[derive(Serialize)]
struct TextPart<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Content<'a> {
    role: &'static str,
    parts: Vec<OutPart<'a>>,
}

/// One part: exactly one of `text`, `functionCall`, `functionResponse`; a function call carries
/// the `thoughtSignature` the model gave it, as a sibling field.
#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct OutPart<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_call: Option<OutCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_response: Option<OutResponse<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thought_signature: Option<&'a str>,
}

impl<'a> OutPart<'a> {
    fn text(text: &'a str) -> Self {
        OutPart { text: Some(text), ..OutPart::default() }
    }

    fn call(call: &'a ToolCall) -> Self {
        OutPart {
            function_call: Some(OutCall { id: wire_id(call), name: &call.name, args: &call.arguments }),
            thought_signature: signature(call),
            ..OutPart::default()
        }
    }
}

/// A call (and its response) carries the `id` the model gave the call, when it gave one: the
/// API versions that send ids match a response to its call by it.
#[derive(Serialize)]
struct OutCall<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    name: &'a str,
    args: &'a Value,
}

#[derive(Serialize)]
struct OutResponse<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    name: &'a str,
    response: FunctionResult<'a>,
}

/// The key, in a call's provider data, that says the call's id came from the model (a made-up
/// id is never sent back).
const WIRE_ID: &str = "idFromModel";

/// The call's id, if the model gave it.
fn wire_id(call: &ToolCall) -> Option<&str> {
    call.provider_data.as_ref()?.get(WIRE_ID)?.as_bool()?.then_some(call.id.as_str())
}

/// The key of the signature in a call's provider data (and on the wire).
const SIGNATURE: &str = "thoughtSignature";

/// The `thoughtSignature` kept with a call, if the model gave one.
fn signature(call: &ToolCall) -> Option<&str> {
    call.provider_data.as_ref()?.get(SIGNATURE)?.as_str()
}

/// What a function answered: its output under `content`, or `error` when it failed.
#[derive(Serialize)]
enum FunctionResult<'a> {
    #[serde(rename = "content")]
    Content(&'a str),
    #[serde(rename = "error")]
    Error(&'a str),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Tools<'a> {
    function_declarations: Vec<FunctionDeclaration<'a>>,
}

#[derive(Serialize)]
struct FunctionDeclaration<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig {
    max_output_tokens: u32,
}

pub(crate) fn body(request: &ModelRequest) -> Result<Vec<u8>, serde_json::Error> {
    let mut contents: Vec<Content<'_>> = Vec::with_capacity(request.turns.len());
    // Ids the model gave its calls, so their responses carry them back.
    let mut wire_ids: Vec<&str> = Vec::new();
    for turn in &request.turns {
        match turn {
            Turn::User { text } => {
                if !text.is_empty() {
                    contents.push(Content { role: "user", parts: vec![OutPart::text(text)] });
                }
            }
            Turn::Assistant { text, tool_calls } => {
                let mut parts = Vec::with_capacity(tool_calls.len() + 1);
                if !text.is_empty() {
                    parts.push(OutPart::text(text));
                }
                parts.extend(tool_calls.iter().map(OutPart::call));
                wire_ids.extend(tool_calls.iter().filter_map(wire_id));
                if !parts.is_empty() {
                    contents.push(Content { role: "model", parts });
                }
            }
            Turn::ToolResult { call_id, name, content, is_error } => {
                let response =
                    if *is_error { FunctionResult::Error(content) } else { FunctionResult::Content(content) };
                let id = wire_ids.contains(&call_id.as_str()).then_some(call_id.as_str());
                let part =
                    OutPart { function_response: Some(OutResponse { id, name, response }), ..OutPart::default() };
                match contents.last_mut() {
                    Some(Content { role: "user", parts }) if parts.iter().all(|p| p.function_response.is_some()) => {
                        parts.push(part);
                    }
                    _ => contents.push(Content { role: "user", parts: vec![part] }),
                }
            }
        }
    }
    let tools = if request.tools.is_empty() {
        Vec::new()
    } else {
        vec![Tools {
            function_declarations: request
                .tools
                .iter()
                .map(|t| FunctionDeclaration { name: &t.name, description: &t.description, parameters: &t.parameters })
                .collect(),
        }]
    };
    serde_json::to_vec(&Request {
        system_instruction: (!request.system.is_empty())
            .then(|| SystemInstruction { parts: [TextPart { text: &request.system }] }),
        contents,
        tools,
        generation_config: GenerationConfig { max_output_tokens: request.max_output_tokens },
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Chunk {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    usage_metadata: Option<Usage>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    error: Option<StreamError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<CandidateContent>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct CandidateContent {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part {
    #[serde(default)]
    text: Option<String>,
    /// A thought summary, not part of the answer.
    #[serde(default)]
    thought: Option<bool>,
    #[serde(default)]
    function_call: Option<FunctionCall>,
    /// Gemini 3 (and 2.5 with thinking) signs its function calls: the signature must come back
    /// with the call on the next turn.
    #[serde(default)]
    thought_signature: Option<String>,
}

#[derive(Deserialize)]
struct FunctionCall {
    name: String,
    #[serde(default)]
    args: Option<Value>,
    /// Sent by some API versions.
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Usage {
    #[serde(default)]
    prompt_token_count: u64,
    #[serde(default)]
    candidates_token_count: u64,
    #[serde(default)]
    cached_content_token_count: u64,
    /// Thinking tokens, billed as output but not counted in `candidatesTokenCount`.
    #[serde(default)]
    thoughts_token_count: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
}

#[derive(Deserialize)]
struct StreamError {
    #[serde(default)]
    code: Option<u16>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: ErrorDetails,
}

#[derive(Deserialize)]
struct ErrorDetails {
    #[serde(default)]
    details: Vec<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default, rename = "@type")]
    kind: Option<String>,
    #[serde(default, rename = "retryDelay")]
    retry_delay: Option<String>,
}

/// The `retryDelay` (`"30s"`, `"1.5s"`) of the `google.rpc.RetryInfo` detail of an error answer,
/// in whole seconds (rounded up): Google sends it instead of a `Retry-After` header.
pub(crate) fn retry_delay(body: &[u8]) -> Option<u64> {
    let answer: ErrorAnswer = serde_json::from_slice(body).ok()?;
    answer
        .error
        .details
        .into_iter()
        .filter(|d| d.kind.as_deref().is_some_and(|k| k.ends_with("google.rpc.RetryInfo")))
        .find_map(|d| {
            let seconds = d.retry_delay?.trim().strip_suffix('s')?.parse::<f64>().ok()?;
            (seconds.is_finite() && (0.0..1e9).contains(&seconds)).then(|| seconds.ceil() as u64)
        })
}

/// Assembles a `streamGenerateContent` stream.
#[derive(Clone, Debug, Default)]
pub(crate) struct GenerateDecoder {
    calls: usize,
    ids: CallIds,
    finish: Option<StopReason>,
    tokens: Option<TokenCounts>,
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "STOP" => StopReason::EndTurn,
        "MAX_TOKENS" => StopReason::MaxTokens,
        // Blocked by a safety or policy filter: a refusal, not an empty answer.
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => StopReason::Refusal,
        _ => StopReason::Other,
    }
}

#[cfg(test)]
impl GenerateDecoder {
    /// A decoder whose made-up ids are `call_1`, `call_2`, …
    pub(crate) fn with_plain_ids() -> Self {
        Self { ids: CallIds::with_prefix("call"), ..Self::default() }
    }
}

impl Decoder for GenerateDecoder {
    fn frame(&mut self, frame: Frame, out: &mut VecDeque<StreamEvent>) -> Result<Flow, ModelError> {
        let chunk: Chunk = parse(&frame.data)?;
        if let Some(error) = chunk.error {
            return Err(match error.code {
                Some(429) => ModelError::RateLimited { retry_after_secs: None },
                Some(code) if code >= 500 => ModelError::Upstream(code),
                _ => ModelError::BrokenStream,
            });
        }
        if chunk.prompt_feedback.and_then(|f| f.block_reason).is_some() {
            // The prompt was blocked: no candidate comes.
            self.finish = Some(StopReason::Refusal);
        }
        if let Some(candidate) = chunk.candidates.into_iter().next() {
            for part in candidate.content.into_iter().flat_map(|c| c.parts) {
                if let Some(call) = part.function_call {
                    self.calls += 1;
                    let given = call.id.filter(|id| !id.is_empty());
                    let mut data = serde_json::Map::new();
                    if let Some(signature) = part.thought_signature {
                        data.insert(SIGNATURE.into(), Value::String(signature));
                    }
                    if given.is_some() {
                        data.insert(WIRE_ID.into(), Value::Bool(true));
                    }
                    let provider_data = (!data.is_empty()).then_some(Value::Object(data));
                    let id = given.unwrap_or_else(|| self.ids.next_id());
                    let arguments = call.args.map_or_else(super::stream::empty_object, object_or_empty);
                    out.push_back(StreamEvent::ToolCall(ToolCall { id, name: call.name, arguments, provider_data }));
                } else if let Some(text) = part.text.filter(|t| !t.is_empty())
                    && part.thought != Some(true)
                {
                    out.push_back(StreamEvent::Text(text));
                }
            }
            if let Some(reason) = candidate.finish_reason {
                self.finish = Some(stop_reason(&reason));
            }
        }
        if let Some(usage) = chunk.usage_metadata {
            // `promptTokenCount` includes the cached tokens: they are counted once, as `cache_read`.
            self.tokens = Some(TokenCounts {
                input: usage.prompt_token_count.saturating_sub(usage.cached_content_token_count),
                output: usage.candidates_token_count + usage.thoughts_token_count,
                cache_read: usage.cached_content_token_count,
                cache_write: 0,
            });
        }
        Ok(Flow::More)
    }

    fn end(&mut self, _out: &mut VecDeque<StreamEvent>) -> Result<(StopReason, TokenCounts), ModelError> {
        let (Some(finish), Some(tokens)) = (self.finish, self.tokens) else { return Err(ModelError::BrokenStream) };
        // A function call finishes with "STOP" like an answer does.
        let stop = if self.calls > 0 && finish == StopReason::EndTurn { StopReason::ToolUse } else { finish };
        Ok((stop, tokens))
    }
}

#[cfg(test)]
mod tests {
    use pincer_agents::chat::ToolSpec;
    use pincer_agents::{Endpoint, ProviderKind};
    use serde_json::json;

    use super::super::stream::testing::decode_sse_every_way;
    use super::*;

    /// As the API sends it: CRLF line ends, usage in every chunk, the finish on the last.
    const TEXT: &str = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The\"}],\"role\": \"model\"},\"index\": 0}],\
        \"usageMetadata\": {\"promptTokenCount\": 30,\"candidatesTokenCount\": 1,\"totalTokenCount\": 31},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n\
        data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" answer\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\
        \"usageMetadata\": {\"promptTokenCount\": 30,\"candidatesTokenCount\": 9,\"cachedContentTokenCount\": 8,\"totalTokenCount\": 39,\
        \"thoughtsTokenCount\": 2},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n";

    #[test]
    fn text_streams_and_the_last_usage_counts() {
        assert_eq!(
            decode_sse_every_way(TEXT, GenerateDecoder::with_plain_ids()),
            vec![
                Ok(StreamEvent::Text("The".into())),
                Ok(StreamEvent::Text(" answer".into())),
                Ok(StreamEvent::Finished {
                    stop: StopReason::EndTurn,
                    tokens: TokenCounts { input: 22, output: 11, cache_read: 8, cache_write: 0 },
                }),
            ]
        );
    }

    #[test]
    fn function_calls_get_ids_and_stop_for_tools() {
        let body = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Let me look.\"},\
            {\"functionCall\": {\"name\": \"pinchy_ls\",\"args\": {\"path\": \"/data\"}}},\
            {\"functionCall\": {\"name\": \"pinchy_read\",\"args\": {\"path\": \"/data/a.md\"}}}],\"role\": \"model\"},\
            \"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 50,\"candidatesTokenCount\": 20}}\r\n\r\n";
        assert_eq!(
            decode_sse_every_way(body, GenerateDecoder::with_plain_ids()),
            vec![
                Ok(StreamEvent::Text("Let me look.".into())),
                Ok(StreamEvent::ToolCall(ToolCall {
                    id: "call_1".into(),
                    name: "pinchy_ls".into(),
                    arguments: json!({"path": "/data"}),
                    provider_data: None,
                })),
                Ok(StreamEvent::ToolCall(ToolCall {
                    id: "call_2".into(),
                    name: "pinchy_read".into(),
                    arguments: json!({"path": "/data/a.md"}),
                    provider_data: None,
                })),
                Ok(StreamEvent::Finished {
                    stop: StopReason::ToolUse,
                    tokens: TokenCounts { input: 50, output: 20, ..TokenCounts::default() },
                }),
            ]
        );
    }

    /// API versions that give calls an id match responses by it: the id is kept, sent back with
    /// the call and its response; a made-up id is never sent.
    #[test]
    fn ids_the_model_gives_go_back_with_the_call_and_its_response() {
        let body = "data: {\"candidates\": [{\"content\": {\"parts\": [\
            {\"functionCall\": {\"id\": \"fc-7\",\"name\": \"pinchy_ls\",\"args\": {\"path\": \"/data\"}}},\
            {\"functionCall\": {\"name\": \"pinchy_read\",\"args\": {\"path\": \"/x\"}}}],\"role\": \"model\"},\
            \"finishReason\": \"STOP\",\"index\": 0}]}\r\n\r\n";
        let calls: Vec<ToolCall> = decode_sse_every_way(body, GenerateDecoder::with_plain_ids())
            .into_iter()
            .filter_map(|e| match e {
                Ok(StreamEvent::ToolCall(call)) => Some(call),
                _ => None,
            })
            .collect();
        assert_eq!(calls.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["fc-7", "call_1"]);

        let mut next = request();
        next.turns = vec![
            Turn::User { text: "List".into() },
            Turn::Assistant { text: String::new(), tool_calls: calls.clone() },
            Turn::ToolResult {
                call_id: "fc-7".into(),
                name: "pinchy_ls".into(),
                content: "hr/".into(),
                is_error: false,
            },
            Turn::ToolResult {
                call_id: "call_1".into(),
                name: "pinchy_read".into(),
                content: "x".into(),
                is_error: false,
            },
        ];
        let sent: Value = serde_json::from_slice(&super::body(&next).unwrap()).unwrap();
        let model = &sent["contents"][1]["parts"];
        assert_eq!(model[0]["functionCall"]["id"], "fc-7");
        assert_eq!(model[1]["functionCall"].get("id"), None, "a made-up id stays here");
        let responses = &sent["contents"][2]["parts"];
        assert_eq!(responses[0]["functionResponse"]["id"], "fc-7");
        assert_eq!(responses[1]["functionResponse"].get("id"), None);
        assert_eq!(model[0].get("idFromModel"), None, "the marker never goes on the wire");
    }

    #[test]
    fn a_stream_without_a_finish_is_broken() {
        let first = TEXT.split("\r\n\r\n").next().unwrap().to_string() + "\r\n\r\n";
        assert_eq!(
            decode_sse_every_way(&first, GenerateDecoder::with_plain_ids()),
            vec![Ok(StreamEvent::Text("The".into())), Err(ModelError::BrokenStream)]
        );
        let max = TEXT.replace("\"STOP\"", "\"MAX_TOKENS\"");
        assert!(matches!(
            decode_sse_every_way(&max, GenerateDecoder::with_plain_ids()).last(),
            Some(Ok(StreamEvent::Finished { stop: StopReason::MaxTokens, .. }))
        ));
    }

    /// Gemini 3: the signature sits beside the first `functionCall` part; it is kept with the
    /// call and sent back with it, beside the same call, on the next turn.
    #[test]
    fn thought_signatures_are_kept_and_sent_back() {
        let body = "data: {\"candidates\": [{\"content\": {\"parts\": [\
            {\"functionCall\": {\"name\": \"pinchy_ls\",\"args\": {\"path\": \"/data\"}},\"thoughtSignature\": \"CiQBsig==\"},\
            {\"functionCall\": {\"name\": \"pinchy_read\",\"args\": {\"path\": \"/x\"}}}],\"role\": \"model\"},\
            \"finishReason\": \"STOP\"}],\"usageMetadata\": {\"promptTokenCount\": 5,\"candidatesTokenCount\": 2,\"thoughtsTokenCount\": 7}}\r\n\r\n";
        let events = decode_sse_every_way(body, GenerateDecoder::with_plain_ids());
        let calls: Vec<ToolCall> = events
            .iter()
            .filter_map(|e| match e {
                Ok(StreamEvent::ToolCall(call)) => Some(call.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(calls[0].provider_data, Some(json!({"thoughtSignature": "CiQBsig=="})));
        assert_eq!(calls[1].provider_data, None);
        assert!(matches!(
            events.last(),
            Some(Ok(StreamEvent::Finished { stop: StopReason::ToolUse, tokens })) if tokens.output == 9
        ));
        let mut request = request();
        request.turns = vec![
            Turn::User { text: "List".into() },
            Turn::Assistant { text: String::new(), tool_calls: calls },
            Turn::ToolResult {
                call_id: "call_1".into(),
                name: "pinchy_ls".into(),
                content: "a".into(),
                is_error: false,
            },
            Turn::ToolResult {
                call_id: "call_2".into(),
                name: "pinchy_read".into(),
                content: "b".into(),
                is_error: false,
            },
        ];
        let sent: Value = serde_json::from_slice(&super::body(&request).unwrap()).unwrap();
        assert_eq!(
            sent["contents"][1]["parts"],
            json!([
                {"functionCall": {"name": "pinchy_ls", "args": {"path": "/data"}}, "thoughtSignature": "CiQBsig=="},
                {"functionCall": {"name": "pinchy_read", "args": {"path": "/x"}}},
            ])
        );
    }

    #[test]
    fn safety_finishes_and_blocked_prompts_are_refusals() {
        for reason in ["SAFETY", "PROHIBITED_CONTENT", "RECITATION", "BLOCKLIST", "SPII"] {
            let body = TEXT.replace("\"STOP\"", &format!("\"{reason}\""));
            assert!(
                matches!(
                    decode_sse_every_way(&body, GenerateDecoder::default()).last(),
                    Some(Ok(StreamEvent::Finished { stop: StopReason::Refusal, .. }))
                ),
                "{reason}"
            );
        }
        let blocked = "data: {\"promptFeedback\": {\"blockReason\": \"SAFETY\",\"safetyRatings\": []},\
            \"usageMetadata\": {\"promptTokenCount\": 8,\"totalTokenCount\": 8}}\r\n\r\n";
        assert!(matches!(
            decode_sse_every_way(blocked, GenerateDecoder::default()).as_slice(),
            [Ok(StreamEvent::Finished { stop: StopReason::Refusal, .. })]
        ));
    }

    #[test]
    fn made_up_ids_differ_between_streams() {
        let body = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"pinchy_ls\"}}]},\
            \"finishReason\": \"STOP\"}],\"usageMetadata\": {\"promptTokenCount\": 5}}\r\n\r\n";
        let id = || match &decode_sse_every_way(body, GenerateDecoder::default())[0] {
            Ok(StreamEvent::ToolCall(call)) => call.id.clone(),
            other => panic!("{other:?}"),
        };
        let (first, second) = (id(), id());
        assert!(first.starts_with("call_") && second.starts_with("call_"), "{first} {second}");
        assert_ne!(first, second, "every step gets ids of its own");
    }

    #[test]
    fn the_retry_delay_is_read_from_the_error_details() {
        let body = br#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED",
            "details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"27.4s"}]}}"#;
        assert_eq!(retry_delay(body), Some(28));
        assert_eq!(retry_delay(br#"{"error":{"code":429,"details":[]}}"#), None);
        assert_eq!(retry_delay(b"<html>"), None);
    }

    #[test]
    fn the_path_encodes_the_model() {
        assert_eq!(path("gemini-2.5-flash"), "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
        assert_eq!(path("models/gemini-2.5-pro"), "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse");
        assert_eq!(path("../x?y"), "/v1beta/models/..%2Fx%3Fy:streamGenerateContent?alt=sse");
    }

    fn request() -> ModelRequest {
        ModelRequest {
            endpoint: Endpoint {
                kind: ProviderKind::Google,
                base_url: "https://generativelanguage.googleapis.com".into(),
                api_key: None,
                allow_private: false,
            },
            model: "gemini-2.5-flash".into(),
            system: "Be brief.".into(),
            turns: vec![
                Turn::User { text: "List".into() },
                Turn::Assistant {
                    text: String::new(),
                    tool_calls: vec![
                        ToolCall {
                            id: "call_1".into(),
                            name: "pinchy_ls".into(),
                            arguments: json!({"path": "/data"}),
                            provider_data: None,
                        },
                        ToolCall {
                            id: "call_2".into(),
                            name: "pinchy_read".into(),
                            arguments: json!({"path": "/x"}),
                            provider_data: None,
                        },
                    ],
                },
                Turn::ToolResult {
                    call_id: "call_1".into(),
                    name: "pinchy_ls".into(),
                    content: "hr/".into(),
                    is_error: false,
                },
                Turn::ToolResult {
                    call_id: "call_2".into(),
                    name: "pinchy_read".into(),
                    content: "denied".into(),
                    is_error: true,
                },
            ],
            tools: vec![ToolSpec {
                name: "pinchy_ls".into(),
                description: "List".into(),
                parameters: json!({"type": "object"}),
            }],
            max_output_tokens: 256,
        }
    }

    #[test]
    fn the_body_has_the_documented_shape() {
        let body: Value = serde_json::from_slice(&super::body(&request()).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "systemInstruction": {"parts": [{"text": "Be brief."}]},
                "contents": [
                    {"role": "user", "parts": [{"text": "List"}]},
                    {"role": "model", "parts": [
                        {"functionCall": {"name": "pinchy_ls", "args": {"path": "/data"}}},
                        {"functionCall": {"name": "pinchy_read", "args": {"path": "/x"}}},
                    ]},
                    {"role": "user", "parts": [
                        {"functionResponse": {"name": "pinchy_ls", "response": {"content": "hr/"}}},
                        {"functionResponse": {"name": "pinchy_read", "response": {"error": "denied"}}},
                    ]},
                ],
                "tools": [{"functionDeclarations": [{"name": "pinchy_ls", "description": "List", "parameters": {"type": "object"}}]}],
                "generationConfig": {"maxOutputTokens": 256},
            })
        );
    }
}
