//! Route table. Each module registers one area of the API; order matters where a literal segment
//! (`/api/users/me`, `/api/users/invites`) shares a prefix with a parameter (`/api/users/{id}`).

mod agents;
mod audit;
mod auth;
mod health;
mod invites;
mod profile;
mod providers;
mod settings;
mod setup;
mod users;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, Resource, ResponseError, web};
use pincer_core::UserId;

use crate::error::ApiError;

pub fn register(cfg: &mut web::ServiceConfig) {
    health::register(cfg);
    setup::register(cfg);
    auth::register(cfg);
    profile::register(cfg);
    invites::register(cfg);
    users::register(cfg);
    settings::register(cfg);
    audit::register(cfg);
    providers::register(cfg);
    agents::register(cfg);
    crate::ws::register(cfg);
}

/// A resource whose unmatched methods answer 405 in our error shape.
pub(crate) fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> HttpResponse {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this route")
        .error_response()
}

pub async fn route_not_found() -> HttpResponse {
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such route").error_response()
}

fn parse_user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|_| ApiError::invalid_id())
}
