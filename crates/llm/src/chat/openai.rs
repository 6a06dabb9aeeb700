//! OpenAI Chat Completions, streamed (`POST /v1/chat/completions`, or `/chat/completions` under
//! an OpenAI-compatible base that ends in its version), and reused for the tools of Ollama.
//!
//! The request: `{model, messages, tools, stream: true, stream_options: {include_usage: true},
//! max_completion_tokens | max_tokens}`; the system prompt is the first message; an assistant
//! turn carries `tool_calls: [{id, type: "function", function: {name, arguments: "<JSON>"}}]`;
//! a tool result is `{role: "tool", tool_call_id, content}`.
//!
//! The stream: `data:` chunks with `choices[0].delta` (`content` text; `tool_calls` fragments by
//! `index`, the id and name in the first, the arguments text spread over the rest), then
//! `finish_reason`, then (asked by `include_usage`) a chunk with `choices: []` and `usage`, then
//! `data: [DONE]`.

use std::collections::VecDeque;

use pincer_agents::chat::{ModelError, ModelRequest, StopReason, StreamEvent, ToolCall, ToolSpec, Turn};
use pincer_usage::TokenCounts;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::stream::{CallIds, Decoder, Flow, Frame, arguments_from_text, parse};

/// The most tool calls one answer may carry (an `index` past it is not a real answer).
const MAX_CALLS: usize = 128;

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    messages: Vec<Message<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<Tool<'a>>,
    stream: bool,
    stream_options: StreamOptions,
    /// OpenAI's own name for the limit (its reasoning models refuse `max_tokens`).
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    /// What compatible servers understand.
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
enum Message<'a> {
    System {
        content: &'a str,
    },
    User {
        content: &'a str,
    },
    Assistant {
        /// `null` when the turn is only tool calls, as the API itself answers it.
        content: Option<&'a str>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<OutCall<'a>>,
    },
    Tool {
        tool_call_id: &'a str,
        content: &'a str,
    },
}

#[derive(Serialize)]
struct OutCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: OutFunction<'a>,
}

#[derive(Serialize)]
struct OutFunction<'a> {
    name: &'a str,
    /// The arguments as JSON text, as the API wants them.
    arguments: String,
}

/// A tool in the function-calling shape (Chat Completions and Ollama's `/api/chat`).
#[derive(Serialize)]
pub(crate) struct Tool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionSpec<'a>,
}

#[derive(Serialize)]
struct FunctionSpec<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

pub(crate) fn tools(specs: &[ToolSpec]) -> Vec<Tool<'_>> {
    specs
        .iter()
        .map(|t| Tool {
            kind: "function",
            function: FunctionSpec { name: &t.name, description: &t.description, parameters: &t.parameters },
        })
        .collect()
}

/// The request body; `compatible` selects `max_tokens` over `max_completion_tokens`.
pub(crate) fn body(request: &ModelRequest, compatible: bool) -> Result<Vec<u8>, serde_json::Error> {
    let mut messages = Vec::with_capacity(request.turns.len() + 1);
    if !request.system.is_empty() {
        messages.push(Message::System { content: &request.system });
    }
    for turn in &request.turns {
        messages.push(match turn {
            Turn::User { text } => Message::User { content: text },
            Turn::Assistant { text, tool_calls } => Message::Assistant {
                content: (!text.is_empty() || tool_calls.is_empty()).then_some(text.as_str()),
                tool_calls: tool_calls
                    .iter()
                    .map(|c| {
                        Ok(OutCall {
                            id: &c.id,
                            kind: "function",
                            function: OutFunction { name: &c.name, arguments: serde_json::to_string(&c.arguments)? },
                        })
                    })
                    .collect::<Result<_, serde_json::Error>>()?,
            },
            Turn::ToolResult { call_id, content, .. } => Message::Tool { tool_call_id: call_id, content },
        });
    }
    let limit = Some(request.max_output_tokens);
    serde_json::to_vec(&Request {
        model: &request.model,
        messages,
        tools: tools(&request.tools),
        stream: true,
        stream_options: StreamOptions { include_usage: true },
        max_completion_tokens: if compatible { None } else { limit },
        max_tokens: if compatible { limit } else { None },
    })
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<StreamError>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    /// Why the model declines to answer (instead of `content`).
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<CallDelta>>,
}

