//! The agent catalogue: list, create, read, update, delete; templates and grantable folders.

use actix_web::{HttpResponse, web};
use pincer_agents::service::{AgentChanges, NewAgent};
use pincer_agents::template::{TEMPLATES, Template};
use pincer_core::AgentId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Authed;
use crate::dto::{AgentDto, SUCCESS, Success};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

super::area!(list, create, get, update, delete, templates, data_directories);

fn parse_agent_id(raw: &str) -> Result<AgentId, ApiError> {
    raw.parse().map_err(|_| ApiError::invalid_id())
}

/// The agents the caller may see: shared agents and their own personal agent.
#[utoipa::path(
    get,
    path = "/api/agents",
    tag = "agents",
    responses((status = 200, description = "The visible agents.", body = Vec<AgentDto>)),
)]
async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let agents = state.agents.list(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(agents.iter().map(AgentDto::from).collect::<Vec<_>>()))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewAgentBody {
    #[schema(min_length = 1, max_length = 30)]
    name: String,
    /// A template id from `GET /api/templates`.
    #[schema(example = "knowledge-base")]
    template_id: String,
    /// `provider/model`; the default provider's default model when absent.
    model: Option<String>,
    greeting: Option<String>,
    instructions: Option<String>,
    tagline: Option<String>,
    starter_prompts: Option<Vec<String>>,
}

/// Creates a shared agent from a template (admin only).
#[utoipa::path(
    post,
    path = "/api/agents",
    tag = "agents",
    request_body = NewAgentBody,
    responses(
        (status = 201, description = "The new agent.", body = AgentDto),
        (status = 400, description = "Codes: `invalid_input`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn create(
    state: web::Data<AppState>,
    authed: Authed,
    body: Json<NewAgentBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let req = NewAgent {
        name: body.name,
        template_id: body.template_id,
        model: body.model,
        greeting: body.greeting,
        instructions: body.instructions,
        tagline: body.tagline,
        starter_prompts: body.starter_prompts,
    };
    let agent = state.agents.create(&authed.principal, req).await?;
    Ok(HttpResponse::Created().json(AgentDto::from(&agent)))
}

/// One agent, if the caller may see it (one they may not see is a 404, as an unknown one).
#[utoipa::path(
    get,
    path = "/api/agents/{id}",
    tag = "agents",
    params(("id" = String, Path, format = Uuid, description = "The agent's id.")),
    responses(
        (status = 200, description = "The agent.", body = AgentDto),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 404, description = "Codes: `agent_not_found`.", body = ErrorBody),
    ),
)]
async fn get(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let agent = state.agents.get(&authed.principal, parse_agent_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(AgentDto::from(&agent)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PluginConfigBody {
    /// Folders under the documents root the agent's file tools may read.
    allowed_paths: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AgentChangesBody {
    #[schema(min_length = 1, max_length = 30)]
    name: Option<String>,
    model: Option<String>,
    /// Tools the agent may call: `pinchy_ls`, `pinchy_read`.
    allowed_tools: Option<Vec<String>>,
    plugin_config: Option<PluginConfigBody>,
    greeting: Option<String>,
    instructions: Option<String>,
    tagline: Option<String>,
    starter_prompts: Option<Vec<String>>,
    /// `all` or `restricted` (shared agents, admins, enterprise licence to restrict).
    #[schema(pattern = "^(all|restricted)$")]
    visibility: Option<String>,
    /// The groups whose members see the agent when it is restricted.
    group_ids: Option<Vec<String>>,
}

/// Changes an agent. Shared agents: admins only; a personal agent: its owner, but not its
/// tools, folders or visibility. Restricting an agent to groups needs the enterprise licence.
#[utoipa::path(
    patch,
    path = "/api/agents/{id}",
    tag = "agents",
    params(("id" = String, Path, format = Uuid, description = "The agent's id.")),
    request_body = AgentChangesBody,
    responses(
        (status = 200, description = "The changed agent.", body = AgentDto),
        (status = 400, description = "Codes: `invalid_id`, `invalid_input`, `personal_agent`, `unknown_group`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`, `enterprise_required`.", body = ErrorBody),
        (status = 404, description = "Codes: `agent_not_found`.", body = ErrorBody),
    ),
)]
async fn update(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
    body: Json<AgentChangesBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let changes = AgentChanges {
        name: body.name,
        model: body.model,
        allowed_tools: body.allowed_tools,
        allowed_paths: body.plugin_config.map(|c| c.allowed_paths),
        greeting: body.greeting,
        instructions: body.instructions,
        tagline: body.tagline,
        starter_prompts: body.starter_prompts,
        visibility: body.visibility,
        group_ids: body.group_ids,
    };
    let agent = state.agents.update(&authed.principal, parse_agent_id(&id)?, changes).await?;
    Ok(HttpResponse::Ok().json(AgentDto::from(&agent)))
}

/// Deletes a shared agent; its conversations stay in the audit and usage records (admin only).
#[utoipa::path(
    delete,
    path = "/api/agents/{id}",
    tag = "agents",
    params(("id" = String, Path, format = Uuid, description = "The agent's id.")),
    responses(
        (status = 200, description = "Deleted.", body = Success),
        (status = 400, description = "Codes: `invalid_id`, `personal_agent`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
        (status = 404, description = "Codes: `agent_not_found`.", body = ErrorBody),
    ),
)]
async fn delete(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.agents.delete(&authed.principal, parse_agent_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct TemplateDto {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    /// Tools granted at creation.
    default_tools: &'static [&'static str],
    greeting: &'static str,
    instructions: &'static str,
}

impl From<&Template> for TemplateDto {
    fn from(t: &Template) -> Self {
        Self {
            id: t.id,
            name: t.name,
            description: t.description,
            default_tools: t.default_tools,
            greeting: t.greeting,
            instructions: t.instructions,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct TemplatesDto {
    templates: Vec<TemplateDto>,
}

/// The agent templates (the same for everyone signed in).
#[utoipa::path(
    get,
    path = "/api/templates",
    tag = "agents",
    responses((status = 200, description = "The templates.", body = TemplatesDto)),
)]
async fn templates(_authed: Authed) -> HttpResponse {
    HttpResponse::Ok().json(TemplatesDto { templates: TEMPLATES.iter().map(TemplateDto::from).collect() })
}

#[derive(Serialize, ToSchema)]
struct DirectoryDto {
    /// The path to grant in `pluginConfig.allowed_paths`.
    path: String,
    name: String,
}

#[derive(Serialize, ToSchema)]
struct DirectoriesDto {
    directories: Vec<DirectoryDto>,
}

/// The folders under the documents root an agent can be granted (admin only).
#[utoipa::path(
    get,
    path = "/api/data-directories",
    tag = "agents",
    responses(
        (status = 200, description = "The folders.", body = DirectoriesDto),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn data_directories(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let dirs = state.agents.data_directories(&authed.principal).await?;
    let directories = dirs.into_iter().map(|d| DirectoryDto { path: d.path, name: d.name }).collect();
    Ok(HttpResponse::Ok().json(DirectoriesDto { directories }))
}
