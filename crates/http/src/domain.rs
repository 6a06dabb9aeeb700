//! The domain lock at the edge: while Pincer is locked to a hostname, a request addressed to any
//! other host is refused before routing — API and webhook routes with 421 and a JSON error,
//! pages with a permanent redirect to the same path on `https://<domain>` — except the health
//! probes, which load balancers send to an address. `X-Forwarded-Host` and `X-Forwarded-Proto`
//! count only from a trusted proxy (`PINCER_TRUSTED_PROXIES`).

use std::net::IpAddr;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use pincer_identity::domain_lock::host_without_port;

use crate::error::ApiError;
use crate::state::{AppState, HttpConfig};

/// Whether the request came from a proxy we trust with forwarded headers.
pub(crate) fn from_trusted_proxy(req: &HttpRequest, config: &HttpConfig) -> bool {
    let peer: Option<IpAddr> = req.peer_addr().map(|a| a.ip().to_canonical());
    peer.is_some_and(|peer| config.trusted_proxies.iter().any(|t| t.to_canonical() == peer))
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(|v| v.split(',').next().unwrap_or(v).trim())
}

/// The host (without port) the client addressed: `X-Forwarded-Host` from a trusted proxy, else
/// the `Host` header.
pub fn request_host(req: &HttpRequest, config: &HttpConfig) -> String {
    let forwarded = from_trusted_proxy(req, config).then(|| header(req, "X-Forwarded-Host")).flatten();
    host_without_port(forwarded.or_else(|| header(req, "Host")).unwrap_or_default())
}

/// `https` when a trusted proxy says the client used it; Pincer itself speaks plain HTTP.
pub fn request_scheme(req: &HttpRequest, config: &HttpConfig) -> &'static str {
    let forwarded = from_trusted_proxy(req, config).then(|| header(req, "X-Forwarded-Proto")).flatten();
    if forwarded.is_some_and(|p| p.eq_ignore_ascii_case("https")) { "https" } else { "http" }
}

/// Whether this request reaches Pincer over plain HTTP from beyond this machine (the reference's
/// `insecureMode`).
pub fn insecure(req: &HttpRequest, config: &HttpConfig) -> bool {
    let host = request_host(req, config);
    let loopback = host == "localhost"
        || host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    request_scheme(req, config) == "http" && !loopback
}

/// Refuses requests addressed to another host than the locked domain (see the module notes).
pub async fn guard<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    if let Some(lock) = &state.config.domain_lock
        && lock.stale()
        && let Err(e) = lock.refresh().await
    {
        tracing::warn!(error = %e, "cannot re-read the domain lock; keeping the last one read");
    }
    let path = req.path();
    let exempt = path == "/api/health" || path.starts_with("/api/health/");
    let Some(domain) = state.config.locked_domain().filter(|_| !exempt) else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    if request_host(req.request(), &state.config) == domain {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    let response = if path.starts_with("/api/") || path.starts_with("/webhook/") {
        let message = format!("this server answers at https://{domain}");
        ApiError::new(StatusCode::MISDIRECTED_REQUEST, "misdirected_request", message).error_response()
    } else {
        let query = req.query_string();
        let target = if query.is_empty() {
            format!("https://{domain}{path}")
        } else {
            format!("https://{domain}{path}?{query}")
        };
        HttpResponse::PermanentRedirect().insert_header((LOCATION, target)).finish()
    };
    Ok(req.into_response(response).map_into_right_body())
}
