//! Ollama's chat, local or on ollama.com: `POST /api/chat`, streamed as NDJSON.
//!
//! The request: `{model, messages: [{role: system | user | assistant | tool, content,
//! tool_calls?: [{function: {name, arguments: <object>}}], tool_name?}], tools (the OpenAI
//! function shape), stream: true, options: {num_predict}}`.
//!
//! The stream: one JSON object a line, `{message: {role, content, tool_calls?}, done: false}`,
//! then `{done: true, done_reason, prompt_eval_count, eval_count, …}`. Tool calls come whole and
//! without ids, so ids are made up.

use std::collections::VecDeque;

use pincer_agents::chat::{ModelError, ModelRequest, StopReason, StreamEvent, ToolCall, Turn};
use pincer_usage::TokenCounts;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::openai::{Tool, tools};
use super::stream::{CallIds, Decoder, Flow, Frame, object_or_empty, parse};

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    messages: Vec<Message<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<Tool<'a>>,
    stream: bool,
    options: Options,
}

#[derive(Serialize)]
struct Options {
    num_predict: u32,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<OutCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_name: Option<&'a str>,
}

#[derive(Serialize)]
struct OutCall<'a> {
    function: OutFunction<'a>,
}

#[derive(Serialize)]
struct OutFunction<'a> {
    name: &'a str,
    /// An object, not JSON text (unlike Chat Completions).
    arguments: &'a Value,
}

pub(crate) fn body(request: &ModelRequest) -> Result<Vec<u8>, serde_json::Error> {
    let message = |role, content| Message { role, content, tool_calls: Vec::new(), tool_name: None };
    let mut messages = Vec::with_capacity(request.turns.len() + 1);
    if !request.system.is_empty() {
        messages.push(message("system", &request.system));
    }
    for turn in &request.turns {
        messages.push(match turn {
            Turn::User { text } => message("user", text),
            Turn::Assistant { text, tool_calls } => Message {
                tool_calls: tool_calls
                    .iter()
                    .map(|c| OutCall { function: OutFunction { name: &c.name, arguments: &c.arguments } })
                    .collect(),
                ..message("assistant", text)
            },
            Turn::ToolResult { name, content, .. } => Message { tool_name: Some(name), ..message("tool", content) },
        });
    }
    serde_json::to_vec(&Request {
        model: &request.model,
        messages,
        tools: tools(&request.tools),
        stream: true,
        options: Options { num_predict: request.max_output_tokens },
    })
}

#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    message: Option<LineMessage>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    done_reason: Option<String>,
    /// Left out by some versions when the whole prompt came from the cache.
    #[serde(default)]
    prompt_eval_count: u64,
    #[serde(default)]
    eval_count: u64,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct LineMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<LineCall>>,
}

#[derive(Deserialize)]
struct LineCall {
    /// Sent by recent versions.
    #[serde(default)]
    id: Option<String>,
    function: LineFunction,
}

#[derive(Deserialize)]
struct LineFunction {
    name: String,
    #[serde(default)]
    arguments: Value,
}

/// Assembles an `/api/chat` stream.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChatDecoder {
    calls: usize,
    ids: CallIds,
    done: Option<(StopReason, TokenCounts)>,
}

#[cfg(test)]
impl ChatDecoder {
    /// A decoder whose made-up ids are `call_1`, `call_2`, …
    pub(crate) fn with_plain_ids() -> Self {
        Self { ids: CallIds::with_prefix("call"), ..Self::default() }
    }
}

impl Decoder for ChatDecoder {
    fn frame(&mut self, frame: Frame, out: &mut VecDeque<StreamEvent>) -> Result<Flow, ModelError> {
        let line: Line = parse(&frame.data)?;
        if line.error.is_some() {
            return Err(ModelError::BrokenStream);
        }
        if let Some(message) = line.message {
            if let Some(text) = message.content.filter(|t| !t.is_empty()) {
                out.push_back(StreamEvent::Text(text));
            }
            for call in message.tool_calls.into_iter().flatten() {
                self.calls += 1;
                let id = call.id.filter(|id| !id.is_empty()).unwrap_or_else(|| self.ids.next_id());
                out.push_back(StreamEvent::ToolCall(ToolCall {
                    id,
                    name: call.function.name,
                    arguments: object_or_empty(call.function.arguments),
                    provider_data: None,
                }));
            }
        }
        if !line.done {
            return Ok(Flow::More);
        }
        let stop = match line.done_reason.as_deref() {
            _ if self.calls > 0 => StopReason::ToolUse,
            None | Some("stop") => StopReason::EndTurn,
            Some("length") => StopReason::MaxTokens,
            Some(_) => StopReason::Other,
        };
        let tokens = TokenCounts { input: line.prompt_eval_count, output: line.eval_count, ..TokenCounts::default() };
        self.done = Some((stop, tokens));
        Ok(Flow::End)
    }

