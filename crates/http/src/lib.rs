//! The HTTP shell: actix-web routes, DTOs, error mapping and auth extractors.
//!
//! Handlers are thin: extract, call one service, map the result. No business rule lives here.

mod auth;
mod csrf;
mod csv_export;
mod domain;
mod dto;
mod error;
mod extract;
mod openapi;
mod routes;
mod scopes;
mod state;
mod trace;
mod ws;

use actix_web::{App, HttpServer, dev::Server, middleware::DefaultHeaders, web};

pub use error::ApiError;
pub use openapi::json as openapi_json;
pub use state::{AppState, Draining, HttpConfig, Readiness};
pub use trace::record_metrics;
pub use ws::Connections;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Registers every route, extractor configuration and middleware on an actix `App`.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        // Bodies and queries go through crate::extract, which reads this limit.
        cfg.app_data(state).app_data(web::PayloadConfig::new(MAX_BODY_BYTES));
        routes::register(cfg);
    }
}

/// Builds and binds the server. The caller owns shutdown (signals are not installed here).
/// `more` mounts what is served beside the API (the web app), after the API's routes, so that
/// `/api/...` always stays the API's.
pub fn server<F>(state: web::Data<AppState>, listener: std::net::TcpListener, more: F) -> std::io::Result<Server>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let server = HttpServer::new(move || {
        App::new()
            .configure(configure(state.clone()))
            .configure(more.clone())
            .default_service(web::to(routes::route_not_found))
            .wrap(actix_web::middleware::from_fn(auth::authenticate))
            .wrap(actix_web::middleware::from_fn(csrf::same_origin_for_mutations))
            .wrap(actix_web::middleware::from_fn(domain::guard))
            .wrap(security_headers())
            .wrap(actix_web::middleware::from_fn(trace::log_request))
    })
    // Chat streams many small frames in a row; without TCP_NODELAY, Nagle's algorithm holds each
    // one back until the previous one is acknowledged, and a delayed ACK costs ~40 ms a frame.
    .on_connect(|conn, _| {
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>()
            && let Err(e) = tcp.set_nodelay(true)
        {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    })
    .disable_signals()
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'"))
        .add(("Cache-Control", "no-store"))
}
