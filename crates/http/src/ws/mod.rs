//! `GET /api/ws`: the chat WebSocket. Authenticated (session cookie, or a bearer token for
//! scripts) and origin-checked before the upgrade; each user may keep a bounded number of sockets.

mod connections;
mod frames;
mod socket;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

pub use connections::Connections;
pub use frames::{ClientFrame, ServerFrame};

use crate::auth::Authed;
use crate::csrf::origin_allowed;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Open sockets per user (tabs, devices); more are refused with 429.
pub const MAX_SOCKETS_PER_USER: usize = 16;

crate::routes::area!(upgrade);

/// The chat WebSocket.
///
/// A `GET` with the WebSocket upgrade headers, authenticated by the session cookie (from a page
/// of our own origin) or by `Authorization: Bearer <token>`. Frames are JSON text: the client
/// sends `ClientFrame`s and receives `ServerFrame`s (see the components). A run keeps going when
/// the socket closes; a reconnecting client asks for `history` and gets the text so far in
/// `activeRun`, then the live rest as `chunk` frames. The server pings every 15 s and closes an
/// idle socket after 45 s (code 4408); it closes with 1001 when it shuts down, 1003 on a binary
/// frame and 1009 on a frame over 256 KiB. A socket that falls behind a run's frames gets an
/// `error` frame with code `lagged` and should ask for `history`.
#[utoipa::path(
    get,
    path = "/api/ws",
    tag = "chat",
    responses(
        (status = 101, description = "Switching protocols: the socket is open."),
        (status = 400, description = "Not a WebSocket upgrade. Codes: `websocket_required`.", body = ErrorBody),
        (status = 403, description = "The page is of another origin. Codes: `csrf_rejected`.", body = ErrorBody),
        (status = 429, description = "The user has 16 sockets open already; see `Retry-After`. Codes: `too_many_connections`.", body = ErrorBody),
    ),
)]
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
    let slot = state
        .connections
        .connect(authed.principal.user_id, authed.principal.session_id(), MAX_SOCKETS_PER_USER)
        .ok_or_else(|| {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_connections", "too many open chat connections")
                .retry_after(5)
        })?;
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|_| ApiError::bad_request("websocket_required", "this route expects a WebSocket upgrade"))?;
    actix_web::rt::spawn(socket::serve(state.clone(), authed.principal, authed.token, session, stream, slot));
    Ok(response)
}
