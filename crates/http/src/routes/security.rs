//! Security audits (the dashboard reference's Security section, admin only): run the checks now,
//! run and file today's self-audit, read the reports day by day.

use actix_web::{HttpResponse, web};
use pincer_core::PageRequest;
use pincer_security::{Assessment, Check, Report, Status};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 30;
const MAX_LIMIT: u32 = 100;

super::area!(security_audit, run_self_audit, reports, report);

/// One check's outcome.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CheckDto {
    /// Stable across reports, e.g. `key_files`.
    id: String,
    title: String,
    /// `critical`, `high`, `medium` or `low`.
    #[schema(value_type = String)]
    severity: pincer_security::Severity,
    /// `pass`, `warn` or `fail`.
    #[schema(value_type = String)]
    status: Status,
    /// What was found.
    detail: String,
    /// What to do about it (empty when it passes).
    fix: String,
}

impl From<Check> for CheckDto {
    fn from(c: Check) -> Self {
        Self { id: c.id, title: c.title, severity: c.severity, status: c.status, detail: c.detail, fix: c.fix }
    }
}

fn checks(assessment: Assessment) -> Vec<CheckDto> {
    assessment.checks.into_iter().map(CheckDto::from).collect()
}

/// The checks run now.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AuditDto {
    /// 0–100: each check weighs its severity; a warning earns half, a failure nothing.
    score: u8,
    #[schema(format = DateTime)]
    checked_at: String,
    checks: Vec<CheckDto>,
}

/// A day's self-audit report.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ReportDto {
    /// The UTC day, `YYYY-MM-DD`.
    date: String,
    /// When the day's last self-audit ran.
    #[schema(format = DateTime)]
    created_at: String,
    score: u8,
    checks: Vec<CheckDto>,
}

impl From<Report> for ReportDto {
    fn from(r: Report) -> Self {
        Self {
            date: r.day.to_string(),
            created_at: r.assessment.at.to_rfc3339(),
            score: r.assessment.score,
            checks: checks(r.assessment),
        }
    }
}

/// A report in the history: its day, score and counts.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ReportSummaryDto {
    date: String,
    #[schema(format = DateTime)]
    created_at: String,
    score: u8,
    passed: usize,
    warnings: usize,
    failed: usize,
}

impl From<Report> for ReportSummaryDto {
    fn from(r: Report) -> Self {
        let count = |status| r.assessment.checks.iter().filter(|c| c.status == status).count();
        Self {
            date: r.day.to_string(),
            created_at: r.assessment.at.to_rfc3339(),
            score: r.assessment.score,
            passed: count(Status::Pass),
            warnings: count(Status::Warn),
            failed: count(Status::Fail),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct ReportsPage {
    reports: Vec<ReportSummaryDto>,
    total: i64,
    page: u32,
    limit: u32,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 4294967295_i64)]
    page: Option<i64>,
    /// Reports per page (default 30).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// Runs every security check now and returns the outcome; nothing is stored (admin only).
#[utoipa::path(
    post,
    path = "/api/security-audit",
    tag = "security",
    responses(
        (status = 200, description = "The score and every check.", body = AuditDto),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
        (status = 503, description = "Codes: `storage_unavailable`.", body = ErrorBody),
    ),
)]
async fn security_audit(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let assessment = state.security.check_now(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(AuditDto {
        score: assessment.score,
        checked_at: assessment.at.to_rfc3339(),
        checks: checks(assessment),
    }))
}

/// Runs a self-audit now and files it as today's report (replacing an earlier one of today);
/// each check worse than in the report before is recorded as `security.check_failed` (admin
/// only).
#[utoipa::path(
    post,
    path = "/api/self-audit/run",
    tag = "security",
    responses(
        (status = 200, description = "Today's report.", body = ReportDto),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
        (status = 503, description = "Codes: `storage_unavailable`.", body = ErrorBody),
    ),
)]
async fn run_self_audit(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let report = state.security.run(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(ReportDto::from(report)))
}

/// The self-audit reports, newest day first (admin only).
#[utoipa::path(
    get,
    path = "/api/self-audit/reports",
    tag = "security",
    params(PageQuery),
    responses(
        (status = 200, description = "One page of reports.", body = ReportsPage),
        (status = 400, description = "Codes: `invalid_query`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
        (status = 503, description = "Codes: `storage_unavailable`.", body = ErrorBody),
    ),
)]
async fn reports(state: web::Data<AppState>, authed: Authed, q: Query<PageQuery>) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::new(q.page, q.limit, DEFAULT_LIMIT, MAX_LIMIT)
        .map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let found = state.security.reports(&authed.principal, page).await?;
    Ok(HttpResponse::Ok().json(ReportsPage {
        reports: found.items.into_iter().map(ReportSummaryDto::from).collect(),
        total: found.total,
        page: page.page,
        limit: page.limit,
    }))
}

/// One day's report (admin only).
#[utoipa::path(
    get,
    path = "/api/self-audit/reports/{date}",
    tag = "security",
    params(("date" = String, Path, description = "The UTC day, `YYYY-MM-DD`.")),
    responses(
        (status = 200, description = "The report.", body = ReportDto),
        (status = 400, description = "Not a real day written YYYY-MM-DD. Codes: `invalid_date`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
        (status = 404, description = "No report that day. Codes: `report_not_found`.", body = ErrorBody),
        (status = 503, description = "Codes: `storage_unavailable`.", body = ErrorBody),
    ),
)]
async fn report(state: web::Data<AppState>, authed: Authed, date: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let report = state.security.report(&authed.principal, &date).await?;
    Ok(HttpResponse::Ok().json(ReportDto::from(report)))
}
