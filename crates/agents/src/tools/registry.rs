//! The registry merges the tool providers: it checks grants when an admin makes them, decides
//! what a run is offered (only what the agent is granted, deny by default), and routes a call to
//! the provider that offered it.

use std::sync::Arc;

use serde_json::{Value, json};

use super::ToolId;
use super::provider::{OfferedTool, ToolContext, ToolFailure, ToolProvider};
use crate::chat::ToolSpec;

/// The most tools one agent may be granted.
pub const MAX_GRANTED_TOOLS: usize = 100;

/// The registered tool providers (see the module notes).
pub struct ToolRegistry {
    providers: Vec<Arc<dyn ToolProvider>>,
}

/// What one run is offered, and which provider answers each tool.
pub struct ToolSet {
    tools: Vec<(usize, OfferedTool)>,
}

/// A call routed to the provider that offered the tool.
pub struct ToolRun {
    /// The audit event of the call (`tool.pinchy_read`).
    pub event_type: String,
    /// The arguments as they may be recorded.
    pub arguments: Value,
    /// What the tool returned, or why it failed.
    pub result: Result<String, ToolFailure>,
}

impl ToolRegistry {
    /// A registry of these providers. Two providers claiming one namespace is a wiring mistake.
    pub fn new(providers: Vec<Arc<dyn ToolProvider>>) -> Result<ToolRegistry, String> {
        for (i, provider) in providers.iter().enumerate() {
            if providers[..i].iter().any(|p| p.namespace() == provider.namespace()) {
                return Err(format!("two tool providers claim the namespace {}", provider.namespace()));
            }
        }
        Ok(ToolRegistry { providers })
    }

    fn provider_of(&self, tool: &ToolId) -> Option<usize> {
        self.providers.iter().position(|p| p.namespace() == tool.namespace())
    }

    /// Grants as an admin sends them: each a tool a registered provider has (reference names
    /// accepted), duplicates dropped, returned as they are stored and shown.
    pub async fn checked_grants(&self, raw: &[String]) -> Result<Vec<String>, String> {
        if raw.len() > MAX_GRANTED_TOOLS {
            return Err(format!("at most {MAX_GRANTED_TOOLS} tools can be granted"));
        }
        let mut out: Vec<String> = Vec::with_capacity(raw.len());
        for grant in raw {
            let id = ToolId::parse(grant)?;
            let known = match self.provider_of(&id) {
                Some(i) => self.providers[i].has_tool(id.name()).await,
                None => false,
            };
            if !known {
                return Err(format!("unknown tool {id}; known namespaces are {}", self.namespaces()));
            }
            let name = id.grant_name();
            if !out.contains(&name) {
                out.push(name);
            }
        }
        Ok(out)
    }

    fn namespaces(&self) -> String {
        self.providers.iter().map(|p| p.namespace()).collect::<Vec<_>>().join(", ")
    }

    /// The tools this run is offered: those of the agent's grants a provider offers. A stored
    /// grant that no longer parses, or whose provider is gone, offers nothing.
    pub async fn offer(&self, ctx: &ToolContext<'_>) -> ToolSet {
        let granted: Vec<ToolId> = ctx.agent.allowed_tools.iter().filter_map(|g| ToolId::parse(g).ok()).collect();
        let mut tools = Vec::new();
        for (i, provider) in self.providers.iter().enumerate() {
            let own: Vec<&ToolId> = granted.iter().filter(|t| t.namespace() == provider.namespace()).collect();
            if own.is_empty() {
                continue;
            }
            for offered in provider.offer(ctx, &own).await {
                // A provider offers only what it was given, under a name no other tool uses.
                let granted = provider.grants(&offered.id, &own);
                let unique = !tools.iter().any(|(_, t): &(usize, OfferedTool)| t.spec.name == offered.spec.name);
                if granted && unique && model_facing(&offered.spec.name) {
                    tools.push((i, offered));
                }
            }
        }
        ToolSet { tools }
    }

    /// Runs the tool the model called by `name`, if this run offered it; `None` means it was not
    /// offered (not granted), which the caller refuses and audits as `tool.denied`.
    pub async fn call(&self, ctx: &ToolContext<'_>, set: &ToolSet, name: &str, arguments: &Value) -> Option<ToolRun> {
        let (i, offered) = set.tools.iter().find(|(_, t)| t.spec.name == name)?;
        let provider = &self.providers[*i];
        Some(ToolRun {
            event_type: provider.audit_event(&offered.id),
            arguments: provider.recorded_arguments(&offered.id, arguments),
            result: provider.call(ctx, &offered.id, arguments).await,
        })
    }
}

impl ToolSet {
    /// The specs sent to the model.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.iter().map(|(_, t)| t.spec.clone()).collect()
    }

    /// Whether the run is offered no tool.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}

/// What of a refused call's arguments is recorded: only a `path`, shortened (a denied call
/// belongs to no provider that could say more).
pub fn denied_arguments(arguments: &Value) -> Value {
    match arguments.get("path").and_then(Value::as_str) {
        Some(path) => json!({"path": path.chars().take(300).collect::<String>()}),
        None => json!({}),
    }
}

/// A name every provider format accepts for a function.
fn model_facing(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}
