//! OpenAI's API (and every OpenAI-compatible endpoint): `Authorization: Bearer <key>`,
//! `GET /v1/models` as one `{"object":"list","data":[…]}`, errors as
//! `{"error":{"message","type","param","code"}}`.

use actix_web::HttpResponse;
use serde_json::json;

use super::{KeyCheck, RecordedRequest, Shared, bearer, json};

pub(super) fn route(req: &RecordedRequest, path: &str, shared: &Shared) -> HttpResponse {
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

pub(super) fn error(status: u16, message: &str, code: Option<&str>) -> HttpResponse {
    let kind = match status {
        401 | 403 | 404 | 400 => "invalid_request_error",
        429 => "insufficient_quota",
        _ => "server_error",
    };
    json(status, json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
}
