//! The Gemini API: the key in `x-goog-api-key` (or the `key` query parameter), `GET /v1beta/models`
//! paginated with `pageSize` / `pageToken` → `nextPageToken`, model names `models/<id>`, errors as
//! `{"error":{"code","message","status","details"}}`. A wrong key is a 400 `INVALID_ARGUMENT` with
//! reason `API_KEY_INVALID`, a missing one a 403 `PERMISSION_DENIED`, as the real API answers.
//!
//! Content generation, streamed (`POST /v1beta/models/{model}:streamGenerateContent?alt=sse`):
//! `data:` events (CRLF line ends, as the API sends them), each a `GenerateContentResponse` with
//! `candidates[0].content.parts` (one text piece, or all the `functionCall`s at once; calls have no
//! id), `usageMetadata` in every chunk (growing; the last is the total), the `finishReason` on the
//! last; the body just ends after it. Without `alt=sse` the same chunks come as one JSON array.
//!
//! As Gemini 3 does, the first function call of every answer carries a `thoughtSignature`, and a
//! later request that replays that call without its signature is refused (400, "Function call is
//! missing a thought_signature"). Thinking comes as parts marked `thought: true`, counted in
//! `thoughtsTokenCount` (apart from `candidatesTokenCount`); a refusal is a `SAFETY` finish
//! with its safety ratings and no content.

use actix_web::HttpResponse;
use actix_web::web;
use serde_json::{Map, Value, json};

use super::stream::{respond, sse};
use super::{FakeModel, FakeReply, FakeStop, KeyCheck, RecordedRequest, Shared, json};

/// The model of a `streamGenerateContent` path (`/v1beta/models/<model>:streamGenerateContent`).
pub(super) fn chat_model(path: &str) -> Option<&str> {
    let model = path.strip_prefix("/v1beta/models/")?.strip_suffix(":streamGenerateContent")?;
    (!model.is_empty() && !model.contains('/')).then_some(model)
}

/// The API's default page size when the client gives no `pageSize`.
const DEFAULT_PAGE_SIZE: usize = 50;

pub(super) fn route(req: &RecordedRequest, path: &str, shared: &web::Data<Shared>) -> HttpResponse {
    let presented = req.header("x-goog-api-key").map(str::to_string).or_else(|| req.query("key"));
    match shared.check_key(presented.as_deref()) {
        KeyCheck::Valid => {}
        KeyCheck::Missing => {
            return error(
                403,
                "Method doesn't allow unregistered callers (callers without established identity). Please use API \
                 Key or other form of API consumer identity to call this API.",
            );
        }
        KeyCheck::Wrong => return invalid_key(),
    }
    if let ("POST", Some(model)) = (req.method.as_str(), chat_model(path)) {
        return chat(req, model, shared);
    }
    match (req.method.as_str(), path) {
        ("GET", "/v1beta/models") => list_models(req, shared),
        ("GET", other) if other.starts_with("/v1beta/models/") => {
            let id = &other["/v1beta/models/".len()..];
            match shared.models().iter().find(|m| m.id == id) {
                Some(model) => json(200, model_json(model)),
                None => error(404, &format!("models/{id} is not found for API version v1beta")),
            }
        }
        _ => error(404, "Requested entity was not found."),
    }
}

fn list_models(req: &RecordedRequest, shared: &Shared) -> HttpResponse {
    let size = match req.query("pageSize").map(|s| s.parse::<usize>()) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(0)) => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) => size.min(1000),
        Some(Err(_)) => return error(400, "Invalid value at 'page_size' (TYPE_INT32)"),
    }
    .min(shared.page_size);
    let start = match req.query("pageToken") {
        None => 0,
        Some(token) if token.is_empty() => 0,
        Some(token) => match parse_token(&token) {
            Some(start) => start,
            None => return error(400, "Invalid page token."),
        },
    };
    let models = shared.models();
    let start = start.min(models.len());
    let end = (start + size).min(models.len());
    let mut body = json!({"models": models[start..end].iter().map(model_json).collect::<Vec<_>>()});
    if end < models.len() {
        body["nextPageToken"] = json!(token(end));
    }
    json(200, body)
}

