//! OpenAI's API (and every OpenAI-compatible endpoint): `Authorization: Bearer <key>`,
//! `GET /v1/models` as one `{"object":"list","data":[…]}`, errors as
//! `{"error":{"message","type","param","code"}}`.
//!
//! Chat Completions, streamed (`POST /v1/chat/completions` with `"stream": true`): `data:` chunks
//! of `chat.completion.chunk` objects, the role first, then `delta.content` pieces, then each tool
//! call as fragments by `index` (the id, type and name with empty `arguments`, then the arguments
//! text in several pieces), a chunk with `finish_reason`, then (only when
//! `stream_options.include_usage` is set) a chunk with `choices: []` and the `usage`, and
//! `data: [DONE]`. Until that last chunk every chunk carries `"usage": null`.

use std::collections::HashSet;

use actix_web::HttpResponse;
use actix_web::web::{self, Bytes};
use serde_json::{Map, Value, json};

use super::reply::fragments;
use super::stream::{respond, sse};
use super::{FakeReply, FakeStop, KeyCheck, Quirk, RecordedRequest, Shared, bearer, json};

pub(super) fn route(req: &RecordedRequest, path: &str, shared: &web::Data<Shared>) -> HttpResponse {
    match shared.check_key(bearer(req)) {
        KeyCheck::Valid => {}
        KeyCheck::Missing => {
            return error(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header using \
                 Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                None,
            );
        }
        KeyCheck::Wrong => {
            return error(
                401,
                "Incorrect API key provided. You can find your API key in your account settings.",
                Some("invalid_api_key"),
            );
        }
    }
    match (req.method.as_str(), path) {
        ("POST", "/v1/chat/completions") => chat(req, shared),
        ("GET", "/v1/models") => {
            let data: Vec<_> = shared
                .models()
                .iter()
                .map(|m| json!({"id": m.id, "object": "model", "created": 1_715_367_049, "owned_by": owner(&m.id)}))
                .collect();
            json(200, json!({"object": "list", "data": data}))
        }
        ("GET", other) if other.starts_with("/v1/models/") => {
            let id = &other["/v1/models/".len()..];
            match shared.models().iter().find(|m| m.id == id) {
                Some(m) => json(
                    200,
                    json!({"id": m.id, "object": "model", "created": 1_715_367_049, "owned_by": owner(&m.id)}),
                ),
                None => error(404, &format!("The model '{id}' does not exist"), Some("model_not_found")),
            }
        }
        _ => error(404, &format!("Invalid URL ({} {})", req.method, req.path_only()), None),
    }
}

fn owner(id: &str) -> &'static str {
    if id.starts_with("gpt-") || id.starts_with('o') { "system" } else { "openai-internal" }
}

/// The 429 of a rate limit (not of an exhausted quota).
pub(super) fn rate_limited() -> HttpResponse {
    json(
        429,
        json!({"error": {
            "message": "Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
            "type": "requests",
            "param": null,
            "code": "rate_limit_exceeded",
        }}),
    )
}

fn invalid(message: &str) -> HttpResponse {
    error(400, message, None)
}

fn chat(req: &RecordedRequest, shared: &web::Data<Shared>) -> HttpResponse {
    let Some(Value::Object(body)) = req.body_json() else {
        return invalid(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP \
             library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        );
    };
    let Some(model) = body.get("model").and_then(Value::as_str) else {
        return invalid("you must provide a model parameter");
    };
    if !shared.has_chat_model(model) {
        return error(
            404,
            &format!("The model `{model}` does not exist or you do not have access to it."),
            Some("model_not_found"),
        );
    }
    if let Err(message) = check_messages(body.get("messages")).and_then(|()| check_tools(body.get("tools"))) {
        return invalid(&message);
    }
    if body.get("stream") != Some(&Value::Bool(true)) {
        return invalid("This fake provider only answers streamed requests (\"stream\": true).");
    }
    if body.contains_key("stream_options") && !body["stream_options"].is_object() {
        return invalid("Invalid type for 'stream_options': expected an object.");
    }
    let include_usage = body.get("stream_options").and_then(|o| o.get("include_usage")) == Some(&Value::Bool(true))
        && !shared.has_quirk(Quirk::NoUsageChunk);
    let reply = shared.next_reply();
    respond(shared, "text/event-stream; charset=utf-8", frames(&reply, model, include_usage, shared))
}

