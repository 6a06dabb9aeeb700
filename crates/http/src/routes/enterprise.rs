//! The enterprise licence (admin only): its status with the seats in use, and installing a key.

use actix_web::{HttpResponse, web};
use pincer_identity::licence::LicenceStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

super::area!(status, install);

/// Where the organisation stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct StatusDto {
    /// Whether the enterprise features are on.
    enterprise: bool,
    /// `community`, `trial`, `paid` or `expired`.
    state: String,
    /// `trial` or `paid`; `null` without a licence.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// The organisation the licence was issued to.
    org: Option<String>,
    #[schema(format = DateTime)]
    expires_at: Option<String>,
    /// Whole days left.
    days_remaining: Option<i64>,
    /// The seats the licence covers (0: unlimited).
    max_users: Option<u32>,
    /// Active accounts and pending invites.
    seats_used: u64,
    /// Whether `PINCER_LICENSE` manages the licence (then no key can be installed here).
    managed_by_env: bool,
}

impl From<LicenceStatus> for StatusDto {
    fn from(s: LicenceStatus) -> Self {
        Self {
            enterprise: s.enterprise,
            state: s.state.as_str().to_string(),
            kind: s.kind.map(|k| k.as_str().to_string()),
            org: s.org,
            expires_at: s.expires_at.map(|t| t.to_rfc3339()),
            days_remaining: s.days_remaining,
            max_users: s.max_users,
            seats_used: s.seats_used,
            managed_by_env: s.managed_by_env,
        }
    }
}

/// The licence's status (admin only).
#[utoipa::path(
    get,
    path = "/api/enterprise/status",
    tag = "enterprise",
    responses(
        (status = 200, description = "The status.", body = StatusDto),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
    ),
)]
async fn status(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let status = state.licence.status(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(StatusDto::from(status)))
}

/// A licence key to install.
#[derive(Deserialize, ToSchema)]
struct KeyBody {
    /// The licence key (a signed JWT).
    #[schema(max_length = 16384)]
    key: String,
}

/// Installs a licence key (admin only): verified before it is stored, sealed at rest, in force at
/// once.
#[utoipa::path(
    put,
    path = "/api/enterprise/key",
    tag = "enterprise",
    request_body = KeyBody,
    responses(
        (status = 200, description = "Installed: the new status.", body = StatusDto),
        (status = 400, description = "Codes: `invalid_license` (not a licence key), `license_signature_invalid` (not signed by a trusted key, or not EdDSA), `license_expired`, `license_not_enterprise`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
        (status = 409, description = "Codes: `license_managed_by_env` (`PINCER_LICENSE` is set).", body = ErrorBody),
    ),
)]
async fn install(state: web::Data<AppState>, authed: Authed, body: Json<KeyBody>) -> Result<HttpResponse, ApiError> {
    if body.key.len() > 16 * 1024 {
        return Err(ApiError::bad_request("invalid_license", "a licence key is at most 16 KiB"));
    }
    let status = state.licence.install(&authed.principal, &body.key).await?;
    Ok(HttpResponse::Ok().json(StatusDto::from(status)))
}
