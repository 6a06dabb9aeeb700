//! Authentication as an extractor. Credentials are tried in the order DESIGN.md §5 gives:
//! session cookie, `Authorization: Bearer`, then `?token=` (the WebSocket upgrade only).

use std::net::IpAddr;

use actix_web::HttpMessage as _;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::dev::Payload;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::{Ready, ready};
use pincer_core::Principal;
use pincer_identity::IdentityError;
use pincer_identity::service::SESSION_TTL_MS;

use crate::error::ApiError;
use crate::state::{AppState, HttpConfig};

pub const SESSION_COOKIE: &str = "pincer_session";

/// An authenticated caller and the token that authenticated them.
#[derive(Clone)]
pub struct Authed {
    pub principal: Principal,
    pub token: String,
}

/// The credential a request carries, if any.
pub fn request_token(req: &HttpRequest) -> Option<String> {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        return Some(cookie.value().to_string());
    }
    if let Some(bearer) = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
    {
        return Some(bearer.trim().to_string());
    }
    // In a URL a token ends up in browser history, proxy logs and Referer headers: only the chat
    // socket takes one there (a browser cannot set headers on a WebSocket upgrade).
    if req.path() != WS_PATH {
        return None;
    }
    web::Query::<TokenQuery>::from_query(req.query_string()).ok().and_then(|q| q.into_inner().token)
}

/// The one route that accepts `?token=`.
const WS_PATH: &str = "/api/ws";

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// What the authentication middleware found for this request.
struct AuthOutcome(Result<Authed, ApiError>);

/// Resolves the request's credential once, before any extractor runs, so a handler's auth
/// failure is reported before problems with its body (extractors are polled together).
pub async fn authenticate<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    if let Some(token) = request_token(req.request()) {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let outcome = match state {
            Some(state) => match state.identity.authenticate(&token).await {
                Ok(principal) => Ok(Authed { principal, token }),
                Err(e) => Err(e.into()),
            },
            None => Err(IdentityError::NotAuthenticated.into()),
        };
        req.extensions_mut().insert(AuthOutcome(outcome));
    }
    next.call(req).await
}

impl FromRequest for Authed {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let outcome = match req.extensions().get::<AuthOutcome>() {
            Some(AuthOutcome(outcome)) => outcome.clone(),
            None => Err(IdentityError::NotAuthenticated.into()),
        };
        ready(outcome)
    }
}

/// The session cookie for a fresh login.
pub fn session_cookie(token: &str, config: &HttpConfig) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_string())
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies())
        .path("/")
        .max_age(Duration::milliseconds(SESSION_TTL_MS))
        .finish()
}

/// A cookie that makes the browser forget the session.
pub fn cleared_cookie(config: &HttpConfig) -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies())
        .path("/")
        .finish();
    cookie.make_removal();
    cookie
}

/// The caller's address for throttling: the peer, or — when the peer is a trusted proxy — the
/// nearest untrusted address in `X-Forwarded-For`.
pub fn client_ip(req: &HttpRequest, config: &HttpConfig) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let Some(peer) = peer else { return "unknown".into() };
    if !config.trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    let forwarded = req.headers().get("X-Forwarded-For").and_then(|v| v.to_str().ok()).unwrap_or_default();
    forwarded
        .rsplit(',')
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .find(|ip| !config.trusted_proxies.contains(ip))
        .unwrap_or(peer)
        .to_string()
}
