//! Monthly spend limits (admin only): each with this month's spend and how far it is used; the
//! whole set replaced at once.

use actix_web::{HttpResponse, web};
use pincer_usage::budget::{Budget, BudgetScope, BudgetState, parse_dollars};
use pincer_usage::service::dollars;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

super::area!(list, replace);

/// A limit with this month's spend.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct BudgetDto {
    /// `org`, `agent`, `user` or `group`.
    scope: String,
    /// The agent's, user's or group's id; `null` for the organisation.
    target_id: Option<String>,
    /// USD per UTC month, 6 decimals.
    limit: String,
    /// USD spent this month under it, 6 decimals.
    spent: String,
    /// Spent share of the limit, in whole percent (capped at 999).
    percent: u64,
    /// `ok`, `warning` (80 % or more) or `exceeded` (new chat turns under it are refused).
    state: String,
    /// When the month ends and the spend starts again (UTC).
    #[schema(format = DateTime)]
    resets_at: String,
}

impl From<BudgetState> for BudgetDto {
    fn from(s: BudgetState) -> Self {
        let limit = s.budget.limit_nanos;
        let percent = if limit == 0 {
            if s.spent_nanos == 0 { 0 } else { 999 }
        } else {
            u64::try_from(u128::from(s.spent_nanos) * 100 / u128::from(limit)).unwrap_or(999).min(999)
        };
        Self {
            scope: s.budget.scope.kind().to_string(),
            target_id: Some(s.budget.scope.target()).filter(|t| !t.is_empty()),
            limit: dollars(limit),
            spent: dollars(s.spent_nanos),
            percent,
            state: s.level.as_str().to_string(),
            resets_at: s.resets_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct BudgetsDto {
    budgets: Vec<BudgetDto>,
}

/// The limits with this month's spend (admin only).
#[utoipa::path(
    get,
    path = "/api/usage/budgets",
    tag = "usage",
    responses(
        (status = 200, description = "Every limit.", body = BudgetsDto),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`.", body = ErrorBody),
    ),
)]
async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let states = state.budgets.states(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(BudgetsDto { budgets: states.into_iter().map(BudgetDto::from).collect() }))
}

/// One limit to set.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BudgetInput {
    /// `org`, `agent`, `user` or `group` (enterprise licence).
    scope: String,
    /// The agent's, user's or group's id (absent for `org`).
    target_id: Option<String>,
    /// USD per UTC month: a string or a number, at most 9 decimals (`"0.00001"`, `25`).
    #[schema(value_type = String)]
    limit: Value,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BudgetsBody {
    /// The whole new set: limits not listed are removed.
    budgets: Vec<BudgetInput>,
}

fn budget(input: &BudgetInput) -> Result<Budget, ApiError> {
    let target = input.target_id.as_deref().unwrap_or_default();
    let scope = match (input.scope.as_str(), target) {
        ("group", t) if t.parse::<pincer_core::GroupId>().is_err() => {
            return Err(ApiError::bad_request("unknown_group", "a group budget needs the id of a group as targetId"));
        }
        (kind @ ("agent" | "user"), "") => {
            return Err(ApiError::bad_request("invalid_input", format!("a {kind} budget needs targetId")));
        }
        ("org", t) if !t.is_empty() => {
            return Err(ApiError::bad_request("invalid_input", "an org budget has no targetId"));
        }
        (kind, target) => BudgetScope::parse(kind, target).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_input",
                "scope must be org, agent, user or group, with the agent's, user's or group's id",
            )
        })?,
    };
    let text = match &input.limit {
        Value::String(s) => s.clone(),
        // An integer as it is; a fraction to the nano-dollar (a JSON number may arrive as 1.5e-5).
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(whole), _) => whole.to_string(),
            (None, Some(f)) if f.is_finite() && f >= 0.0 => format!("{f:.9}"),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let limit_nanos = parse_dollars(&text).ok_or_else(|| {
        ApiError::bad_request("invalid_input", "limit must be dollars: a non-negative number with at most 9 decimals")
    })?;
    Ok(Budget { scope, limit_nanos })
}

/// Replaces every limit (admin only); audited as `usage.budget_changed`.
#[utoipa::path(
    put,
    path = "/api/usage/budgets",
    tag = "usage",
    request_body = BudgetsBody,
    responses(
        (status = 200, description = "The new limits with this month's spend.", body = BudgetsDto),
        (status = 400, description = "Codes: `invalid_input` (a malformed scope, id or limit, two limits for one scope), `unknown_group`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`, `missing_scope`, `enterprise_required` (a group budget without a licence).", body = ErrorBody),
    ),
)]
async fn replace(
    state: web::Data<AppState>,
    authed: Authed,
    body: Json<BudgetsBody>,
) -> Result<HttpResponse, ApiError> {
    let set = body.budgets.iter().map(budget).collect::<Result<Vec<_>, _>>()?;
    let states = state.budgets.replace(&authed.principal, set).await.map_err(|e| match e {
        pincer_usage::UsageError::InvalidInput(m) => ApiError::bad_request("invalid_input", m),
        other => other.into(),
    })?;
    Ok(HttpResponse::Ok().json(BudgetsDto { budgets: states.into_iter().map(BudgetDto::from).collect() }))
}
