//! Identity: users, roles, credentials, sessions, invites and the settings store.
//!
//! Services hold the rules ("cannot demote the last admin", "an invite is single use"); stores are
//! ports implemented by the `store` adapter. Nothing here does I/O itself.

pub mod error;
pub mod login_throttle;
pub mod model;
pub mod password;
pub mod ports;
pub mod rate_limit;
pub mod replication;
pub mod service;
pub mod session_cache;
pub mod session_purge;
pub mod validate;

pub use error::IdentityError;
pub use model::{Invite, InviteKind, InviteStatus, Session, Setting, User};
pub use ports::{
    AccountHook, EndedSessions, InviteStore, NoAccountHook, NoSessionWatch, PasswordHasher, SessionStore, SessionWatch,
    SettingStore, UserStore,
};
pub use service::{Identity, IdentityDeps, LoginOutcome, NewInvite, SettingsService};
