//! The error every storage port returns. It carries no driver message to callers: the adapter logs
//! the cause, and the HTTP layer turns these into statuses without detail.

/// A storage failure, by meaning.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness or integrity rule refused the write; names the rule, never the value.
    #[error("conflict: {}", .0.as_str())]
    Conflict(Rule),
    /// The database could not be reached or failed; the cause was logged by the adapter.
    #[error("storage unavailable")]
    Unavailable,
}

/// The rule that refused a write. Each caller maps the rules it can meet to its own errors,
/// exhaustively, so a new rule is a compile error where it is not yet handled (no catch-all).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The primary key is taken.
    Id,
    /// The email belongs to another account.
    Email,
    /// A session or link with this token exists.
    TokenHash,
    /// The setting key exists (inserted twice).
    Key,
    /// An audit pseudonym clashed.
    Pseudonym,
    /// The owner already has a live personal agent.
    PersonalAgent,
    /// Another provider is the default.
    DefaultProvider,
    /// The chat already has a message with this client id.
    ClientMessageId,
    /// Another group has this name.
    GroupName,
    /// A uniqueness rule the store does not name.
    Unique,
    /// A referenced row does not exist.
    ForeignKey,
    /// An admin exists: setup is over.
    SetupComplete,
    /// No active admin would remain.
    LastAdmin,
    /// The link is used, expired, unknown or of the other kind.
    InviteUsed,
    /// The pairing code is unknown, claimed, expired, for another purpose, or collected.
    PairingUsed,
    /// The last provider cannot go while agents need it.
    LastProvider,
    /// A folder was expected (documents).
    NotAFolder,
    /// A file was expected, the path is a folder (documents).
    IsAFolder,
    /// Neither a regular file nor a folder (documents).
    NotAFile,
}

impl Rule {
    /// The rule's name in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Id => "id",
            Rule::Email => "email",
            Rule::TokenHash => "token_hash",
            Rule::Key => "key",
            Rule::Pseudonym => "pseudonym",
            Rule::PersonalAgent => "personal_agent",
            Rule::DefaultProvider => "default_provider",
            Rule::ClientMessageId => "client_message_id",
            Rule::GroupName => "group_name",
            Rule::Unique => "unique",
            Rule::ForeignKey => "foreign_key",
            Rule::SetupComplete => "setup_complete",
            Rule::LastAdmin => "last_admin",
            Rule::InviteUsed => "invite_used",
            Rule::PairingUsed => "pairing_used",
            Rule::LastProvider => "last_provider",
            Rule::NotAFolder => "not_a_folder",
            Rule::IsAFolder => "is_a_folder",
            Rule::NotAFile => "not_a_file",
        }
    }
}
