//! Who is calling: the authenticated principal every service receives.

use serde::{Deserialize, Serialize};

use crate::{SessionId, UserId};

/// The two roles of the platform. Deny by default: anything not admin is a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    /// Parses the wire and storage spelling; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub role: Role,
    pub name: String,
    /// The session that authenticated this request, when it came from one.
    pub session_id: Option<SessionId>,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_strictly() {
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("member"), Some(Role::Member));
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::parse("owner"), None);
        assert_eq!(Role::Admin.as_str(), "admin");
    }
}
