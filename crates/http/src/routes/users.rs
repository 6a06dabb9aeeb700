//! Admin management of users: list, deactivate, change role, reactivate, reset password.

use actix_web::{HttpResponse, web};
use pincer_core::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::parse_user_id;
use crate::auth::Authed;
use crate::dto::{GroupRefDto, SUCCESS, Success, UserDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 100;

super::area!(list, deactivate, change_role, reactivate, reset);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 4294967295_i64)]
    page: Option<i64>,
    /// Users per page (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// One page of accounts, serialised straight from the DTOs (no `json!` copy into a `Value` tree).
#[derive(Serialize, ToSchema)]
struct UsersPage {
    users: Vec<UserDto>,
    /// Accounts in all pages.
    total: i64,
    page: u32,
    limit: u32,
}

/// Every account, deactivated ones included (admin only).
#[utoipa::path(
    get,
    path = "/api/users",
    tag = "users",
    params(ListQuery),
    responses(
        (status = 200, description = "One page of accounts, oldest first.", body = UsersPage),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn list(state: web::Data<AppState>, authed: Authed, q: Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::new(q.page, q.limit, DEFAULT_LIMIT, MAX_LIMIT)
        .map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let result = state.identity.list_users(&authed.principal, page).await?;
    let ids: Vec<_> = result.items.iter().map(|u| u.id).collect();
    let mut groups = state.groups.of_users(&ids).await?;
    let users = result
        .items
        .iter()
        .map(|u| UserDto {
            groups: groups
                .remove(&u.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(id, name)| GroupRefDto { id: id.to_string(), name })
                .collect(),
            ..UserDto::from(u)
        })
        .collect();
    Ok(HttpResponse::Ok().json(UsersPage { users, total: result.total, page: page.page, limit: page.limit }))
}

/// Deactivates an account: its sessions end at once; its data stays (admin only).
#[utoipa::path(
    delete,
    path = "/api/users/{id}",
    tag = "users",
    params(("id" = String, Path, format = Uuid, description = "The user's id.")),
    responses(
        (status = 200, description = "Deactivated.", body = Success),
        (status = 400, description = "Codes: `invalid_id`, `self_action` (your own account), `last_admin`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
        (status = 404, description = "Codes: `user_not_found`.", body = ErrorBody),
    ),
)]
async fn deactivate(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.identity.deactivate(&authed.principal, parse_user_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

#[derive(Deserialize, ToSchema)]
struct RoleBody {
    #[schema(pattern = "^(admin|member)$", example = "member")]
    role: String,
}

/// Changes an account's role (admin only).
#[utoipa::path(
    patch,
    path = "/api/users/{id}",
    tag = "users",
    params(("id" = String, Path, format = Uuid, description = "The user's id.")),
    request_body = RoleBody,
    responses(
        (status = 200, description = "Changed.", body = Success),
        (status = 400, description = "Codes: `invalid_id`, `invalid_input`, `self_action`, `last_admin`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
        (status = 404, description = "Codes: `user_not_found`.", body = ErrorBody),
    ),
)]
async fn change_role(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
    body: Json<RoleBody>,
) -> Result<HttpResponse, ApiError> {
    state.identity.change_role(&authed.principal, parse_user_id(&id)?, &body.role).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// Reactivates a deactivated account (admin only).
#[utoipa::path(
    post,
    path = "/api/users/{id}/reactivate",
    tag = "users",
    params(("id" = String, Path, format = Uuid, description = "The user's id.")),
    responses(
        (status = 200, description = "Reactivated.", body = Success),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
        (status = 404, description = "Codes: `user_not_found`, `user_not_deactivated`.", body = ErrorBody),
    ),
)]
async fn reactivate(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.identity.reactivate(&authed.principal, parse_user_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// A password-reset token, shown once; the user claims it at `POST /api/invite/claim`.
#[derive(Serialize, ToSchema)]
struct ResetTokenDto {
    token: String,
}

/// Creates a one-time password-reset link for an account (admin only).
#[utoipa::path(
    post,
    path = "/api/users/{id}/reset",
    tag = "users",
    params(("id" = String, Path, format = Uuid, description = "The user's id.")),
    responses(
        (status = 201, description = "The reset token (shown once).", body = ResetTokenDto),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
        (status = 404, description = "Codes: `user_not_found`.", body = ErrorBody),
    ),
)]
async fn reset(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let token = state.identity.create_reset(&authed.principal, parse_user_id(&id)?).await?;
    Ok(HttpResponse::Created().json(ResetTokenDto { token: token.expose().clone() }))
}
