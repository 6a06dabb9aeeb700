//! First-run setup: status and creation of the first admin (who is logged in at once).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::resource;
use crate::auth::session_cookie;
use crate::dto::UserDto;
use crate::error::ApiError;
use crate::state::AppState;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/setup/status").route(web::get().to(status)))
        .service(resource("/api/setup").route(web::post().to(setup)));
}

async fn status(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let complete = state.identity.setup_complete().await?;
    let provider = state.providers.any_configured().await?;
    Ok(HttpResponse::Ok().json(json!({"setupComplete": complete, "providerConfigured": provider})))
}

#[derive(Deserialize)]
struct SetupBody {
    name: String,
    email: String,
    password: String,
}

async fn setup(state: web::Data<AppState>, body: web::Json<SetupBody>) -> Result<HttpResponse, ApiError> {
    let outcome = state.identity.setup(&body.name, &body.email, &body.password).await?;
    Ok(HttpResponse::Created()
        .cookie(session_cookie(outcome.token.expose(), &state.config))
        .json(json!({"user": UserDto::from(&outcome.user)})))
}