/// An opaque-looking token with characters that must be percent-encoded in a query (`/`, `+`,
/// `=`), so a client that does not encode it fails.
fn token(offset: usize) -> String {
    format!("Cg/models+{offset}==")
}

fn parse_token(token: &str) -> Option<usize> {
    token.strip_prefix("Cg/models+")?.strip_suffix("==")?.parse().ok()
}

fn model_json(model: &FakeModel) -> Value {
    json!({
        "name": format!("models/{}", model.id),
        "version": "001",
        "displayName": model.display_name.clone().unwrap_or_else(|| model.id.clone()),
        "description": format!("Fake {}", model.id),
        "inputTokenLimit": 1_048_576,
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": model.generation_methods,
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
    })
}

fn chat(req: &RecordedRequest, model: &str, shared: &web::Data<Shared>) -> HttpResponse {
    if !shared.has_chat_model(model) {
        return error(
            404,
            &format!(
                "models/{model} is not found for API version v1beta, or is not supported for generateContent. Call \
                 ListModels to see the list of available models and their supported methods."
            ),
        );
    }
    let Some(Value::Object(body)) = req.body_json() else {
        return error(400, "Invalid JSON payload received. Unexpected token.");
    };
    if let Err(message) = check_contents(body.get("contents"))
        .and_then(|()| check_signatures(body.get("contents"), shared))
        .and_then(|()| check_system(body.get("systemInstruction")))
        .and_then(|()| check_tools(body.get("tools")))
    {
        return error(400, &message);
    }
    let reply = shared.next_reply();
    let chunks = chunks(&reply, model, shared);
    if req.query("alt").as_deref() == Some("sse") {
        respond(shared, "text/event-stream", chunks.iter().map(|c| sse(None, &c.to_string(), "\r\n")).collect())
    } else {
        json(200, Value::Array(chunks))
    }
}

/// The conversation as the API checks it: `user` and `model` roles, parts that are one thing
/// each, a function-call turn right after a user turn, and as many function responses in the
/// turn after it as it had calls.
fn check_contents(contents: Option<&Value>) -> Result<(), String> {
    let contents = match contents.and_then(Value::as_array) {
        Some(contents) if !contents.is_empty() => contents,
        _ => return Err("* GenerateContentRequest.contents: contents is not specified".into()),
    };
    let mut calls_before = 0;
    for (i, content) in contents.iter().enumerate() {
        let role = content.get("role").and_then(Value::as_str).unwrap_or("user");
        if role != "user" && role != "model" {
            return Err("Please use a valid role: user, model.".into());
        }
        let parts = match content.get("parts").and_then(Value::as_array) {
            Some(parts) if !parts.is_empty() => parts,
            _ => {
                return Err(format!("* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty."));
            }
        };
        let (mut calls, mut responses) = (0, 0);
        for (j, part) in parts.iter().enumerate() {
            let Some(part) = part.as_object() else {
                return Err(format!(
                    "Invalid value at 'contents[{i}].parts[{j}]' (type.googleapis.com/google.ai.generativelanguage.v1beta.Part)"
                ));
            };
            let data: Vec<&str> = ["text", "inlineData", "functionCall", "functionResponse", "fileData"]
                .into_iter()
                .filter(|k| part.contains_key(*k))
                .collect();
            if data.len() != 1 {
                return Err(format!(
                    "* GenerateContentRequest.contents[{i}].parts[{j}].data: required oneof field 'data' must have one initialized field"
                ));
            }
            match data[0] {
                "text" if !part["text"].is_string() => {
                    return Err(format!("Invalid value at 'contents[{i}].parts[{j}].text' (TYPE_STRING)"));
                }
                "functionCall" => {
                    let call = &part["functionCall"];
                    if call.get("name").and_then(Value::as_str).is_none_or(str::is_empty) {
                        return Err(format!(
                            "* GenerateContentRequest.contents[{i}].parts[{j}].function_call.name: Name cannot be empty."
                        ));
                    }
                    if call.get("args").is_some_and(|a| !a.is_object()) {
                        return Err(format!(
                            "Invalid value at 'contents[{i}].parts[{j}].function_call.args' (type.googleapis.com/google.protobuf.Struct)"
                        ));
                    }
                    calls += 1;
                }
                "functionResponse" => {
                    let response = &part["functionResponse"];
                    if response.get("name").and_then(Value::as_str).is_none_or(str::is_empty) {
                        return Err(format!(
                            "* GenerateContentRequest.contents[{i}].parts[{j}].function_response.name: Name cannot be empty."
                        ));
                    }
                    if !response.get("response").is_some_and(Value::is_object) {
                        return Err(format!(
                            "Invalid value at 'contents[{i}].parts[{j}].function_response.response' (type.googleapis.com/google.protobuf.Struct)"
                        ));
                    }
                    responses += 1;
                }
                _ => {}
            }
        }
        if calls > 0 && (role != "model" || i == 0 || !is_user(&contents[i - 1])) {
            return Err("Please ensure that function call turn comes immediately after a user turn or after a function response turn.".into());
        }
        if (calls_before > 0 || responses > 0) && responses != calls_before {
            return Err("Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.".into());
        }
        calls_before = calls;
    }
    Ok(())
}

