//! Ollama's API, local or cloud: `GET /api/tags` → `{"models":[{name, model, modified_at, size,
//! digest, details}]}`, `GET /api/version`, errors as `{"error":"…"}`. A local server has no
//! authentication; ollama.com wants `Authorization: Bearer <key>`.

use std::hash::{DefaultHasher, Hash, Hasher};

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::{FakeModel, KeyCheck, RecordedRequest, Shared, bearer, json};

pub(super) fn route(req: &RecordedRequest, path: &str, shared: &Shared) -> HttpResponse {
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

pub(super) fn error(status: u16, message: &str) -> HttpResponse {
    json(status, json!({"error": message}))
}
