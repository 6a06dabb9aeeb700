//! Ports the identity services need. The `store` crate implements them for SQLite and PostgreSQL;
//! one contract suite (in `store`) checks every implementation.

use async_trait::async_trait;
use pincer_core::{ApiTokenId, InviteId, Page, PageRequest, Role, Secret, SessionId, StoreError, Timestamp, UserId};

use crate::model::{ApiToken, Invite, Session, Setting, User};

/// The accounts.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Inserts a user; `Conflict(pincer_core::Rule::Email)` when the email is taken.
    async fn insert(&self, user: &User) -> Result<(), StoreError>;
    /// Inserts the first admin atomically: `Conflict(pincer_core::Rule::SetupComplete)` if any admin exists.
    async fn insert_first_admin(&self, user: &User) -> Result<(), StoreError>;
    /// The user with this id.
    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The user with this email (as stored: lower-case).
    async fn find_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    /// Users ordered by creation.
    async fn list(&self, page: PageRequest) -> Result<Page<User>, StoreError>;
    /// Whether any admin account exists (banned or not).
    async fn any_admin(&self) -> Result<bool, StoreError>;
    /// How many accounts are active (not deactivated): the seats they take.
    async fn count_active(&self) -> Result<u64, StoreError>;
    /// Changes the role; `Conflict(pincer_core::Rule::LastAdmin)` if no active admin would remain. Atomic.
    async fn set_role(&self, id: UserId, role: Role, now: Timestamp) -> Result<(), StoreError>;
    /// Bans or unbans; banning fails with `Conflict(pincer_core::Rule::LastAdmin)` if no active admin would remain.
    async fn set_banned(&self, id: UserId, banned: bool, now: Timestamp) -> Result<(), StoreError>;
    /// Changes the display name; `NotFound` for an unknown user.
    async fn set_name(&self, id: UserId, name: &str, now: Timestamp) -> Result<(), StoreError>;
    /// Changes the personal context; `NotFound` for an unknown user.
    async fn set_context(&self, id: UserId, context: &str, now: Timestamp) -> Result<(), StoreError>;
    /// Changes the password hash; `NotFound` for an unknown user.
    async fn set_password_hash(&self, id: UserId, hash: &str, now: Timestamp) -> Result<(), StoreError>;
}

/// Sign-in sessions.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Inserts a session; `Conflict(Rule::TokenHash)` for a reused token, `Conflict(Rule::ForeignKey)` for an unknown user.
    async fn insert(&self, session: &Session) -> Result<(), StoreError>;
    /// The unexpired session with this token hash, with its (possibly banned) user.
    async fn find_active(&self, token_hash: &str, now: Timestamp) -> Result<Option<(Session, User)>, StoreError>;
    /// Deletes one session; returns whether it existed.
    async fn delete(&self, id: SessionId) -> Result<bool, StoreError>;
    /// Deletes a user's sessions beyond the newest `keep_newest` (by creation); returns the ids
    /// of those that went.
    async fn trim_for_user(&self, user_id: UserId, keep_newest: usize) -> Result<Vec<SessionId>, StoreError>;
    /// Deletes every session of a user except `keep`; returns how many went.
    async fn delete_for_user(&self, user_id: UserId, keep: Option<SessionId>) -> Result<u64, StoreError>;
    /// Removes sessions that expired at or before `now`; returns how many went. A purge that
    /// another replica is running at the same moment is left to it (0).
    async fn delete_expired(&self, now: Timestamp) -> Result<u64, StoreError>;
}

/// Personal API tokens.
#[async_trait]
pub trait ApiTokenStore: Send + Sync + 'static {
    /// Inserts a token; `Conflict(Rule::TokenHash)` for a reused token, `Conflict(Rule::ForeignKey)`
    /// for an unknown user.
    async fn insert_token(&self, token: &ApiToken) -> Result<(), StoreError>;
    /// A user's tokens, oldest first.
    async fn tokens_of(&self, user_id: UserId) -> Result<Vec<ApiToken>, StoreError>;
    /// The token with this hash (expired or not), with its (possibly banned) user.
    async fn token_by_hash(&self, token_hash: &str) -> Result<Option<(ApiToken, User)>, StoreError>;
    /// Deletes one of a user's tokens; whether it existed.
    async fn delete_token(&self, user_id: UserId, id: ApiTokenId) -> Result<bool, StoreError>;
    /// Deletes a user's tokens with this name; the ids of those that went.
    async fn delete_tokens_named(&self, user_id: UserId, name: &str) -> Result<Vec<ApiTokenId>, StoreError>;
    /// Deletes every token of a user; how many went.
    async fn delete_tokens_of(&self, user_id: UserId) -> Result<u64, StoreError>;
    /// Records that a token authenticated a request at `at`.
    async fn touch_token(&self, id: ApiTokenId, at: Timestamp) -> Result<(), StoreError>;
}

