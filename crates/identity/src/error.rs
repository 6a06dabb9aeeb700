//! The semantic errors of the identity domain. Only the HTTP layer maps them to status codes.

use pincer_core::{Denied, Rule, Scope, StoreError};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    WeakPassword(&'static str),
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("current password is incorrect")]
    WrongCurrentPassword,
    #[error("authentication required")]
    NotAuthenticated,
    #[error("admin role required")]
    AdminRequired,
    /// The credential (an API token) lacks the scope the action needs.
    #[error("this credential lacks the scope {}", .0.as_str())]
    MissingScope(Scope),
    #[error("setup has already been completed")]
    SetupComplete,
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("user not found")]
    UserNotFound,
    #[error("invite not found")]
    InviteNotFound,
    #[error("user is not deactivated")]
    NotDeactivated,
    #[error("you cannot do this to your own account")]
    SelfAction,
    #[error("the last admin cannot be demoted or deactivated")]
    LastAdmin,
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("unknown group")]
    UnknownGroup,
    #[error("too many attempts, try again later")]
    RateLimited { retry_after_secs: u64 },
    #[error("stored secret could not be decrypted")]
    SecretUnreadable,
    #[error("storage unavailable")]
    Unavailable,
}

impl IdentityError {
    /// A stable, snake_case code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::WeakPassword(_) => "weak_password",
            Self::InvalidCredentials => "invalid_credentials",
            Self::WrongCurrentPassword => "wrong_current_password",
            Self::NotAuthenticated => "not_authenticated",
            Self::AdminRequired => "admin_required",
            Self::MissingScope(_) => "missing_scope",
            Self::SetupComplete => "setup_complete",
            Self::EmailTaken => "email_taken",
            Self::UserNotFound => "user_not_found",
            Self::InviteNotFound => "invite_not_found",
            Self::NotDeactivated => "user_not_deactivated",
            Self::SelfAction => "self_action",
            Self::LastAdmin => "last_admin",
            Self::InvalidToken => "invalid_token",
            Self::UnknownGroup => "unknown_group",
            Self::RateLimited { .. } => "rate_limited",
            Self::SecretUnreadable => "secret_unreadable",
            Self::Unavailable => "storage_unavailable",
        }
    }
}

impl From<StoreError> for IdentityError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::UserNotFound,
            StoreError::Conflict(rule) => match rule {
                Rule::Email => Self::EmailTaken,
                Rule::LastAdmin => Self::LastAdmin,
                Rule::SetupComplete => Self::SetupComplete,
                // A link that was used, expired or is of the other kind in the meantime.
                Rule::InviteUsed => Self::InvalidToken,
                // Clashes of random ids and tokens, or rules of other domains: not the caller's
                // doing, and nothing they could correct.
                Rule::Id
                | Rule::TokenHash
                | Rule::Key
                | Rule::Pseudonym
                | Rule::ForeignKey
                | Rule::Unique
                | Rule::PersonalAgent
                | Rule::DefaultProvider
                | Rule::ClientMessageId
                | Rule::LastProvider
                | Rule::NotAFolder
                | Rule::IsAFolder
                | Rule::NotAFile => Self::Unavailable,
            },
            StoreError::Unavailable => Self::Unavailable,
        }
    }
}

impl From<Denied> for IdentityError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::AdminRequired => Self::AdminRequired,
            Denied::MissingScope(scope) => Self::MissingScope(scope),
        }
    }
}
