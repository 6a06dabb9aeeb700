//! One log line per request: method, path (never the query string, which may carry `?token=`),
//! status, latency and the request id. The id — a trusted proxy's `X-Request-Id` when it is a
//! plain token, else a new one — is answered in `X-Request-Id` and in every error body
//! (`requestId`), so a user's report finds its log line.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::state::AppState;

/// Whether a metrics recorder listens (`PINCER_METRICS_BIND`): without one, requests skip
/// building the metrics' labels.
static RECORDING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns on the request metrics (the server calls it once it installed a recorder).
pub fn record_metrics() {
    RECORDING.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Counts a request and its latency by route pattern (`/api/agents/{id}`, never the path, so
/// ids do not multiply the series), method and status.
fn observe(route: Option<&str>, method: &actix_web::http::Method, status: u16, seconds: f64) {
    if !RECORDING.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let route = route.unwrap_or("unmatched").to_string();
    let method = method.as_str().to_string();
    metrics::counter!("pincer_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("pincer_http_request_duration_seconds", "route" => route, "method" => method).record(seconds);
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    /// The id of the request this task serves (error bodies carry it).
    static CURRENT: Arc<str>;
}

/// The id of the request being served, inside the logging middleware's scope.
pub fn current_request_id() -> Option<Arc<str>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// A trusted proxy's id is kept when it is 1–64 characters of letters, digits, `-`, `_`, `.`
/// (anything else could forge log lines); otherwise a new random one.
fn request_id(req: &ServiceRequest) -> Arc<str> {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| crate::domain::from_trusted_proxy(req.request(), &state.config));
    let given = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|id| {
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    match given {
        Some(id) if trusted => Arc::from(id),
        _ => new_request_id(),
    }
}

/// 16 hex characters: this process's random prefix and a counter — unique across replicas and
/// restarts without a random draw per request.
fn new_request_id() -> Arc<str> {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let prefix = PREFIX.get_or_init(|| hex_of(&pincer_core::crypto::random_bytes::<4>()));
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Arc::from(format!("{prefix}{n:08x}"))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request_id(&req);
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    CURRENT
        .scope(id.clone(), async move {
            let result = next.call(req).await;
            let micros = started.elapsed().as_micros() as u64;
            // The middlewares refuse with responses, not errors (so the security headers and the
            // id reach them); an error that still comes through is answered by actix after this.
            let mut res = match result {
                Ok(res) => {
                    let status = res.status().as_u16();
                    observe(res.request().match_pattern().as_deref(), &method, status, started.elapsed().as_secs_f64());
                    if status >= 500 {
                        tracing::warn!(%method, %path, status, micros, request_id = %id, "request failed");
                    } else {
                        tracing::info!(%method, %path, status, micros, request_id = %id, "request");
                    }
                    res.map_into_boxed_body()
                }
                Err(err) => {
                    let status = err.as_response_error().status_code().as_u16();
                    tracing::info!(%method, %path, status, micros, request_id = %id, "request refused");
                    return Err(err);
                }
            };
            if let Ok(value) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(REQUEST_ID, value);
            }
            Ok(res)
        })
        .await
}
