//! `GET /api/health`: public, for load balancers and uptime probes.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::resource;
use crate::state::AppState;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/health").route(web::get().to(health)));
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    if state.readiness.database_ok().await {
        HttpResponse::Ok().json(json!({"status": "ok", "database": "ok"}))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({
            "status": "unavailable",
            "database": "unreachable",
            "error": "database unreachable",
            "code": "database_unreachable",
        }))
    }
}
