//! Wire shapes (camelCase, RFC 3339 timestamps) and their conversion from domain records.

use pincer_agents::Agent;
use pincer_identity::{Invite, User};
use serde::Serialize;

/// Group memberships; empty until groups exist.
type Groups = [(); 0];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub banned: bool,
    pub groups: Groups,
    pub created_at: String,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role.as_str(),
            banned: u.banned,
            groups: [],
            created_at: u.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteDto {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub email: Option<String>,
    pub role: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    pub groups: Groups,
    pub expires_at: String,
    pub created_at: String,
}

impl InviteDto {
    pub fn new(invite: &Invite, token: Option<String>, status: Option<&'static str>) -> Self {
        Self {
            id: invite.id.to_string(),
            token,
            email: invite.email.clone(),
            role: invite.role.as_str(),
            kind: invite.kind.as_str(),
            status,
            groups: [],
            expires_at: invite.expires_at.to_rfc3339(),
            created_at: invite.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize)]
pub struct Success {
    pub success: bool,
}

pub const SUCCESS: Success = Success { success: true };

#[derive(Serialize)]
pub struct PluginConfigDto {
    pub allowed_paths: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentDto {
    pub id: String,
    pub name: String,
    pub model: Option<String>,
    pub template_id: String,
    pub allowed_tools: Vec<String>,
    pub plugin_config: PluginConfigDto,
    pub is_personal: bool,
    /// The personal agent's owner, or the shared agent's creator.
    pub owner_id: Option<String>,
    pub greeting: String,
    pub instructions: String,
    pub tagline: String,
    pub starter_prompts: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Agent> for AgentDto {
    fn from(a: &Agent) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name.clone(),
            model: a.model.clone(),
            template_id: a.template_id.clone(),
            allowed_tools: a.allowed_tools.clone(),
            plugin_config: PluginConfigDto { allowed_paths: a.allowed_paths.clone() },
            is_personal: a.is_personal(),
            owner_id: a.personal_owner.or(a.created_by).map(|id| id.to_string()),
            greeting: a.greeting.clone(),
            instructions: a.instructions.clone(),
            tagline: a.tagline.clone(),
            starter_prompts: a.starter_prompts.clone(),
            created_at: a.created_at.to_rfc3339(),
            updated_at: a.updated_at.to_rfc3339(),
        }
    }
}
