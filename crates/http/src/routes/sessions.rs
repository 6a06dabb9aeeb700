//! Chat sessions: the caller's own conversations — list, search, messages, rename, export,
//! delete. Another user's session is 404 `session_not_found` on every route, for admins too.

use actix_web::{HttpResponse, web};
use pincer_agents::chat::sessions::{Session, SessionHit, SessionSummary};
use pincer_agents::chat::{Message, MessageRole};
use pincer_core::{AgentId, ChatId, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authed;
use crate::dto::{SUCCESS, Success};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

super::area!(list, search, messages, rename, delete, export);

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;
/// Messages `GET /api/memory/session` returns by default, and at most.
const DEFAULT_MESSAGES: u32 = 50;
const MAX_MESSAGES: u32 = 500;

fn parse_session_id(raw: &str) -> Result<ChatId, ApiError> {
    raw.trim().parse().map_err(|_| ApiError::invalid_id())
}

fn limit(raw: Option<i64>, default: u32, max: u32) -> Result<u32, ApiError> {
    match raw {
        None => Ok(default),
        Some(n) if (1..=i64::from(max)).contains(&n) => Ok(n as u32),
        Some(_) => Err(ApiError::bad_request("invalid_query", format!("limit must be 1-{max}"))),
    }
}

/// A session in the list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SessionDto {
    #[schema(format = Uuid)]
    id: String,
    title: String,
    #[schema(format = Uuid)]
    agent_id: String,
    agent_name: String,
    /// `web`, or the messaging channel it came through.
    channel: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    last_activity_at: String,
    message_count: u64,
    /// The start of its newest message with text.
    preview: String,
}

impl From<SessionSummary> for SessionDto {
    fn from(s: SessionSummary) -> Self {
        Self {
            id: s.id.to_string(),
            title: s.title,
            agent_id: s.agent_id.to_string(),
            agent_name: s.agent_name,
            channel: s.channel,
            created_at: s.created_at.to_rfc3339(),
            last_activity_at: s.last_activity_at.to_rfc3339(),
            message_count: s.message_count,
            preview: s.preview,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct SessionsPage {
    sessions: Vec<SessionDto>,
    /// Sessions on all pages.
    total: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    /// 1-based page (default 1).
    #[param(minimum = 1, maximum = 4294967295_i64)]
    page: Option<i64>,
    /// Sessions per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// Only the sessions with this agent.
    #[param(format = Uuid)]
    agent_id: Option<String>,
}

/// The caller's sessions, most recent activity first.
#[utoipa::path(
    get,
    path = "/api/sessions",
    tag = "sessions",
    params(ListQuery),
    responses(
        (status = 200, description = "One page of sessions.", body = SessionsPage),
        (status = 400, description = "Codes: `invalid_query`.", body = ErrorBody),
    ),
)]
async fn list(state: web::Data<AppState>, authed: Authed, q: Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::new(q.page, q.limit, DEFAULT_LIMIT, MAX_LIMIT)
        .map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let agent = match q.agent_id.as_deref() {
        None => None,
        Some(raw) => Some(
            raw.trim()
                .parse::<AgentId>()
                .map_err(|_| ApiError::bad_request("invalid_query", "agentId must be an agent id"))?,
        ),
    };
    let found = state.sessions.list(&authed.principal, agent, page).await?;
    let sessions = found.items.into_iter().map(SessionDto::from).collect();
    Ok(HttpResponse::Ok().json(SessionsPage { sessions, total: found.total }))
}

/// A session a search found.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SessionHitDto {
    #[schema(format = Uuid)]
    id: String,
    title: String,
    #[schema(format = Uuid)]
    agent_id: String,
    /// At most 200 characters around the first hit, the hit between `«` and `»`.
    #[serde(rename = "match")]
    matched: String,
    /// `user`, `assistant` or `title`.
    match_role: String,
    #[schema(format = DateTime)]
    last_activity_at: String,
}

