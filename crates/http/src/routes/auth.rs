//! Login, logout and "who am I".

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::resource;
use crate::auth::{Authed, cleared_cookie, client_ip, session_cookie};
use crate::dto::{SUCCESS, UserDto};
use crate::error::ApiError;
use crate::state::AppState;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/auth/login").route(web::post().to(login)))
        .service(resource("/api/auth/logout").route(web::post().to(logout)))
        .service(resource("/api/auth/me").route(web::get().to(me)));
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let source = client_ip(&req, &state.config);
    let outcome = state.identity.login(&body.email, &body.password, &source).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(outcome.token.expose(), &state.config))
        .json(json!({"user": UserDto::from(&outcome.user)})))
}

async fn logout(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    state.identity.logout(&authed.principal, &authed.token).await?;
    Ok(HttpResponse::Ok().cookie(cleared_cookie(&state.config)).json(SUCCESS))
}

async fn me(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let user = state.identity.current_user(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(&user)))
}
