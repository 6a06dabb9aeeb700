//! The identity services. One [`Identity`] value holds the ports and the in-memory state
//! (session cache, login throttles); its methods are split by capability across this folder.

mod auth;
mod invites;
mod profile;
mod qr;
mod settings;
mod tokens;
mod users;

use std::sync::Arc;

use pincer_audit::{AuditEvent, AuditSink};
use pincer_core::{Clock, Secret, Timestamp};

pub use auth::LoginOutcome;
pub use invites::NewInvite;
pub use qr::{QR_PURPOSE, QR_TTL_MS};
pub use settings::{SettingView, SettingsService};
pub use tokens::{DEFAULT_TOKEN_NAME, MAX_EXPIRY_DAYS, NewToken, SESSION_FROM_TOKEN_TTL_MS, TOKEN_PREFIX, scope_names};

use crate::IdentityError;
use crate::login_throttle::LoginThrottle;
use crate::ports::{AccountHook, EndedSessions, InviteStore, PasswordHasher, SessionStore, SessionWatch, UserStore};
use crate::session_cache::SessionCache;

/// Sessions last this long from login.
pub const SESSION_TTL_MS: i64 = 14 * 24 * 3600 * 1000;
/// Sessions one user may hold; a login beyond it ends the oldest.
pub const MAX_SESSIONS_PER_USER: usize = 50;
/// Invites are valid for seven days.
pub const INVITE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// Password-reset links are valid for one day.
pub const RESET_TTL_MS: i64 = 24 * 3600 * 1000;

/// The ports the identity services run on.
pub struct IdentityDeps {
    /// The accounts.
    pub users: Arc<dyn UserStore>,
    /// The sessions.
    pub sessions: Arc<dyn SessionStore>,
    /// Personal API tokens.
    pub tokens: Arc<dyn crate::ports::ApiTokenStore>,
    /// One-time codes (QR sign-in).
    pub pairings: Arc<dyn crate::pairing::PairingStore>,
    /// The links.
    pub invites: Arc<dyn InviteStore>,
    /// Hashes passwords off the async executor.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Where every identity event is recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Provisions what a new account comes with (its personal agent).
    pub accounts: Arc<dyn AccountHook>,
    /// Closes live connections (on this node) whose session ended.
    pub session_watch: Arc<dyn SessionWatch>,
    /// Tells the other nodes sharing the database which sessions ended (`replication`).
    pub bus: Arc<dyn pincer_core::EventBus>,
    /// Whether the licence covers another seat (`licence::Unlimited` without one).
    pub seats: Arc<dyn crate::licence::SeatPolicy>,
    /// Whether enterprise features (groups on invites) are licensed.
    pub entitlement: Arc<dyn pincer_core::Entitlement>,
}

/// Users, sessions, invites and profiles.
pub struct Identity {
    deps: IdentityDeps,
    cache: SessionCache,
    throttle: LoginThrottle,
    token_use: tokens::TokenUse,
}

impl Identity {
    /// The service over these ports.
    pub fn new(deps: IdentityDeps) -> Self {
        Self {
            deps,
            cache: SessionCache::default(),
            throttle: LoginThrottle::default(),
            token_use: tokens::TokenUse::default(),
        }
    }

    fn now(&self) -> Timestamp {
        self.deps.clock.now()
    }

    async fn audit(&self, event: AuditEvent) {
        self.deps.audit.record(event).await;
    }

    /// Sessions of `user` ended early: forget them and close their connections here, and tell
    /// the other nodes to do the same.
    fn sessions_ended(&self, user: pincer_core::UserId, which: EndedSessions) {
        self.sessions_ended_here(user, which);
        self.deps.bus.publish(crate::replication::sessions_ended_event(user, which));
    }

    /// A user's role or name changed: cached principals of theirs are stale here and elsewhere.
    fn user_changed(&self, user: pincer_core::UserId) {
        self.forget_user_here(user);
        self.deps.bus.publish(crate::replication::user_changed_event(user));
    }

    pub(crate) fn forget_user_here(&self, user: pincer_core::UserId) {
        self.cache.remove_user(user);
    }

    /// Forgets the sessions in this node's cache and closes this node's connections using them.
    pub(crate) fn sessions_ended_here(&self, user: pincer_core::UserId, which: EndedSessions) {
        match which {
            EndedSessions::One(session) => self.cache.remove_session(session),
            EndedSessions::AllExcept(_) => self.cache.remove_user(user),
        }
        self.deps.session_watch.sessions_ended(user, which);
    }

    async fn hash_password(&self, password: &str) -> Result<String, IdentityError> {
        Ok(self.deps.hasher.hash(Secret::new(password.to_string())).await?)
    }
}