/// Invite and password-reset links.
#[async_trait]
pub trait InviteStore: Send + Sync + 'static {
    /// Inserts a link; `Conflict(Rule::TokenHash)` for a reused token.
    async fn insert(&self, invite: &Invite) -> Result<(), StoreError>;
    /// Newest first.
    async fn list(&self) -> Result<Vec<Invite>, StoreError>;
    /// The link with this token hash, used or not.
    async fn find_by_token_hash(&self, token_hash: &str) -> Result<Option<Invite>, StoreError>;
    /// Deletes an unclaimed invite; `NotFound` when there is none with this id.
    async fn delete(&self, id: InviteId) -> Result<(), StoreError>;
    /// In one transaction: marks the invite used (if still unused and unexpired at `now`) and
    /// inserts the account. `Conflict(pincer_core::Rule::InviteUsed)` or `Conflict(pincer_core::Rule::Email)` leave nothing changed.
    async fn claim_for_new_user(&self, id: InviteId, now: Timestamp, user: &User) -> Result<(), StoreError>;
    /// In one transaction: marks the reset used, sets the password hash and deletes all sessions.
    async fn claim_for_reset(
        &self,
        id: InviteId,
        now: Timestamp,
        user_id: UserId,
        hash: &str,
    ) -> Result<(), StoreError>;
}

/// Organisation settings.
#[async_trait]
pub trait SettingStore: Send + Sync + 'static {
    /// All settings ordered by key.
    async fn list(&self) -> Result<Vec<Setting>, StoreError>;
    /// The setting with this key.
    async fn get(&self, key: &str) -> Result<Option<Setting>, StoreError>;
    /// Inserts or replaces the setting with this key.
    async fn upsert(&self, setting: &Setting) -> Result<(), StoreError>;
}

/// Told about every account once it exists (setup, invite claim), so other domains can provision
/// what an account comes with (its personal agent). It must not fail the account's creation: an
/// implementation repairs a missed call itself later.
#[async_trait]
pub trait AccountHook: Send + Sync + 'static {
    /// Provisions what a new account comes with.
    async fn account_created(&self, user: &User);
}

/// An [`AccountHook`] that does nothing (for tools and tests without other domains).
#[derive(Debug, Default)]
pub struct NoAccountHook;

#[async_trait]
impl AccountHook for NoAccountHook {
    async fn account_created(&self, _user: &User) {}
}

/// Which sessions of a user ended before their time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndedSessions {
    /// This one (logout).
    One(SessionId),
    /// All of them but this one (password change; `None` for a reset or a deactivation).
    AllExcept(Option<SessionId>),
}

/// Told when sessions end before their time (logout, password change or reset, deactivation),
/// so live connections that authenticated with them close at once instead of at their next
/// request. Called after the sessions are gone from the store; it must not block.
pub trait SessionWatch: Send + Sync + 'static {
    /// Told that sessions of `user` ended early.
    fn sessions_ended(&self, user: UserId, which: EndedSessions);
}

/// A [`SessionWatch`] with nobody watching (for tools without live connections).
#[derive(Debug, Default)]
pub struct NoSessionWatch;

impl SessionWatch for NoSessionWatch {
    fn sessions_ended(&self, _user: UserId, _which: EndedSessions) {}
}

/// Password hashing is CPU-heavy: implementations run it off the async executor.
#[async_trait]
pub trait PasswordHasher: Send + Sync + 'static {
    /// Hashes a password (argon2id).
    async fn hash(&self, password: Secret<String>) -> Result<String, StoreError>;
    /// Verifies in constant time. With `hash == None` it still does the full work against a dummy
    /// hash, so an unknown email costs the same time as a wrong password.
    async fn verify(&self, password: Secret<String>, hash: Option<String>) -> bool;
}
