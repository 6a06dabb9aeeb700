//! The audit trail: who did what, when, and proof that nobody edited or removed a line afterwards.
//!
//! Services report [`AuditEvent`]s to an [`AuditSink`]. The [`AuditService`] is the real sink: it
//! redacts secrets, pseudonymises user actors, throttles floods of failed logins and appends each
//! event to a hash chain in which every row's HMAC covers the previous row's HMAC
//! ([`chain`]). [`verify::Verifier`] recomputes the chain and reports edited rows and broken links.
//!
//! # Example: a chain that shows an edit
//!
//! ```
//! use pincer_audit::chain::{ChainKey, GENESIS, PendingEntry};
//! use pincer_core::Timestamp;
//!
//! let key = ChainKey::new(&[7; 32]);
//! let entry = |event: &str| PendingEntry {
//!     timestamp: Timestamp(1_700_000_000_000),
//!     actor_type: "user".into(),
//!     actor_id: Some("u-1".into()),
//!     event_type: event.into(),
//!     resource: None,
//!     detail: "{}".into(),
//!     outcome: "success".into(),
//! };
//! let first = key.seal(entry("auth.login"), None);
//! let second = key.seal(entry("agent.created"), Some((first.id, &first.row_hmac)));
//! assert_eq!(first.prev_hmac, GENESIS);
//! assert!(key.is_authentic(&first) && key.is_authentic(&second));
//!
//! // Someone rewrites what the second row says: its MAC no longer matches.
//! let mut edited = second.clone();
//! edited.pending.event_type = "agent.deleted".into();
//! assert!(!key.is_authentic(&edited));
//! ```

#![warn(missing_docs)]

pub mod canonical;
pub mod chain;
pub mod error;
pub mod event;
pub mod integrity;
pub mod ports;
pub mod redact;
pub mod service;
pub mod tally;
pub mod throttle;
pub mod verify;

pub use chain::{AuditEntry, AuditHead, ChainKey, GENESIS, PendingEntry};
pub use error::AuditError;
pub use event::{Actor, AuditEvent, AuditSink, MemorySink, Outcome};
pub use integrity::IntegrityCheck;
pub use ports::{AuditFilter, AuditRow, AuditStore, HeadAnchor, PseudonymMapping};
pub use service::AuditService;
pub use tally::Tally;
pub use verify::{Verifier, VerifyReport};
