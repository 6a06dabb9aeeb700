//! Agent templates: where a new agent's tools, greeting and instructions come from.

use serde::Serialize;

/// A starting point for a new agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    /// Its id.
    pub id: &'static str,
    /// Its name.
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Tools granted at creation; admins change them afterwards.
    pub default_tools: &'static [&'static str],
    /// The agent's first greeting.
    pub greeting: &'static str,
    /// The agent's instructions.
    pub instructions: &'static str,
}

/// Lists a folder the agent was granted.
pub const TOOL_LS: &str = "pinchy_ls";
/// Reads a text file in a folder the agent was granted.
pub const TOOL_READ: &str = "pinchy_read";

/// Every template.
pub const TEMPLATES: [Template; 2] = [
    Template {
        id: "knowledge-base",
        name: "Knowledge Base",
        description: "Answer questions from your docs",
        default_tools: &[TOOL_LS, TOOL_READ],
        greeting: "Hi! Ask me anything about the documents I have access to.",
        instructions: "Answer from the documents in your granted folders. Use pinchy_ls to find files and \
                       pinchy_read to read them. Cite the file you used. If the documents do not answer the \
                       question, say so instead of guessing.",
    },
    Template {
        id: "custom",
        name: "Custom Agent",
        description: "Start from scratch",
        default_tools: &[],
        greeting: "Hi! How can I help?",
        instructions: "You are a helpful assistant.",
    },
];

/// The template with this id.
pub fn find(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_templates_exist_with_their_tools() {
        assert_eq!(find("knowledge-base").map(|t| t.default_tools), Some(&[TOOL_LS, TOOL_READ][..]));
        assert_eq!(find("custom").map(|t| t.default_tools.len()), Some(0));
        assert!(find("shell").is_none());
    }
}
