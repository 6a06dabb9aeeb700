//! LLM providers: credentials checked live before they are stored, sealed at rest, one default,
//! and the models they offer (cloud lists cached for an hour, local Ollama asked live).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pincer_audit::{AuditEvent, AuditSink};
use pincer_core::crypto::Cipher;
use pincer_core::secret::hint;
use pincer_core::{Capability, Clock, Principal, Secret, StoreError, Timestamp};
use serde_json::json;

use crate::AgentError;
use crate::catalogue::{self, BaseUrls, MODEL_CACHE_TTL_MS};
use crate::model::{ModelInfo, Provider, RemoteModel};
use crate::ports::{AgentStore, Endpoint, ModelLister, ProbeError, ProviderStore};
use crate::provider::ProviderKind;
use crate::rules::{self, plan_provider_removal};
use pincer_audit::Actor;

/// What the provider service is built from.
pub struct ProviderServiceDeps {
    /// The providers.
    pub providers: Arc<dyn ProviderStore>,
    /// The agents (moved when their provider goes).
    pub agents: Arc<dyn AgentStore>,
    /// The live credential check.
    pub lister: Arc<dyn ModelLister>,
    /// Seals keys at rest.
    pub cipher: Arc<Cipher>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Where every change is recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Where each kind's API is.
    pub base_urls: BaseUrls,
    /// `PINCER_ALLOW_PRIVATE_URLS`: lets every provider URL reach private addresses.
    pub allow_private_urls: bool,
}

/// What an admin sends to add or update a provider.
#[derive(Debug, Default)]
pub struct ProviderInput {
    /// The provider's name (a kind, or a slug for a compatible endpoint).
    pub provider: String,
    /// Its key; kept as it is when absent on an update.
    pub api_key: Option<Secret<String>>,
    /// Its URL (local Ollama and compatible endpoints).
    pub base_url: Option<String>,
    /// Whether it becomes the default.
    pub is_default: Option<bool>,
}

/// A provider as admins see it: never the key, at most its last four characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderView {
    /// Its name.
    pub name: String,
    /// Which API it speaks.
    pub kind: ProviderKind,
    /// Whether it is the default.
    pub is_default: bool,
    /// Its URL, if it has its own.
    pub base_url: Option<String>,
    /// The key's last four characters.
    pub key_hint: String,
    /// The model new agents get from it.
    pub default_model: Option<String>,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl From<&Provider> for ProviderView {
    fn from(p: &Provider) -> Self {
        Self {
            name: p.name.clone(),
            kind: p.kind,
            is_default: p.is_default,
            base_url: p.base_url.clone(),
            key_hint: p.key_hint.clone(),
            default_model: p.default_model_id(),
            updated_at: p.updated_at,
        }
    }
}

/// The models of every configured provider, and the providers that could not be asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelCatalogue {
    /// The models of every provider that answered.
    pub models: Vec<ModelInfo>,
    /// The providers that did not answer.
    pub unavailable: Vec<String>,
}

/// Model lists by provider name, with when they were fetched.
type ModelCache = HashMap<String, (Timestamp, Arc<Vec<RemoteModel>>)>;

/// LLM providers: added with a live check, keys sealed, one default.
pub struct ProviderService {
    deps: ProviderServiceDeps,
    cache: Mutex<ModelCache>,
}

fn invalid(message: impl Into<String>) -> AgentError {
    AgentError::InvalidInput(message.into())
}

impl ProviderService {
    /// The service over its dependencies.
    pub fn new(deps: ProviderServiceDeps) -> Self {
        Self { deps, cache: Mutex::default() }
    }

    /// Whether any provider is configured (for the setup wizard; public).
    pub async fn any_configured(&self) -> Result<bool, AgentError> {
        Ok(!self.deps.providers.list().await?.is_empty())
    }

    /// The providers (admins).
    pub async fn list(&self, principal: &Principal) -> Result<Vec<ProviderView>, AgentError> {
        principal.require(Capability::ManageSettings)?;
        Ok(self.deps.providers.list().await?.iter().map(ProviderView::from).collect())
    }

