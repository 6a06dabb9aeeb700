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
use pincer_core::{Credential, Principal};
use pincer_identity::IdentityError;
use pincer_identity::service::SESSION_TTL_MS;

use crate::error::ApiError;
use crate::state::{AppState, HttpConfig};

pub const SESSION_COOKIE: &str = "pincer_session";
/// The session cookie's name when served over HTTPS. The `__Host-` prefix makes the browser
/// accept it only with `Secure`, `Path=/` and no `Domain`, so a sibling subdomain cannot plant
/// a session cookie of its choosing; over HTTPS only this name is read.
pub const HOST_SESSION_COOKIE: &str = "__Host-pincer_session";

/// The name the session cookie has under this configuration.
pub fn session_cookie_name(config: &HttpConfig) -> &'static str {
    if config.secure_cookies() { HOST_SESSION_COOKIE } else { SESSION_COOKIE }
}

/// The session cookie this request carries, under the name the configuration gives it.
pub fn request_session_cookie(req: &HttpRequest) -> Option<actix_web::cookie::Cookie<'static>> {
    let secure = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.config.secure_cookies());
    req.cookie(if secure { HOST_SESSION_COOKIE } else { SESSION_COOKIE })
}

/// An authenticated caller and the token that authenticated them.
#[derive(Clone)]
pub struct Authed {
    pub principal: Principal,
    pub token: String,
}

/// The credential a request carries, if any.
pub fn request_token(req: &HttpRequest) -> Option<String> {
    if let Some(cookie) = request_session_cookie(req) {
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
                Ok(principal) => match &principal.credential {
                    // A token reaches only the routes its scopes name (`scopes.rs`).
                    Credential::ApiToken { scopes, .. } => {
                        match crate::scopes::allows(scopes, req.method(), req.path()) {
                            Ok(()) => Ok(Authed { principal, token }),
                            Err(scope) => Err(IdentityError::MissingScope(scope).into()),
                        }
                    }
                    _ => Ok(Authed { principal, token }),
                },
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
    Cookie::build(session_cookie_name(config), token.to_string())
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_attribute())
        .path("/")
        .max_age(Duration::milliseconds(SESSION_TTL_MS))
        .finish()
}

/// A cookie that makes the browser forget the session.
pub fn cleared_cookie(config: &HttpConfig) -> Cookie<'static> {
    let mut cookie = Cookie::build(session_cookie_name(config), "")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_attribute())
        .path("/")
        .finish();
    cookie.make_removal();
    cookie
}

/// The caller's address for throttling: the peer, or — when the peer is a trusted proxy — the
/// nearest untrusted address in `X-Forwarded-For`. Every header line counts, in order (a proxy
/// may add its own line rather than extend the first). The walk goes from the right, where our
/// own proxies append, past trusted proxies only: what lies further left was written by the client.
/// An entry that is not an address ends the walk at the trusted hop that reported it, rather than
/// being skipped (skipping would hand the choice of address to the client).
pub fn client_ip(req: &HttpRequest, config: &HttpConfig) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip().to_canonical()) else { return "unknown".into() };
    let trusted = |ip: &IpAddr| config.trusted_proxies.iter().any(|t| t.to_canonical() == *ip);
    if !trusted(&peer) {
        return peer.to_string();
    }
    let lines: Vec<&str> = req.headers().get_all("X-Forwarded-For").map(|v| v.to_str().unwrap_or_default()).collect();
    let mut nearest = peer;
    for entry in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let Some(ip) = parse_forwarded_ip(entry) else { break };
        if !trusted(&ip) {
            return ip.to_string();
        }
        nearest = ip;
    }
    nearest.to_string()
}

/// One `X-Forwarded-For` entry as an address: `a.b.c.d`, `a.b.c.d:port`, `v6`, `[v6]` or
/// `[v6]:port`, with IPv4-mapped IPv6 (`::ffff:a.b.c.d`) taken as the IPv4 address it carries.
fn parse_forwarded_ip(entry: &str) -> Option<IpAddr> {
    let host = if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        host
    } else if let Some((host, port)) = entry.split_once(':').filter(|(_, port)| !port.contains(':')) {
        // Exactly one colon: IPv4 with a port (a bare IPv6 address has at least two).
        if !is_port(port) {
            return None;
        }
        host
    } else {
        entry
    };
    host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.parse::<u16>().is_ok()
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use actix_web::test::TestRequest;

    use super::*;

    const PROXY: &str = "10.0.0.1";

    fn config() -> HttpConfig {
        HttpConfig { trusted_proxies: vec![PROXY.parse().unwrap(), "10.0.0.2".parse().unwrap()], ..Default::default() }
    }

    fn ip_of(peer: &str, lines: &[&str]) -> String {
        let mut req = TestRequest::default().peer_addr(peer.parse::<SocketAddr>().unwrap());
        for line in lines {
            req = req.append_header(("X-Forwarded-For", *line));
        }
        client_ip(&req.to_http_request(), &config())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        assert_eq!(ip_of("203.0.113.9:5000", &["198.51.100.1"]), "203.0.113.9");
        assert_eq!(ip_of("[::ffff:203.0.113.9]:5000", &[]), "203.0.113.9");
    }

    #[test]
    fn every_header_line_is_read_and_the_walk_starts_at_the_last() {
        // The client forged the first line; our proxy added the real address as a second line.
        assert_eq!(ip_of("10.0.0.1:443", &["198.51.100.66", "203.0.113.7"]), "203.0.113.7");
        assert_eq!(ip_of("10.0.0.1:443", &["198.51.100.66, 203.0.113.7", "10.0.0.2"]), "203.0.113.7");
    }

    #[test]
    fn ports_brackets_and_mapped_ipv6_are_normalised() {
        assert_eq!(ip_of("10.0.0.1:443", &["198.51.100.66, 203.0.113.7:4711"]), "203.0.113.7");
        assert_eq!(ip_of("10.0.0.1:443", &["198.51.100.66, [2001:db8::5]:4711"]), "2001:db8::5");
        assert_eq!(ip_of("10.0.0.1:443", &["198.51.100.66, [2001:db8::5]"]), "2001:db8::5");
        assert_eq!(ip_of("10.0.0.1:443", &["198.51.100.66, 2001:db8::5"]), "2001:db8::5");
        assert_eq!(ip_of("10.0.0.1:443", &["198.51.100.66, ::ffff:203.0.113.7"]), "203.0.113.7");
        // A trusted proxy written as a mapped address or with a port is still recognised as trusted.
        assert_eq!(ip_of("10.0.0.1:443", &["203.0.113.7, [::ffff:10.0.0.2]:80"]), "203.0.113.7");
        assert_eq!(ip_of("[::ffff:10.0.0.1]:443", &["203.0.113.7, 10.0.0.2:80"]), "203.0.113.7");
    }

    #[test]
    fn garbage_stops_the_walk_at_the_trusted_hop_that_reported_it() {
        // Skipping the garbage would let the client's forged entry to its left win.
        assert_eq!(ip_of("10.0.0.1:443", &["198.51.100.66, not-an-ip"]), PROXY);
        assert_eq!(ip_of("10.0.0.1:443", &["198.51.100.66, 203.0.113.7:99999"]), PROXY);
        assert_eq!(ip_of("10.0.0.1:443", &["198.51.100.66, not-an-ip, 10.0.0.2"]), "10.0.0.2");
        // Only trusted proxies, or no header: the nearest trusted hop.
        assert_eq!(ip_of("10.0.0.1:443", &["10.0.0.2"]), "10.0.0.2");
        assert_eq!(ip_of("10.0.0.1:443", &[]), PROXY);
    }
}
