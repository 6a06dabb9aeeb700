//! `GET /api/ws`: the chat WebSocket. Authenticated (session cookie, or a bearer token for
//! scripts) and origin-checked before the upgrade; each user may keep a bounded number of sockets.

mod frames;
mod hub;
mod socket;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

pub use hub::ChatHubs;

use crate::auth::Authed;
use crate::csrf::origin_allowed;
use crate::error::ApiError;
use crate::state::AppState;

/// Open sockets per user (tabs, devices); more are refused with 429.
pub const MAX_SOCKETS_PER_USER: usize = 16;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::routes::resource("/api/ws").route(web::get().to(upgrade)));
}

async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    authed: Authed,
) -> Result<HttpResponse, ApiError> {
    // A cross-site page must not open a socket with the victim's cookie.
    if !origin_allowed(&req) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf_rejected", "cross-site WebSocket refused"));
    }
    let slot = state.hubs.connect(authed.principal.user_id, MAX_SOCKETS_PER_USER).ok_or_else(|| {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_connections", "too many open chat connections")
            .retry_after(5)
    })?;
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|_| ApiError::bad_request("websocket_required", "this route expects a WebSocket upgrade"))?;
    actix_web::rt::spawn(socket::serve(state.clone(), authed.principal, authed.token, session, stream, slot));
    Ok(response)
}
