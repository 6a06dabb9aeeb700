//! Usage records: one per model call, with its tokens and estimated cost, and the port that keeps
//! them.

use async_trait::async_trait;
use pincer_core::{AgentId, RunId, StoreError, Timestamp, UsageId, UserId};

use crate::TokenCounts;

/// What caused a model call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageSource {
    /// A user chatting with an agent.
    Chat,
    /// Work the platform did on its own (titles, summaries, …).
    System,
    /// Work a plugin (a tool calling a model of its own) drove.
    Plugin,
}

impl UsageSource {
    /// Every source, in the order reports show them.
    pub const ALL: [UsageSource; 3] = [UsageSource::Chat, UsageSource::System, UsageSource::Plugin];

    /// The source as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::System => "system",
            Self::Plugin => "plugin",
        }
    }

    /// The source with this name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "chat" => Some(Self::Chat),
            "system" => Some(Self::System),
            "plugin" => Some(Self::Plugin),
            _ => None,
        }
    }
}

/// One model call. `(run_id, step)` is unique: a step is recorded once however often it is
/// reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRecord {
    /// The record's id.
    pub id: UsageId,
    /// Whose call it was (`None` once the user is erased or for system calls).
    pub user_id: Option<UserId>,
    /// Which agent made it, if one did.
    pub agent_id: Option<AgentId>,
    /// The provider's name (`anthropic`, or an OpenAI-compatible endpoint's slug).
    pub provider: String,
    /// The provider's own model id.
    pub model: String,
    /// What the call used.
    pub tokens: TokenCounts,
    /// Estimated cost in nano-dollars; `None` when the catalogue has no price for the model.
    pub cost_nanos: Option<u64>,
    /// Where the call came from.
    pub source: UsageSource,
    /// The run the call belongs to.
    pub run_id: RunId,
    /// The model call's number within the run, from 0.
    pub step: u32,
    /// When it was recorded.
    pub created_at: Timestamp,
}

/// The usage ledger.
#[async_trait]
pub trait UsageStore: Send + Sync + 'static {
    /// Records a model call; `Ok(false)` when its `(run_id, step)` was recorded already (the
    /// existing record is kept).
    async fn record(&self, record: &UsageRecord) -> Result<bool, StoreError>;
    /// The records of one run, by step.
    async fn for_run(&self, run: RunId) -> Result<Vec<UsageRecord>, StoreError>;
}
