//! Long-term memory: the caller's own entries (list, add, delete), their memory settings and
//! stats. Another user's entry is 404 `memory_not_found`; contents are never audited.

use actix_web::{HttpResponse, web};
use pincer_agents::memory::{MemoryEntry, MemorySettings, MemorySource, NewMemory};
use pincer_core::{AgentId, MemoryId, PageRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authed;
use crate::dto::{SUCCESS, Success};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

super::area!(list, add, delete, settings, set_settings, stats);

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

fn parse_agent(raw: Option<&str>) -> Result<Option<AgentId>, ApiError> {
    raw.map(|a| a.trim().parse().map_err(|_| ApiError::bad_request("invalid_query", "agentId must be an agent id")))
        .transpose()
}

/// A memory entry.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct MemoryDto {
    #[schema(format = Uuid)]
    id: String,
    content: String,
    tags: Vec<String>,
    #[schema(format = Uuid)]
    agent_id: Option<String>,
    /// `user` or `agent`.
    source: &'static str,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<MemoryEntry> for MemoryDto {
    fn from(e: MemoryEntry) -> Self {
        Self {
            id: e.id.to_string(),
            content: e.content,
            tags: e.tags,
            agent_id: e.agent_id.map(|a| a.to_string()),
            source: e.source.as_str(),
            created_at: e.created_at.to_rfc3339(),
            updated_at: e.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct MemoriesPage {
    memories: Vec<MemoryDto>,
    /// Entries on all pages.
    total: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    /// 1-based page (default 1).
    #[param(minimum = 1, maximum = 4294967295_i64)]
    page: Option<i64>,
    /// Entries per page (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// Only the entries of this agent.
    #[param(format = Uuid)]
    agent_id: Option<String>,
    /// Only the entries holding every word (in any form).
    #[param(max_length = 200)]
    q: Option<String>,
}

/// The caller's memory entries, newest first.
#[utoipa::path(
    get,
    path = "/api/memory/long_term",
    tag = "memory",
    params(ListQuery),
    responses(
        (status = 200, description = "One page of entries.", body = MemoriesPage),
        (status = 400, description = "Codes: `invalid_query`, `invalid_input`.", body = ErrorBody),
    ),
)]
async fn list(state: web::Data<AppState>, authed: Authed, q: Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::new(q.page, q.limit, DEFAULT_LIMIT, MAX_LIMIT)
        .map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let agent = parse_agent(q.agent_id.as_deref())?;
    let found = state.memory.list(&authed.principal, agent, q.q.as_deref(), page).await?;
    let memories = found.items.into_iter().map(MemoryDto::from).collect();
    Ok(HttpResponse::Ok().json(MemoriesPage { memories, total: found.total }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewMemoryBody {
    /// What to remember: 1 to `maxEntryChars` characters.
    #[schema(min_length = 1, max_length = 4000)]
    content: String,
    /// At most 10 labels of letters, digits, `-` and `_`.
    #[serde(default)]
    tags: Vec<String>,
    /// The agent it belongs with, if any.
    #[schema(format = Uuid)]
    agent_id: Option<String>,
}

/// Adds an entry by hand; audited as `memory.created` (without the content).
#[utoipa::path(
    post,
    path = "/api/memory/long_term",
    tag = "memory",
    request_body = NewMemoryBody,
    responses(
        (status = 201, description = "The entry.", body = MemoryDto),
        (status = 400, description = "Codes: `invalid_input`.", body = ErrorBody),
        (status = 409, description = "Codes: `memory_full` (10,000 entries).", body = ErrorBody),
    ),
)]
async fn add(state: web::Data<AppState>, authed: Authed, body: Json<NewMemoryBody>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let agent_id = match body.agent_id.as_deref() {
        None => None,
        Some(raw) => Some(
            raw.trim().parse().map_err(|_| ApiError::bad_request("invalid_input", "agentId must be an agent id"))?,
        ),
    };
    // The agent must be one the caller may see (else it is reported as unknown).
    if let Some(agent) = agent_id {
        state
            .agents
            .get(&authed.principal, agent)
            .await
            .map_err(|_| ApiError::bad_request("invalid_input", "agentId must be an agent you can use"))?;
    }
    let new = NewMemory { content: body.content, tags: body.tags, agent_id };
    let entry = state.memory.add(&authed.principal, new).await?;
    Ok(HttpResponse::Created().json(MemoryDto::from(entry)))
}

/// Deletes one of the caller's entries; audited as `memory.deleted`.
#[utoipa::path(
    delete,
    path = "/api/memory/long_term/{id}",
    tag = "memory",
    params(("id" = String, Path, format = Uuid, description = "The entry.")),
    responses(
        (status = 200, description = "Deleted.", body = Success),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 404, description = "Codes: `memory_not_found`.", body = ErrorBody),
    ),
)]
async fn delete(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id: MemoryId = id.trim().parse().map_err(|_| ApiError::invalid_id())?;
    state.memory.delete(&authed.principal, id).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// A user's memory settings.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SettingsDto {
    /// Agents may save and search entries.
    enabled: bool,
    /// The entries relevant to a message are put in the agent's context.
    auto_inject: bool,
    /// At most this many entries per turn (0-50).
    max_injected: u32,
    /// An entry is at most this many characters (50-4,000).
    max_entry_chars: u32,
}

