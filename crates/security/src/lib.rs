//! Security self-audit: checks of how a Pincer installation is set up (key files, the listening
//! address, HTTPS, the domain lock, tunnels, database files and connection, backups, admin
//! passwords and tokens, providers in plain HTTP, the audit chain, the schema), a score over them,
//! and one stored report a day whose worsened checks are recorded in the audit trail.
//!
//! The checks are pure functions of facts ([`facts`]) that adapters gather: the binary reads the
//! host ([`ports::HostProbe`]), the store reads the database ([`ports::PostureStore`]).

pub mod check;
pub mod checks;
pub mod error;
pub mod facts;
pub mod ports;
pub mod report;
pub mod service;
pub mod worker;

pub use check::{Check, Severity, Status};
pub use error::SecurityError;
pub use report::{Assessment, Day, Report};
pub use service::{SecurityAudit, SecurityDeps, Trigger};
pub use worker::DailySelfAudit;
