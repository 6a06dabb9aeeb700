//! Ports the agents services need. `store` implements the stores for SQLite and PostgreSQL (one
//! contract suite checks both), `llm` the model lister, `connectors` the documents folders.

use async_trait::async_trait;

use pincer_core::{AgentId, Secret, StoreError, Timestamp, UserId};

use crate::model::{Agent, Provider, RemoteModel};
use crate::provider::ProviderKind;

/// The agents.
#[async_trait]
pub trait AgentStore: Send + Sync + 'static {
    /// Inserts an agent; `Conflict(pincer_core::Rule::PersonalAgent)` when it is personal and its owner already
    /// has a live personal agent.
    async fn insert(&self, agent: &Agent) -> Result<(), StoreError>;
    /// The agent with this id, deleted or not.
    async fn get(&self, id: AgentId) -> Result<Option<Agent>, StoreError>;
    /// The live agents that are shared or `viewer`'s personal one, each with its groups, oldest
    /// first: what [`crate::visibility::AgentScope::admits`] narrows (restricted agents) for a
    /// viewer.
    async fn list_live(&self, viewer: UserId) -> Result<Vec<Agent>, StoreError>;
    /// Replaces every mutable field of a live agent, its groups included; `NotFound` if there is
    /// none with this id, `Conflict(pincer_core::Rule::ForeignKey)` for a group that does not
    /// exist (then nothing changes).
    async fn update(&self, agent: &Agent) -> Result<(), StoreError>;
    /// Marks a live agent deleted; `NotFound` if there is none with this id.
    async fn soft_delete(&self, id: AgentId, now: Timestamp) -> Result<(), StoreError>;
    /// Gives every live agent without a model this one; returns how many changed.
    async fn assign_model_where_missing(&self, model: &str, now: Timestamp) -> Result<u64, StoreError>;
}

/// What happens to the rest when a provider is removed, decided by the domain from the providers
/// that remain (see [`crate::rules::plan_provider_removal`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemovalPlan {
    /// The provider that becomes the default, when the removed one was the default.
    pub new_default: Option<String>,
    /// The model agents of the removed provider move to (`None`: they are left without a model).
    pub replacement_model: Option<String>,
}

/// Why a provider could not be removed, decided by the domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemovalRefused {
    /// The last provider cannot go while agents need it.
    LastProvider,
}

/// The domain's rule for a removal: given the removed provider and the providers that remain,
/// the plan or the refusal. A plain function, so the store can apply it inside its transaction.
pub type RemovalRule = fn(&Provider, &[Provider]) -> Result<RemovalPlan, RemovalRefused>;

/// The LLM providers.
#[async_trait]
pub trait ProviderStore: Send + Sync + 'static {
    /// All providers, oldest first.
    async fn list(&self) -> Result<Vec<Provider>, StoreError>;
    /// The provider with this name.
    async fn get(&self, name: &str) -> Result<Option<Provider>, StoreError>;
    /// Inserts or replaces the provider with this name, in one transaction; when it is the
    /// default, every other provider stops being the default.
    async fn upsert(&self, provider: &Provider) -> Result<(), StoreError>;
    /// In one transaction: loads the provider (`NotFound`) and the others, applies `rule`
    /// (`Conflict(pincer_core::Rule::LastProvider)` on refusal), deletes the provider, sets the new default and
    /// moves every live agent whose model is `name/…` to the replacement model. Returns the plan
    /// applied and how many agents moved.
    async fn remove(&self, name: &str, now: Timestamp, rule: RemovalRule) -> Result<(RemovalPlan, u64), StoreError>;
}

/// Where and how to reach one provider's API.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Which API it speaks.
    pub kind: ProviderKind,
    /// Without a trailing slash; the adapter appends the kind's own paths.
    pub base_url: String,
    /// The key, if the kind needs one.
    pub api_key: Option<Secret<String>>,
    /// Whether the URL may resolve to private, loopback or link-local addresses.
    pub allow_private: bool,
}

/// Why a provider's model list could not be fetched. Messages are safe to show: they never
/// carry the key, the upstream body or a driver message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The provider rejected the key.
    #[error("the provider rejected the API key")]
    Rejected,
    /// The URL is not valid (the message says why).
    #[error("the provider URL is not valid: {0}")]
    BadUrl(String),
    /// The URL leads to a private address without the operator allowing it.
    #[error("the provider URL points to a private, loopback or link-local address")]
    PrivateAddress,
    /// The provider could not be reached.
    #[error("the provider could not be reached")]
    Unreachable,
    /// No answer in time.
    #[error("the provider did not answer in time")]
    Timeout,
    /// Another failure status of the provider.
    #[error("the provider answered with status {0}")]
    Upstream(u16),
    /// The answer was not understood.
    #[error("the provider's answer was not understood")]
    BadResponse,
}

/// Lists the models of a provider: the live credential check and the model catalogue.
#[async_trait]
pub trait ModelLister: Send + Sync + 'static {
    /// The models the provider lists (the live credential check).
    async fn list_models(&self, endpoint: &Endpoint) -> Result<Vec<RemoteModel>, ProbeError>;
}

/// The documents root on the filesystem.
#[async_trait]
pub trait DocumentFolders: Send + Sync + 'static {
    /// Names of the folders directly inside `root` (symlinks not followed); empty when `root` does
    /// not exist.
    async fn folder_names(&self, root: &std::path::Path) -> Result<Vec<String>, StoreError>;
    /// Whether `folder`, once every symlink is resolved, lies outside `root` (also resolved). A
    /// folder that does not exist yet leads nowhere: `false` (the file tools check again at use).
    async fn leads_outside(&self, root: &std::path::Path, folder: &std::path::Path) -> Result<bool, StoreError>;
}
