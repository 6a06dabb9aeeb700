//! The caller's own profile: name, personal context, password.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::{Authed, client_ip};
use crate::dto::{ContextBody, ContextDto, SUCCESS, Success};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

super::area!(rename, context, set_context, change_password);

#[derive(Deserialize, ToSchema)]
struct NameBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
}

/// Renames the caller.
#[utoipa::path(
    patch,
    path = "/api/users/me",
    tag = "profile",
    request_body = NameBody,
    responses((status = 200, description = "Renamed.", body = Success)),
)]
async fn rename(state: web::Data<AppState>, authed: Authed, body: Json<NameBody>) -> Result<HttpResponse, ApiError> {
    state.identity.rename(&authed.principal, &body.name).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// The caller's personal context, given to their agents.
#[utoipa::path(
    get,
    path = "/api/users/me/context",
    tag = "profile",
    responses((status = 200, description = "The personal context (empty when unset).", body = ContextDto)),
)]
async fn context(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let content = state.identity.context(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(ContextDto { content }))
}

/// Replaces the caller's personal context.
#[utoipa::path(
    put,
    path = "/api/users/me/context",
    tag = "profile",
    request_body = ContextBody,
    responses((status = 200, description = "Saved.", body = Success)),
)]
async fn set_context(
    state: web::Data<AppState>,
    authed: Authed,
    body: Json<ContextBody>,
) -> Result<HttpResponse, ApiError> {
    state.identity.set_context(&authed.principal, &body.content).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct PasswordBody {
    current_password: String,
    #[schema(min_length = 8, max_length = 256)]
    new_password: String,
}

/// Changes the caller's password; their other sessions end.
#[utoipa::path(
    post,
    path = "/api/users/me/password",
    tag = "profile",
    request_body = PasswordBody,
    responses(
        (status = 200, description = "Changed.", body = Success),
        (status = 400, description = "Codes: `invalid_input`, `weak_password`.", body = ErrorBody),
        (status = 401, description = "Codes: `wrong_current_password`.", body = ErrorBody),
        (status = 429, description = "More than 10 changes by this user in 15 minutes, or the address's login budget is used up; see `Retry-After`. Codes: `rate_limited`.", body = ErrorBody),
    ),
)]
async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    authed: Authed,
    body: Json<PasswordBody>,
) -> Result<HttpResponse, ApiError> {
    let source = client_ip(&req, &state.config);
    state.identity.change_password(&authed.principal, &body.current_password, &body.new_password, &source).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}
