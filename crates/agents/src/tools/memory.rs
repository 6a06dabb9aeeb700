//! The memory tools (granted as `pinchy_memory`): `memory_save`, `memory_search` and
//! `memory_forget`, each confined to the entries of the user the run answers. Audited as
//! `tool.memory_save` and so on, with what was done but never the content.

use std::sync::Arc;

use async_trait::async_trait;
use pincer_core::MemoryId;
use serde_json::{Value, json};

use super::ToolId;
use super::provider::{OfferedTool, ToolContext, ToolFailure, ToolProvider};
use crate::chat::ToolSpec;
use crate::memory::{MemoryError, MemoryService};

const NAMESPACE: &str = "memory";
/// The most entries one search returns to the model.
const MAX_SEARCH_RESULTS: u64 = 20;

/// The memory tools over the memory service.
pub struct MemoryToolProvider {
    memory: Arc<MemoryService>,
}

impl MemoryToolProvider {
    /// The tools over `memory`.
    pub fn new(memory: Arc<MemoryService>) -> Self {
        Self { memory }
    }
}

fn spec(name: &str, description: &str, parameters: Value) -> ToolSpec {
    ToolSpec { name: name.to_string(), description: description.to_string(), parameters }
}

fn offered() -> Vec<OfferedTool> {
    vec![
        OfferedTool {
            id: ToolId::new(NAMESPACE, "save"),
            spec: spec(
                "memory_save",
                "Remember something about the user for later conversations (a fact, a preference). \
                 Keep it short and self-contained.",
                json!({"type": "object", "properties": {
                    "content": {"type": "string", "description": "What to remember."},
                    "tags": {"type": "array", "items": {"type": "string"}, "description": "A few one-word labels."}
                }, "required": ["content"]}),
            ),
        },
        OfferedTool {
            id: ToolId::new(NAMESPACE, "search"),
            spec: spec(
                "memory_search",
                "Search what you remember about the user.",
                json!({"type": "object", "properties": {
                    "query": {"type": "string", "description": "Words to look for."},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_SEARCH_RESULTS}
                }, "required": ["query"]}),
            ),
        },
        OfferedTool {
            id: ToolId::new(NAMESPACE, "forget"),
            spec: spec(
                "memory_forget",
                "Forget one remembered entry, by the id memory_search gave.",
                json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}),
            ),
        },
    ]
}

fn failure(e: MemoryError) -> ToolFailure {
    ToolFailure(e.to_string())
}

fn text<'a>(arguments: &'a Value, key: &str) -> Result<&'a str, ToolFailure> {
    arguments
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| ToolFailure(format!("arguments are invalid: {key} is required")))
}

#[async_trait]
impl ToolProvider for MemoryToolProvider {
    fn namespace(&self) -> &str {
        NAMESPACE
    }

    async fn has_tool(&self, name: &str) -> bool {
        matches!(name, "save" | "search" | "forget")
    }

    async fn offer(&self, _ctx: &ToolContext<'_>, _granted: &[&ToolId]) -> Vec<OfferedTool> {
        offered()
    }

    /// Any memory grant (`pinchy_memory`) gives all three tools.
    fn grants(&self, _offered: &ToolId, granted: &[&ToolId]) -> bool {
        !granted.is_empty()
    }

    async fn call(&self, ctx: &ToolContext<'_>, tool: &ToolId, arguments: &Value) -> Result<String, ToolFailure> {
        match tool.name() {
            "save" => {
                let content = text(arguments, "content")?;
                let tags: Vec<String> = arguments
                    .get("tags")
                    .and_then(Value::as_array)
                    .map(|t| t.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default();
                let entry = self.memory.save_for(ctx.user, ctx.agent.id, content, &tags).await.map_err(failure)?;
                Ok(json!({"saved": entry.id.to_string()}).to_string())
            }
            "search" => {
                let query = text(arguments, "query")?;
                let limit = arguments.get("limit").and_then(Value::as_u64).unwrap_or(5).clamp(1, MAX_SEARCH_RESULTS);
                let found = self.memory.search_for(ctx.user, query, limit as u32).await.map_err(failure)?;
                let entries: Vec<Value> = found
                    .iter()
                    .map(|e| json!({"id": e.id.to_string(), "content": e.content, "tags": e.tags}))
                    .collect();
                Ok(json!({"memories": entries}).to_string())
            }
            "forget" => {
                let id: MemoryId =
                    text(arguments, "id")?.trim().parse().map_err(|_| ToolFailure("no such memory entry".into()))?;
                self.memory.forget_for(ctx.user, id).await.map_err(failure)?;
                Ok(json!({"forgotten": id.to_string()}).to_string())
            }
            _ => Err(ToolFailure("no such tool".into())),
        }
    }

    /// Never the content: how much was saved and its tags, the size of a search, the id forgotten.
    fn recorded_arguments(&self, tool: &ToolId, arguments: &Value) -> Value {
        let chars = |key: &str| arguments.get(key).and_then(Value::as_str).map_or(0, |s| s.chars().count());
        match tool.name() {
            "save" => json!({"chars": chars("content"), "tags": arguments.get("tags").cloned().unwrap_or(json!([]))}),
            "search" => json!({"queryChars": chars("query"), "limit": arguments.get("limit").cloned()}),
            _ => {
                json!({"id": arguments.get("id").and_then(Value::as_str).map(|s| s.chars().take(64).collect::<String>())})
            }
        }
    }

    fn audit_event(&self, tool: &ToolId) -> String {
        format!("tool.memory_{}", tool.name())
    }
}
