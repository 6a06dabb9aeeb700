//! LLM providers (admin): the setup wizard's provider step, the provider settings, and the model
//! list every signed-in user picks from.

use actix_web::{HttpResponse, web};
use pincer_agents::service::{ProviderInput, ProviderView};
use pincer_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::resource;
use crate::auth::Authed;
use crate::dto::SUCCESS;
use crate::error::ApiError;
use crate::state::AppState;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/setup/provider").route(web::post().to(setup_provider)))
        .service(
            resource("/api/settings/providers")
                .route(web::get().to(list))
                .route(web::post().to(configure))
                .route(web::delete().to(remove)),
        )
        .service(resource("/api/providers/models").route(web::get().to(models)));
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProviderBody {
    provider: String,
    api_key: Option<String>,
    base_url: Option<String>,
    is_default: Option<bool>,
}

impl From<ProviderBody> for ProviderInput {
    fn from(b: ProviderBody) -> Self {
        Self {
            provider: b.provider,
            api_key: b.api_key.map(Secret::new),
            base_url: b.base_url,
            is_default: b.is_default,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProviderDto {
    provider: String,
    kind: &'static str,
    configured: bool,
    is_default: bool,
    base_url: Option<String>,
    /// The key's last four characters (empty for short keys and keyless providers).
    hint: String,
    default_model: Option<String>,
    updated_at: String,
}

impl From<&ProviderView> for ProviderDto {
    fn from(p: &ProviderView) -> Self {
        Self {
            provider: p.name.clone(),
            kind: p.kind.as_str(),
            configured: true,
            is_default: p.is_default,
            base_url: p.base_url.clone(),
            hint: p.key_hint.clone(),
            default_model: p.default_model.clone(),
            updated_at: p.updated_at.to_rfc3339(),
        }
    }
}

async fn setup_provider(
    state: web::Data<AppState>,
    authed: Authed,
    body: web::Json<ProviderBody>,
) -> Result<HttpResponse, ApiError> {
    state.providers.configure(&authed.principal, body.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let providers = state.providers.list(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(providers.iter().map(ProviderDto::from).collect::<Vec<_>>()))
}

async fn configure(
    state: web::Data<AppState>,
    authed: Authed,
    body: web::Json<ProviderBody>,
) -> Result<HttpResponse, ApiError> {
    let view = state.providers.configure(&authed.principal, body.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(json!({"success": true, "provider": ProviderDto::from(&view)})))
}

#[derive(Deserialize)]
struct RemoveQuery {
    provider: String,
}

async fn remove(
    state: web::Data<AppState>,
    authed: Authed,
    query: web::Query<RemoveQuery>,
) -> Result<HttpResponse, ApiError> {
    state.providers.remove(&authed.principal, &query.provider).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

async fn models(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let catalogue = state.providers.models(&authed.principal).await?;
    let models: Vec<_> = catalogue
        .models
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "provider": m.provider,
                "displayName": m.display_name,
                "toolUse": m.tool_use,
                "pricing": pricing(&m.provider, &m.id),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"models": models, "unavailable": catalogue.unavailable})))
}

/// List prices in USD per million tokens, from the catalogue; `null` when Pincer has none. (A
/// provider's name is its kind for the built-in kinds, the only ones with prices.)
fn pricing(provider: &str, model: &str) -> Value {
    let per_million = |micros: u64| micros as f64 / 1_000_000.0;
    match pincer_usage::price_for(provider, model) {
        Some(p) => json!({
            "input": per_million(p.input),
            "output": per_million(p.output),
            "cacheRead": per_million(p.cache_read),
            "cacheWrite": per_million(p.cache_write),
        }),
        None => Value::Null,
    }
}
