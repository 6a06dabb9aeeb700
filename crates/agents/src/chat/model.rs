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
    /// The chat's id.
    pub id: ChatId,
    /// Whose chat it is.
    pub user_id: UserId,
    /// The agent it is with.
    pub agent_id: AgentId,
    /// The client's key for it (`chatId`; `main` by default).
    pub key: String,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When its newest message was added.
    pub updated_at: Timestamp,
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    /// The person.
    User,
    /// The agent.
    Assistant,
}

impl MessageRole {
    /// The role as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }

    /// The role with this name, if any.
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
    /// The answer is whole.
    Complete,
    /// The user aborted the run; the text is what had arrived.
    Aborted,
    /// The run failed; `error` says why.
    Failed,
    /// The server stopped while the run was going (found `Streaming` at start).
    Interrupted,
}

impl MessageStatus {
    /// The status as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Streaming => "streaming",
            Self::Complete => "complete",
            Self::Aborted => "aborted",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    /// The status with this name, if any.
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
    /// The provider's id for the call.
    pub call_id: String,
    /// The tool's name as the model called it.
    pub name: String,
    /// The arguments as they may be recorded.
    pub arguments: Value,
    /// The start of the result the model saw (or the refusal).
    pub result_preview: String,
    /// Whether the tool failed (or was refused).
    pub is_error: bool,
    /// Refused because the agent is not granted the tool.
    pub denied: bool,
}

/// A message of a chat.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The message's id.
    pub id: MessageId,
    /// The chat it belongs to.
    pub chat_id: ChatId,
    /// Who wrote it.
    pub role: MessageRole,
    /// Its text (Markdown).
    pub content: String,
    /// Where it stands.
    pub status: MessageStatus,
    /// Tool calls made while producing an assistant message, in order.
    pub steps: Vec<ToolStep>,
    /// The client's id for a user message (deduplicates resends); `None` for assistant messages.
    pub client_message_id: Option<String>,
    /// The run that produced an assistant message, or that a user message started.
    pub run_id: Option<RunId>,
    /// For `Failed`: the stable error code.
    pub error: Option<String>,
    /// When it was written (or started).
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}