    /// Adds or updates a provider after checking its credentials against its live model list.
    /// Nothing is stored when the check fails.
    pub async fn configure(&self, principal: &Principal, input: ProviderInput) -> Result<ProviderView, AgentError> {
        principal.require(Capability::ManageSettings)?;
        let (name, kind) = rules::provider_name(&input.provider).map_err(invalid)?;
        let existing = self.deps.providers.get(&name).await?;
        let key_given = input.api_key.as_ref().is_some_and(|k| !k.expose().trim().is_empty());
        let (api_key, key_changed) = self.api_key_for(kind, &name, input.api_key, existing.as_ref())?;
        let base_url = self.base_url_for(kind, input.base_url.as_deref(), existing.as_ref())?;
        let base_url_changed = existing.as_ref().is_some_and(|p| {
            kind.needs_base_url() && p.base_url.as_deref().map(|u| u.trim_end_matches('/')) != Some(base_url.as_str())
        });
        // The stored key is never sent to a new address on the strength of a session alone (a
        // stolen one could point the provider at its own host): whoever moves it types the key.
        if base_url_changed && !key_given && existing.as_ref().is_some_and(|p| p.sealed_api_key.is_some()) {
            return Err(invalid("apiKey is required again when baseUrl changes"));
        }
        let endpoint = Endpoint {
            kind,
            base_url: base_url.clone(),
            api_key: api_key.clone(),
            allow_private: self.deps.allow_private_urls || kind.may_use_private_address(),
        };
        let models = self.deps.lister.list_models(&endpoint).await.map_err(AgentError::Provider)?;

        let others = self.deps.providers.list().await?;
        let other_default = others.iter().any(|p| p.is_default && p.name != name);
        // There is always exactly one default: the first provider, or whichever an admin marks.
        let is_default = input.is_default == Some(true) || !other_default;
        let now = self.deps.clock.now();
        let provider = Provider {
            name: name.clone(),
            kind,
            sealed_api_key: match (&existing, key_changed) {
                (Some(existing), false) => existing.sealed_api_key.clone(),
                _ => api_key
                    .as_ref()
                    .map(|k| self.deps.cipher.seal(k.expose().as_bytes(), &Provider::seal_context(&name))),
            },
            key_hint: api_key.as_ref().map(|k| hint(k.expose())).unwrap_or_default(),
            // Cloud kinds follow the operator's base URL, so only the others store theirs.
            base_url: kind.needs_base_url().then_some(base_url),
            default_model: catalogue::choose_default_model(kind, &models),
            is_default,
            created_at: existing.as_ref().map_or(now, |p| p.created_at),
            updated_at: now,
        };
        self.deps.providers.upsert(&provider).await?;
        self.remember(&name, now, models);
        let mut assigned = 0;
        if let (true, Some(model)) = (is_default, provider.default_model_id()) {
            assigned = self.deps.agents.assign_model_where_missing(&model, now).await?;
        }
        let event = if existing.is_some() { "provider.updated" } else { "provider.added" };
        self.deps
            .audit
            .record(AuditEvent::new(Actor::of(principal), event).resource(format!("provider:{name}")).detail(json!({
                "provider": name,
                "kind": kind.as_str(),
                "isDefault": is_default,
                "baseUrl": provider.base_url,
                "baseUrlChanged": base_url_changed,
                "keyChanged": key_changed,
                "agentsAssigned": assigned,
            })))
            .await;
        Ok(ProviderView::from(&provider))
    }

    /// Removes a provider; its agents move to the default provider's model. The last provider
    /// stays.
    pub async fn remove(&self, principal: &Principal, name: &str) -> Result<(), AgentError> {
        principal.require(Capability::ManageSettings)?;
        let now = self.deps.clock.now();
        let (plan, moved) =
            self.deps.providers.remove(name.trim(), now, plan_provider_removal).await.map_err(|e| match e {
                StoreError::NotFound => AgentError::ProviderNotFound,
                other => other.into(),
            })?;
        self.forget(name.trim());
        self.deps
            .audit
            .record(
                AuditEvent::new(Actor::of(principal), "provider.deleted")
                    .resource(format!("provider:{}", name.trim()))
                    .detail(json!({
                        "provider": name.trim(),
                        "agentsMoved": moved,
                        "newDefault": plan.new_default,
                        "replacementModel": plan.replacement_model,
                    })),
            )
            .await;
        Ok(())
    }

    /// The models of every configured provider. A provider that cannot be asked right now is
    /// listed in `unavailable` (its last known list is used when there is one).
    pub async fn models(&self, _principal: &Principal) -> Result<ModelCatalogue, AgentError> {
        let providers = self.deps.providers.list().await?;
        let now = self.deps.clock.now();
        let lists = futures::future::join_all(providers.iter().map(|p| self.models_of(p, now))).await;
        let mut catalogue = ModelCatalogue::default();
        for (provider, list) in providers.iter().zip(lists) {
            match list {
                Some(models) => catalogue
                    .models
                    .extend(models.iter().filter_map(|m| catalogue::describe(provider.kind, &provider.name, m))),
                None => catalogue.unavailable.push(provider.name.clone()),
            }
        }
        Ok(catalogue)
    }

