//! Anthropic's API: `x-api-key` and `anthropic-version` headers, `GET /v1/models` paginated with
//! `limit` / `after_id` / `before_id`, errors as `{"type":"error","error":{"type","message"}}`.
//!
//! Messages, streamed (`POST /v1/messages` with `"stream": true`): `message_start` (the input
//! usage, cache writes and reads apart), a `ping`, then per content block `content_block_start`,
//! `content_block_delta`s (`text_delta`; for a `tool_use` block, `input_json_delta`s whose
//! `partial_json` pieces make the input, the first one empty), `content_block_stop`; then
//! `message_delta` (`stop_reason`, the output usage) and `message_stop`.

use std::collections::HashSet;

use actix_web::HttpResponse;
use actix_web::web::{self, Bytes};
use serde_json::{Value, json};

use super::reply::fragments;
use super::stream::{respond, sse};
use super::{FakeModel, FakeReply, FakeStop, KeyCheck, RecordedRequest, Shared, json};

/// Anthropic's default page size when the client gives no `limit`.
const DEFAULT_LIMIT: usize = 20;

pub(super) fn route(req: &RecordedRequest, path: &str, shared: &web::Data<Shared>) -> HttpResponse {
    if let Some(refused) = refusal(req, shared) {
        return refused;
    }
    match (req.method.as_str(), path) {
        ("POST", "/v1/messages") => chat(req, shared),
        ("GET", "/v1/models") => list_models(req, shared),
        ("GET", other) if other.starts_with("/v1/models/") => {
            let id = &other["/v1/models/".len()..];
            match shared.models().iter().find(|m| m.id == id) {
                Some(model) => json(200, model_json(model)),
                None => error(404, &format!("model: {id}")),
            }
        }
        _ => error(404, "Not found"),
    }
}

/// The answer to a request without a valid key or without `anthropic-version`, if it lacks one.
fn refusal(req: &RecordedRequest, shared: &Shared) -> Option<HttpResponse> {
    match shared.check_key(req.header("x-api-key")) {
        KeyCheck::Valid => {}
        KeyCheck::Missing => return Some(error(401, "x-api-key header is required")),
        KeyCheck::Wrong => return Some(error(401, "invalid x-api-key")),
    }
    if req.header("anthropic-version").is_none() {
        return Some(error(400, "anthropic-version: header is required"));
    }
    None
}

fn list_models(req: &RecordedRequest, shared: &Shared) -> HttpResponse {
    let limit = match req.query("limit").map(|l| l.parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(limit)) if (1..=1000).contains(&limit) => limit,
        Some(_) => {
            return error(400, "limit: Input should be greater than or equal to 1 and less than or equal to 1000");
        }
    }
    .min(shared.page_size);
    let models = shared.models();
    let position = |id: &str| models.iter().position(|m| m.id == id);
    let (start, end) = if let Some(after) = req.query("after_id") {
        match position(&after) {
            Some(i) => (i + 1, (i + 1 + limit).min(models.len())),
            None => return error(400, &format!("after_id: no model {after}")),
        }
    } else if let Some(before) = req.query("before_id") {
        match position(&before) {
            Some(i) => (i.saturating_sub(limit), i),
            None => return error(400, &format!("before_id: no model {before}")),
        }
    } else {
        (0, limit.min(models.len()))
    };
    let page = &models[start..end];
    let has_more = if req.query("before_id").is_some() { start > 0 } else { end < models.len() };
    json(
        200,
        json!({
            "data": page.iter().map(model_json).collect::<Vec<_>>(),
            "has_more": has_more,
            "first_id": page.first().map(|m| m.id.clone()),
            "last_id": page.last().map(|m| m.id.clone()),
        }),
    )
}

fn model_json(model: &FakeModel) -> Value {
    json!({
        "type": "model",
        "id": model.id,
        "display_name": model.display_name.clone().unwrap_or_else(|| model.id.clone()),
        "created_at": "2025-09-29T00:00:00Z",
    })
}

