//! The semantic errors of the agents domain. Only the HTTP layer maps them to status codes.

use pincer_core::{Denied, Rule, Scope, StoreError};

use crate::ports::ProbeError;

/// Why an agent or provider action was refused; each has a stable code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AgentError {
    /// A field is missing, malformed or out of bounds (the message says which).
    #[error("{0}")]
    InvalidInput(String),
    /// The action needs the admin role.
    #[error("admin role required")]
    AdminRequired,
    /// The credential (an API token) lacks the scope the action needs.
    #[error("this credential lacks the scope {}", .0.as_str())]
    MissingScope(Scope),
    /// Unknown, deleted, or not visible to the caller: indistinguishable on purpose.
    #[error("agent not found")]
    AgentNotFound,
    /// Personal agents cannot be deleted.
    #[error("personal agents cannot be deleted")]
    PersonalAgentDelete,
    /// Personal agents get no tools or folders.
    #[error("cannot change permissions for personal agents")]
    PersonalAgentPermissions,
    /// No such provider.
    #[error("provider not found")]
    ProviderNotFound,
    /// The last provider cannot go while agents need it.
    #[error("the last provider cannot be removed")]
    LastProvider,
    /// The provider's live check failed.
    #[error("{0}")]
    Provider(ProbeError),
    /// A stored key could not be decrypted.
    #[error("stored secret could not be decrypted")]
    SecretUnreadable,
    /// The feature needs an active enterprise licence.
    #[error("this feature needs an enterprise licence")]
    EnterpriseRequired,
    /// A group that does not exist.
    #[error("unknown group")]
    UnknownGroup,
    /// The store could not be reached.
    #[error("storage unavailable")]
    Unavailable,
}

impl AgentError {
    /// A stable, snake_case code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::AdminRequired => "admin_required",
            Self::MissingScope(_) => "missing_scope",
            Self::AgentNotFound => "agent_not_found",
            Self::PersonalAgentDelete => "personal_agent",
            Self::PersonalAgentPermissions => "personal_agent",
            Self::ProviderNotFound => "provider_not_found",
            Self::LastProvider => "last_provider",
            Self::Provider(e) => match e {
                ProbeError::Rejected => "provider_rejected_key",
                ProbeError::BadUrl(_) => "invalid_url",
                ProbeError::PrivateAddress => "private_url",
                ProbeError::Unreachable => "provider_unreachable",
                ProbeError::Timeout => "provider_timeout",
                ProbeError::Upstream(_) => "provider_error",
                ProbeError::BadResponse => "provider_bad_response",
            },
            Self::SecretUnreadable => "secret_unreadable",
            Self::EnterpriseRequired => "enterprise_required",
            Self::UnknownGroup => "unknown_group",
            Self::Unavailable => "storage_unavailable",
        }
    }
}

impl From<StoreError> for AgentError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::AgentNotFound,
            StoreError::Conflict(rule) => match rule {
                Rule::LastProvider => Self::LastProvider,
                // A second personal agent is handled where it can happen (`ensure_personal`);
                // the rest are clashes of random ids or rules of other domains.
                Rule::PersonalAgent
                | Rule::Id
                | Rule::DefaultProvider
                | Rule::Unique
                | Rule::ForeignKey
                | Rule::Email
                | Rule::TokenHash
                | Rule::Key
                | Rule::Pseudonym
                | Rule::GroupName
                | Rule::SetupComplete
                | Rule::LastAdmin
                | Rule::InviteUsed
                | Rule::PairingUsed
                | Rule::ClientMessageId
                | Rule::NotAFolder
                | Rule::IsAFolder
                | Rule::NotAFile => Self::Unavailable,
            },
            StoreError::Unavailable => Self::Unavailable,
        }
    }
}

impl From<Denied> for AgentError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::AdminRequired => Self::AdminRequired,
            Denied::MissingScope(scope) => Self::MissingScope(scope),
        }
    }
}
