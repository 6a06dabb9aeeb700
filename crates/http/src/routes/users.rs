//! Admin management of users: list, deactivate, change role, reactivate, reset password.

use actix_web::{HttpResponse, web};
use pincer_core::PageRequest;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{parse_user_id, resource};
use crate::auth::Authed;
use crate::dto::{SUCCESS, UserDto};
use crate::error::ApiError;
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 100;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/users").route(web::get().to(list)))
        .service(resource("/api/users/{id}").route(web::delete().to(deactivate)).route(web::patch().to(change_role)))
        .service(resource("/api/users/{id}/reactivate").route(web::post().to(reactivate)))
        .service(resource("/api/users/{id}/reset").route(web::post().to(reset)));
}

#[derive(Deserialize)]
struct ListQuery {
    page: Option<i64>,
    limit: Option<i64>,
}

/// One page of accounts, serialised straight from the DTOs (no `json!` copy into a `Value` tree).
#[derive(Serialize)]
struct UsersPage {
    users: Vec<UserDto>,
    total: i64,
    page: u32,
    limit: u32,
}

async fn list(state: web::Data<AppState>, authed: Authed, q: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::new(q.page, q.limit, DEFAULT_LIMIT, MAX_LIMIT)
        .map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let result = state.identity.list_users(&authed.principal, page).await?;
    let users = result.items.iter().map(UserDto::from).collect();
    Ok(HttpResponse::Ok().json(UsersPage { users, total: result.total, page: page.page, limit: page.limit }))
}

async fn deactivate(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.identity.deactivate(&authed.principal, parse_user_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

#[derive(Deserialize)]
struct RoleBody {
    role: String,
}

async fn change_role(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
    body: web::Json<RoleBody>,
) -> Result<HttpResponse, ApiError> {
    state.identity.change_role(&authed.principal, parse_user_id(&id)?, &body.role).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

async fn reactivate(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.identity.reactivate(&authed.principal, parse_user_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

async fn reset(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let token = state.identity.create_reset(&authed.principal, parse_user_id(&id)?).await?;
    Ok(HttpResponse::Created().json(json!({"token": token.expose()})))
}
