//! The semantic errors of the identity domain. Only the HTTP layer maps them to status codes.

use pincer_core::{Denied, Rule, Scope, StoreError};

/// Why an identity action was refused; each has a stable code (`IdentityError::code`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    /// A field is missing, malformed or out of bounds (the message says which).
    #[error("{0}")]
    InvalidInput(String),
    /// The new password breaks the policy (the message says how).
    #[error("{0}")]
    WeakPassword(&'static str),
    /// Wrong email or password: the same answer for both, on purpose.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// A password change named the wrong current password.
    #[error("current password is incorrect")]
    WrongCurrentPassword,
    /// No valid session or token, or the account is deactivated.
    #[error("authentication required")]
    NotAuthenticated,
    /// The action needs the admin role.
    #[error("admin role required")]
    AdminRequired,
    /// The credential (an API token) lacks the scope the action needs.
    #[error("this credential lacks the scope {}", .0.as_str())]
    MissingScope(Scope),
    /// Setup is over: an admin exists.
    #[error("setup has already been completed")]
    SetupComplete,
    /// The email belongs to another account.
    #[error("a user with this email already exists")]
    EmailTaken,
    /// No such user.
    #[error("user not found")]
    UserNotFound,
    /// No such invite (or it was claimed already).
    #[error("invite not found")]
    InviteNotFound,
    /// Reactivating an account that is not deactivated.
    #[error("user is not deactivated")]
    NotDeactivated,
    /// An admin acting on their own account where that is not allowed (demote, deactivate).
    #[error("you cannot do this to your own account")]
    SelfAction,
    /// No active admin would remain.
    #[error("the last admin cannot be demoted or deactivated")]
    LastAdmin,
    /// The link is unknown, used, expired or of the other kind.
    #[error("invalid or expired token")]
    InvalidToken,
    /// An invite names a group that does not exist.
    #[error("unknown group")]
    UnknownGroup,
    /// No such group.
    #[error("group not found")]
    GroupNotFound,
    /// Another group has this name.
    #[error("a group with this name exists")]
    GroupNameTaken,
    /// Too many attempts; try again after the given time.
    #[error("too many attempts, try again later")]
    RateLimited {
        /// Seconds until another attempt may succeed.
        retry_after_secs: u64,
    },
    /// A licence key was refused (the inner error says why and carries the code).
    #[error("{0}")]
    Licence(crate::licence::LicenceError),
    /// `PINCER_LICENSE` manages the licence: none can be installed through the API.
    #[error("the licence is managed by the server's environment (PINCER_LICENSE)")]
    LicenceManagedByEnv,
    /// The feature needs an active enterprise licence.
    #[error("this feature needs an enterprise licence")]
    EnterpriseRequired,
    /// Another seat would go beyond what the licence covers (with 20 % tolerance).
    #[error("the licence's seats are all taken")]
    SeatLimitReached,
    /// A stored secret could not be decrypted (another encryption key?).
    #[error("stored secret could not be decrypted")]
    SecretUnreadable,
    /// Managing API tokens needs a sign-in session (a token cannot mint or revoke tokens), and
    /// a session from a token needs a token.
    #[error("{0}")]
    WrongCredential(&'static str),
    /// No such API token of the caller's.
    #[error("token not found")]
    TokenNotFound,
    /// The store could not be reached.
    #[error("storage unavailable")]
    Unavailable,
}

impl IdentityError {
    /// A stable, snake_case code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::Licence(e) => e.code(),
            Self::LicenceManagedByEnv => "license_managed_by_env",
            Self::GroupNotFound => "group_not_found",
            Self::GroupNameTaken => "group_name_taken",
            Self::EnterpriseRequired => "enterprise_required",
            Self::SeatLimitReached => "seat_limit_reached",
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
            Self::WrongCredential(_) => "wrong_credential",
            Self::TokenNotFound => "token_not_found",
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
                Rule::GroupName => Self::GroupNameTaken,
                Rule::LastAdmin => Self::LastAdmin,
                Rule::SetupComplete => Self::SetupComplete,
                // A link or pairing code that was used, expired or is of the other kind.
                Rule::InviteUsed | Rule::PairingUsed => Self::InvalidToken,
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
