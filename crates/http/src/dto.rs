//! Wire shapes (camelCase, RFC 3339 timestamps) and their conversion from domain records.

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
