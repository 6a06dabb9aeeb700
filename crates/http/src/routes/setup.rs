//! First-run setup: status and creation of the first admin (who is logged in at once).

use actix_web::{HttpResponse, web};
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
struct SetupBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// Not a commonly used password.
    #[schema(min_length = 8, max_length = 256)]
    password: String,
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
        (status = 409, description = "Setup was done already. Codes: `setup_complete`.", body = crate::error::ErrorBody),
    ),
)]
async fn setup(state: web::Data<AppState>, body: Json<SetupBody>) -> Result<HttpResponse, ApiError> {
    let outcome = state.identity.setup(&body.name, &body.email, &body.password).await?;
    Ok(HttpResponse::Created()
        .cookie(session_cookie(outcome.token.expose(), &state.config))
        .json(SignedInDto { user: UserDto::from(&outcome.user) }))
}
