//! LLM providers (admin): the setup wizard's provider step, the provider settings, and the model
//! list every signed-in user picks from.

use actix_web::{HttpResponse, web};
use pincer_agents::ModelInfo;
use pincer_agents::service::{ProviderInput, ProviderView};
use pincer_core::Secret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authed;
use crate::dto::{SUCCESS, Success};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

super::area!(setup_provider, list, configure, remove, models);

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProviderBody {
    /// `anthropic`, `openai`, `google`, `ollama-local`, `ollama-cloud`, or a name of your own
    /// for an OpenAI-compatible endpoint (then `baseUrl` is required).
    provider: String,
    /// Checked live against the provider's model list before it is stored (sealed).
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

/// A connected provider; the key itself is never returned.
#[derive(Serialize, ToSchema)]
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
    #[schema(format = DateTime)]
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

/// The setup wizard's provider step: connects a provider (admin only).
#[utoipa::path(
    post,
    path = "/api/setup/provider",
    tag = "providers",
    request_body = ProviderBody,
    responses(
        (status = 200, description = "Connected.", body = Success),
        (status = 400, description = "Codes: `invalid_input`, `provider_rejected_key`, `invalid_url`, `private_url`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
        (status = 502, description = "The provider could not be asked. Codes: `provider_unreachable`, `provider_timeout`, `provider_error`, `provider_bad_response`.", body = ErrorBody),
    ),
)]
async fn setup_provider(
    state: web::Data<AppState>,
    authed: Authed,
    body: Json<ProviderBody>,
) -> Result<HttpResponse, ApiError> {
    state.providers.configure(&authed.principal, body.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// The connected providers (admin only).
#[utoipa::path(
    get,
    path = "/api/settings/providers",
    tag = "providers",
    responses(
        (status = 200, description = "The providers.", body = Vec<ProviderDto>),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
    ),
)]
async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let providers = state.providers.list(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(providers.iter().map(ProviderDto::from).collect::<Vec<_>>()))
}

#[derive(Serialize, ToSchema)]
struct ConfiguredDto {
    success: bool,
    provider: ProviderDto,
}

/// Connects a provider or changes one (admin only).
#[utoipa::path(
    post,
    path = "/api/settings/providers",
    tag = "providers",
    request_body = ProviderBody,
    responses(
        (status = 200, description = "Connected or changed.", body = ConfiguredDto),
        (status = 400, description = "Codes: `invalid_input`, `provider_rejected_key`, `invalid_url`, `private_url`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
        (status = 502, description = "The provider could not be asked. Codes: `provider_unreachable`, `provider_timeout`, `provider_error`, `provider_bad_response`.", body = ErrorBody),
    ),
)]
async fn configure(
    state: web::Data<AppState>,
    authed: Authed,
    body: Json<ProviderBody>,
) -> Result<HttpResponse, ApiError> {
    let view = state.providers.configure(&authed.principal, body.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(ConfiguredDto { success: true, provider: ProviderDto::from(&view) }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RemoveQuery {
    /// The provider's name.
    provider: String,
}

/// Disconnects a provider; its agents move to the default provider (admin only).
#[utoipa::path(
    delete,
    path = "/api/settings/providers",
    tag = "providers",
    params(RemoveQuery),
    responses(
        (status = 200, description = "Removed.", body = Success),
        (status = 400, description = "Codes: `last_provider`.", body = ErrorBody),
        (status = 403, description = "Codes: `admin_required`.", body = ErrorBody),
        (status = 404, description = "Codes: `provider_not_found`.", body = ErrorBody),
    ),
)]
async fn remove(
    state: web::Data<AppState>,
    authed: Authed,
    query: Query<RemoveQuery>,
) -> Result<HttpResponse, ApiError> {
    state.providers.remove(&authed.principal, &query.provider).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// List prices in USD per million tokens.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct PricingDto {
    input: f64,
    output: f64,
    cache_read: f64,
    cache_write: f64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ModelDto<'a> {
    /// The provider's own model id; an agent's model is `provider/id`.
    id: &'a str,
    provider: &'a str,
    display_name: &'a str,
    /// Whether the model can call tools.
    tool_use: bool,
    /// `null` when Pincer has no price for the model.
    pricing: Option<PricingDto>,
}

impl<'a> From<&'a ModelInfo> for ModelDto<'a> {
    fn from(m: &'a ModelInfo) -> Self {
        Self {
            id: &m.id,
            provider: &m.provider,
            display_name: &m.display_name,
            tool_use: m.tool_use,
            pricing: pricing(&m.provider, &m.id),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct ModelsDto<'a> {
    models: Vec<ModelDto<'a>>,
    /// Providers whose model list could not be fetched just now.
    unavailable: &'a [String],
}

/// The chat models of every connected provider (any signed-in user).
#[utoipa::path(
    get,
    path = "/api/providers/models",
    tag = "providers",
    responses((status = 200, description = "The models.", body = ModelsDto)),
)]
async fn models(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let catalogue = state.providers.models(&authed.principal).await?;
    let models = catalogue.models.iter().map(ModelDto::from).collect();
    Ok(HttpResponse::Ok().json(ModelsDto { models, unavailable: &catalogue.unavailable }))
}

/// List prices from the catalogue; `None` when Pincer has none. (A provider's name is its kind
/// for the built-in kinds, the only ones with prices.)
fn pricing(provider: &str, model: &str) -> Option<PricingDto> {
    let per_million = |micros: u64| micros as f64 / 1_000_000.0;
    pincer_usage::price_for(provider, model).map(|p| PricingDto {
        input: per_million(p.input),
        output: per_million(p.output),
        cache_read: per_million(p.cache_read),
        cache_write: per_million(p.cache_write),
    })
}
