//! Health probes, public: `/api/health` for uptime checks (the server, its database, lost audit
//! events, the version), `/api/health/live` for liveness (the process answers; no database), and
//! `/api/health/ready` for readiness (the database answers and shutdown has not begun).

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

super::area!(health, live, ready);

/// This build's version (the workspace's).
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Whether the server and its database answer, and whether audit events are being lost. When
/// the database does not answer, the body also carries the usual `error` and `code`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HealthDto {
    /// `ok`; `degraded` when audit events could not be stored since the start (the server
    /// serves, but its audit trail has gaps: see the log); `unavailable` without a database.
    status: &'static str,
    /// `ok` or `unreachable`.
    database: &'static str,
    /// Audit events that could not be stored since the server started. Auditing never fails
    /// the audited action, so a failing audit store shows here rather than as refused requests.
    audit_events_lost: u64,
    /// The server's version, e.g. `0.1.0`.
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    /// `database_unreachable` when the database does not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
}

/// Health of the server and its database.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "The server and its database answer.", body = HealthDto),
        (status = 503, description = "The database does not answer. Codes: `database_unreachable`.", body = HealthDto),
    ),
)]
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let audit_events_lost = state.audit.lost_events();
    if state.readiness.database_ok().await {
        let status = if audit_events_lost == 0 { "ok" } else { "degraded" };
        HttpResponse::Ok().json(HealthDto {
            status,
            database: "ok",
            audit_events_lost,
            version: VERSION,
            error: None,
            code: None,
        })
    } else {
        HttpResponse::ServiceUnavailable().json(HealthDto {
            status: "unavailable",
            database: "unreachable",
            audit_events_lost,
            version: VERSION,
            error: Some("database unreachable"),
            code: Some("database_unreachable"),
        })
    }
}

/// A probe's answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProbeDto {
    /// `ok`, or why not (`unavailable`).
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    /// `shutting_down` or `database_unreachable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
}

/// Liveness: the process serves requests. Touches nothing else (a database outage must not get
/// a healthy process restarted).
#[utoipa::path(
    get,
    path = "/api/health/live",
    tag = "health",
    security(()),
    responses((status = 200, description = "The process serves requests.", body = ProbeDto)),
)]
async fn live() -> HttpResponse {
    HttpResponse::Ok().json(ProbeDto { status: "ok", error: None, code: None })
}

/// Readiness: send traffic here. The database answers (migrations are applied before the server
/// listens) and shutdown has not begun.
#[utoipa::path(
    get,
    path = "/api/health/ready",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Ready for traffic.", body = ProbeDto),
        (status = 503, description = "Codes: `shutting_down`, `database_unreachable`.", body = ProbeDto),
    ),
)]
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let refused = |error, code| {
        HttpResponse::ServiceUnavailable().json(ProbeDto {
            status: "unavailable",
            error: Some(error),
            code: Some(code),
        })
    };
    if state.draining.is_draining() {
        return refused("the server is shutting down", "shutting_down");
    }
    if !state.readiness.database_ok().await {
        return refused("database unreachable", "database_unreachable");
    }
    HttpResponse::Ok().json(ProbeDto { status: "ok", error: None, code: None })
}
