//! The port a family of tools implements: which of its tools an agent is offered, how one runs,
//! what of a call may be recorded, and under which audit event.

use async_trait::async_trait;
use pincer_core::{ChatId, RunId, UserId};
use serde_json::Value;

use super::ToolId;
use crate::chat::ToolSpec;
use crate::model::Agent;

/// The run a tool is offered to or called in.
#[derive(Clone, Copy, Debug)]
pub struct ToolContext<'a> {
    /// The agent running.
    pub agent: &'a Agent,
    /// The user the run answers.
    pub user: UserId,
    /// The run.
    pub run_id: RunId,
    /// The chat it runs in.
    pub chat: ChatId,
}

/// A tool as the model is offered it. `spec.name` is what the model calls it by: unique within a
/// run and made of `a-z A-Z 0-9 _ -` (at most 64), which every provider format accepts.
#[derive(Clone, Debug, PartialEq)]
pub struct OfferedTool {
    /// The grant it stands for.
    pub id: ToolId,
    /// How the model sees it.
    pub spec: ToolSpec,
}

/// Why a call produced no result. The message goes to the model and into the conversation, so it
/// must be safe to show (no path outside a grant, no secret, no upstream body).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ToolFailure(pub String);

/// A family of tools under one namespace (`files`, `memory`, `mcp`, `odoo`).
#[async_trait]
pub trait ToolProvider: Send + Sync + 'static {
    /// Grants `namespace:*` are this provider's.
    fn namespace(&self) -> &str;

    /// Whether `name` (the part after the namespace) is one of its tools; a grant of anything
    /// else is refused when an admin makes it.
    async fn has_tool(&self, name: &str) -> bool;

    /// The tools it offers this run among `granted` (all in its namespace), in a fixed order.
    async fn offer(&self, ctx: &ToolContext<'_>, granted: &[&ToolId]) -> Vec<OfferedTool>;

    /// Whether the grants of this provider's namespace an agent holds (`granted`) give it the
    /// tool `offered`: by default, when that exact tool is granted.
    fn grants(&self, offered: &ToolId, granted: &[&ToolId]) -> bool {
        granted.contains(&offered)
    }

    /// Runs one of the tools it offered this run.
    async fn call(&self, ctx: &ToolContext<'_>, tool: &ToolId, arguments: &Value) -> Result<String, ToolFailure>;

    /// What of a call's arguments may be stored in the audit trail and the conversation.
    fn recorded_arguments(&self, tool: &ToolId, arguments: &Value) -> Value;

    /// The audit event a call is recorded under (`tool.<name>`).
    fn audit_event(&self, tool: &ToolId) -> String {
        format!("tool.{}", tool.grant_name())
    }
}
