//! The system prompt of a run: the agent's instructions, the context it carries (the
//! organisation's for shared agents, the user's own for their personal agent), who it talks to,
//! which folders its file tools reach, and what it remembers about the user.

use crate::model::Agent;
use crate::template::{TOOL_LS, TOOL_READ};

/// What a prompt is built from besides the agent.
#[derive(Clone, Copy, Debug)]
pub struct PromptContext<'a> {
    /// Who the run talks to.
    pub user_name: &'a str,
    /// The organisation context (shared agents) or the user's personal context (personal agent).
    pub context: &'a str,
    /// The user's long-term memory entries relevant to this turn.
    pub memories: &'a [String],
}

/// The system prompt: instructions, context, who is talking, the folders the file tools reach.
pub fn system_prompt(agent: &Agent, ctx: PromptContext<'_>) -> String {
    let mut prompt = String::with_capacity(agent.instructions.len() + ctx.context.len() + 256);
    prompt.push_str(agent.instructions.trim());
    let context = ctx.context.trim();
    if !context.is_empty() {
        let heading = if agent.is_personal() { "About the user" } else { "About the organisation" };
        prompt.push_str(&format!("\n\n## {heading}\n\n{context}"));
    }
    let name = ctx.user_name.trim();
    if !name.is_empty() {
        prompt.push_str(&format!("\n\nYou are talking to {name}."));
    }
    if !ctx.memories.is_empty() {
        prompt.push_str("\n\n## What you remember about the user\n");
        for memory in ctx.memories {
            prompt.push_str(&format!("\n- {}", memory.trim().replace('\n', " ")));
        }
    }
    let file_tools = agent.allowed_tools.iter().any(|t| t == TOOL_LS || t == TOOL_READ);
    if file_tools {
        if agent.allowed_paths.is_empty() {
            prompt.push_str("\n\nNo folders have been granted to you yet, so your file tools find nothing.");
        } else {
            prompt.push_str("\n\nYour file tools can reach these folders (absolute paths):");
            for path in &agent.allowed_paths {
                prompt.push_str(&format!("\n- {path}"));
            }
        }
    }
    prompt
}

#[cfg(test)]
mod tests {
    use super::*;
    use pincer_core::{AgentId, Timestamp, UserId};

    fn agent(personal: bool, tools: &[&str], paths: &[&str]) -> Agent {
        Agent {
            id: AgentId::new(),
            name: "A".into(),
            model: None,
            template_id: "custom".into(),
            allowed_tools: tools.iter().map(|t| t.to_string()).collect(),
            allowed_paths: paths.iter().map(|p| p.to_string()).collect(),
            personal_owner: personal.then(UserId::new),
            created_by: None,
            greeting: String::new(),
            instructions: "Be brief.".into(),
            tagline: String::new(),
            starter_prompts: Vec::new(),
            visibility: Default::default(),
            group_ids: Vec::new(),
            deleted_at: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn shared_agents_carry_the_organisation_and_their_folders() {
        let prompt = system_prompt(
            &agent(false, &[TOOL_LS], &["/data/hr"]),
            PromptContext { user_name: "Ada", context: "Acme sells anvils.", memories: &[] },
        );
        assert!(prompt.starts_with("Be brief."));
        assert!(prompt.contains("## About the organisation\n\nAcme sells anvils."));
        assert!(prompt.contains("You are talking to Ada."));
        assert!(prompt.contains("- /data/hr"));
    }

    #[test]
    fn personal_agents_carry_the_user_and_no_folder_list_without_tools() {
        let prompt = system_prompt(
            &agent(true, &[], &[]),
            PromptContext { user_name: "Ada", context: "I like tea.", memories: &["Has a dog\nnamed Rex".to_string()] },
        );
        assert!(prompt.contains("## About the user\n\nI like tea."));
        assert!(!prompt.contains("folders"));
        let bare = system_prompt(&agent(true, &[], &[]), PromptContext { user_name: "", context: "  ", memories: &[] });
        assert_eq!(bare, "Be brief.");
    }
}
