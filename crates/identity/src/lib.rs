//! Identity: users, roles, credentials, sessions, invites and the settings store.
//!
//! Services hold the rules ("cannot demote the last admin", "an invite is single use"); stores are
//! ports implemented by the `store` adapter. Nothing here does I/O itself.
//!
//! # Example: the password rules, without any store
//!
//! A whole service needs stores (see `examples/users_and_sessions.rs` in the repository, which
//! runs it on SQLite); the rules it applies are plain functions.
//!
//! ```
//! use pincer_identity::{password, validate};
//!
//! assert!(password::check_policy("short").is_err());
//! assert!(password::check_policy("a long enough passphrase").is_ok());
//! let phc = password::hash("a long enough passphrase").unwrap();
//! assert!(password::verify("a long enough passphrase", &phc));
//! assert!(!password::verify("a guess", &phc));
//! assert_eq!(validate::email(" Ada@Example.com ").unwrap(), "ada@example.com");
//! ```

#![warn(missing_docs)]

pub mod domain_lock;
pub mod error;
pub mod groups;
pub mod licence;
pub mod login_throttle;
pub mod model;
pub mod pairing;
pub mod password;
pub mod ports;
pub mod rate_limit;
pub mod replication;
pub mod service;
pub mod session_cache;
pub mod session_purge;
pub mod validate;

pub use error::IdentityError;
pub use model::{ApiToken, Invite, InviteKind, InviteStatus, Session, Setting, User};
pub use ports::{
    AccountHook, ApiTokenStore, EndedSessions, InviteStore, NoAccountHook, NoSessionWatch, PasswordHasher,
    SessionStore, SessionWatch, SettingStore, UserStore,
};
pub use service::{Identity, IdentityDeps, LoginOutcome, NewInvite, SettingsService};
