//! Remote access (the dashboard reference's Tunnel section): an admin starts and stops a
//! Cloudflare quick tunnel to this server and sees its public URL.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::Capability;
use pincer_core::remote::{TunnelError, TunnelStatus};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

super::area!(status, start, stop);

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct RemoteDto {
    /// `stopped`, `starting`, `running` or `restarting` (it died and is started again).
    state: &'static str,
    /// The public URL, while running.
    url: Option<String>,
    /// Why it last stopped by itself.
    last_error: Option<String>,
    /// How often it was started again since the last start.
    restarts: u32,
    /// When the state last changed.
    since: Option<String>,
}

impl From<TunnelStatus> for RemoteDto {
    fn from(s: TunnelStatus) -> Self {
        let since = s.since.map(|at| {
            let millis = at.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
            pincer_core::Timestamp(i64::try_from(millis).unwrap_or(i64::MAX)).to_rfc3339()
        });
        Self { state: s.state.as_str(), url: s.url, last_error: s.last_error, restarts: s.restarts, since }
    }
}

fn admin(authed: &Authed) -> Result<(), ApiError> {
    authed.principal.require(Capability::ManageSettings).map_err(pincer_identity::IdentityError::from)?;
    Ok(())
}

/// The tunnel's state and public URL (admin only).
#[utoipa::path(
    get,
    path = "/api/remote/status",
    tag = "remote",
    responses(
        (status = 200, description = "The tunnel.", body = RemoteDto),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
    ),
)]
async fn status(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    admin(&authed)?;
    Ok(HttpResponse::Ok().json(RemoteDto::from(state.remote.status())))
}

/// Starts `cloudflared tunnel --url <this server>` (admin only). The URL appears in the status
/// once `cloudflared` prints it; while the tunnel is active, requests from loopback get no trust.
#[utoipa::path(
    post,
    path = "/api/remote/start",
    tag = "remote",
    responses(
        (status = 200, description = "Starting (or already running).", body = RemoteDto),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
        (status = 503, description = "No `cloudflared` (`PINCER_CLOUDFLARED` or on `PATH`). Codes: `tunnel_unavailable`.", body = ErrorBody),
    ),
)]
async fn start(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    admin(&authed)?;
    let started = state.remote.start().map_err(|e| match e {
        TunnelError::Unavailable(_) | TunnelError::NotListening => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "tunnel_unavailable", e.to_string())
        }
    })?;
    state.audit.record(AuditEvent::new(Actor::of(&authed.principal), "remote.started").detail(json!({}))).await;
    Ok(HttpResponse::Ok().json(RemoteDto::from(started)))
}

/// Stops the tunnel and waits for `cloudflared` to end (admin only).
#[utoipa::path(
    post,
    path = "/api/remote/stop",
    tag = "remote",
    responses(
        (status = 200, description = "Stopped.", body = RemoteDto),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
    ),
)]
async fn stop(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    admin(&authed)?;
    let stopped = state.remote.stop().await;
    state.audit.record(AuditEvent::new(Actor::of(&authed.principal), "remote.stopped")).await;
    Ok(HttpResponse::Ok().json(RemoteDto::from(stopped)))
}
