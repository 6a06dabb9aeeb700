//! Application settings (admin only); secret values are masked.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Authed;
use crate::dto::{ContextBody, ContextDto, SUCCESS, Success};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

super::area!(list, set, org_context, set_org_context);

/// A setting; a secret one (`encrypted`) is sealed at rest and its value masked here.
#[derive(Serialize, ToSchema)]
struct SettingDto {
    key: String,
    value: String,
    encrypted: bool,
}

/// Every stored setting (admin only).
#[utoipa::path(
    get,
    path = "/api/settings",
    tag = "settings",
    responses(
        (status = 200, description = "The settings.", body = Vec<SettingDto>),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let settings = state.settings.list(&authed.principal).await?;
    let dtos: Vec<SettingDto> =
        settings.into_iter().map(|s| SettingDto { key: s.key, value: s.value, encrypted: s.encrypted }).collect();
    Ok(HttpResponse::Ok().json(dtos))
}

#[derive(Deserialize, ToSchema)]
struct SetBody {
    #[schema(min_length = 1, max_length = 100)]
    key: String,
    value: String,
}

/// Stores a setting (admin only). Keys that hold secrets are sealed.
#[utoipa::path(
    post,
    path = "/api/settings",
    tag = "settings",
    request_body = SetBody,
    responses(
        (status = 200, description = "Stored.", body = Success),
        (status = 400, description = "Codes: `invalid_input` (unknown or malformed key, value too long).", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn set(state: web::Data<AppState>, authed: Authed, body: Json<SetBody>) -> Result<HttpResponse, ApiError> {
    state.settings.set(&authed.principal, &body.key, &body.value).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// The organisation context every agent receives (admin only).
#[utoipa::path(
    get,
    path = "/api/settings/context",
    tag = "settings",
    responses(
        (status = 200, description = "The organisation context (empty when unset).", body = ContextDto),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn org_context(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let content = state.agents.org_context(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(ContextDto { content }))
}

/// Replaces the organisation context (admin only).
#[utoipa::path(
    put,
    path = "/api/settings/context",
    tag = "settings",
    request_body = ContextBody,
    responses(
        (status = 200, description = "Saved.", body = Success),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn set_org_context(
    state: web::Data<AppState>,
    authed: Authed,
    body: Json<ContextBody>,
) -> Result<HttpResponse, ApiError> {
    state.agents.set_org_context(&authed.principal, &body.content).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}
