//! Anthropic's API: `x-api-key` and `anthropic-version` headers, `GET /v1/models` paginated with
//! `limit` / `after_id` / `before_id`, errors as `{"type":"error","error":{"type","message"}}`.

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::{FakeModel, KeyCheck, RecordedRequest, Shared, json};

/// Anthropic's default page size when the client gives no `limit`.
const DEFAULT_LIMIT: usize = 20;

pub(super) fn route(req: &RecordedRequest, path: &str, shared: &Shared) -> HttpResponse {
    if let Some(refused) = refusal(req, shared) {
        return refused;
    }
    match (req.method.as_str(), path) {
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