/// What identifies a function call across turns: its name and arguments.
fn call_key(call: &Value) -> String {
    format!(
        "{}\u{0}{}",
        call.get("name").and_then(Value::as_str).unwrap_or_default(),
        call.get("args").unwrap_or(&Value::Null)
    )
}

/// Every function call this fake signed must come back with its signature, beside it.
fn check_signatures(contents: Option<&Value>, shared: &Shared) -> Result<(), String> {
    let issued = super::lock(&shared.signatures);
    for (i, content) in contents.and_then(Value::as_array).into_iter().flatten().enumerate() {
        for (j, part) in content.get("parts").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let Some(call) = part.get("functionCall") else { continue };
            let Some(signatures) = issued.get(&call_key(call)) else { continue };
            let signed = part.get("thoughtSignature").and_then(Value::as_str).is_some_and(|s| signatures.contains(s));
            if !signed {
                let name = call.get("name").and_then(Value::as_str).unwrap_or_default();
                return Err(format!(
                    "Function call is missing a thought_signature in functionCall parts. This is required for tools \
                     to work correctly, and missing thought_signature may lead to degraded model performance. \
                     Additional data, function call `default_api:{name}` , position {}. Please refer to \
                     https://ai.google.dev/gemini-api/docs/thought-signatures for more details.",
                    i * 100 + j + 1
                ));
            }
        }
    }
    Ok(())
}

/// What Gemini sends when it fails after the stream started: a chunk that is an error object.
pub(super) fn mid_stream_error() -> web::Bytes {
    sse(
        None,
        &json!({"error": {"code": 503, "message": "The model is overloaded. Please try again later.",
            "status": "UNAVAILABLE"}})
        .to_string(),
        "\r\n",
    )
}

fn is_user(content: &Value) -> bool {
    content.get("role").and_then(Value::as_str).unwrap_or("user") == "user"
}

fn check_system(system: Option<&Value>) -> Result<(), String> {
    match system {
        None => Ok(()),
        Some(system)
            if system
                .get("parts")
                .and_then(Value::as_array)
                .is_some_and(|p| p.iter().all(|p| p.get("text").is_some_and(Value::is_string))) =>
        {
            Ok(())
        }
        Some(_) => Err(
            "Invalid value at 'system_instruction' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content)"
                .into(),
        ),
    }
}

fn check_tools(tools: Option<&Value>) -> Result<(), String> {
    let Some(tools) = tools else { return Ok(()) };
    let tools = tools
        .as_array()
        .ok_or("Invalid value at 'tools' (type.googleapis.com/google.ai.generativelanguage.v1beta.Tool)")?;
    for (i, tool) in tools.iter().enumerate() {
        for (j, function) in
            tool.get("functionDeclarations").and_then(Value::as_array).into_iter().flatten().enumerate()
        {
            if function.get("name").and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err(format!(
                    "* GenerateContentRequest.tools[{i}].function_declarations[{j}].name: Name cannot be empty."
                ));
            }
        }
    }
    Ok(())
}

