//! Cross-site request forgery defence. A mutating request that carries the session cookie must come
//! from our own origin (Origin, else Referer). Bearer-token requests carry no ambient credential and
//! need no check. A mutating request whose Origin is foreign is refused even without a cookie, so
//! a hostile page cannot log a victim into an attacker's account. With `PINCER_PUBLIC_URL` set,
//! every mutating request and WebSocket upgrade must also be addressed to its host (DNS rebinding).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, ResponseError, web};

use crate::auth::request_session_cookie;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn same_origin_for_mutations<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if is_mutating(req.method()) && !origin_allowed(req.request()) {
        // A response, not an `Err`: errors bypass the outer middleware that adds the security
        // headers, and a refusal deserves them as much as any other response.
        let refusal = ApiError::new(StatusCode::FORBIDDEN, "csrf_rejected", "cross-site request refused");
        return Ok(req.into_response(refusal.error_response()).map_into_right_body());
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

fn is_mutating(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a request may act with its ambient credential: it was sent to our own host (see
/// `host_allowed`), and its Origin (or Referer) is our own, or it claims no origin and carries no
/// session cookie. The WebSocket upgrade (a GET) uses it too: a cross-site page must not open a
/// chat socket with the victim's cookie.
pub fn origin_allowed(req: &HttpRequest) -> bool {
    host_allowed(req)
        && match claimed_origin(req) {
            Some(origin) => is_own_origin(req, &origin),
            None => request_session_cookie(req).is_none(),
        }
}

/// The hostname of the domain lock, if one holds.
fn locked_domain(req: &HttpRequest) -> Option<String> {
    req.app_data::<web::Data<AppState>>().and_then(|s| s.config.locked_domain())
}

/// The configured `PINCER_PUBLIC_URL`, if any.
fn public_url(req: &HttpRequest) -> Option<String> {
    req.app_data::<web::Data<AppState>>().and_then(|s| s.config.public_url.clone())
}

/// With a public URL configured, a request must be addressed to its host: a DNS-rebinding page
/// reaches us under its own name (the `Host` it sends), and must not be able to act or to make its
/// own origin look like ours. Without one, any `Host` is accepted.
fn host_allowed(req: &HttpRequest) -> bool {
    if let Some(domain) = locked_domain(req) {
        let config = req.app_data::<web::Data<AppState>>().map(|s| s.config.clone()).unwrap_or_default();
        return crate::domain::request_host(req, &config) == domain;
    }
    let Some(public) = public_url(req) else { return true };
    let Some((scheme, rest)) = public.split_once("://") else { return false };
    let public_authority = rest.split('/').next().unwrap_or_default();
    let host = req.headers().get("Host").and_then(|v| v.to_str().ok()).unwrap_or_default();
    !host.is_empty()
        && without_default_port(scheme, host).eq_ignore_ascii_case(without_default_port(scheme, public_authority))
}

/// `host:443` under https (`host:80` under http) is the same authority as `host`.
fn without_default_port<'a>(scheme: &str, authority: &'a str) -> &'a str {
    let default = if scheme.eq_ignore_ascii_case("https") { ":443" } else { ":80" };
    authority.strip_suffix(default).unwrap_or(authority)
}

/// `scheme://host[:port]` from Origin, or from Referer when Origin is absent.
fn claimed_origin(req: &HttpRequest) -> Option<String> {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    if let Some(origin) = header("Origin") {
        return Some(origin);
    }
    let referer = header("Referer")?;
    let (scheme, rest) = referer.split_once("://")?;
    let authority = rest.split('/').next().unwrap_or_default();
    Some(format!("{scheme}://{authority}"))
}

fn is_own_origin(req: &HttpRequest, origin: &str) -> bool {
    let origin = origin.trim_end_matches('/');
    // The running tunnel's public origin is ours too (pages reached through it post from it).
    let tunnel = req.app_data::<web::Data<AppState>>().and_then(|s| s.remote.public_origin());
    if tunnel.is_some_and(|t| origin.eq_ignore_ascii_case(t.trim_end_matches('/'))) {
        return true;
    }
    // Under a domain lock, its HTTPS origin is the only own origin.
    if let Some(domain) = locked_domain(req) {
        return origin.eq_ignore_ascii_case(&format!("https://{domain}"));
    }
    // A configured public URL is the only own origin: accepting the `Host` as well would let a
    // DNS-rebinding page (whose origin names the host it sent) pass.
    if let Some(public) = public_url(req) {
        return origin.eq_ignore_ascii_case(public.trim_end_matches('/'));
    }
    // Without a configured public URL, the origin must name the host the request was sent to.
    let Some((_, authority)) = origin.split_once("://") else { return false };
    let host = req.headers().get("Host").and_then(|v| v.to_str().ok()).unwrap_or_default();
    !host.is_empty() && authority.eq_ignore_ascii_case(host)
}
