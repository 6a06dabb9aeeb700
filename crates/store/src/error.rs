//! From diesel's errors to the port's [`StoreError`]: conflicts and absences by meaning, everything
//! else logged here (never with values) and reported as `Unavailable`.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use pincer_core::{Rule, StoreError};

/// What a store closure can fail with. `?` works on diesel errors and on port errors alike.
#[derive(Debug)]
pub enum DbError {
    Diesel(DieselError),
    Store(StoreError),
    /// A stored value that does not decode (bad UUID, unknown role): names the column.
    Corrupt(&'static str),
}

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        Self::Diesel(e)
    }
}

impl From<StoreError> for DbError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Unique constraints by the names both backends report: SQLite says `table.column` in its
/// message, PostgreSQL names the constraint (named identically in both migration sets).
const UNIQUE_RULES: &[(&str, &str, Rule)] = &[
    ("users.email", "users_email_key", Rule::Email),
    ("sessions.token_hash", "sessions_token_hash_key", Rule::TokenHash),
    ("invites.token_hash", "invites_token_hash_key", Rule::TokenHash),
    ("api_tokens.token_hash", "api_tokens_token_hash_key", Rule::TokenHash),
    ("users.id", "users_pkey", Rule::Id),
    ("sessions.id", "sessions_pkey", Rule::Id),
    ("invites.id", "invites_pkey", Rule::Id),
    ("settings.key", "settings_pkey", Rule::Key),
    ("audit_pseudonyms.user_id", "audit_pseudonyms_pkey", Rule::Pseudonym),
    ("audit_pseudonyms.pseudonym", "audit_pseudonyms_pseudonym_key", Rule::Pseudonym),
    // A partial unique index: a user's second live personal agent.
    ("agents.personal_owner", "agents_personal_owner_key", Rule::PersonalAgent),
    ("agents.id", "agents_pkey", Rule::Id),
    ("providers.is_default", "providers_default_key", Rule::DefaultProvider),
    ("chats.id", "chats_pkey", Rule::Id),
    ("messages.id", "messages_pkey", Rule::Id),
    // A partial unique index: a client message id already used in the chat. SQLite names every
    // column of a multi-column index.
    ("messages.chat_id, messages.client_message_id", "messages_client_message_id_key", Rule::ClientMessageId),
    ("usage_records.id", "usage_records_pkey", Rule::Id),
    ("pairings.code_hash", "pairings_code_hash_key", Rule::TokenHash),
    ("user_groups.name", "user_groups_name_key", Rule::GroupName),
    ("user_groups.id", "user_groups_pkey", Rule::Id),
    ("pairings.id", "pairings_pkey", Rule::Id),
];

/// `NotFound` when an update touched no row.
pub fn expect_one(updated: usize) -> Result<(), DbError> {
    if updated == 0 { Err(StoreError::NotFound.into()) } else { Ok(()) }
}

/// Turns a failure into the port error, logging what the caller must not see.
pub fn to_store_error(op: &'static str, e: DbError) -> StoreError {
    match e {
        DbError::Store(e) => e,
        DbError::Corrupt(column) => {
            tracing::error!(op, column, "stored value does not decode");
            StoreError::Unavailable
        }
        DbError::Diesel(DieselError::NotFound) => StoreError::NotFound,
        DbError::Diesel(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
            let constraint = info.constraint_name().unwrap_or_default();
            // SQLite: "UNIQUE constraint failed: users.email".
            let failed_column = info.message().rsplit_once(": ").map(|(_, column)| column);
            let rule = UNIQUE_RULES
                .iter()
                .find(|(column, name, _)| constraint == *name || failed_column == Some(*column))
                .map_or(Rule::Unique, |(_, _, rule)| *rule);
            StoreError::Conflict(rule)
        }
        DbError::Diesel(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
            StoreError::Conflict(Rule::ForeignKey)
        }
        DbError::Diesel(e) => {
            // Diesel's Display carries the driver's message, not bound values.
            tracing::error!(op, error = %e, "database error");
            StoreError::Unavailable
        }
    }
}
