//! Anthropic Messages, streamed (`POST /v1/messages`).
//!
//! The request: `{model, system, messages, tools: [{name, description, input_schema}],
//! max_tokens, stream: true}`; an assistant turn is content blocks (`text`, `tool_use {id, name,
//! input}`); tool results are `tool_result {tool_use_id, content, is_error}` blocks of a user
//! message, all the results of one step in one message (the API wants every `tool_use` answered
//! in the message right after it).
//!
//! The stream: `message_start` (the input usage), then per content block `content_block_start`
//! (`text`, or `tool_use` with its id and name), `content_block_delta` (`text_delta`, or
//! `input_json_delta` whose `partial_json` pieces make the arguments), `content_block_stop`;
//! then `message_delta` (`stop_reason`, the cumulative usage) and `message_stop`. `ping` events
//! come at any time; an `error` event ends the stream.

use std::collections::VecDeque;

use pincer_agents::chat::{ModelError, ModelRequest, StopReason, StreamEvent, ToolCall, Turn};
use pincer_usage::TokenCounts;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::stream::{Decoder, Flow, Frame, arguments_from_text, parse};

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    system: &'a str,
    messages: Vec<Message<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<Tool<'a>>,
    max_tokens: u32,
    stream: bool,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: Content<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Content<'a> {
    Text(&'a str),
    Blocks(Vec<Block<'a>>),
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block<'a> {
    Text { text: &'a str },
    ToolUse { id: &'a str, name: &'a str, input: &'a Value },
    ToolResult { tool_use_id: &'a str, content: &'a str, is_error: bool },
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    description: &'a str,
    input_schema: &'a Value,
}

pub(crate) fn body(request: &ModelRequest) -> Result<Vec<u8>, serde_json::Error> {
    let mut messages: Vec<Message<'_>> = Vec::with_capacity(request.turns.len());
    for turn in &request.turns {
        match turn {
            Turn::User { text } => {
                if !text.is_empty() {
                    messages.push(Message { role: "user", content: Content::Text(text) });
                }
            }
            Turn::Assistant { text, tool_calls } => {
                let mut blocks = Vec::with_capacity(tool_calls.len() + 1);
                // The API refuses empty text blocks.
                if !text.is_empty() {
                    blocks.push(Block::Text { text });
                }
                blocks.extend(tool_calls.iter().map(|c| Block::ToolUse {
                    id: &c.id,
                    name: &c.name,
                    input: &c.arguments,
                }));
                // An empty assistant turn cannot be sent (every message needs content).
                if !blocks.is_empty() {
                    messages.push(Message { role: "assistant", content: Content::Blocks(blocks) });
                }
            }
            Turn::ToolResult { call_id, content, is_error, .. } => {
                let block = Block::ToolResult { tool_use_id: call_id, content, is_error: *is_error };
                // The results of one step go into one user message.
                match messages.last_mut() {
                    Some(Message { role: "user", content: Content::Blocks(blocks) })
                        if blocks.iter().all(|b| matches!(b, Block::ToolResult { .. })) =>
                    {
                        blocks.push(block);
                    }
                    _ => messages.push(Message { role: "user", content: Content::Blocks(vec![block]) }),
                }
            }
        }
    }
    serde_json::to_vec(&Request {
        model: &request.model,
        system: &request.system,
        messages,
        tools: request
            .tools
            .iter()
            .map(|t| Tool { name: &t.name, description: &t.description, input_schema: &t.parameters })
            .collect(),
        max_tokens: request.max_output_tokens,
        stream: true,
    })
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartedMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: StartedBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: MessageDelta,
        #[serde(default)]
        usage: Option<Usage>,
    },
    MessageStop,
    Error {
        error: ErrorBody,
    },
    /// `ping`, and whatever event a later API version adds.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct StartedMessage {
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StartedBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
    },
    /// Thinking, server tools, …: not part of the answer.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDelta {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "type")]
    kind: String,
}

/// A tool-use block being streamed.
#[derive(Clone, Debug)]
struct OpenTool {
    index: usize,
    id: String,
    name: String,
    json: String,
}

/// Assembles a Messages stream.
#[derive(Clone, Debug, Default)]
pub(crate) struct MessagesDecoder {
    started: bool,
    tools: Vec<OpenTool>,
    tokens: TokenCounts,
    stop: Option<StopReason>,
}

impl MessagesDecoder {
    /// Counts are cumulative: a later event's value replaces the earlier one.
    fn usage(&mut self, usage: Usage) {
        let t = &mut self.tokens;
        t.input = usage.input_tokens.unwrap_or(t.input);
        t.output = usage.output_tokens.unwrap_or(t.output);
        t.cache_write = usage.cache_creation_input_tokens.unwrap_or(t.cache_write);
        t.cache_read = usage.cache_read_input_tokens.unwrap_or(t.cache_read);
    }

    fn close(&mut self, position: usize, out: &mut VecDeque<StreamEvent>) {
        let tool = self.tools.remove(position);
        out.push_back(StreamEvent::ToolCall(ToolCall {
            id: tool.id,
            name: tool.name,
            arguments: arguments_from_text(&tool.json),
            provider_data: None,
        }));
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" | "stop_sequence" => StopReason::EndTurn,
        "tool_use" => StopReason::ToolUse,
        "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
        // The model declined (its classifiers stopped it): what streamed before is not an answer.
        "refusal" => StopReason::Refusal,
        _ => StopReason::Other,
    }
}

/// An `error` event, as the statuses the API documents for each error type.
fn stream_error(kind: &str) -> ModelError {
    match kind {
        "overloaded_error" => ModelError::Upstream(529),
        "rate_limit_error" => ModelError::RateLimited { retry_after_secs: None },
        "api_error" => ModelError::Upstream(500),
        _ => ModelError::BrokenStream,
    }
}

impl Decoder for MessagesDecoder {
    fn frame(&mut self, frame: Frame, out: &mut VecDeque<StreamEvent>) -> Result<Flow, ModelError> {
        match parse::<Event>(&frame.data)? {
            Event::MessageStart { message } => {
                self.started = true;
                if let Some(usage) = message.usage {
                    self.usage(usage);
                }
            }
            Event::ContentBlockStart { index, content_block } => match content_block {
                StartedBlock::Text { text } if !text.is_empty() => out.push_back(StreamEvent::Text(text)),
                StartedBlock::ToolUse { id, name } => {
                    self.tools.push(OpenTool { index, id, name, json: String::new() })
                }
                StartedBlock::Text { .. } | StartedBlock::Other => {}
            },
            Event::ContentBlockDelta { index, delta } => match delta {
                BlockDelta::TextDelta { text } if !text.is_empty() => out.push_back(StreamEvent::Text(text)),
                BlockDelta::InputJsonDelta { partial_json } => match self.tools.iter_mut().find(|t| t.index == index) {
                    Some(tool) => tool.json.push_str(&partial_json),
                    None => return Err(ModelError::BadResponse),
                },
                BlockDelta::TextDelta { .. } | BlockDelta::Other => {}
            },
            Event::ContentBlockStop { index } => {
                if let Some(position) = self.tools.iter().position(|t| t.index == index) {
                    self.close(position, out);
                }
            }
            Event::MessageDelta { delta, usage } => {
                if let Some(reason) = delta.stop_reason {
                    self.stop = Some(stop_reason(&reason));
                }
                if let Some(usage) = usage {
                    self.usage(usage);
                }
            }
            Event::MessageStop => return Ok(Flow::End),
            Event::Error { error } => return Err(stream_error(&error.kind)),
            Event::Other => {}
        }
        Ok(Flow::More)
    }

    fn end(&mut self, out: &mut VecDeque<StreamEvent>) -> Result<(StopReason, TokenCounts), ModelError> {
        let (true, Some(stop)) = (self.started, self.stop) else { return Err(ModelError::BrokenStream) };
        while !self.tools.is_empty() {
            self.close(0, out);
        }
        Ok((stop, self.tokens))
    }
}

#[cfg(test)]
mod tests {
    use pincer_agents::chat::ToolSpec;
    use pincer_agents::{Endpoint, ProviderKind};
    use serde_json::json;

    use super::super::stream::testing::decode_sse_every_way;
    use super::*;

    /// The documented example stream: text, then a tool call with its JSON in pieces.
    const STREAM: &str = r#"event: message_start
data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2,"cache_creation_input_tokens":10,"cache_read_input_tokens":100},"content":[],"stop_reason":null}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay, let"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"'s check."}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"San Francisco, CA\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