#[derive(Deserialize)]
struct CallDelta {
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct StreamError {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    code: Option<Value>,
}

impl Usage {
    /// `prompt_tokens` includes the cached ones: they are counted once, as `cache_read`.
    fn tokens(&self) -> TokenCounts {
        let cached = self.prompt_tokens_details.as_ref().and_then(|d| d.cached_tokens).unwrap_or(0);
        TokenCounts {
            input: self.prompt_tokens.saturating_sub(cached),
            output: self.completion_tokens,
            cache_read: cached,
            cache_write: 0,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// Assembles a Chat Completions stream.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChatDecoder {
    /// OpenAI itself always sends the usage chunk it was asked for; a compatible server may not.
    require_usage: bool,
    calls: Vec<PartialCall>,
    /// For servers that send calls without ids.
    ids: CallIds,
    /// The model sent refusal text (`delta.refusal`) instead of an answer.
    refused: bool,
    /// How many of `calls` were handed out (or skipped, for want of a name).
    emitted: usize,
    /// How many tool calls were handed out.
    handed_out: usize,
    finish: Option<StopReason>,
    tokens: Option<TokenCounts>,
}

impl ChatDecoder {
    pub(crate) fn new(require_usage: bool) -> ChatDecoder {
        ChatDecoder { require_usage, ..ChatDecoder::default() }
    }

    /// A decoder whose made-up ids are `call_1`, `call_2`, …
    #[cfg(test)]
    pub(crate) fn with_plain_ids(require_usage: bool) -> ChatDecoder {
        ChatDecoder { ids: CallIds::with_prefix("call"), ..ChatDecoder::new(require_usage) }
    }

    fn call_delta(&mut self, delta: CallDelta) -> Result<(), ModelError> {
        let slot = match delta.index {
            Some(index) if index >= MAX_CALLS => return Err(ModelError::BadResponse),
            Some(index) => {
                if self.calls.len() <= index {
                    self.calls.resize_with(index + 1, PartialCall::default);
                }
                index
            }
            // Servers that send no index: a new id starts a new call, and so does a name once the
            // last call's arguments are complete JSON (servers that send each call whole, without
            // an id); the rest continues the last call.
            None => {
                let named = delta.function.as_ref().and_then(|f| f.name.as_deref()).is_some_and(|n| !n.is_empty());
                let starts_new = match (&delta.id, self.calls.last()) {
                    (_, None) => true,
                    (Some(id), Some(last)) if !id.is_empty() && !last.id.is_empty() => *id != last.id,
                    (_, Some(last)) => {
                        named
                            && !last.name.is_empty()
                            && serde_json::from_str::<Value>(&last.arguments).is_ok_and(|v| v.is_object())
                    }
                };
                if starts_new {
                    if self.calls.len() >= MAX_CALLS {
                        return Err(ModelError::BadResponse);
                    }
                    self.calls.push(PartialCall::default());
                }
                self.calls.len() - 1
            }
        };
        if slot < self.emitted {
            // A fragment for a call already handed out (after its finish_reason): not a real stream.
            return Err(ModelError::BadResponse);
        }
        let call = &mut self.calls[slot];
        if let Some(id) = delta.id.filter(|id| !id.is_empty())
            && call.id.is_empty()
        {
            call.id = id;
        }
        if let Some(function) = delta.function {
            if let Some(name) = function.name.filter(|n| !n.is_empty())
                && call.name.is_empty()
            {
                call.name = name;
            }
            if let Some(arguments) = function.arguments {
                call.arguments.push_str(&arguments);
            }
        }
        Ok(())
    }

    /// Hands out the calls assembled so far (those with a name; a fragment list with holes has
    /// none for the holes).
    fn flush_calls(&mut self, out: &mut VecDeque<StreamEvent>) {
        for call in self.calls.iter_mut().skip(self.emitted) {
            if call.name.is_empty() {
                continue;
            }
            let id = if call.id.is_empty() { self.ids.next_id() } else { std::mem::take(&mut call.id) };
            out.push_back(StreamEvent::ToolCall(ToolCall {
                id,
                name: std::mem::take(&mut call.name),
                arguments: arguments_from_text(&call.arguments),
                provider_data: None,
            }));
            self.handed_out += 1;
        }
        self.emitted = self.calls.len();
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "stop" => StopReason::EndTurn,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "length" => StopReason::MaxTokens,
        "content_filter" => StopReason::Refusal,
        _ => StopReason::Other,
    }
}

impl Decoder for ChatDecoder {
    fn frame(&mut self, frame: Frame, out: &mut VecDeque<StreamEvent>) -> Result<Flow, ModelError> {
        if frame.data.trim() == "[DONE]" {
            return Ok(Flow::End);
        }
        let chunk: Chunk = parse(&frame.data)?;
        if let Some(error) = chunk.error {
            let rate_limited = error.kind.as_deref().is_some_and(|k| k.contains("rate_limit"))
                || error.code.as_ref().and_then(Value::as_str).is_some_and(|c| c.contains("rate_limit"));
            return Err(if rate_limited {
                ModelError::RateLimited { retry_after_secs: None }
            } else {
                ModelError::BrokenStream
            });
        }
        if frame.event == "error" {
            return Err(ModelError::BrokenStream);
        }
        // One choice is asked for (no `n`): the others, if any, are not read.
        if let Some(choice) = chunk.choices.into_iter().next() {
            if let Some(delta) = choice.delta {
                if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                    out.push_back(StreamEvent::Text(text));
                }
                if delta.refusal.is_some_and(|r| !r.is_empty()) {
                    self.refused = true;
                }
                for call in delta.tool_calls.into_iter().flatten() {
                    self.call_delta(call)?;
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish = Some(stop_reason(&reason));
                self.flush_calls(out);
            }
        }
        if let Some(usage) = chunk.usage {
            self.tokens = Some(usage.tokens());
        }
        Ok(Flow::More)
    }

    fn end(&mut self, out: &mut VecDeque<StreamEvent>) -> Result<(StopReason, TokenCounts), ModelError> {
        let Some(finish) = self.finish else { return Err(ModelError::BrokenStream) };
        let tokens = match self.tokens {
            Some(tokens) => tokens,
            None if self.require_usage => return Err(ModelError::BrokenStream),
            None => TokenCounts::default(),
        };
        self.flush_calls(out);
        // Some compatible servers finish tool calls with "stop"; a refusal finishes with "stop".
        let stop = match finish {
            _ if self.refused => StopReason::Refusal,
            StopReason::EndTurn if self.handed_out > 0 => StopReason::ToolUse,
            other => other,
        };
        Ok((stop, tokens))
    }
}

#[cfg(test)]
mod tests {
    use pincer_agents::{Endpoint, ProviderKind};
    use serde_json::json;

    use super::super::stream::testing::decode_sse_every_way;
    use super::*;

    /// A stream as the API documents it (one chunk per line, `usage: null` until the last).
    const TEXT: &str = concat!(
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",",
        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},",
        "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo é\"},\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":15,\"completion_tokens\":5,",
        "\"total_tokens\":20,\"prompt_tokens_details\":{\"cached_tokens\":3,\"audio_tokens\":0}}}\n\n",
        "data: [DONE]\n\n",
    );

    const TOOLS: &str = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,",
        "\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"pinchy_ls\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"pa\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"th\\\": \\\"/data\\\"}\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"type\":\"function\",",
        "\"function\":{\"name\":\"pinchy_read\",\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":12}}\n\n",
        "data: [DONE]\n\n",
    );

    #[test]
    fn text_streams_in_order_then_finishes_with_normalised_tokens() {
        let events = decode_sse_every_way(TEXT, ChatDecoder::new(true));
        assert_eq!(
            events,
            vec![
                Ok(StreamEvent::Text("Hel".into())),
                Ok(StreamEvent::Text("lo é".into())),
                Ok(StreamEvent::Finished {
                    stop: StopReason::EndTurn,
                    tokens: TokenCounts { input: 12, output: 5, cache_read: 3, cache_write: 0 },
                }),
            ]
        );
    }

    #[test]
    fn tool_call_fragments_are_assembled() {
        let events = decode_sse_every_way(TOOLS, ChatDecoder::new(true));
        assert_eq!(
            events,
            vec![
                Ok(StreamEvent::ToolCall(ToolCall {
                    id: "call_a".into(),
                    name: "pinchy_ls".into(),
                    arguments: json!({"path": "/data"}),
                    provider_data: None,
                })),
                Ok(StreamEvent::ToolCall(ToolCall {
                    id: "call_b".into(),
                    name: "pinchy_read".into(),
                    arguments: json!({}),
                    provider_data: None,
                })),
                Ok(StreamEvent::Finished {
                    stop: StopReason::ToolUse,
                    tokens: TokenCounts { input: 40, output: 12, ..TokenCounts::default() },
                }),
            ]
        );
    }

    #[test]
    fn calls_without_index_or_id_are_told_apart_by_their_ids() {
        let body = concat!(
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"name\":\"a\",\"arguments\":\"{\\\"x\\\":\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"1}\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            "data: [DONE]\n\n",
        );
        let events = decode_sse_every_way(body, ChatDecoder::with_plain_ids(false));
        assert_eq!(
            events,
            vec![
                Ok(StreamEvent::ToolCall(ToolCall {
                    id: "call_1".into(),
                    name: "a".into(),
                    arguments: json!({"x": 1}),
                    provider_data: None,
                })),
                Ok(StreamEvent::Finished { stop: StopReason::ToolUse, tokens: TokenCounts::default() }),
            ]
        );
    }

    /// Some servers send every call whole, without an index or an id.
    #[test]
    fn whole_calls_without_index_or_id_are_told_apart_by_their_names() {
        let body = concat!(
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"name\":\"a\",\"arguments\":\"{\\\"x\\\":1}\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"name\":\"b\",\"arguments\":\"{}\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
            "data: [DONE]\n\n",
        );
        let events = decode_sse_every_way(body, ChatDecoder::with_plain_ids(false));
        assert_eq!(
            events,
            vec![
                Ok(StreamEvent::ToolCall(ToolCall {
                    id: "call_1".into(),
                    name: "a".into(),
                    arguments: json!({"x": 1}),
                    provider_data: None,
                })),
                Ok(StreamEvent::ToolCall(ToolCall {
                    id: "call_2".into(),
                    name: "b".into(),
                    arguments: json!({}),
                    provider_data: None,
                })),
                Ok(StreamEvent::Finished { stop: StopReason::ToolUse, tokens: TokenCounts::default() }),
            ]
        );
    }

    #[test]
    fn a_stream_without_its_finish_or_usage_is_broken() {
        let cut = TEXT.split("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{}").next().unwrap();
        let events = decode_sse_every_way(cut, ChatDecoder::new(true));
        assert_eq!(events.last(), Some(&Err(ModelError::BrokenStream)));
        assert_eq!(events[0], Ok(StreamEvent::Text("Hel".into())));
        let without_usage = TEXT.replace("\"prompt_tokens\":15", "\"x\":0").replace("\"usage\":{", "\"other\":{");
        assert_eq!(
            decode_sse_every_way(&without_usage, ChatDecoder::new(true)).last(),
            Some(&Err(ModelError::BrokenStream))
        );
        // A compatible server that does not support `include_usage` is fine.
        assert!(matches!(
            decode_sse_every_way(&without_usage, ChatDecoder::new(false)).last(),
            Some(Ok(StreamEvent::Finished { tokens, .. })) if *tokens == TokenCounts::default()
        ));
    }

    #[test]
    fn content_filters_and_refusals_are_refusals() {
        let filtered = TEXT.replace("\"finish_reason\":\"stop\"", "\"finish_reason\":\"content_filter\"");
        assert!(matches!(
            decode_sse_every_way(&filtered, ChatDecoder::new(true)).last(),
            Some(Ok(StreamEvent::Finished { stop: StopReason::Refusal, .. }))
        ));
        let refused =
            TEXT.replace("{\"content\":\"Hel\"}", "{\"content\":null,\"refusal\":\"I can't help with that.\"}");
        let events = decode_sse_every_way(&refused, ChatDecoder::new(true));
        assert!(!events.contains(&Ok(StreamEvent::Text("Hel".into()))));
        assert!(matches!(events.last(), Some(Ok(StreamEvent::Finished { stop: StopReason::Refusal, .. }))));
    }

    #[test]
    fn garbage_and_errors() {
        assert_eq!(
            decode_sse_every_way("data: {\"choices\": [\n\n", ChatDecoder::new(true)),
            vec![Err(ModelError::BadResponse)]
        );
        assert_eq!(
            decode_sse_every_way(
                "data: {\"error\":{\"message\":\"x\",\"type\":\"server_error\"}}\n\n",
                ChatDecoder::new(true)
            ),
            vec![Err(ModelError::BrokenStream)]
        );
        assert_eq!(
            decode_sse_every_way(
                "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":100000}]}}]}\n\n",
                ChatDecoder::new(true)
            ),
            vec![Err(ModelError::BadResponse)]
        );
    }

    fn request() -> ModelRequest {
        ModelRequest {
            endpoint: Endpoint {
                kind: ProviderKind::Openai,
                base_url: "https://api.openai.com".into(),
                api_key: None,
                allow_private: false,
            },
            model: "gpt-4o-mini".into(),
            system: "Be brief.".into(),
            turns: vec![
                Turn::User { text: "List /data".into() },
                Turn::Assistant {
                    text: String::new(),
                    tool_calls: vec![ToolCall {
                        id: "call_1".into(),
                        name: "pinchy_ls".into(),
                        arguments: json!({"path": "/data"}),
                        provider_data: None,
                    }],
                },
                Turn::ToolResult {
                    call_id: "call_1".into(),
                    name: "pinchy_ls".into(),
                    content: "hr/".into(),
                    is_error: false,
                },
            ],
            tools: vec![ToolSpec {
                name: "pinchy_ls".into(),
                description: "List".into(),
                parameters: json!({"type": "object"}),
            }],
            max_output_tokens: 1000,
        }
    }

    #[test]
    fn the_body_has_the_documented_shape() {
        let body: Value = serde_json::from_slice(&super::body(&request(), false).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "gpt-4o-mini",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "List /data"},
                    {"role": "assistant", "content": null, "tool_calls": [
                        {"id": "call_1", "type": "function", "function": {"name": "pinchy_ls", "arguments": "{\"path\":\"/data\"}"}}
                    ]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "hr/"},
                ],
                "tools": [{"type": "function", "function": {"name": "pinchy_ls", "description": "List", "parameters": {"type": "object"}}}],
                "stream": true,
                "stream_options": {"include_usage": true},
                "max_completion_tokens": 1000,
            })
        );
        let mut bare = request();
        bare.tools.clear();
        bare.system.clear();
        let body: Value = serde_json::from_slice(&super::body(&bare, true).unwrap()).unwrap();
        assert!(body.get("tools").is_none());
        assert_eq!(body["messages"][0]["role"], "user");
        assert_eq!(body["max_tokens"], 1000);
        assert!(body.get("max_completion_tokens").is_none());
    }
}
