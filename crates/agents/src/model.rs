//! The records of the agents domain, as stored and as services hand them out.

use pincer_core::{AgentId, Timestamp, UserId};

use crate::provider::ProviderKind;

/// An agent: a model, instructions and exactly the tools and folders it was granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agent {
    pub id: AgentId,
    /// At most [`crate::rules::MAX_NAME_CHARS`] characters.
    pub name: String,
    /// `provider/model`; `None` until a provider is configured.
    pub model: Option<String>,
    pub template_id: String,
    /// Tool ids the agent may call; deny by default.
    pub allowed_tools: Vec<String>,
    /// `pluginConfig.allowed_paths`: normalised folders under the documents root.
    pub allowed_paths: Vec<String>,
    /// Set for a personal assistant: the one user who may see and use it.
    pub personal_owner: Option<UserId>,
    /// Who created the agent (the owner, for personal agents).
    pub created_by: Option<UserId>,
    pub greeting: String,
    /// Markdown.
    pub instructions: String,
    pub tagline: String,
    pub starter_prompts: Vec<String>,
    /// Soft deletion: a deleted agent is invisible to everyone but stays for the audit trail.
    pub deleted_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Agent {
    pub fn is_personal(&self) -> bool {
        self.personal_owner.is_some()
    }

    /// The provider part of the model id, if a model is set.
    pub fn provider_name(&self) -> Option<&str> {
        self.model.as_deref().and_then(|m| m.split_once('/')).map(|(p, _)| p)
    }
}

/// A configured LLM provider. `name` is the built-in kind's name (`anthropic`) or, for an
/// OpenAI-compatible endpoint, the slug the admin gave it (`groq`). It is the provider part of
/// every model id that uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    pub kind: ProviderKind,
    /// The API key sealed with the platform cipher (context [`Provider::seal_context`]).
    pub sealed_api_key: Option<String>,
    /// The key's last four characters, for visual verification (may be empty).
    pub key_hint: String,
    /// Set for `ollama-local` and OpenAI-compatible endpoints; cloud providers use the configured
    /// base URL of their kind.
    pub base_url: Option<String>,
    /// The model new agents get when this is the default provider (bare id, without `name/`).
    pub default_model: Option<String>,
    pub is_default: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Provider {
    /// Associated data for sealing this provider's key, so a sealed key cannot be moved to another
    /// provider's row.
    pub fn seal_context(name: &str) -> String {
        format!("provider:{name}")
    }

    /// `name/default_model`, the model id agents get from this provider.
    pub fn default_model_id(&self) -> Option<String> {
        self.default_model.as_ref().map(|m| format!("{}/{m}", self.name))
    }
}

/// A model as a provider's model list reports it, before Pincer describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteModel {
    /// The provider's own id (`claude-sonnet-4-6`, `llama3.1:8b`).
    pub id: String,
    pub display_name: Option<String>,
}

/// A model as `GET /api/providers/models` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    /// The provider's own model id; the agent's model is `provider/id`.
    pub id: String,
    pub provider: String,
    pub display_name: String,
    pub tool_use: bool,
}

/// A sub-folder of the documents root, as `GET /api/data-directories` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDirectory {
    pub path: String,
    pub name: String,
}