"#;

    #[test]
    fn text_and_tool_calls_stream_and_usage_is_kept_apart() {
        let events = decode_sse_every_way(STREAM, MessagesDecoder::default());
        assert_eq!(
            events,
            vec![
                Ok(StreamEvent::Text("Okay, let".into())),
                Ok(StreamEvent::Text("'s check.".into())),
                Ok(StreamEvent::ToolCall(ToolCall {
                    id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6".into(),
                    name: "get_weather".into(),
                    arguments: json!({"location": "San Francisco, CA"}),
                    provider_data: None,
                })),
                Ok(StreamEvent::Finished {
                    stop: StopReason::ToolUse,
                    tokens: TokenCounts { input: 472, output: 89, cache_read: 100, cache_write: 10 },
                }),
            ]
        );
    }

    #[test]
    fn a_stream_cut_before_message_delta_is_broken() {
        let cut = STREAM.split("event: message_delta").next().unwrap();
        let events = decode_sse_every_way(cut, MessagesDecoder::default());
        assert_eq!(events.last(), Some(&Err(ModelError::BrokenStream)));
        assert_eq!(events.len(), 4, "the text and the tool call came before the cut: {events:?}");
    }

    #[test]
    fn error_events_map_to_errors() {
        let error = |kind: &str| {
            let body = format!(
                "event: message_start\ndata: {{\"type\":\"message_start\",\"message\":{{\"usage\":{{\"input_tokens\":1}}}}}}\n\n\
                 event: error\ndata: {{\"type\": \"error\", \"error\": {{\"type\": \"{kind}\", \"message\": \"x\"}}}}\n\n"
            );
            decode_sse_every_way(&body, MessagesDecoder::default())
        };
        assert_eq!(error("overloaded_error"), vec![Err(ModelError::Upstream(529))]);
        assert_eq!(error("rate_limit_error"), vec![Err(ModelError::RateLimited { retry_after_secs: None })]);
        assert_eq!(error("api_error"), vec![Err(ModelError::Upstream(500))]);
        assert_eq!(error("invalid_request_error"), vec![Err(ModelError::BrokenStream)]);
    }

    #[test]
    fn a_refusal_is_not_an_answer() {
        let body = STREAM.replace("\"stop_reason\":\"tool_use\"", "\"stop_reason\":\"refusal\"");
        assert!(matches!(
            decode_sse_every_way(&body, MessagesDecoder::default()).last(),
            Some(Ok(StreamEvent::Finished { stop: StopReason::Refusal, .. }))
        ));
    }

    #[test]
    fn unknown_blocks_and_events_are_skipped() {
        let body = concat!(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hm\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"x\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            "event: some_future_event\ndata: {\"type\":\"some_future_event\"}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":7}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        );
        assert_eq!(
            decode_sse_every_way(body, MessagesDecoder::default()),
            vec![
                Ok(StreamEvent::Text("Hi".into())),
                Ok(StreamEvent::Finished {
                    stop: StopReason::MaxTokens,
                    tokens: TokenCounts { input: 5, output: 7, ..TokenCounts::default() },
                }),
            ]
        );
    }

    #[test]
    fn consecutive_tool_results_share_one_user_message() {
        let call = |id: &str| ToolCall {
            id: id.into(),
            name: "pinchy_read".into(),
            arguments: json!({"path": id}),
            provider_data: None,
        };
        let request = ModelRequest {
            endpoint: Endpoint {
                kind: ProviderKind::Anthropic,
                base_url: "https://api.anthropic.com".into(),
                api_key: None,
                allow_private: false,
            },
            model: "claude-haiku-4-5".into(),
            system: "Be brief.".into(),
            turns: vec![
                Turn::User { text: "Read a and b".into() },
                Turn::Assistant { text: "Reading.".into(), tool_calls: vec![call("a"), call("b")] },
                Turn::ToolResult {
                    call_id: "a".into(),
                    name: "pinchy_read".into(),
                    content: "A".into(),
                    is_error: false,
                },
                Turn::ToolResult {
                    call_id: "b".into(),
                    name: "pinchy_read".into(),
                    content: "denied".into(),
                    is_error: true,
                },
                Turn::Assistant { text: "Done.".into(), tool_calls: vec![] },
                Turn::User { text: "Thanks".into() },
            ],
            tools: vec![ToolSpec {
                name: "pinchy_read".into(),
                description: "Read".into(),
                parameters: json!({"type": "object"}),
            }],
            max_output_tokens: 512,
        };
        let body: Value = serde_json::from_slice(&super::body(&request).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "claude-haiku-4-5",
                "system": "Be brief.",
                "messages": [
                    {"role": "user", "content": "Read a and b"},
                    {"role": "assistant", "content": [
                        {"type": "text", "text": "Reading."},
                        {"type": "tool_use", "id": "a", "name": "pinchy_read", "input": {"path": "a"}},
                        {"type": "tool_use", "id": "b", "name": "pinchy_read", "input": {"path": "b"}},
                    ]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "a", "content": "A", "is_error": false},
                        {"type": "tool_result", "tool_use_id": "b", "content": "denied", "is_error": true},
                    ]},
                    {"role": "assistant", "content": [{"type": "text", "text": "Done."}]},
                    {"role": "user", "content": "Thanks"},
                ],
                "tools": [{"name": "pinchy_read", "description": "Read", "input_schema": {"type": "object"}}],
                "max_tokens": 512,
                "stream": true,
            })
        );
    }
}
