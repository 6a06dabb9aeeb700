//! What a run is told besides the conversation, and what happens once it is over. Both are
//! seams for the capabilities that follow: long-term memory adds to the context it builds, and
//! memory, channels and notifications act on a finished run through a [`RunHook`].

use std::sync::Arc;

use async_trait::async_trait;
use pincer_core::{AgentId, ChatId, MessageId, Principal, RunId, UserId};
use pincer_identity::{SettingStore, UserStore};

use super::model::MessageStatus;
use super::prompt::{PromptContext, system_prompt};
use super::service::ChatError;
use crate::memory::MemoryService;
use crate::model::Agent;
use crate::service::ORG_CONTEXT_KEY;

/// Builds the system prompt of a run: the agent's instructions, the organisation's context for
/// a shared agent or the user's own for their personal agent, the user's name, the folders.
pub struct ContextBuilder {
    users: Arc<dyn UserStore>,
    settings: Arc<dyn SettingStore>,
    memory: Option<Arc<MemoryService>>,
}

impl ContextBuilder {
    /// A builder reading users and settings.
    pub fn new(users: Arc<dyn UserStore>, settings: Arc<dyn SettingStore>) -> Self {
        Self { users, settings, memory: None }
    }

    /// The builder that also gives each turn the user's memory entries relevant to its message.
    pub fn with_memory(mut self, memory: Arc<MemoryService>) -> Self {
        self.memory = Some(memory);
        self
    }

    /// The context text of a run of `agent` for `principal`: the user's own for their personal
    /// agent, the organisation's for a shared one.
    pub async fn context(&self, principal: &Principal, agent: &Agent) -> Result<String, ChatError> {
        Ok(if agent.is_personal() {
            self.users.get(principal.user_id).await?.map(|u| u.context).unwrap_or_default()
        } else {
            self.settings.get(ORG_CONTEXT_KEY).await?.map(|s| s.value).unwrap_or_default()
        })
    }

    /// The user's memory entries relevant to `message` (none without memory); never fails, so
    /// a turn may look them up while its messages are being stored.
    pub async fn memories(&self, principal: &Principal, message: &str) -> Vec<String> {
        match &self.memory {
            Some(memory) => {
                memory.context_for(principal.user_id, message).await.into_iter().map(|e| e.content).collect()
            }
            None => Vec::new(),
        }
    }
}

/// The system prompt of a run of `agent` for `principal`, from what [`ContextBuilder`] found.
pub fn run_prompt(principal: &Principal, agent: &Agent, context: &str, memories: &[String]) -> String {
    system_prompt(agent, PromptContext { user_name: &principal.name, context, memories })
}

/// A run that is over, its answer stored.
#[derive(Clone, Debug, PartialEq)]
pub struct FinishedRun {
    /// The run.
    pub run_id: RunId,
    /// Whose run it was.
    pub user: UserId,
    /// The agent that answered.
    pub agent: AgentId,
    /// The chat it was in.
    pub chat: ChatId,
    /// The assistant message it wrote.
    pub message_id: MessageId,
    /// How it ended.
    pub status: MessageStatus,
    /// The answer's text (what arrived before a failure or an abort, too).
    pub text: String,
}

/// Acts on a finished run (after its answer is stored and its followers were told). Hooks run
/// in the order given, on the run's task; a hook must not take long or fail the run.
#[async_trait]
pub trait RunHook: Send + Sync + 'static {
    /// Acts on a finished run (must not fail it: it is over).
    async fn run_finished(&self, run: &FinishedRun);
}
