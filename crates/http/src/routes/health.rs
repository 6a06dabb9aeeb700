//! `GET /api/health`: public, for load balancers and uptime probes.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

super::area!(health);

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
        HttpResponse::Ok().json(HealthDto { status, database: "ok", audit_events_lost, error: None, code: None })
    } else {
        HttpResponse::ServiceUnavailable().json(HealthDto {
            status: "unavailable",
            database: "unreachable",
            audit_events_lost,
            error: Some("database unreachable"),
            code: Some("database_unreachable"),
        })
    }
}
