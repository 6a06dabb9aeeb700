//! `GET /api/health`: public, for load balancers and uptime probes.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

super::area!(health);

/// Whether the server and its database answer. When the database does not, the body also
/// carries the usual `error` and `code`.
#[derive(Serialize, ToSchema)]
pub(crate) struct HealthDto {
    /// `ok` or `unavailable`.
    status: &'static str,
    /// `ok` or `unreachable`.
    database: &'static str,
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
    if state.readiness.database_ok().await {
        HttpResponse::Ok().json(HealthDto { status: "ok", database: "ok", error: None, code: None })
    } else {
        HttpResponse::ServiceUnavailable().json(HealthDto {
            status: "unavailable",
            database: "unreachable",
            error: Some("database unreachable"),
            code: Some("database_unreachable"),
        })
    }
}
