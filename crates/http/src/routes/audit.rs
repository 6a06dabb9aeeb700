//! The audit log (admin only): paginated entries, chain verification, event types, CSV export.

use actix_web::{HttpResponse, web};
use futures::StreamExt as _;
use futures::stream;
use pincer_audit::service::AuditQuery;
use pincer_audit::{AuditFilter, AuditRow};
use pincer_core::{PageRequest, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authed;
use crate::csv_export::{csv_bytes, neutralise_formula};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 100;

super::area!(list, verify, event_types, export);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct FilterQuery {
    /// 1-based page number (default 1; the export ignores it).
    #[param(minimum = 1, maximum = 4294967295_i64)]
    page: Option<i64>,
    /// Entries per page (default 50; the export ignores it).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// Only this event type, e.g. `auth.login`.
    event_type: Option<String>,
    /// Only events by this user id.
    actor_id: Option<String>,
    /// Only events at or after this RFC 3339 time.
    #[param(format = DateTime)]
    from: Option<String>,
    /// Only events before this RFC 3339 time.
    #[param(format = DateTime)]
    to: Option<String>,
}

impl FilterQuery {
    fn audit_query(&self) -> Result<AuditQuery, ApiError> {
        let date = |name: &str, raw: &Option<String>| -> Result<Option<Timestamp>, ApiError> {
            match raw.as_deref().filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => Timestamp::parse_rfc3339(s)
                    .map(Some)
                    .ok_or_else(|| ApiError::bad_request("invalid_query", format!("{name} must be an ISO 8601 date"))),
            }
        };
        let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        Ok(AuditQuery {
            event_type: non_empty(&self.event_type),
            actor_user_id: non_empty(&self.actor_id),
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
        })
    }
}

/// One event of the log with its chain MAC.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct EntryDto {
    id: i64,
    #[schema(format = DateTime)]
    timestamp: String,
    actor_type: String,
    actor_id: Option<String>,
    actor_name: Option<String>,
    actor_deleted: bool,
    event_type: String,
    resource: Option<String>,
    /// The stored canonical JSON as it is (`None`, shown as `null`, if it does not parse).
    #[schema(value_type = Option<Object>)]
    detail: Option<Box<RawValue>>,
    outcome: String,
    row_hmac: String,
}

/// One page of the log. Serialised straight from the rows (a `json!` envelope would first copy
/// every entry into a `Value` tree).
#[derive(Serialize, ToSchema)]
struct EntriesPage {
    entries: Vec<EntryDto>,
    total: i64,
    page: u32,
    limit: u32,
}

impl From<AuditRow> for EntryDto {
    fn from(row: AuditRow) -> Self {
        let e = row.entry;
        let is_user = e.pending.actor_type == "user";
        Self {
            id: e.id,
            timestamp: e.pending.timestamp.to_rfc3339(),
            actor_deleted: is_user && row.actor_name.is_none(),
            // A user actor is shown by user id; once the pseudonym is erased, only the pseudonym.
            actor_id: if is_user { row.actor_user_id.or(e.pending.actor_id) } else { e.pending.actor_id },
            actor_name: row.actor_name,
            actor_type: e.pending.actor_type,
            event_type: e.pending.event_type,
            resource: e.pending.resource,
            detail: RawValue::from_string(e.pending.detail).ok(),
            outcome: e.pending.outcome,
            row_hmac: e.row_hmac,
        }
    }
}

