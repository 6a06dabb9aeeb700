//! The Gemini API: the key in `x-goog-api-key` (or the `key` query parameter), `GET /v1beta/models`
//! paginated with `pageSize` / `pageToken` → `nextPageToken`, model names `models/<id>`, errors as
//! `{"error":{"code","message","status","details"}}`. A wrong key is a 400 `INVALID_ARGUMENT` with
//! reason `API_KEY_INVALID`, a missing one a 403 `PERMISSION_DENIED`, as the real API answers.

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::{FakeModel, KeyCheck, RecordedRequest, Shared, json};

/// The API's default page size when the client gives no `pageSize`.
const DEFAULT_PAGE_SIZE: usize = 50;

pub(super) fn route(req: &RecordedRequest, path: &str, shared: &Shared) -> HttpResponse {
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
