//! Ollama's API, local or cloud: `GET /api/tags` → `{"models":[{name, model, modified_at, size,
//! digest, details}]}`, `GET /api/version`, errors as `{"error":"…"}`. A local server has no
//! authentication; ollama.com wants `Authorization: Bearer <key>`.
//!
//! Chat (`POST /api/chat`, streamed unless `"stream": false`): NDJSON, one object a line,
//! `{model, created_at, message: {role: "assistant", content}, done: false}` per text piece, the
//! tool calls whole in one line (`tool_calls: [{function: {name, arguments: {…}}}]`, no ids), then
//! `{…, done: true, done_reason, total_duration, prompt_eval_count, eval_count, …}`.

use std::hash::{DefaultHasher, Hash, Hasher};

use actix_web::HttpResponse;
use actix_web::web::{self, Bytes};
use serde_json::{Value, json};

use super::stream::respond;
use super::{FakeModel, FakeReply, FakeStop, KeyCheck, RecordedRequest, Shared, bearer, json};

pub(super) fn route(req: &RecordedRequest, path: &str, shared: &web::Data<Shared>) -> HttpResponse {
    match (req.method.as_str(), path) {
        // A local server answers its root page without authentication.
        ("GET" | "HEAD", "/") => {
            return HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("Ollama is running");
        }
        ("GET", "/api/version") => return json(200, json!({"version": "0.12.6"})),
        _ => {}
    }
    if shared.check_key(bearer(req)) != KeyCheck::Valid {
        return error(401, "unauthorized");
    }
    match (req.method.as_str(), path) {
        ("POST", "/api/chat") => chat(req, shared),
        ("GET", "/api/tags") => {
            json(200, json!({"models": shared.models().iter().map(model_json).collect::<Vec<_>>()}))
        }
        _ => error(404, "404 page not found"),
    }
}

fn model_json(model: &FakeModel) -> Value {
    let family = model.id.split([':', '.', '-']).next().unwrap_or_default().trim_end_matches(char::is_numeric);
    json!({
        "name": model.id,
        "model": model.id,
        "modified_at": "2025-10-02T17:37:44.706015396+02:00",
        "size": 4_920_753_328_u64,
        "digest": digest(&model.id),
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": "8.0B",
            "quantization_level": "Q4_K_M",
        },
    })
}

/// A stable, real-looking sha256-sized hex digest for a model name.
fn digest(id: &str) -> String {
    (0..4u8)
        .map(|round| {
            let mut hasher = DefaultHasher::new();
            (round, id).hash(&mut hasher);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

fn chat(req: &RecordedRequest, shared: &web::Data<Shared>) -> HttpResponse {
    let Some(Value::Object(body)) = req.body_json() else {
        return error(400, "invalid character '<' looking for beginning of value");
    };
    let model = body.get("model").and_then(Value::as_str).unwrap_or_default();
    if model.is_empty() {
        return error(400, "model is required");
    }
    if !shared.has_chat_model(model) {
        return error(404, &format!("model '{model}' not found"));
    }
    if let Err(message) = check_messages(body.get("messages")).and_then(|()| check_tools(body.get("tools"))) {
        return error(400, &message);
    }
    let reply = shared.next_reply();
    let lines = lines(&reply, model);
    if body.get("stream") == Some(&Value::Bool(false)) {
        // Not streamed: the last line, carrying the whole message.
        let mut whole = lines.last().cloned().unwrap_or(Value::Null);
        whole["message"] = json!({"role": "assistant", "content": reply.full_text()});
        if !reply.tool_calls.is_empty() {
            whole["message"]["tool_calls"] = tool_calls(&reply);
        }
        return json(200, whole);
    }
    let frames = lines.iter().map(|l| Bytes::from(format!("{l}\n"))).collect();
    respond(shared, "application/x-ndjson", frames)
}

/// Messages as the server decodes them: known roles, string content, tool-call arguments as an
/// object (a string does not decode).
fn check_messages(messages: Option<&Value>) -> Result<(), String> {
    let Some(messages) = messages else { return Ok(()) };
    let messages = messages
        .as_array()
        .ok_or("json: cannot unmarshal object into Go struct field ChatRequest.messages of type []api.Message")?;
    for message in messages {
        match message.get("role").and_then(Value::as_str).unwrap_or_default() {
            "system" | "user" | "assistant" | "tool" => {}
            other => return Err(format!("invalid role: {other}")),
        }
        if message.get("content").is_some_and(|c| !c.is_string()) {
            return Err(
                "json: cannot unmarshal array into Go struct field Message.messages.content of type string".into()
            );
        }
        for call in message.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
            match call.pointer("/function/arguments") {
                None | Some(Value::Object(_)) => {}
                Some(_) => {
                    return Err("json: cannot unmarshal string into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments".into());
                }
            }
            if call.pointer("/function/name").and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err("tool call without a function name".into());
            }
        }
    }
    Ok(())
}

fn check_tools(tools: Option<&Value>) -> Result<(), String> {
    let Some(tools) = tools else { return Ok(()) };
    let tools = tools
        .as_array()
        .ok_or("json: cannot unmarshal object into Go struct field ChatRequest.tools of type api.Tools")?;
    for tool in tools {
        if tool.get("type").and_then(Value::as_str) != Some("function")
            || tool.pointer("/function/name").and_then(Value::as_str).is_none_or(str::is_empty)
        {
            return Err("invalid tool: a function with a name is required".into());
        }
    }
    Ok(())
}

fn tool_calls(reply: &FakeReply) -> Value {
    reply.tool_calls.iter().map(|c| json!({"function": {"name": c.name, "arguments": c.arguments}})).collect()
}

/// The lines of one streamed answer.
fn lines(reply: &FakeReply, model: &str) -> Vec<Value> {
    let created_at = "2025-10-02T15:52:19.385406455Z";
    // A thinking model streams its reasoning in `message.thinking`, with empty content.
    let mut lines: Vec<Value> = reply
        .thinking
        .iter()
        .map(|piece| {
            json!({"model": model, "created_at": created_at,
                "message": {"role": "assistant", "content": "", "thinking": piece}, "done": false})
        })
        .collect();
    lines.extend(reply.text.iter().map(|piece| {
        json!({"model": model, "created_at": created_at,
            "message": {"role": "assistant", "content": piece}, "done": false})
    }));
    if !reply.tool_calls.is_empty() {
        lines.push(json!({"model": model, "created_at": created_at,
            "message": {"role": "assistant", "content": "", "tool_calls": tool_calls(reply)}, "done": false}));
    }
    let done_reason = match reply.stop_reason() {
        FakeStop::EndTurn | FakeStop::ToolUse | FakeStop::Refusal => "stop",
        FakeStop::MaxTokens => "length",
    };
    lines.push(json!({
        "model": model,
        "created_at": created_at,
        "message": {"role": "assistant", "content": ""},
        "done": true,
        "done_reason": done_reason,
        "total_duration": 4_883_583_458_u64,
        "load_duration": 1_334_875,
        "prompt_eval_count": reply.usage.input,
        "prompt_eval_duration": 342_546_000,
        "eval_count": reply.usage.output,
        "eval_duration": 4_535_599_000_u64,
    }));
    lines
}

/// What Ollama sends when generation fails after the stream started: an error line.
pub(super) fn mid_stream_error() -> Bytes {
    Bytes::from(format!("{}\n", json!({"error": "an error was encountered while running the model: unexpected EOF"})))
}

pub(super) fn error(status: u16, message: &str) -> HttpResponse {
    json(status, json!({"error": message}))
}