impl From<SessionHit> for SessionHitDto {
    fn from(h: SessionHit) -> Self {
        Self {
            id: h.id.to_string(),
            title: h.title,
            agent_id: h.agent_id.to_string(),
            matched: h.snippet,
            match_role: h.match_role,
            last_activity_at: h.last_activity_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct SearchResults {
    sessions: Vec<SessionHitDto>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// Words to find (in any form: "reports" finds "report"); every word must match.
    #[param(min_length = 1, max_length = 200)]
    q: Option<String>,
    /// At most this many sessions (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// The caller's sessions whose title or messages hold every word of `q`, best first.
#[utoipa::path(
    get,
    path = "/api/sessions/search",
    tag = "sessions",
    params(SearchQuery),
    responses(
        (status = 200, description = "The sessions found.", body = SearchResults),
        (status = 400, description = "Codes: `invalid_query` (an empty `q`, a bad limit), `invalid_input`.", body = ErrorBody),
    ),
)]
async fn search(state: web::Data<AppState>, authed: Authed, q: Query<SearchQuery>) -> Result<HttpResponse, ApiError> {
    let limit = limit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let text = q.q.as_deref().unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_query", "q must contain a word"));
    }
    let hits = state.sessions.search(&authed.principal, text, limit).await?;
    Ok(HttpResponse::Ok().json(SearchResults { sessions: hits.into_iter().map(SessionHitDto::from).collect() }))
}

/// A message of a session.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SessionMessageDto {
    #[schema(format = Uuid)]
    id: String,
    /// `user` or `assistant`.
    role: &'static str,
    content: String,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<&Message> for SessionMessageDto {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.to_string(),
            role: m.role.as_str(),
            content: m.content.clone(),
            created_at: m.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct SessionMessages {
    messages: Vec<SessionMessageDto>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct MessagesQuery {
    /// The session.
    #[param(format = Uuid)]
    id: Option<String>,
    /// The newest this many messages (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// The newest messages of one of the caller's sessions, oldest first.
#[utoipa::path(
    get,
    path = "/api/memory/session",
    tag = "sessions",
    params(MessagesQuery),
    responses(
        (status = 200, description = "The messages.", body = SessionMessages),
        (status = 400, description = "Codes: `invalid_id`, `invalid_query`.", body = ErrorBody),
        (status = 404, description = "Codes: `session_not_found`.", body = ErrorBody),
    ),
)]
async fn messages(
    state: web::Data<AppState>,
    authed: Authed,
    q: Query<MessagesQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_session_id(q.id.as_deref().unwrap_or_default())?;
    let limit = limit(q.limit, DEFAULT_MESSAGES, MAX_MESSAGES)?;
    let found = state.sessions.messages(&authed.principal, id, limit).await?;
    Ok(HttpResponse::Ok().json(SessionMessages { messages: found.iter().map(SessionMessageDto::from).collect() }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TitleBody {
    /// 1-200 characters after trimming.
    #[schema(min_length = 1, max_length = 200)]
    title: String,
}

#[derive(Serialize, ToSchema)]
struct Renamed {
    success: bool,
    /// The title as stored (whitespace collapsed).
    title: String,
}

/// Renames one of the caller's sessions; a later message never replaces this title.
#[utoipa::path(
    post,
    path = "/api/sessions/{id}/title",
    tag = "sessions",
    params(("id" = String, Path, format = Uuid, description = "The session.")),
    request_body = TitleBody,
    responses(
        (status = 200, description = "Renamed.", body = Renamed),
        (status = 400, description = "Codes: `invalid_id`, `invalid_input`.", body = ErrorBody),
        (status = 404, description = "Codes: `session_not_found`.", body = ErrorBody),
    ),
)]
async fn rename(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
    body: Json<TitleBody>,
) -> Result<HttpResponse, ApiError> {
    let title = state.sessions.rename(&authed.principal, parse_session_id(&id)?, &body.title).await?;
    Ok(HttpResponse::Ok().json(Renamed { success: true, title }))
}

/// Deletes one of the caller's sessions with its messages (a run on it is stopped first).
#[utoipa::path(
    delete,
    path = "/api/sessions/{id}",
    tag = "sessions",
    params(("id" = String, Path, format = Uuid, description = "The session.")),
    responses(
        (status = 200, description = "Deleted.", body = Success),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 404, description = "Codes: `session_not_found`.", body = ErrorBody),
    ),
)]
async fn delete(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.sessions.delete(&authed.principal, parse_session_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `json` (default) or `md`.
    #[param(pattern = "^(json|md)$")]
    format: Option<String>,
}

/// A session as a file.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SessionExport {
    #[schema(format = Uuid)]
    id: String,
    title: String,
    #[schema(format = Uuid)]
    agent_id: String,
    agent_name: String,
    #[schema(format = DateTime)]
    created_at: String,
    messages: Vec<SessionMessageDto>,
}

/// The session as Markdown: a heading, then each message under who wrote it and when.
fn markdown(session: &Session, messages: &[Message]) -> String {
    let title = if session.title.is_empty() { "Conversation" } else { &session.title };
    let mut out = format!("# {title}\n\nWith {} · {}\n", session.agent_name, session.chat.created_at.to_rfc3339());
    for m in messages {
        let who = match m.role {
            MessageRole::User => "You",
            MessageRole::Assistant => &session.agent_name,
        };
        out.push_str(&format!("\n## {who} · {}\n\n{}\n", m.created_at.to_rfc3339(), m.content));
    }
    out
}

/// One of the caller's sessions as a download (`json` or `md`); audited as `session.exported`.
#[utoipa::path(
    get,
    path = "/api/sessions/{id}/export",
    tag = "sessions",
    params(("id" = String, Path, format = Uuid, description = "The session."), ExportQuery),
    responses(
        (status = 200, description = "The file (`application/json` or `text/markdown`), as an attachment.", body = SessionExport),
        (status = 400, description = "Codes: `invalid_id`, `invalid_query`.", body = ErrorBody),
        (status = 404, description = "Codes: `session_not_found`.", body = ErrorBody),
    ),
)]
async fn export(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
    q: Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "md") {
        return Err(ApiError::bad_request("invalid_query", "format must be json or md"));
    }
    let id = parse_session_id(&id)?;
    let (session, messages) = state.sessions.export(&authed.principal, id, format).await?;
    let disposition = format!("attachment; filename=\"session-{id}.{format}\"");
    let mut response = HttpResponse::Ok();
    response.insert_header(("Content-Disposition", disposition));
    if format == "md" {
        return Ok(response.content_type("text/markdown; charset=utf-8").body(markdown(&session, &messages)));
    }
    Ok(response.json(SessionExport {
        id: id.to_string(),
        title: session.title.clone(),
        agent_id: session.chat.agent_id.to_string(),
        agent_name: session.agent_name.clone(),
        created_at: session.chat.created_at.to_rfc3339(),
        messages: messages.iter().map(SessionMessageDto::from).collect(),
    }))
}
