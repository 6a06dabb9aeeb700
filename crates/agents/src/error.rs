//! The semantic errors of the agents domain. Only the HTTP layer maps them to status codes.

use pincer_core::{Denied, Rule, Scope, StoreError};

use crate::ports::ProbeError;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AgentError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("admin role required")]
    AdminRequired,
    /// The credential (an API token) lacks the scope the action needs.
    #[error("this credential lacks the scope {}", .0.as_str())]
    MissingScope(Scope),
    /// Unknown, deleted, or not visible to the caller: indistinguishable on purpose.
    #[error("agent not found")]
    AgentNotFound,
    #[error("personal agents cannot be deleted")]
    PersonalAgentDelete,
    #[error("cannot change permissions for personal agents")]
    PersonalAgentPermissions,
    #[error("provider not found")]
    ProviderNotFound,
    #[error("the last provider cannot be removed")]
    LastProvider,
    #[error("{0}")]
    Provider(ProbeError),
    #[error("stored secret could not be decrypted")]
    SecretUnreadable,
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
                | Rule::SetupComplete
                | Rule::LastAdmin
                | Rule::InviteUsed
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