/// The chunks of one answer: a chunk per thought piece and per text piece, then one with every
/// function call (the first one signed); the last carries the finish reason and the full usage.
/// A refusal ends with a chunk without content.
fn chunks(reply: &FakeReply, model: &str, shared: &Shared) -> Vec<Value> {
    let u = reply.usage;
    let prompt = u.input + u.cache_read;
    let thoughts = reply.thinking_tokens.min(u.output);
    let response_id = format!("fake-response-{}", shared.next_id());
    let usage = |candidates: u64, last: bool| {
        let mut usage = Map::new();
        usage.insert("promptTokenCount".into(), json!(prompt));
        usage.insert("candidatesTokenCount".into(), json!(candidates));
        usage.insert("totalTokenCount".into(), json!(prompt + candidates + if last { thoughts } else { 0 }));
        // proto3 JSON leaves zero counts out.
        if u.cache_read > 0 {
            usage.insert("cachedContentTokenCount".into(), json!(u.cache_read));
        }
        if last && thoughts > 0 {
            usage.insert("thoughtsTokenCount".into(), json!(thoughts));
        }
        if last {
            usage.insert("promptTokensDetails".into(), json!([{"modality": "TEXT", "tokenCount": prompt}]));
        }
        Value::Object(usage)
    };
    let mut parts: Vec<Option<Value>> =
        reply.thinking.iter().map(|t| Some(json!([{"text": t, "thought": true}]))).collect();
    parts.extend(reply.text.iter().map(|t| Some(json!([{"text": t}]))));
    // A thinking answer without calls signs its last text part (optional to send back).
    if !reply.thinking.is_empty()
        && reply.tool_calls.is_empty()
        && let Some(Some(last)) = parts.last_mut()
    {
        last[0]["thoughtSignature"] = json!(format!("CiQBVKhc7fakeTextSignature{}==", shared.next_id()));
    }
    if !reply.tool_calls.is_empty() {
        let mut signatures = super::lock(&shared.signatures);
        let calls = reply.tool_calls.iter().enumerate().map(|(n, c)| {
            let call = json!({"name": c.name, "args": c.arguments});
            let mut part = json!({"functionCall": call});
            if n == 0 {
                let signature = format!("CiQBVKhc7fakeSignature{}/+w==", shared.next_id());
                signatures.entry(call_key(&part["functionCall"])).or_default().insert(signature.clone());
                part["thoughtSignature"] = json!(signature);
            }
            part
        });
        parts.push(Some(Value::Array(calls.collect())));
    }
    let finish = match reply.stop_reason() {
        FakeStop::EndTurn | FakeStop::ToolUse => "STOP",
        FakeStop::MaxTokens => "MAX_TOKENS",
        FakeStop::Refusal => "SAFETY",
    };
    if finish == "SAFETY" {
        parts.push(None);
    } else if parts.is_empty() {
        parts.push(Some(json!([{"text": ""}])));
    }
    let count = parts.len();
    let answer_tokens = u.output - thoughts;
    parts
        .into_iter()
        .enumerate()
        .map(|(n, parts)| {
            let last = n + 1 == count;
            let mut candidate = json!({"index": 0});
            if let Some(parts) = parts {
                candidate["content"] = json!({"parts": parts, "role": "model"});
            }
            if last {
                candidate["finishReason"] = json!(finish);
            }
            if finish == "SAFETY" && last {
                candidate["safetyRatings"] = json!([
                    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true},
                    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
                ]);
            }
            // Intermediate counts grow with the pieces; the last one is the total.
            let candidates = if last { answer_tokens } else { (n as u64 + 1).min(answer_tokens) };
            json!({
                "candidates": [candidate],
                "usageMetadata": usage(candidates, last),
                "modelVersion": model,
                "responseId": response_id,
            })
        })
        .collect()
}

/// A 429 as the Gemini API sends it: no `Retry-After` header, the delay in a `RetryInfo` detail.
pub(super) fn rate_limited(retry_after_secs: u64) -> HttpResponse {
    json(
        429,
        json!({"error": {
            "code": 429,
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                }]},
                {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": format!("{retry_after_secs}s")},
            ],
        }}),
    )
}

fn invalid_key() -> HttpResponse {
    json(
        400,
        json!({"error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }],
        }}),
    )
}

pub(super) fn error(status: u16, message: &str) -> HttpResponse {
    let code = match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    };
    json(status, json!({"error": {"code": status, "message": message, "status": code}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        assert_eq!(parse_token(&token(42)), Some(42));
        assert_eq!(parse_token("Cg models 42=="), None);
    }
}
