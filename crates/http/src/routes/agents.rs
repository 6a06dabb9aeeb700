//! The agent catalogue: list, create, read, update, delete; templates and grantable folders.

use actix_web::{HttpResponse, web};
use pincer_agents::service::{AgentChanges, NewAgent};
use pincer_agents::template::TEMPLATES;
use pincer_core::AgentId;
use serde::Deserialize;
use serde_json::json;

use super::resource;
use crate::auth::Authed;
use crate::dto::{AgentDto, SUCCESS};
use crate::error::ApiError;
use crate::state::AppState;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/agents").route(web::get().to(list)).route(web::post().to(create)))
        .service(
            resource("/api/agents/{id}")
                .route(web::get().to(get))
                .route(web::patch().to(update))
                .route(web::delete().to(delete)),
        )
        .service(resource("/api/templates").route(web::get().to(templates)))
        .service(resource("/api/data-directories").route(web::get().to(data_directories)));
}

fn parse_agent_id(raw: &str) -> Result<AgentId, ApiError> {
    raw.parse().map_err(|_| ApiError::invalid_id())
}

async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let agents = state.agents.list(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(agents.iter().map(AgentDto::from).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateBody {
    name: String,
    template_id: String,
    model: Option<String>,
    greeting: Option<String>,
    instructions: Option<String>,
    tagline: Option<String>,
    starter_prompts: Option<Vec<String>>,
}

async fn create(
    state: web::Data<AppState>,
    authed: Authed,
    body: web::Json<CreateBody>,
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

async fn get(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let agent = state.agents.get(&authed.principal, parse_agent_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(AgentDto::from(&agent)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginConfigBody {
    allowed_paths: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateBody {
    name: Option<String>,
    model: Option<String>,
    allowed_tools: Option<Vec<String>>,
    plugin_config: Option<PluginConfigBody>,
    greeting: Option<String>,
    instructions: Option<String>,
    tagline: Option<String>,
    starter_prompts: Option<Vec<String>>,
}

async fn update(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
    body: web::Json<UpdateBody>,
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
    };
    let agent = state.agents.update(&authed.principal, parse_agent_id(&id)?, changes).await?;
    Ok(HttpResponse::Ok().json(AgentDto::from(&agent)))
}

async fn delete(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.agents.delete(&authed.principal, parse_agent_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// Templates are the same for everyone; only signed-in users see them.
async fn templates(_authed: Authed) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "templates": TEMPLATES }))
}

async fn data_directories(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let dirs = state.agents.data_directories(&authed.principal).await?;
    let dirs: Vec<_> = dirs.iter().map(|d| json!({"path": d.path, "name": d.name})).collect();
    Ok(HttpResponse::Ok().json(json!({ "directories": dirs })))
}