/// The conversation as the API checks it: known roles, tool-call arguments as JSON text, and
/// every tool call answered by a `tool` message right after its assistant message.
fn check_messages(messages: Option<&Value>) -> Result<(), String> {
    let messages = messages.and_then(Value::as_array).ok_or("Missing required parameter: 'messages'.")?;
    if messages.is_empty() {
        return Err(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead."
                .into(),
        );
    }
    // The ids of the last assistant message's calls that no tool message answered yet.
    let mut open: Vec<String> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or_default();
        if role != "tool" && !open.is_empty() {
            return Err(format!(
                "An assistant message with 'tool_calls' must be followed by tool messages responding to each \
                 'tool_call_id'. The following tool_call_ids did not have response messages: {}",
                open.join(", ")
            ));
        }
        match role {
            "system" | "developer" | "user" => {
                if !message.get("content").is_some_and(|c| c.is_string() || c.is_array()) {
                    return Err(format!("Invalid value for 'messages[{i}].content': expected a string or an array."));
                }
            }
            "assistant" => {
                let calls = match message.get("tool_calls") {
                    None | Some(Value::Null) => &[][..],
                    Some(Value::Array(calls)) if !calls.is_empty() => calls.as_slice(),
                    Some(_) => return Err(format!("Invalid 'messages[{i}].tool_calls': expected a non-empty array.")),
                };
                if calls.is_empty() && !message.get("content").is_some_and(|c| c.is_string() || c.is_array()) {
                    return Err(format!("Invalid value for 'messages[{i}].content': expected a string or an array."));
                }
                for (j, call) in calls.iter().enumerate() {
                    let id = call.get("id").and_then(Value::as_str).unwrap_or_default();
                    if id.is_empty() || call.get("type").and_then(Value::as_str) != Some("function") {
                        return Err(format!("Missing required parameter: 'messages[{i}].tool_calls[{j}].id'."));
                    }
                    if call.pointer("/function/name").and_then(Value::as_str).is_none_or(str::is_empty) {
                        return Err(format!(
                            "Missing required parameter: 'messages[{i}].tool_calls[{j}].function.name'."
                        ));
                    }
                    match call.pointer("/function/arguments") {
                        Some(Value::String(_)) => {}
                        Some(other) => {
                            return Err(format!(
                                "Invalid type for 'messages[{i}].tool_calls[{j}].function.arguments': expected a string, \
                                 but got {} instead.",
                                kind_of(other)
                            ));
                        }
                        None => {
                            return Err(format!(
                                "Missing required parameter: 'messages[{i}].tool_calls[{j}].function.arguments'."
                            ));
                        }
                    }
                    open.push(id.to_string());
                }
            }
            "tool" => {
                let id = message.get("tool_call_id").and_then(Value::as_str).unwrap_or_default();
                let Some(position) = open.iter().position(|o| o == id) else {
                    return Err(format!(
                        "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with \
                         'tool_calls'. (messages[{i}])"
                    ));
                };
                open.remove(position);
                if !message.get("content").is_some_and(Value::is_string) {
                    return Err(format!("Invalid value for 'messages[{i}].content': expected a string."));
                }
            }
            other => {
                return Err(format!(
                    "Invalid value: '{other}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', \
                     and 'developer'."
                ));
            }
        }
    }
    if !open.is_empty() {
        return Err(format!(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. \
             The following tool_call_ids did not have response messages: {}",
            open.join(", ")
        ));
    }
    Ok(())
}

