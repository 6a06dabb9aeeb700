//! Personal API tokens (issue #19): list, create (the token shown once), revoke, regenerate the
//! `default` one, and open a browser session with a token.

use actix_web::cookie::time::Duration;
use actix_web::{HttpResponse, web};
use pincer_core::ApiTokenId;
use pincer_identity::ApiToken;
use pincer_identity::service::{NewToken, SESSION_FROM_TOKEN_TTL_MS, scope_names};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Authed, session_cookie};
use crate::dto::{SUCCESS, Success};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

super::area!(list, create, revoke, regenerate, session_from_token);

/// A token as its owner sees it: never the token itself, except in the answer that created it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct TokenDto {
    #[schema(format = Uuid)]
    id: String,
    name: String,
    /// `chat`, `sessions`, `memory`, `agents:read`, `agents:write`, `usage:read`, `audit:read`, `admin`.
    scopes: Vec<&'static str>,
    created_at: String,
    last_used_at: Option<String>,
    /// `null`: never expires.
    expires_at: Option<String>,
    /// The token (`pcr_…`): only when it was just created.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl TokenDto {
    fn new(t: &ApiToken, token: Option<String>) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.clone(),
            scopes: scope_names(&t.scopes),
            created_at: t.created_at.to_rfc3339(),
            last_used_at: t.last_used_at.map(|at| at.to_rfc3339()),
            expires_at: t.expires_at.map(|at| at.to_rfc3339()),
            token,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct TokenBody {
    #[schema(min_length = 1, max_length = 100, example = "ci")]
    name: String,
    #[schema(example = json!(["chat", "agents:read"]))]
    scopes: Vec<String>,
    /// Days until it expires (1–3650); omitted or `null`: never.
    #[schema(minimum = 1, maximum = 3650)]
    expires_in_days: Option<u32>,
}

/// The caller's API tokens, oldest first; never the tokens themselves. Needs a sign-in session.
#[utoipa::path(
    get,
    path = "/api/tokens",
    tag = "tokens",
    responses(
        (status = 200, description = "The tokens.", body = Vec<TokenDto>),
        (status = 403, description = "Codes: `wrong_credential` (called with a token).", body = ErrorBody),
    ),
)]
async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let tokens = state.identity.tokens(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(tokens.iter().map(|t| TokenDto::new(t, None)).collect::<Vec<_>>()))
}

/// Creates a token acting as the caller within `scopes` (never beyond the caller's role); the
/// token is in this answer only. Needs a sign-in session.
#[utoipa::path(
    post,
    path = "/api/tokens",
    tag = "tokens",
    request_body = TokenBody,
    responses(
        (status = 201, description = "The token, with `token`.", body = TokenDto),
        (status = 400, description = "Codes: `invalid_input` (name, an unknown scope, a scope the role lacks, expiry, too many tokens).", body = ErrorBody),
        (status = 403, description = "Codes: `wrong_credential`.", body = ErrorBody),
    ),
)]
async fn create(state: web::Data<AppState>, authed: Authed, body: Json<TokenBody>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = NewToken { name: body.name, scopes: body.scopes, expires_in_days: body.expires_in_days };
    let (token, secret) = state.identity.create_token(&authed.principal, new).await?;
    Ok(HttpResponse::Created().json(TokenDto::new(&token, Some(secret.expose().clone()))))
}

/// Revokes one of the caller's tokens at once. Needs a sign-in session.
#[utoipa::path(
    delete,
    path = "/api/tokens/{id}",
    tag = "tokens",
    params(("id" = String, Path, format = Uuid, description = "The token's id.")),
    responses(
        (status = 200, description = "Revoked.", body = Success),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 403, description = "Codes: `wrong_credential`.", body = ErrorBody),
        (status = 404, description = "Codes: `token_not_found`.", body = ErrorBody),
    ),
)]
async fn revoke(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id: ApiTokenId = id.parse().map_err(|_| ApiError::invalid_id())?;
    state.identity.revoke_token(&authed.principal, id).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// Revokes the caller's tokens named `default` and creates a new one with everything the role
/// may do, never expiring (the dashboard's access token). Needs a sign-in session.
#[utoipa::path(
    post,
    path = "/api/token/regenerate",
    tag = "tokens",
    responses(
        (status = 201, description = "The new token, with `token`.", body = TokenDto),
        (status = 403, description = "Codes: `wrong_credential`.", body = ErrorBody),
    ),
)]
async fn regenerate(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let (token, secret) = state.identity.regenerate_token(&authed.principal).await?;
    Ok(HttpResponse::Created().json(TokenDto::new(&token, Some(secret.expose().clone()))))
}

/// A sign-in session opened with a token.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct TokenSessionDto {
    /// The session's token (also set as the cookie).
    token: String,
    expires_at: String,
}

/// Opens a 12-hour sign-in session (cookie and token) for the owner of the API token sent as
/// `Authorization: Bearer pcr_…`, so a script can open the web app.
#[utoipa::path(
    post,
    path = "/api/auth/session",
    tag = "tokens",
    responses(
        (status = 200, description = "The session.", body = TokenSessionDto),
        (status = 401, description = "Codes: `not_authenticated`.", body = ErrorBody),
        (status = 403, description = "Codes: `wrong_credential` (not called with an API token).", body = ErrorBody),
    ),
)]
async fn session_from_token(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let outcome = state.identity.session_from_token(&authed.principal).await?;
    let mut cookie = session_cookie(outcome.token.expose(), &state.config);
    cookie.set_max_age(Duration::milliseconds(SESSION_FROM_TOKEN_TTL_MS));
    let body = TokenSessionDto { token: outcome.token.expose().clone(), expires_at: outcome.expires_at.to_rfc3339() };
    Ok(HttpResponse::Ok().cookie(cookie).json(body))
}