fn chat(req: &RecordedRequest, shared: &web::Data<Shared>) -> HttpResponse {
    let Some(Value::Object(body)) = req.body_json() else {
        return error(400, "There was an issue with your request body: it is not valid JSON.");
    };
    let Some(model) = body.get("model").and_then(Value::as_str) else { return error(400, "model: Field required") };
    if !body.get("max_tokens").is_some_and(Value::is_u64) {
        return error(400, "max_tokens: Field required");
    }
    if let Err(message) = check_system(body.get("system"))
        .and_then(|()| check_messages(body.get("messages")))
        .and_then(|()| check_tools(body.get("tools")))
    {
        return error(400, &message);
    }
    if !shared.has_chat_model(model) {
        return error(404, &format!("model: {model}"));
    }
    if body.get("stream") != Some(&Value::Bool(true)) {
        return error(400, "stream: this fake provider only answers streamed requests (\"stream\": true)");
    }
    let reply = shared.next_reply();
    respond(shared, "text/event-stream; charset=utf-8", frames(&reply, model, shared))
}

fn check_system(system: Option<&Value>) -> Result<(), String> {
    match system {
        None | Some(Value::String(_)) => Ok(()),
        Some(Value::Array(blocks)) if blocks.iter().all(|b| b.get("type").and_then(Value::as_str) == Some("text")) => {
            Ok(())
        }
        Some(_) => Err("system: Input should be a valid string or a list of text blocks".into()),
    }
}

/// The conversation as the API checks it: user and assistant roles, no empty text, and every
/// `tool_use` answered by a `tool_result` in the very next (user) message, which answers nothing
/// else.
fn check_messages(messages: Option<&Value>) -> Result<(), String> {
    let messages = messages.and_then(Value::as_array).ok_or("messages: Field required")?;
    if messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    let mut open: Vec<String> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or_default();
        if role != "user" && role != "assistant" {
            return Err(format!("messages.{i}.role: Input should be 'user' or 'assistant'"));
        }
        let blocks: Vec<Value> = match message.get("content") {
            Some(Value::String(text)) if text.is_empty() => {
                return Err(format!("messages.{i}: user messages must have non-empty content"));
            }
            Some(Value::String(text)) => vec![json!({"type": "text", "text": text})],
            Some(Value::Array(blocks)) if !blocks.is_empty() => blocks.clone(),
            Some(Value::Array(_)) => return Err(format!("messages.{i}: all messages must have non-empty content")),
            _ => return Err(format!("messages.{i}.content: Field required")),
        };
        let mut answered = HashSet::new();
        let mut uses = Vec::new();
        for (j, block) in blocks.iter().enumerate() {
            match block.get("type").and_then(Value::as_str).unwrap_or_default() {
                "text" => {
                    if block.get("text").and_then(Value::as_str).is_none_or(str::is_empty) {
                        return Err(format!("messages.{i}.content.{j}.text: text content blocks must be non-empty"));
                    }
                }
                "tool_use" if role == "assistant" => {
                    let id = block.get("id").and_then(Value::as_str).unwrap_or_default();
                    if id.is_empty() || block.get("name").and_then(Value::as_str).is_none_or(str::is_empty) {
                        return Err(format!("messages.{i}.content.{j}.tool_use.id: Field required"));
                    }
                    if !block.get("input").is_some_and(Value::is_object) {
                        return Err(format!(
                            "messages.{i}.content.{j}.tool_use.input: Input should be a valid dictionary"
                        ));
                    }
                    uses.push(id.to_string());
                }
                "tool_result" if role == "user" => {
                    let id = block.get("tool_use_id").and_then(Value::as_str).unwrap_or_default();
                    if !open.iter().any(|o| o == id) {
                        return Err(format!(
                            "messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. \
                             Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                        ));
                    }
                    if block.get("is_error").is_some_and(|e| !e.is_boolean()) {
                        return Err(format!(
                            "messages.{i}.content.{j}.tool_result.is_error: Input should be a valid boolean"
                        ));
                    }
                    answered.insert(id.to_string());
                }
                other => {
                    return Err(format!("messages.{i}.content.{j}: unexpected block type '{other}' for role '{role}'"));
                }
            }
        }
        let missing: Vec<&str> = open.iter().filter(|o| !answered.contains(*o)).map(String::as_str).collect();
        if !missing.is_empty() {
            return Err(format!(
                "messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. Each \
                 `tool_use` block must have a corresponding `tool_result` block in the next message.",
                missing.join(", ")
            ));
        }
        open = uses;
    }
    if !open.is_empty() {
        return Err(format!(
            "messages: `tool_use` ids were found without `tool_result` blocks immediately after: {}. Each `tool_use` \
             block must have a corresponding `tool_result` block in the next message.",
            open.join(", ")
        ));
    }
    Ok(())
}

fn check_tools(tools: Option<&Value>) -> Result<(), String> {
    let Some(tools) = tools else { return Ok(()) };
    let tools = tools.as_array().ok_or("tools: Input should be a valid list")?;
    for (i, tool) in tools.iter().enumerate() {
        if tool.get("name").and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(format!("tools.{i}.custom.name: Field required"));
        }
        if !tool.get("input_schema").is_some_and(Value::is_object) {
            return Err(format!("tools.{i}.custom.input_schema: Field required"));
        }
    }
    Ok(())
}

