//! Wire shapes (camelCase, RFC 3339 timestamps) and their conversion from domain records.

use std::collections::BTreeMap;

use pincer_agents::Agent;
use pincer_core::GroupId;
use pincer_identity::{Invite, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A group a user, an invite or an agent belongs to.
#[derive(Serialize, ToSchema)]
pub struct GroupRefDto {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
}

/// An account. `role` is `admin` or `member`; `banned` means deactivated.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub email: String,
    #[schema(example = "member")]
    pub role: &'static str,
    pub banned: bool,
    /// The groups the account belongs to (listed for admins under an enterprise licence; empty
    /// otherwise).
    pub groups: Vec<GroupRefDto>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// The answer of a sign-in (login or setup); the session itself travels in the cookie.
#[derive(Serialize, ToSchema)]
pub struct SignedInDto {
    pub user: UserDto,
}

/// A free-text context (personal or organisation-wide) given to agents.
#[derive(Serialize, ToSchema)]
pub struct ContextDto {
    pub content: String,
}

/// A new context; empty clears it.
#[derive(Deserialize, ToSchema)]
pub struct ContextBody {
    #[schema(max_length = 16000)]
    pub content: String,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role.as_str(),
            banned: u.banned,
            groups: Vec::new(),
            created_at: u.created_at.to_rfc3339(),
        }
    }
}

/// An invite. `token` is present only in the answer that created it; `status` (`pending`,
/// `claimed`, `expired`) only in lists.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteDto {
    #[schema(format = Uuid)]
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub email: Option<String>,
    pub role: &'static str,
    /// `invite` (a new account) or `reset` (a password reset link).
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    pub groups: Vec<GroupRefDto>,
    #[schema(format = DateTime)]
    pub expires_at: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl InviteDto {
    /// `names` are the groups' names by id: a group missing from it is not shown.
    pub fn new(
        invite: &Invite,
        token: Option<String>,
        status: Option<&'static str>,
        names: &BTreeMap<GroupId, String>,
    ) -> Self {
        Self {
            id: invite.id.to_string(),
            token,
            email: invite.email.clone(),
            role: invite.role.as_str(),
            kind: invite.kind.as_str(),
            status,
            groups: group_refs(&invite.group_ids, names),
            expires_at: invite.expires_at.to_rfc3339(),
            created_at: invite.created_at.to_rfc3339(),
        }
    }
}

/// The groups among `ids` that `names` knows, as the API shows them.
pub fn group_refs(ids: &[GroupId], names: &BTreeMap<GroupId, String>) -> Vec<GroupRefDto> {
    ids.iter()
        .filter_map(|id| names.get(id).map(|name| GroupRefDto { id: id.to_string(), name: name.clone() }))
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct Success {
    pub success: bool,
}

pub const SUCCESS: Success = Success { success: true };

#[derive(Serialize, ToSchema)]
pub struct PluginConfigDto<'a> {
    pub allowed_paths: &'a [String],
}

/// An agent as the API shows it: a view of the [`Agent`], borrowing its text rather than copying
/// it (the catalogue is the hottest authenticated read).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentDto<'a> {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: &'a str,
    pub model: Option<&'a str>,
    pub template_id: &'a str,
    pub allowed_tools: &'a [String],
    pub plugin_config: PluginConfigDto<'a>,
    pub is_personal: bool,
    /// The personal agent's owner, or the shared agent's creator.
    #[schema(format = Uuid)]
    pub owner_id: Option<String>,
    pub greeting: &'a str,
    pub instructions: &'a str,
    pub tagline: &'a str,
    pub starter_prompts: &'a [String],
    /// `all` (every member) or `restricted` (admins and the members of `groupIds`; with an
    /// enterprise licence, else it acts as `all`).
    #[schema(pattern = "^(all|restricted)$")]
    pub visibility: &'static str,
    #[schema(value_type = Vec<String>)]
    pub group_ids: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl<'a> From<&'a Agent> for AgentDto<'a> {
    fn from(a: &'a Agent) -> Self {
        Self {
            id: a.id.to_string(),
            name: &a.name,
            model: a.model.as_deref(),
            template_id: &a.template_id,
            allowed_tools: &a.allowed_tools,
            plugin_config: PluginConfigDto { allowed_paths: &a.allowed_paths },
            is_personal: a.is_personal(),
            owner_id: a.personal_owner.or(a.created_by).map(|id| id.to_string()),
            greeting: &a.greeting,
            instructions: &a.instructions,
            tagline: &a.tagline,
            starter_prompts: &a.starter_prompts,
            visibility: a.visibility.as_str(),
            group_ids: a.group_ids.iter().map(ToString::to_string).collect(),
            created_at: a.created_at.to_rfc3339(),
            updated_at: a.updated_at.to_rfc3339(),
        }
    }
}
