//! The enterprise licence: the signed key ([`token`]) and the service that installs it, reports
//! its status and answers whether the enterprise features are on ([`service`]).

pub mod service;
pub mod token;

pub use service::{LICENCE_CHANGED, LicenceDeps, LicenceService, LicenceState, LicenceStatus, SeatPolicy, Unlimited};
pub use token::{Licence, LicenceError, LicenceKind, TrustedKeys, read, sign, verify};
