//! Usage and costs (admin only): totals per agent and per source, the same over time, and with an
//! enterprise licence per person and every record as CSV. Token counts and costs are strings, as
//! the reference shows them (costs in USD with 6 decimals).

use actix_web::{HttpResponse, web};
use futures::StreamExt as _;
use futures::stream;
use pincer_usage::report::{LineCursor, Sums, UsageLine, UserSums};
use pincer_usage::service::{Interval, UsageQuery, UsageSeries, UsageSummary, dollars};
use pincer_usage::{UsageSource, UsageWindow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authed;
use crate::csv_export::{csv_bytes, neutralise_formula};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::state::AppState;

super::area!(summary, timeseries, by_user, export);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct WindowQuery {
    /// The look-back in UTC days, today included (default 30; `0` is all time).
    #[param(minimum = 0, maximum = 3650)]
    days: Option<i64>,
    /// Only this agent's calls.
    #[param(format = Uuid)]
    agent_id: Option<String>,
}

impl WindowQuery {
    fn usage_query(&self) -> UsageQuery {
        UsageQuery { days: self.days, agent_id: self.agent_id.clone() }
    }
}

/// One agent's totals.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AgentUsageDto {
    agent_id: String,
    /// Its name (its last name once deleted).
    agent_name: String,
    total_input_tokens: String,
    total_output_tokens: String,
    total_cache_read_tokens: String,
    total_cache_write_tokens: String,
    /// USD, 6 decimals.
    total_cost: String,
    deleted: bool,
}

/// Token counts and cost of a source bucket or a time bucket.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SumsDto {
    input_tokens: String,
    output_tokens: String,
    cache_read_tokens: String,
    cache_write_tokens: String,
    /// USD, 6 decimals.
    cost: String,
}

impl From<Sums> for SumsDto {
    fn from(s: Sums) -> Self {
        Self {
            input_tokens: s.input.to_string(),
            output_tokens: s.output.to_string(),
            cache_read_tokens: s.cache_read.to_string(),
            cache_write_tokens: s.cache_write.to_string(),
            cost: dollars(s.cost_nanos),
        }
    }
}

/// Totals per source: `chat` (people talking to agents), `system` (the platform's own work),
/// `plugin` (work a plugin drove).
#[derive(Serialize, ToSchema)]
struct SourceTotalsDto {
    chat: SumsDto,
    system: SumsDto,
    plugin: SumsDto,
}

