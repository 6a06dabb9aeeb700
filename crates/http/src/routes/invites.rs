//! Invites: create (token shown once), list, revoke, and the public claim.

use actix_web::{HttpResponse, web};
use pincer_core::InviteId;
use pincer_identity::NewInvite;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Authed;
use crate::dto::{InviteDto, SUCCESS, Success};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

super::area!(create, list, revoke, claim);

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct InviteBody {
    #[schema(pattern = "^(admin|member)$", example = "member")]
    role: String,
    /// When given, only this address may claim the invite.
    #[schema(format = Email, max_length = 254)]
    email: Option<String>,
    /// Groups the new account joins when it claims the invite (enterprise licence).
    #[serde(default)]
    group_ids: Vec<String>,
}

/// Creates an invite; its token is in this answer only (admin only).
#[utoipa::path(
    post,
    path = "/api/users/invite",
    tag = "invites",
    request_body = InviteBody,
    responses(
        (status = 201, description = "The invite, with its token.", body = InviteDto),
        (status = 400, description = "Codes: `invalid_input`, `unknown_group`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`, `enterprise_required` (groups without a licence), `seat_limit_reached`.", body = ErrorBody),
    ),
)]
async fn create(state: web::Data<AppState>, authed: Authed, body: Json<InviteBody>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = NewInvite { role: body.role, email: body.email, group_ids: body.group_ids };
    let (invite, token) = state.identity.create_invite(&authed.principal, request).await?;
    let names = state.groups.names().await?;
    Ok(HttpResponse::Created().json(InviteDto::new(&invite, Some(token.expose().clone()), None, &names)))
}

/// Every invite and reset link with its status, newest first; never their tokens (admin only).
#[utoipa::path(
    get,
    path = "/api/users/invites",
    tag = "invites",
    responses(
        (status = 200, description = "The invites.", body = Vec<InviteDto>),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let invites = state.identity.list_invites(&authed.principal).await?;
    let names = state.groups.names().await?;
    let dtos: Vec<InviteDto> =
        invites.iter().map(|(invite, status)| InviteDto::new(invite, None, Some(status.as_str()), &names)).collect();
    Ok(HttpResponse::Ok().json(dtos))
}

/// Revokes an invite that was not claimed yet (admin only).
#[utoipa::path(
    delete,
    path = "/api/users/invites/{id}",
    tag = "invites",
    params(("id" = String, Path, format = Uuid, description = "The invite's id.")),
    responses(
        (status = 200, description = "Revoked.", body = Success),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
        (status = 404, description = "Codes: `invite_not_found`.", body = ErrorBody),
    ),
)]
async fn revoke(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id: InviteId = id.parse().map_err(|_| ApiError::invalid_id())?;
    state.identity.revoke_invite(&authed.principal, id).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

#[derive(Deserialize, ToSchema)]
struct ClaimBody {
    /// The invite or reset token.
    token: String,
    /// The new account's name (invites only).
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    /// The new account's e-mail (open invites only).
    #[schema(format = Email, max_length = 254)]
    email: Option<String>,
    /// The new password.
    #[schema(min_length = 8, max_length = 256)]
    password: String,
}

/// Claims an invite (creates the account) or a reset link (sets the password). Public: the
/// token is the credential.
#[utoipa::path(
    post,
    path = "/api/invite/claim",
    tag = "invites",
    security(()),
    request_body = ClaimBody,
    responses(
        (status = 201, description = "Claimed.", body = Success),
        (status = 400, description = "Codes: `invalid_token` (unknown, used or expired), `invalid_input`, `weak_password`.", body = ErrorBody),
        (status = 409, description = "Codes: `email_taken`.", body = ErrorBody),
    ),
)]
async fn claim(state: web::Data<AppState>, body: Json<ClaimBody>) -> Result<HttpResponse, ApiError> {
    state.identity.claim(&body.token, body.name.as_deref(), body.email.as_deref(), &body.password).await?;
    Ok(HttpResponse::Created().json(SUCCESS))
}
