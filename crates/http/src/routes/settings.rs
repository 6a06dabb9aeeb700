//! Application settings (admin only); secret values are masked.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::resource;
use crate::auth::Authed;
use crate::dto::SUCCESS;
use crate::error::ApiError;
use crate::state::AppState;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/settings").route(web::get().to(list)).route(web::post().to(set))).service(
        resource("/api/settings/context").route(web::get().to(org_context)).route(web::put().to(set_org_context)),
    );
}

#[derive(Serialize)]
struct SettingDto {
    key: String,
    value: String,
    encrypted: bool,
}

async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let settings = state.settings.list(&authed.principal).await?;
    let dtos: Vec<SettingDto> =
        settings.into_iter().map(|s| SettingDto { key: s.key, value: s.value, encrypted: s.encrypted }).collect();
    Ok(HttpResponse::Ok().json(dtos))
}

#[derive(Deserialize)]
struct SetBody {
    key: String,
    value: String,
}

async fn set(state: web::Data<AppState>, authed: Authed, body: web::Json<SetBody>) -> Result<HttpResponse, ApiError> {
    state.settings.set(&authed.principal, &body.key, &body.value).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

async fn org_context(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let content = state.agents.org_context(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(json!({ "content": content })))
}

#[derive(Deserialize)]
struct ContextBody {
    content: String,
}

async fn set_org_context(
    state: web::Data<AppState>,
    authed: Authed,
    body: web::Json<ContextBody>,
) -> Result<HttpResponse, ApiError> {
    state.agents.set_org_context(&authed.principal, &body.content).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}
