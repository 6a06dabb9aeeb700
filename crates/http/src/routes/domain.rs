//! The domain lock's routes (the agent-platform reference's `/api/settings/domain`); what the lock
//! does to requests is in `crate::domain`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Authed;
use crate::domain::{insecure, request_host};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

super::area!(get_domain, set_domain);

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct DomainDto {
    /// The hostname Pincer answers at; `null`: any.
    #[schema(example = "pincer.example.com")]
    locked_domain: Option<String>,
    /// Whether this request reached Pincer over plain HTTP from beyond this machine.
    insecure_mode: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DomainBody {
    /// The HTTPS hostname to lock to (the one this request came through), or `null` to unlock.
    #[schema(example = "pincer.example.com", max_length = 253)]
    locked_domain: Option<String>,
}

/// The domain lock (admin only).
#[utoipa::path(
    get,
    path = "/api/settings/domain",
    tag = "settings",
    responses(
        (status = 200, description = "The lock.", body = DomainDto),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
    ),
)]
async fn get_domain(req: HttpRequest, state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let locked = match &state.config.domain_lock {
        Some(lock) => lock.get(&authed.principal).await?,
        None => None,
    };
    Ok(HttpResponse::Ok().json(DomainDto { locked_domain: locked, insecure_mode: insecure(&req, &state.config) }))
}

/// Locks Pincer to the HTTPS hostname this request came through, or unlocks it with `null`
/// (admin only). While locked, requests to any other host get 421 (pages: a redirect there),
/// cookies are `Secure`, and only `https://<domain>` passes the same-origin check. Locked out
/// anyway? `pincer unlock-domain` on the server clears it.
#[utoipa::path(
    post,
    path = "/api/settings/domain",
    tag = "settings",
    request_body = DomainBody,
    responses(
        (status = 200, description = "The lock now.", body = DomainDto),
        (status = 400, description = "Codes: `invalid_input` (not a hostname, or not the host this request came through).", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
    ),
)]
async fn set_domain(
    req: HttpRequest,
    state: web::Data<AppState>,
    authed: Authed,
    body: Json<DomainBody>,
) -> Result<HttpResponse, ApiError> {
    let Some(lock) = &state.config.domain_lock else {
        return Err(ApiError::bad_request("invalid_input", "this server has no domain lock"));
    };
    let host = request_host(&req, &state.config);
    let locked = lock.set(&authed.principal, body.locked_domain.as_deref(), &host).await?;
    Ok(HttpResponse::Ok().json(DomainDto { locked_domain: locked, insecure_mode: insecure(&req, &state.config) }))
}