impl From<MemorySettings> for SettingsDto {
    fn from(s: MemorySettings) -> Self {
        Self {
            enabled: s.enabled,
            auto_inject: s.auto_inject,
            max_injected: s.max_injected,
            max_entry_chars: s.max_entry_chars,
        }
    }
}

/// The changes to a user's memory settings: any of the fields.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // the schema of the body; the body is checked as a whole by the domain
struct SettingsBody {
    enabled: Option<bool>,
    auto_inject: Option<bool>,
    #[schema(minimum = 0, maximum = 50)]
    max_injected: Option<u32>,
    #[schema(minimum = 50, maximum = 4000)]
    max_entry_chars: Option<u32>,
}

/// The caller's memory settings (the defaults until they change them).
#[utoipa::path(
    get,
    path = "/api/memory/settings",
    tag = "memory",
    responses((status = 200, description = "The settings.", body = SettingsDto)),
)]
async fn settings(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(SettingsDto::from(state.memory.settings(&authed.principal).await?)))
}

/// Changes the caller's memory settings as a whole: a wrong type, a value out of range or an
/// unknown key is 400 naming the field and nothing changes; audited as `memory.settings_changed`.
#[utoipa::path(
    post,
    path = "/api/memory/settings",
    tag = "memory",
    request_body = SettingsBody,
    responses(
        (status = 200, description = "The settings now.", body = SettingsDto),
        (status = 400, description = "Codes: `invalid_input`.", body = ErrorBody),
    ),
)]
async fn set_settings(state: web::Data<AppState>, authed: Authed, body: Json<Value>) -> Result<HttpResponse, ApiError> {
    let Some(fields) = body.as_object() else {
        return Err(ApiError::bad_request("invalid_input", "the body must be an object of settings"));
    };
    let next = state.memory.set_settings(&authed.principal, fields).await?;
    Ok(HttpResponse::Ok().json(SettingsDto::from(next)))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AgentCount {
    #[schema(format = Uuid)]
    agent_id: Option<String>,
    count: u64,
}

#[derive(Serialize, ToSchema)]
struct SourceCounts {
    user: u64,
    agent: u64,
}

/// What the caller's memory holds.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct StatsDto {
    total_memories: u64,
    per_agent: Vec<AgentCount>,
    per_source: SourceCounts,
    #[schema(format = DateTime)]
    oldest: Option<String>,
    #[schema(format = DateTime)]
    newest: Option<String>,
    total_chars: u64,
}

/// The caller's memory, summed.
#[utoipa::path(
    get,
    path = "/api/memory/stats",
    tag = "memory",
    responses((status = 200, description = "The stats.", body = StatsDto)),
)]
async fn stats(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let s = state.memory.stats(&authed.principal).await?;
    let count = |source: MemorySource| s.per_source.iter().find(|(x, _)| *x == source).map_or(0, |(_, n)| *n);
    Ok(HttpResponse::Ok().json(StatsDto {
        total_memories: s.total,
        per_agent: s
            .per_agent
            .iter()
            .map(|(agent, count)| AgentCount { agent_id: agent.map(|a| a.to_string()), count: *count })
            .collect(),
        per_source: SourceCounts { user: count(MemorySource::User), agent: count(MemorySource::Agent) },
        oldest: s.oldest.map(|t| t.to_rfc3339()),
        newest: s.newest.map(|t| t.to_rfc3339()),
        total_chars: s.total_chars,
    }))
}
