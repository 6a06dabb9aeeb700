//! Login, logout and "who am I".

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::{Authed, cleared_cookie, client_ip, session_cookie};
use crate::dto::{SUCCESS, SignedInDto, Success, UserDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

super::area!(login, logout, me);

#[derive(Deserialize, ToSchema)]
struct LoginBody {
    email: String,
    password: String,
}

/// Signs in with e-mail and password; sets the `pincer_session` cookie.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    security(()),
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in.", body = SignedInDto),
        (status = 401, description = "Unknown e-mail, wrong password or deactivated account. Codes: `invalid_credentials`.", body = ErrorBody),
        (status = 429, description = "Too many failed attempts for this account or address; see `Retry-After`. Codes: `rate_limited`.", body = ErrorBody),
    ),
)]
async fn login(req: HttpRequest, state: web::Data<AppState>, body: Json<LoginBody>) -> Result<HttpResponse, ApiError> {
    let source = client_ip(&req, &state.config);
    let outcome = state.identity.login(&body.email, &body.password, &source).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(outcome.token.expose(), &state.config))
        .json(SignedInDto { user: UserDto::from(&outcome.user) }))
}

/// Ends the caller's session and clears the cookie.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    responses((status = 200, description = "Signed out.", body = Success)),
)]
async fn logout(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    state.identity.logout(&authed.principal, &authed.token).await?;
    Ok(HttpResponse::Ok().cookie(cleared_cookie(&state.config)).json(SUCCESS))
}

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    responses((status = 200, description = "The caller's account.", body = UserDto)),
)]
async fn me(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let user = state.identity.current_user(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(&user)))
}