    async fn models_of(&self, provider: &Provider, now: Timestamp) -> Option<Arc<Vec<RemoteModel>>> {
        let cached = self.cached(&provider.name);
        let live = provider.kind == ProviderKind::OllamaLocal;
        if let Some((fetched, models)) = &cached
            && !live
            && now.millis() - fetched.millis() < MODEL_CACHE_TTL_MS
        {
            return Some(models.clone());
        }
        let endpoint = self.endpoint(provider).ok()?;
        match self.deps.lister.list_models(&endpoint).await {
            Ok(models) => Some(self.remember(&provider.name, now, models)),
            Err(_) => cached.map(|(_, models)| models),
        }
    }

    /// How to reach the configured provider with this name, with its key opened.
    pub async fn endpoint_for(&self, name: &str) -> Result<Endpoint, AgentError> {
        let provider = self.deps.providers.get(name).await?.ok_or(AgentError::ProviderNotFound)?;
        self.endpoint(&provider)
    }

    /// How to reach a configured provider, with its key opened.
    pub fn endpoint(&self, provider: &Provider) -> Result<Endpoint, AgentError> {
        let api_key = match &provider.sealed_api_key {
            Some(sealed) => {
                let plain = self
                    .deps
                    .cipher
                    .open(sealed, &Provider::seal_context(&provider.name))
                    .map_err(|_| AgentError::SecretUnreadable)?;
                Some(Secret::new(String::from_utf8(plain).map_err(|_| AgentError::SecretUnreadable)?))
            }
            None => None,
        };
        let base_url = match &provider.base_url {
            Some(url) => url.clone(),
            None => self.deps.base_urls.get(provider.kind).ok_or(AgentError::Provider(ProbeError::BadUrl(
                "no base URL is configured for this provider".into(),
            )))?,
        };
        Ok(Endpoint {
            kind: provider.kind,
            base_url,
            api_key,
            allow_private: self.deps.allow_private_urls || provider.kind.may_use_private_address(),
        })
    }

    /// The key to check and store — the one given, else the stored one (an update that only
    /// changes the default flag or the URL keeps the key) — and whether it differs from the
    /// stored one.
    fn api_key_for(
        &self,
        kind: ProviderKind,
        name: &str,
        given: Option<Secret<String>>,
        existing: Option<&Provider>,
    ) -> Result<(Option<Secret<String>>, bool), AgentError> {
        let given = given.map(|k| Secret::new(k.expose().trim().to_string())).filter(|k| !k.expose().is_empty());
        if let Some(key) = &given
            && (key.expose().chars().count() > rules::MAX_API_KEY_CHARS || key.expose().chars().any(char::is_control))
        {
            return Err(invalid("apiKey is not a valid key"));
        }
        let stored = match existing {
            Some(existing) => self.endpoint(existing)?.api_key,
            None => None,
        };
        let changed = existing.is_none() || given.as_ref().is_some_and(|k| Some(k) != stored.as_ref());
        let key = given.or(stored);
        if key.is_none() && kind.needs_api_key() {
            return Err(invalid(format!("apiKey is required for {name}")));
        }
        Ok((key, changed))
    }

    fn base_url_for(
        &self,
        kind: ProviderKind,
        given: Option<&str>,
        existing: Option<&Provider>,
    ) -> Result<String, AgentError> {
        let given = given.map(str::trim).filter(|u| !u.is_empty());
        let url = if kind.needs_base_url() {
            given
                .map(str::to_string)
                .or_else(|| existing.and_then(|p| p.base_url.clone()))
                .or_else(|| (kind == ProviderKind::OllamaLocal).then(|| self.deps.base_urls.get(kind)).flatten())
                .ok_or_else(|| invalid("baseUrl is required for an OpenAI-compatible endpoint"))?
        } else {
            if given.is_some() {
                return Err(invalid(format!(
                    "baseUrl is not accepted for {}; the operator sets it with {}",
                    kind.as_str(),
                    catalogue::base_url_variable(kind)
                )));
            }
            self.deps.base_urls.get(kind).ok_or_else(|| invalid("no base URL is configured for this provider"))?
        };
        if url.chars().count() > rules::MAX_URL_CHARS {
            return Err(invalid("baseUrl is too long"));
        }
        pincer_integrations::ssrf::parse_target(&url)
            .map_err(|e| AgentError::Provider(ProbeError::BadUrl(e.to_string())))?;
        Ok(url.trim_end_matches('/').to_string())
    }

    fn cached(&self, name: &str) -> Option<(Timestamp, Arc<Vec<RemoteModel>>)> {
        self.cache.lock().ok().and_then(|c| c.get(name).cloned())
    }

    fn remember(&self, name: &str, now: Timestamp, models: Vec<RemoteModel>) -> Arc<Vec<RemoteModel>> {
        let models = Arc::new(models);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(name.to_string(), (now, models.clone()));
        }
        models
    }

    fn forget(&self, name: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(name);
        }
    }
}
