//! Conversations as stored: chats (one user × one agent × a chat key) and their messages.

use pincer_core::{AgentId, ChatId, MessageId, RunId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The key of a user's default conversation with an agent (when the client names none).
pub const DEFAULT_CHAT_KEY: &str = "main";

/// One conversation of a user with an agent. `key` is the client's `chatId` (or
/// [`DEFAULT_CHAT_KEY`]); `(user_id, agent_id, key)` is unique.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chat {
    pub id: ChatId,
    pub user_id: UserId,
    pub agent_id: AgentId,
    pub key: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    User,
    Assistant,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Self::User),
            "assistant" => Some(Self::Assistant),
            _ => None,
        }
    }
}

/// Where an assistant message stands. User messages are always `Complete`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// The run is still producing it (its text in the store may lag the live text).
    Streaming,
    Complete,
    /// The user aborted the run; the text is what had arrived.
    Aborted,
    /// The run failed; `error` says why.
    Failed,
    /// The server stopped while the run was going (found `Streaming` at start).
    Interrupted,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Streaming => "streaming",
            Self::Complete => "complete",
            Self::Aborted => "aborted",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Streaming, Self::Complete, Self::Aborted, Self::Failed, Self::Interrupted]
            .into_iter()
            .find(|status| status.as_str() == s)
    }
}

/// One tool call of a run, as the conversation keeps it (arguments sanitised, result shortened).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolStep {
    pub call_id: String,
    pub name: String,
    pub arguments: Value,
    /// The start of the result the model saw (or the refusal).
    pub result_preview: String,
    pub is_error: bool,
    /// Refused because the agent is not granted the tool.
    pub denied: bool,
}

/// A message of a chat.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: MessageId,
    pub chat_id: ChatId,
    pub role: MessageRole,
    pub content: String,
    pub status: MessageStatus,
    /// Tool calls made while producing an assistant message, in order.
    pub steps: Vec<ToolStep>,
    /// The client's id for a user message (deduplicates resends); `None` for assistant messages.
    pub client_message_id: Option<String>,
    /// The run that produced an assistant message, or that a user message started.
    pub run_id: Option<RunId>,
    /// For `Failed`: the stable error code.
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