/// A model called without a price: its calls count no cost.
#[derive(Serialize, ToSchema)]
struct UnpricedModelDto {
    provider: String,
    model: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SummaryDto {
    /// Agents with calls in the period, costliest first.
    agents: Vec<AgentUsageDto>,
    totals: SourceTotalsDto,
    /// Models called in the period that have no price (their cost counts as 0).
    unpriced_models: Vec<UnpricedModelDto>,
}

impl From<UsageSummary> for SummaryDto {
    fn from(s: UsageSummary) -> Self {
        let of = |source: UsageSource| -> SumsDto {
            s.by_source.iter().find(|(x, _)| *x == source).map(|(_, sums)| *sums).unwrap_or_default().into()
        };
        let totals = SourceTotalsDto {
            chat: of(UsageSource::Chat),
            system: of(UsageSource::System),
            plugin: of(UsageSource::Plugin),
        };
        Self {
            agents: s
                .agents
                .into_iter()
                .map(|a| AgentUsageDto {
                    agent_id: a.agent_id.to_string(),
                    agent_name: a.name,
                    total_input_tokens: a.sums.input.to_string(),
                    total_output_tokens: a.sums.output.to_string(),
                    total_cache_read_tokens: a.sums.cache_read.to_string(),
                    total_cache_write_tokens: a.sums.cache_write.to_string(),
                    total_cost: dollars(a.sums.cost_nanos),
                    deleted: a.deleted,
                })
                .collect(),
            totals,
            unpriced_models: s
                .unpriced
                .into_iter()
                .map(|m| UnpricedModelDto { provider: m.provider, model: m.model })
                .collect(),
        }
    }
}

/// Per-agent usage totals and totals per source within a period (admin only).
#[utoipa::path(
    get,
    path = "/api/usage/summary",
    tag = "usage",
    params(WindowQuery),
    responses(
        (status = 200, description = "The totals.", body = SummaryDto),
        (status = 400, description = "Codes: `invalid_query` (`days` outside 0–3650, a malformed `agentId`).", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
    ),
)]
async fn summary(state: web::Data<AppState>, authed: Authed, q: Query<WindowQuery>) -> Result<HttpResponse, ApiError> {
    let summary = state.usage.summary(&authed.principal, &q.usage_query()).await?;
    Ok(HttpResponse::Ok().json(SummaryDto::from(summary)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct SeriesQuery {
    /// The look-back in UTC days, today included (default 30; `0` is all time, from the first
    /// call's bucket).
    #[param(minimum = 0, maximum = 3650)]
    days: Option<i64>,
    /// Only this agent's calls.
    #[param(format = Uuid)]
    agent_id: Option<String>,
    /// The bucket length: `day` (default) or `hour` (UTC).
    #[param(pattern = "^(day|hour)$")]
    interval: Option<String>,
}

/// One bucket of time.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct BucketDto {
    /// The bucket's first instant (UTC).
    #[schema(format = DateTime)]
    start: String,
    #[serde(flatten)]
    sums: SumsDto,
}

#[derive(Serialize, ToSchema)]
struct SeriesDto {
    /// `day` or `hour`.
    interval: String,
    /// Every bucket from the period's first through the current one, ascending; a bucket
    /// without calls is zeros.
    buckets: Vec<BucketDto>,
}

impl From<UsageSeries> for SeriesDto {
    fn from(s: UsageSeries) -> Self {
        Self {
            interval: s.interval.as_str().to_string(),
            buckets: s
                .buckets
                .into_iter()
                .map(|b| BucketDto { start: b.start.to_rfc3339(), sums: b.sums.into() })
                .collect(),
        }
    }
}

/// Usage over time, in gap-free UTC buckets, for the dashboard's charts (admin only).
#[utoipa::path(
    get,
    path = "/api/usage/timeseries",
    tag = "usage",
    params(SeriesQuery),
    responses(
        (status = 200, description = "The buckets.", body = SeriesDto),
        (status = 400, description = "Codes: `invalid_query` (`days` outside 0–3650, a malformed `agentId`, an `interval` other than `day` or `hour`), `too_many_buckets` (more than 2,000).", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
    ),
)]
async fn timeseries(
    state: web::Data<AppState>,
    authed: Authed,
    q: Query<SeriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let interval = match q.interval.as_deref().filter(|s| !s.is_empty()) {
        None => Interval::Day,
        Some(raw) => Interval::parse(raw)
            .ok_or_else(|| ApiError::bad_request("invalid_query", "interval must be day or hour"))?,
    };
    let query = UsageQuery { days: q.days, agent_id: q.agent_id.clone() };
    let series = state.usage.series(&authed.principal, &query, interval).await?;
    Ok(HttpResponse::Ok().json(SeriesDto::from(series)))
}

/// One person's totals.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct UserUsageDto {
    /// `null` for calls no person made (or made by an account that was erased).
    user_id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    /// Whether the account is deactivated.
    deactivated: bool,
    total_input_tokens: String,
    total_output_tokens: String,
    total_cache_read_tokens: String,
    total_cache_write_tokens: String,
    /// USD, 6 decimals.
    total_cost: String,
}