/// The audit log, newest first, filtered (admin only).
#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "audit",
    params(FilterQuery),
    responses(
        (status = 200, description = "One page of entries.", body = EntriesPage),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn list(state: web::Data<AppState>, authed: Authed, q: Query<FilterQuery>) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::new(q.page, q.limit, DEFAULT_LIMIT, MAX_LIMIT)
        .map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let result = state.audit.list(&authed.principal, q.audit_query()?, page).await?;
    let entries = result.items.into_iter().map(EntryDto::from).collect();
    Ok(HttpResponse::Ok().json(EntriesPage { entries, total: result.total, page: page.page, limit: page.limit }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct VerifyQuery {
    /// First entry id to check (default: the first).
    #[param(minimum = 1)]
    from_id: Option<i64>,
    /// Last entry id to check (default: the newest). Beyond the newest entry the log's sealed
    /// head names: 400 `invalid_query`.
    #[param(minimum = 1)]
    to_id: Option<i64>,
}

/// The outcome of a verification of the chain.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct VerifyDto {
    valid: bool,
    total_checked: u64,
    /// Entries whose MAC does not match their content.
    invalid_ids: Vec<i64>,
    /// Entries whose link to the previous entry is broken (an entry before them was removed,
    /// replaced or re-chained).
    chain_break_ids: Vec<i64>,
    /// Entries were removed from the end of the log (or all of them): the sealed head names an
    /// entry that is gone.
    truncated: bool,
    /// The entry the sealed head names exists but is not the one that was appended: an older
    /// state of the log was restored and appended to, or its newest entry was re-chained.
    rolled_back: bool,
    /// The sealed head does not verify, or entries exist without one (it was deleted).
    head_invalid: bool,
    /// The newest entry id according to the sealed head.
    head_id: Option<i64>,
    /// The newest entry id found in the log.
    last_id: Option<i64>,
    /// The newest entry id according to the copy of the head the server keeps in its data
    /// directory (`secrets/audit-head`). A database restored from an older copy, or emptied
    /// together with its head, no longer holds that entry: `truncated` or `rolledBack`.
    anchor_id: Option<i64>,
    /// Pseudonyms whose mapping to a user does not carry the audit key's MAC: the table that
    /// says who acted was altered. Entries by those actors are shown without a user.
    invalid_pseudonyms: Vec<String>,
}

/// Recomputes the HMAC chain over a range of entries (admin only).
#[utoipa::path(
    get,
    path = "/api/audit/verify",
    tag = "audit",
    params(VerifyQuery),
    responses(
        (status = 200, description = "The verification report.", body = VerifyDto),
        (status = 400, description = "Codes: `invalid_query` (an id below 1, `fromId` above `toId`, `toId` beyond the newest entry).", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn verify(state: web::Data<AppState>, authed: Authed, q: Query<VerifyQuery>) -> Result<HttpResponse, ApiError> {
    if q.from_id.is_some_and(|v| v < 1) || q.to_id.is_some_and(|v| v < 1) {
        return Err(ApiError::bad_request("invalid_query", "fromId and toId must be positive"));
    }
    let r = state.audit.verify(&authed.principal, q.from_id, q.to_id).await?;
    Ok(HttpResponse::Ok().json(VerifyDto {
        valid: r.valid,
        total_checked: r.total_checked,
        invalid_ids: r.invalid_ids,
        chain_break_ids: r.chain_break_ids,
        truncated: r.truncated,
        rolled_back: r.rolled_back,
        head_invalid: r.head_invalid,
        head_id: r.head_id,
        last_id: r.last_id,
        anchor_id: r.anchor_id,
        invalid_pseudonyms: r.invalid_pseudonyms,
    }))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct EventTypesDto {
    event_types: Vec<String>,
}

/// The distinct event types in the log, for filters (admin only).
#[utoipa::path(
    get,
    path = "/api/audit/event-types",
    tag = "audit",
    responses(
        (status = 200, description = "The event types.", body = EventTypesDto),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn event_types(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let event_types = state.audit.event_types(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(EventTypesDto { event_types }))
}

const CSV_HEADER: [&str; 10] =
    ["id", "timestamp", "actorType", "actorId", "actorName", "eventType", "resource", "outcome", "detail", "rowHmac"];

/// The filtered log as CSV, oldest first, streamed (admin only).
#[utoipa::path(
    get,
    path = "/api/audit/export",
    tag = "audit",
    params(FilterQuery),
    responses(
        (status = 200, description = "A CSV file (`audit-log.csv`) with a header row.", content_type = "text/csv", body = String),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
// Streamed batch by batch: memory stays bounded whatever the log's size.
async fn export(state: web::Data<AppState>, authed: Authed, q: Query<FilterQuery>) -> Result<HttpResponse, ApiError> {
    let filter = state.audit.export_filter(&authed.principal, q.audit_query()?).await?;
    let header = csv_bytes(|w| w.write_record(CSV_HEADER));
    let body = stream::once(async move { header }).chain(stream::unfold(
        Some((state, filter, 0_i64)),
        |cursor: Option<(web::Data<AppState>, AuditFilter, i64)>| async move {
            let (state, filter, after) = cursor?;
            match state.audit.export_batch(&filter, after).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let last = rows.last().map_or(after, |r| r.entry.id);
                    let chunk = csv_bytes(|w| rows.into_iter().map(EntryDto::from).try_for_each(|e| write_entry(w, e)));
                    Some((chunk, Some((state, filter, last))))
                }
                Err(e) => {
                    tracing::error!(error = %e, "audit export stopped");
                    Some((Err(ApiError::from(e).into()), None))
                }
            }
        },
    ));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"audit-log.csv\""))
        .streaming(body))
}

fn write_entry(w: &mut csv::Writer<Vec<u8>>, e: EntryDto) -> csv::Result<()> {
    let cells = [
        e.id.to_string(),
        e.timestamp,
        e.actor_type,
        e.actor_id.unwrap_or_default(),
        e.actor_name.unwrap_or_default(),
        e.event_type,
        e.resource.unwrap_or_default(),
        e.outcome,
        e.detail.map_or_else(|| "null".to_string(), |detail| detail.get().to_string()),
        e.row_hmac,
    ];
    w.write_record(cells.into_iter().map(neutralise_formula))
}