fn check_tools(tools: Option<&Value>) -> Result<(), String> {
    let Some(tools) = tools else { return Ok(()) };
    let tools = tools.as_array().ok_or("Invalid type for 'tools': expected an array.")?;
    if tools.is_empty() {
        return Err(
            "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead."
                .into(),
        );
    }
    let mut names = HashSet::new();
    for (i, tool) in tools.iter().enumerate() {
        if tool.get("type").and_then(Value::as_str) != Some("function") {
            return Err(format!("Invalid value for 'tools[{i}].type': expected 'function'."));
        }
        let name = tool.pointer("/function/name").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() {
            return Err(format!("Missing required parameter: 'tools[{i}].function.name'."));
        }
        if !names.insert(name) {
            return Err(format!("Invalid 'tools': duplicate function name '{name}'."));
        }
        if tool.pointer("/function/parameters").is_some_and(|p| !p.is_object()) {
            return Err(format!("Invalid type for 'tools[{i}].function.parameters': expected an object."));
        }
    }
    Ok(())
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The chunks of one streamed answer.
fn frames(reply: &FakeReply, model: &str, include_usage: bool, shared: &Shared) -> Vec<Bytes> {
    let id = format!("chatcmpl-fake{:06}", shared.next_id());
    let chunk = |choices: Value| {
        let mut chunk = Map::new();
        chunk.insert("id".into(), json!(id));
        chunk.insert("object".into(), json!("chat.completion.chunk"));
        chunk.insert("created".into(), json!(1_760_000_000));
        chunk.insert("model".into(), json!(model));
        chunk.insert("service_tier".into(), json!("default"));
        chunk.insert("system_fingerprint".into(), json!("fp_fake0001"));
        chunk.insert("choices".into(), choices);
        if include_usage {
            chunk.insert("usage".into(), Value::Null);
        }
        sse(None, &Value::Object(chunk).to_string(), "\n")
    };
    let delta = |delta: Value, finish: Option<&str>| {
        chunk(json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]))
    };
    let mut frames = vec![delta(json!({"role": "assistant", "content": "", "refusal": null}), None)];
    for piece in &reply.text {
        frames.push(delta(json!({"content": piece}), None));
    }
    let indexed = !shared.has_quirk(Quirk::NoToolCallIndex);
    // A fragment of the call at `index`: with its index, or (the quirk) without one.
    let fragment = |index: usize, mut fragment: Value| {
        if indexed {
            fragment["index"] = json!(index);
        }
        json!({"tool_calls": [fragment]})
    };
    for (index, call) in reply.tool_calls.iter().enumerate() {
        let call_id = format!("call_fake_{}", shared.next_id());
        frames.push(delta(
            fragment(
                index,
                json!({"id": call_id, "type": "function", "function": {"name": call.name, "arguments": ""}}),
            ),
            None,
        ));
        let arguments = call.arguments.to_string();
        for piece in fragments(&arguments, 3) {
            frames.push(delta(fragment(index, json!({"function": {"arguments": piece}})), None));
        }
    }
    let finish = match reply.stop_reason() {
        FakeStop::EndTurn => "stop",
        FakeStop::ToolUse => "tool_calls",
        FakeStop::MaxTokens => "length",
        FakeStop::Refusal => "content_filter",
    };
    frames.push(delta(json!({}), Some(finish)));
    if include_usage {
        let u = reply.usage;
        let prompt = u.input + u.cache_read;
        let mut last = Map::new();
        last.insert("id".into(), json!(id));
        last.insert("object".into(), json!("chat.completion.chunk"));
        last.insert("created".into(), json!(1_760_000_000));
        last.insert("model".into(), json!(model));
        last.insert("service_tier".into(), json!("default"));
        last.insert("system_fingerprint".into(), json!("fp_fake0001"));
        last.insert("choices".into(), json!([]));
        last.insert(
            "usage".into(),
            json!({
                "prompt_tokens": prompt,
                "completion_tokens": u.output,
                "total_tokens": prompt + u.output,
                "prompt_tokens_details": {"cached_tokens": u.cache_read, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": reply.thinking_tokens, "audio_tokens": 0,
                    "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
            }),
        );
        frames.push(sse(None, &Value::Object(last).to_string(), "\n"));
    }
    frames.push(sse(None, "[DONE]", "\n"));
    frames
}

/// What the API sends when it fails after the stream started: an event that is an error object.
pub(super) fn mid_stream_error() -> Bytes {
    sse(
        None,
        &json!({"error": {"message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error", "param": null, "code": null}})
        .to_string(),
        "\n",
    )
}

pub(super) fn error(status: u16, message: &str, code: Option<&str>) -> HttpResponse {
    let kind = match status {
        401 | 403 | 404 | 400 => "invalid_request_error",
        429 => "insufficient_quota",
        _ => "server_error",
    };
    json(status, json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
}