impl From<UserSums> for UserUsageDto {
    fn from(u: UserSums) -> Self {
        Self {
            user_id: u.user_id.map(|id| id.to_string()),
            name: u.name,
            email: u.email,
            deactivated: u.deactivated,
            total_input_tokens: u.sums.input.to_string(),
            total_output_tokens: u.sums.output.to_string(),
            total_cache_read_tokens: u.sums.cache_read.to_string(),
            total_cache_write_tokens: u.sums.cache_write.to_string(),
            total_cost: dollars(u.sums.cost_nanos),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct ByUserDto {
    /// Costliest first.
    users: Vec<UserUsageDto>,
}

/// Usage per person within a period (admin only, enterprise licence).
#[utoipa::path(
    get,
    path = "/api/usage/by-user",
    tag = "usage",
    params(WindowQuery),
    responses(
        (status = 200, description = "The totals per person.", body = ByUserDto),
        (status = 400, description = "Codes: `invalid_query`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`, `enterprise_required`.", body = ErrorBody),
    ),
)]
async fn by_user(state: web::Data<AppState>, authed: Authed, q: Query<WindowQuery>) -> Result<HttpResponse, ApiError> {
    let users = state.usage.by_user(&authed.principal, &q.usage_query()).await?;
    Ok(HttpResponse::Ok().json(ByUserDto { users: users.into_iter().map(UserUsageDto::from).collect() }))
}

const CSV_HEADER: [&str; 16] = [
    "id",
    "createdAt",
    "userId",
    "userName",
    "userEmail",
    "agentId",
    "agentName",
    "provider",
    "model",
    "source",
    "inputTokens",
    "outputTokens",
    "cacheReadTokens",
    "cacheWriteTokens",
    "cost",
    "runId",
];

fn write_line(w: &mut csv::Writer<Vec<u8>>, line: UsageLine) -> csv::Result<()> {
    let r = line.record;
    let (user_name, user_email) = line.user.unzip();
    let cells = [
        r.id.to_string(),
        r.created_at.to_rfc3339(),
        r.user_id.map(|u| u.to_string()).unwrap_or_default(),
        user_name.unwrap_or_default(),
        user_email.unwrap_or_default(),
        r.agent_id.map(|a| a.to_string()).unwrap_or_default(),
        line.agent_name.unwrap_or_default(),
        r.provider,
        r.model,
        r.source.as_str().to_string(),
        r.tokens.input.to_string(),
        r.tokens.output.to_string(),
        r.tokens.cache_read.to_string(),
        r.tokens.cache_write.to_string(),
        // Empty when the model had no price.
        r.cost_nanos.map(dollars).unwrap_or_default(),
        r.run_id.to_string(),
    ];
    w.write_record(cells.into_iter().map(neutralise_formula))
}

/// Every usage record of a period as CSV, oldest first (admin only, enterprise licence).
#[utoipa::path(
    get,
    path = "/api/usage/export",
    tag = "usage",
    params(WindowQuery),
    responses(
        (status = 200, description = "A CSV file (`usage.csv`) with a header row.", content_type = "text/csv", body = String),
        (status = 400, description = "Codes: `invalid_query`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`, `enterprise_required`.", body = ErrorBody),
    ),
)]
// Streamed batch by batch: memory stays bounded whatever the ledger's size.
async fn export(state: web::Data<AppState>, authed: Authed, q: Query<WindowQuery>) -> Result<HttpResponse, ApiError> {
    let window = state.usage.export(&authed.principal, &q.usage_query()).await?;
    let header = csv_bytes(|w| w.write_record(CSV_HEADER));
    type Cursor = Option<(web::Data<AppState>, UsageWindow, Option<LineCursor>)>;
    let body = stream::once(async move { header }).chain(stream::unfold(
        Some((state, window, None)),
        |cursor: Cursor| async move {
            let (state, window, after) = cursor?;
            match state.usage.export_batch(&window, after).await {
                Ok(lines) if lines.is_empty() => None,
                Ok(lines) => {
                    let next = lines.last().map(|l| LineCursor { created_at: l.record.created_at, id: l.record.id });
                    let chunk = csv_bytes(|w| lines.into_iter().try_for_each(|l| write_line(w, l)));
                    Some((chunk, Some((state, window, next))))
                }
                Err(e) => {
                    tracing::error!(error = %e, "usage export stopped");
                    Some((Err(ApiError::from(e).into()), None))
                }
            }
        },
    ));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"usage.csv\""))
        .streaming(body))
}
