//! Integrations: connections to external systems (Odoo, …), their credential policy and the SSRF
//! policy every outbound URL configured by a user passes through.
//!
//! So far: the SSRF policy ([`ssrf`]), which the providers of the agents issue use as well.
//!
//! # Example: the SSRF policy
//!
//! ```
//! use pincer_integrations::ssrf::{check_addresses, is_metadata, parse_target};
//!
//! let target = parse_target("https://api.example.com/v1").unwrap();
//! assert_eq!((target.host.as_str(), target.port, target.https), ("api.example.com", 443, true));
//! assert!(parse_target("https://user:secret@example.com").is_err(), "no credentials in URLs");
//! let metadata = "169.254.169.254".parse().unwrap();
//! assert!(is_metadata(metadata));
//! // Private addresses only when the operator allows them; cloud metadata never.
//! assert!(check_addresses(&["10.0.0.7".parse().unwrap()], false).is_err());
//! assert!(check_addresses(&["10.0.0.7".parse().unwrap()], true).is_ok());
//! assert!(check_addresses(&[metadata], true).is_err());
//! ```

#![warn(missing_docs)]

pub mod ssrf;
