//! One log line per request: method, path (never the query string, which may carry `?token=`),
//! status and latency.

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    let result = next.call(req).await;
    let micros = started.elapsed().as_micros() as u64;
    match &result {
        Ok(res) => {
            let status = res.status().as_u16();
            if status >= 500 {
                tracing::warn!(%method, %path, status, micros, "request failed");
            } else {
                tracing::info!(%method, %path, status, micros, "request");
            }
        }
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16();
            tracing::info!(%method, %path, status, micros, "request refused");
        }
    }
    result
}
