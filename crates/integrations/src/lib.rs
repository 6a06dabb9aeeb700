//! Integrations: connections to external systems (Odoo, …), their credential policy and the SSRF
//! policy every outbound URL configured by a user passes through.
//!
//! So far: the SSRF policy ([`ssrf`]), which the providers of the agents issue use as well.

pub mod ssrf;