    fn end(&mut self, _out: &mut VecDeque<StreamEvent>) -> Result<(StopReason, TokenCounts), ModelError> {
        self.done.ok_or(ModelError::BrokenStream)
    }
}

#[cfg(test)]
mod tests {
    use pincer_agents::chat::ToolSpec;
    use pincer_agents::{Endpoint, ProviderKind};
    use serde_json::json;

    use super::super::stream::testing::decode_ndjson;
    use super::*;

    const TEXT: &str = r#"{"model":"llama3.1:8b","created_at":"2025-10-02T15:52:19.385406455Z","message":{"role":"assistant","content":"The"},"done":false}
{"model":"llama3.1:8b","created_at":"2025-10-02T15:52:19.419739Z","message":{"role":"assistant","content":" sky"},"done":false}
{"model":"llama3.1:8b","created_at":"2025-10-02T15:52:19.5Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,"prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}
"#;

    #[test]
    fn text_streams_and_finishes_with_the_counts() {
        assert_eq!(
            decode_ndjson(TEXT, ChatDecoder::with_plain_ids()),
            vec![
                Ok(StreamEvent::Text("The".into())),
                Ok(StreamEvent::Text(" sky".into())),
                Ok(StreamEvent::Finished {
                    stop: StopReason::EndTurn,
                    tokens: TokenCounts { input: 26, output: 282, ..TokenCounts::default() },
                }),
            ]
        );
    }

    #[test]
    fn tool_calls_get_ids() {
        let body = r#"{"model":"llama3.1:8b","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"pinchy_ls","arguments":{"path":"/data"}}},{"function":{"name":"pinchy_read","arguments":{"path":"/data/a"}}}]},"done":false}
{"model":"llama3.1:8b","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":40,"eval_count":10}"#;
        assert_eq!(
            decode_ndjson(body, ChatDecoder::with_plain_ids()),
            vec![
                Ok(StreamEvent::ToolCall(ToolCall {
                    id: "call_1".into(),
                    name: "pinchy_ls".into(),
                    arguments: json!({"path": "/data"}),
                    provider_data: None,
                })),
                Ok(StreamEvent::ToolCall(ToolCall {
                    id: "call_2".into(),
                    name: "pinchy_read".into(),
                    arguments: json!({"path": "/data/a"}),
                    provider_data: None,
                })),
                Ok(StreamEvent::Finished {
                    stop: StopReason::ToolUse,
                    tokens: TokenCounts { input: 40, output: 10, ..TokenCounts::default() },
                }),
            ]
        );
    }

    #[test]
    fn cut_garbage_and_errors() {
        let cut: String = TEXT.lines().take(2).collect::<Vec<_>>().join("\n");
        assert_eq!(decode_ndjson(&cut, ChatDecoder::with_plain_ids()).last(), Some(&Err(ModelError::BrokenStream)));
        assert_eq!(decode_ndjson("not json", ChatDecoder::with_plain_ids()), vec![Err(ModelError::BadResponse)]);
        assert_eq!(
            decode_ndjson(r#"{"error":"model crashed"}"#, ChatDecoder::with_plain_ids()),
            vec![Err(ModelError::BrokenStream)]
        );
        let length = TEXT.replace("\"done_reason\":\"stop\"", "\"done_reason\":\"length\"");
        assert!(matches!(
            decode_ndjson(&length, ChatDecoder::with_plain_ids()).last(),
            Some(Ok(StreamEvent::Finished { stop: StopReason::MaxTokens, .. }))
        ));
    }

    #[test]
    fn the_body_has_the_documented_shape() {
        let request = ModelRequest {
            endpoint: Endpoint {
                kind: ProviderKind::OllamaLocal,
                base_url: "http://127.0.0.1:11434".into(),
                api_key: None,
                allow_private: true,
            },
            model: "llama3.1:8b".into(),
            system: "Be brief.".into(),
            turns: vec![
                Turn::User { text: "List".into() },
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
            max_output_tokens: 128,
        };
        let body: Value = serde_json::from_slice(&super::body(&request).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "llama3.1:8b",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "List"},
                    {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "pinchy_ls", "arguments": {"path": "/data"}}}]},
                    {"role": "tool", "content": "hr/", "tool_name": "pinchy_ls"},
                ],
                "tools": [{"type": "function", "function": {"name": "pinchy_ls", "description": "List", "parameters": {"type": "object"}}}],
                "stream": true,
                "options": {"num_predict": 128},
            })
        );
    }
}
