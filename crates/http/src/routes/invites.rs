//! Invites: create (token shown once), list, revoke, and the public claim.

use actix_web::{HttpResponse, web};
use pincer_core::InviteId;
use pincer_identity::NewInvite;
use serde::Deserialize;

use super::resource;
use crate::auth::Authed;
use crate::dto::{InviteDto, SUCCESS};
use crate::error::ApiError;
use crate::state::AppState;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/users/invite").route(web::post().to(create)))
        .service(resource("/api/users/invites").route(web::get().to(list)))
        .service(resource("/api/users/invites/{id}").route(web::delete().to(revoke)))
        .service(resource("/api/invite/claim").route(web::post().to(claim)));
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    role: String,
    email: Option<String>,
    #[serde(default)]
    group_ids: Vec<String>,
}

async fn create(
    state: web::Data<AppState>,
    authed: Authed,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = NewInvite { role: body.role, email: body.email, group_ids: body.group_ids };
    let (invite, token) = state.identity.create_invite(&authed.principal, request).await?;
    Ok(HttpResponse::Created().json(InviteDto::new(&invite, Some(token.expose().clone()), None)))
}

async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let invites = state.identity.list_invites(&authed.principal).await?;
    let dtos: Vec<InviteDto> =
        invites.iter().map(|(invite, status)| InviteDto::new(invite, None, Some(status.as_str()))).collect();
    Ok(HttpResponse::Ok().json(dtos))
}

async fn revoke(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id: InviteId = id.parse().map_err(|_| ApiError::invalid_id())?;
    state.identity.revoke_invite(&authed.principal, id).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

#[derive(Deserialize)]
struct ClaimBody {
    token: String,
    name: Option<String>,
    email: Option<String>,
    password: String,
}

async fn claim(state: web::Data<AppState>, body: web::Json<ClaimBody>) -> Result<HttpResponse, ApiError> {
    state.identity.claim(&body.token, body.name.as_deref(), body.email.as_deref(), &body.password).await?;
    Ok(HttpResponse::Created().json(SUCCESS))
}
