//! Authentication as an extractor. Credentials are tried in the order DESIGN.md §5 gives:
//! session cookie, `Authorization: Bearer`, then `?token=` (for links).

use std::net::IpAddr;

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use pincer_core::Principal;
use pincer_identity::IdentityError;
use pincer_identity::service::SESSION_TTL_MS;

use crate::error::ApiError;
use crate::state::{AppState, HttpConfig};

pub const SESSION_COOKIE: &str = "pincer_session";

/// An authenticated caller and the token that authenticated them.
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
    web::Query::<TokenQuery>::from_query(req.query_string()).ok().and_then(|q| q.into_inner().token)
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

impl FromRequest for Authed {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = request_token(req);
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else {
                return Err(IdentityError::NotAuthenticated.into());
            };
            let principal = state.identity.authenticate(&token).await?;
            Ok(Authed { principal, token })
        })
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