/// The events of one streamed answer.
fn frames(reply: &FakeReply, model: &str, shared: &Shared) -> Vec<Bytes> {
    let event = |name: &str, data: Value| sse(Some(name), &data.to_string(), "\n");
    let u = reply.usage;
    let mut frames = vec![event(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": format!("msg_fake{:06}", shared.next_id()),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": {
                "input_tokens": u.input,
                "cache_creation_input_tokens": u.cache_write,
                "cache_read_input_tokens": u.cache_read,
                "output_tokens": 1,
                "service_tier": "standard",
            },
        }}),
    )];
    frames.push(event("ping", json!({"type": "ping"})));
    let mut index = 0;
    if !reply.thinking.is_empty() {
        // Extended thinking: the reasoning in `thinking_delta`s, then its signature.
        frames.push(event(
            "content_block_start",
            json!({"type": "content_block_start", "index": index,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        ));
        for piece in &reply.thinking {
            frames.push(event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index,
                    "delta": {"type": "thinking_delta", "thinking": piece}}),
            ));
        }
        frames.push(event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": index, "delta": {"type": "signature_delta",
                "signature": format!("EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxfake{}", shared.next_id())}}),
        ));
        frames.push(event("content_block_stop", json!({"type": "content_block_stop", "index": index})));
        index += 1;
    }
    if !reply.text.is_empty() {
        frames.push(event(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}),
        ));
        for piece in &reply.text {
            frames.push(event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}),
            ));
        }
        frames.push(event("content_block_stop", json!({"type": "content_block_stop", "index": index})));
        index += 1;
    }
    for call in &reply.tool_calls {
        frames.push(event(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": {
                "type": "tool_use", "id": format!("toolu_fake_{}", shared.next_id()), "name": call.name, "input": {},
            }}),
        ));
        let input = call.arguments.to_string();
        for piece in std::iter::once("").chain(fragments(&input, 3)) {
            frames.push(event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": piece}}),
            ));
        }
        frames.push(event("content_block_stop", json!({"type": "content_block_stop", "index": index})));
        index += 1;
    }
    let stop = match reply.stop_reason() {
        FakeStop::EndTurn => "end_turn",
        FakeStop::ToolUse => "tool_use",
        FakeStop::MaxTokens => "max_tokens",
        FakeStop::Refusal => "refusal",
    };
    frames.push(event(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
            "usage": {"output_tokens": u.output}}),
    ));
    frames.push(event("message_stop", json!({"type": "message_stop"})));
    frames
}

/// What the API sends when it fails after the stream started: an `error` event.
pub(super) fn mid_stream_error() -> Bytes {
    sse(
        Some("error"),
        &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"},
            "request_id": "req_011CFakeRequestId0000000"})
        .to_string(),
        "\n",
    )
}

pub(super) fn error(status: u16, message: &str) -> HttpResponse {
    let kind = match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
    json(
        status,
        json!({
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": "req_011CFakeRequestId0000000",
        }),
    )
}
