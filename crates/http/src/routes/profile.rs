//! The caller's own profile: name, personal context, password.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::resource;
use crate::auth::Authed;
use crate::dto::SUCCESS;
use crate::error::ApiError;
use crate::state::AppState;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/users/me").route(web::patch().to(rename)))
        .service(resource("/api/users/me/context").route(web::get().to(context)).route(web::put().to(set_context)))
        .service(resource("/api/users/me/password").route(web::post().to(change_password)));
}

#[derive(Deserialize)]
struct NameBody {
    name: String,
}

async fn rename(
    state: web::Data<AppState>,
    authed: Authed,
    body: web::Json<NameBody>,
) -> Result<HttpResponse, ApiError> {
    state.identity.rename(&authed.principal, &body.name).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

async fn context(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let content = state.identity.context(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(json!({ "content": content })))
}

#[derive(Deserialize)]
struct ContextBody {
    content: String,
}

async fn set_context(
    state: web::Data<AppState>,
    authed: Authed,
    body: web::Json<ContextBody>,
) -> Result<HttpResponse, ApiError> {
    state.identity.set_context(&authed.principal, &body.content).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

async fn change_password(
    state: web::Data<AppState>,
    authed: Authed,
    body: web::Json<PasswordBody>,
) -> Result<HttpResponse, ApiError> {
    state.identity.change_password(&authed.principal, &body.current_password, &body.new_password).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}
