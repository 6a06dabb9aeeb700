//! The records of the agents domain, as stored and as services hand them out.

use pincer_core::{AgentId, GroupId, Timestamp, UserId};

use crate::provider::ProviderKind;
use crate::visibility::Visibility;

/// An agent: a model, instructions and exactly the tools and folders it was granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agent {
    /// The agent's id.
    pub id: AgentId,
    /// At most [`crate::rules::MAX_NAME_CHARS`] characters.
    pub name: String,
    /// `provider/model`; `None` until a provider is configured.
    pub model: Option<String>,
    /// The template it was made from.
    pub template_id: String,
    /// Tool ids the agent may call; deny by default.
    pub allowed_tools: Vec<String>,
    /// `pluginConfig.allowed_paths`: normalised folders under the documents root.
    pub allowed_paths: Vec<String>,
    /// Set for a personal assistant: the one user who may see and use it.
    pub personal_owner: Option<UserId>,
    /// Who created the agent (the owner, for personal agents).
    pub created_by: Option<UserId>,
    /// What it says first (Markdown).
    pub greeting: String,
    /// Markdown.
    pub instructions: String,
    /// One line under its name.
    pub tagline: String,
    /// Suggested first messages.
    pub starter_prompts: Vec<String>,
    /// Who among the members sees it (shared agents; personal ones are always their owner's).
    pub visibility: Visibility,
    /// The groups whose members see it when it is restricted.
    pub group_ids: Vec<GroupId>,
    /// Soft deletion: a deleted agent is invisible to everyone but stays for the audit trail.
    pub deleted_at: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Agent {
    /// Whether it is someone's personal assistant.
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
    /// The provider's name (`anthropic`, or a slug for a compatible endpoint).
    pub name: String,
    /// Which API it speaks.
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
    /// Whether new agents get its default model.
    pub is_default: bool,
    /// When it was added.
    pub created_at: Timestamp,
    /// When it last changed.
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
    /// Its display name, if the provider gives one.
    pub display_name: Option<String>,
}

/// A model as `GET /api/providers/models` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    /// The provider's own model id; the agent's model is `provider/id`.
    pub id: String,
    /// The provider offering it.
    pub provider: String,
    /// The name shown.
    pub display_name: String,
    /// Whether it can call tools.
    pub tool_use: bool,
}

/// A sub-folder of the documents root, as `GET /api/data-directories` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDirectory {
    /// The absolute path.
    pub path: String,
    /// The folder's name.
    pub name: String,
}
