//! The audit trail: who did what, when, and proof that nobody edited or removed a line afterwards.
//!
//! Services report [`AuditEvent`]s to an [`AuditSink`]. The [`AuditService`] is the real sink: it
//! redacts secrets, pseudonymises user actors, throttles floods of failed logins and appends each
//! event to a hash chain in which every row's HMAC covers the previous row's HMAC
//! ([`chain`]). [`verify::Verifier`] recomputes the chain and reports edited rows and broken links.

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
