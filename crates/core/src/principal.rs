//! Who is calling: the authenticated principal every service receives.

use serde::{Deserialize, Serialize};

use crate::{ApiTokenId, SessionId, UserId};

/// The two roles of the platform. Deny by default: anything not admin is a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages users, agents, providers and settings.
    Admin,
    /// Chats with the agents they may see and manages their own profile.
    Member,
}

impl Role {
    /// The role as the API writes it (`admin`, `member`).
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

/// How a caller proved who they are. What a principal may do is its role's rights, narrowed by
/// its credential: a session carries the whole role, an API token only its scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A sign-in session (the cookie, or its token as a bearer).
    Session(SessionId),
    /// A personal API token: only its scopes, never more than the role.
    ApiToken {
        /// Which token: what the audit trail names as the actor.
        id: ApiTokenId,
        /// What the token may do.
        scopes: Vec<Scope>,
    },
    /// A person writing through a linked channel identity (a Telegram user): chat only.
    Channel,
    /// A caller inside the process (a worker, a test, a service embedding the domain crates).
    Internal,
}

/// What an API token may be limited to (the scopes of issue 19's tokens).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `chat`: chat with agents.
    Chat,
    /// `sessions`: read and manage chat sessions.
    Sessions,
    /// `memory`: read and manage long-term memory.
    Memory,
    /// `agents:read`: list and read agents.
    AgentsRead,
    /// `agents:write`: create and change agents.
    AgentsWrite,
    /// `usage:read`: read usage and costs.
    UsageRead,
    /// `audit:read`: read the audit trail.
    AuditRead,
    /// Every capability the role has.
    Admin,
}

impl Scope {
    /// Every scope, in the order the API lists them.
    pub const ALL: [Scope; 8] = [
        Scope::Chat,
        Scope::Sessions,
        Scope::Memory,
        Scope::AgentsRead,
        Scope::AgentsWrite,
        Scope::UsageRead,
        Scope::AuditRead,
        Scope::Admin,
    ];

    /// The scope as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Chat => "chat",
            Scope::Sessions => "sessions",
            Scope::Memory => "memory",
            Scope::AgentsRead => "agents:read",
            Scope::AgentsWrite => "agents:write",
            Scope::UsageRead => "usage:read",
            Scope::AuditRead => "audit:read",
            Scope::Admin => "admin",
        }
    }

    /// Parses the wire spelling; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

/// Something a service lets a caller do. Each is decided in one place, [`Principal::require`]:
/// the role it needs and the token scope that grants it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Chat with the agents the caller may see.
    Chat,
    /// Read and manage one's own conversations.
    Sessions,
    /// Read and manage one's own long-term memory.
    Memory,
    /// See the agents the caller may use.
    ReadAgents,
    /// Create, configure and delete shared agents.
    ManageAgents,
    /// See usage and costs.
    ReadUsage,
    /// Read and verify the audit log.
    ReadAudit,
    /// Manage users and invites.
    ManageUsers,
    /// Manage providers and settings.
    ManageSettings,
}

impl Capability {
    /// Whether only admins have it.
    pub fn admin_only(self) -> bool {
        matches!(
            self,
            Capability::ManageAgents
                | Capability::ReadUsage
                | Capability::ReadAudit
                | Capability::ManageUsers
                | Capability::ManageSettings
        )
    }

    /// The token scope that grants it (besides `admin`, which grants all).
    pub fn scope(self) -> Scope {
        match self {
            Capability::Chat => Scope::Chat,
            Capability::Sessions => Scope::Sessions,
            Capability::Memory => Scope::Memory,
            Capability::ReadAgents => Scope::AgentsRead,
            Capability::ManageAgents => Scope::AgentsWrite,
            Capability::ReadUsage => Scope::UsageRead,
            Capability::ReadAudit => Scope::AuditRead,
            Capability::ManageUsers | Capability::ManageSettings => Scope::Admin,
        }
    }
}

/// Why a capability was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The capability needs the admin role.
    #[error("admin role required")]
    AdminRequired,
    /// The credential (an API token) lacks the scope; `Channel` credentials have only `chat`.
    #[error("this credential lacks the scope {}", .0.as_str())]
    MissingScope(Scope),
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// Who acts.
    pub user_id: UserId,
    /// Their role when they authenticated.
    pub role: Role,
    /// Their display name.
    pub name: String,
    /// How they authenticated.
    pub credential: Credential,
}

impl Principal {
    /// Whether the role is admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The session that authenticated this caller, when it was one.
    pub fn session_id(&self) -> Option<SessionId> {
        match self.credential {
            Credential::Session(id) => Some(id),
            _ => None,
        }
    }

    /// Deny by default: the capability when the role has it and the credential allows it.
    pub fn require(&self, capability: Capability) -> Result<(), Denied> {
        if capability.admin_only() && !self.is_admin() {
            return Err(Denied::AdminRequired);
        }
        let allowed = match &self.credential {
            Credential::Session(_) | Credential::Internal => true,
            Credential::ApiToken { scopes, .. } => {
                scopes.iter().any(|s| *s == Scope::Admin || *s == capability.scope())
            }
            Credential::Channel => capability == Capability::Chat,
        };
        if allowed { Ok(()) } else { Err(Denied::MissingScope(capability.scope())) }
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

    fn caller(role: Role, credential: Credential) -> Principal {
        Principal { user_id: UserId::new(), role, name: "x".into(), credential }
    }

    #[test]
    fn the_role_bounds_every_credential() {
        let session = caller(Role::Member, Credential::Session(SessionId::new()));
        assert_eq!(session.require(Capability::Chat), Ok(()));
        assert_eq!(session.require(Capability::ReadAudit), Err(Denied::AdminRequired));
        let token = caller(Role::Member, Credential::ApiToken { id: ApiTokenId::new(), scopes: vec![Scope::Admin] });
        assert_eq!(
            token.require(Capability::ManageUsers),
            Err(Denied::AdminRequired),
            "a token never exceeds its role"
        );
        let admin = caller(Role::Admin, Credential::Session(SessionId::new()));
        assert_eq!(admin.require(Capability::ManageSettings), Ok(()));
    }

    #[test]
    fn a_scoped_credential_is_refused_what_it_lacks() {
        let token = caller(
            Role::Admin,
            Credential::ApiToken { id: ApiTokenId::new(), scopes: vec![Scope::Chat, Scope::AuditRead] },
        );
        assert_eq!(token.require(Capability::Chat), Ok(()));
        assert_eq!(token.require(Capability::ReadAudit), Ok(()));
        assert_eq!(token.require(Capability::ManageAgents), Err(Denied::MissingScope(Scope::AgentsWrite)));
        assert_eq!(token.require(Capability::ManageUsers), Err(Denied::MissingScope(Scope::Admin)));
        let all = caller(Role::Admin, Credential::ApiToken { id: ApiTokenId::new(), scopes: vec![Scope::Admin] });
        for capability in [Capability::ManageAgents, Capability::ReadUsage, Capability::Memory, Capability::ManageUsers]
        {
            assert_eq!(all.require(capability), Ok(()), "admin grants {capability:?}");
        }
        let channel = caller(Role::Admin, Credential::Channel);
        assert_eq!(channel.require(Capability::Chat), Ok(()));
        assert_eq!(channel.require(Capability::Sessions), Err(Denied::MissingScope(Scope::Sessions)));
        assert_eq!(channel.session_id(), None);
    }

    #[test]
    fn scopes_parse_their_wire_spelling_only() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("agents:delete"), None);
        assert_eq!(Scope::parse("Admin"), None);
    }
}
