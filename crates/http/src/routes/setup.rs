//! First-run setup: status and creation of the first admin (who is logged in at once).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use pincer_core::crypto::constant_time_eq;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::session_cookie;
use crate::dto::{SignedInDto, UserDto};
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;

super::area!(status, setup);

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SetupStatusDto {
    /// An admin exists; `POST /api/setup` answers 409 from now on.
    setup_complete: bool,
    /// At least one LLM provider is connected.
    provider_configured: bool,
}

/// Whether the first admin and a provider exist (the setup wizard's first question).
#[utoipa::path(
    get,
    path = "/api/setup/status",
    tag = "setup",
    security(()),
    responses((status = 200, description = "Setup state.", body = SetupStatusDto)),
)]
async fn status(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let complete = state.identity.setup_complete().await?;
    let provider = state.providers.any_configured().await?;
    Ok(HttpResponse::Ok().json(SetupStatusDto { setup_complete: complete, provider_configured: provider }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SetupBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// Not a commonly used password.
    #[schema(min_length = 8, max_length = 256)]
    password: String,
    /// The code the server printed at start; required unless the request comes from the
    /// server's own loopback without forwarding headers.
    setup_code: Option<String>,
}

/// Creates the first admin and signs them in (sets the session cookie).
#[utoipa::path(
    post,
    path = "/api/setup",
    tag = "setup",
    security(()),
    request_body = SetupBody,
    responses(
        (status = 201, description = "The admin exists and is signed in.", body = SignedInDto),
        (status = 400, description = "Codes: `invalid_input`, `weak_password`.", body = crate::error::ErrorBody),
        (status = 403, description = "From another host, without the setup code the server printed at start. Codes: `setup_code_required`.", body = crate::error::ErrorBody),
        (status = 409, description = "Setup was done already. Codes: `setup_complete`.", body = crate::error::ErrorBody),
    ),
)]
async fn setup(req: HttpRequest, state: web::Data<AppState>, body: Json<SetupBody>) -> Result<HttpResponse, ApiError> {
    if let Some(code) = &state.config.setup_code
        // Through a tunnel, anyone on the internet arrives from loopback.
        && (!from_own_loopback(&req) || state.remote.active())
        && !body.setup_code.as_deref().is_some_and(|given| constant_time_eq(given.trim().as_bytes(), code.as_bytes()))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "setup_code_required",
            "setup from another machine needs the setup code the server printed when it started",
        ));
    }
    let outcome = state.identity.setup(&body.name, &body.email, &body.password).await?;
    Ok(HttpResponse::Created()
        .cookie(session_cookie(outcome.token.expose(), &state.config))
        .json(SignedInDto { user: UserDto::from(&outcome.user) }))
}

/// A request from this host's loopback that no proxy forwarded: the operator at the machine.
fn from_own_loopback(req: &HttpRequest) -> bool {
    let forwarded = ["Forwarded", "X-Forwarded-For", "X-Real-IP"].iter().any(|h| req.headers().contains_key(*h));
    !forwarded && req.peer_addr().is_some_and(|peer| peer.ip().to_canonical().is_loopback())
}
