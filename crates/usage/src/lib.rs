//! Usage: what model calls cost. The price catalogue ([`prices`]), the token counts it prices
//! ([`TokenCounts`]), the usage records every model call writes ([`record`]), and the reports
//! admins read ([`service::UsageReporter`]: totals per agent and source, and over time), summed
//! by the store behind the [`report::UsageReports`] port.
//!
//! # Example: what a call cost
//!
//! ```
//! use pincer_usage::{TokenCounts, price_for};
//!
//! let tokens = TokenCounts { input: 1_000_000, output: 0, cache_read: 0, cache_write: 0 };
//! // Local models are free; a priced model costs its input price for a million input tokens.
//! assert_eq!(price_for("ollama-local", "llama3.2").map(|p| p.cost_nanos(tokens)), Some(0));
//! if let Some(price) = price_for("anthropic", "claude-sonnet-4-5") {
//!     assert!(price.cost_nanos(tokens) > 0);
//! }
//! ```

#![warn(missing_docs)]

pub mod budget;
pub mod prices;
pub mod record;
pub mod report;
pub mod service;

pub use prices::{Price, price_for};
pub use record::{UsageRecord, UsageSource, UsageStore};
pub use report::{UsageReports, UsageWindow};
pub use service::{UsageError, UsageReporter, UsageReporterDeps};

/// Tokens of one model call, normalised across providers: `input` excludes the cached tokens,
/// which are counted in `cache_read` (read from the provider's prompt cache) and `cache_write`
/// (written to it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenCounts {
    /// Input (prompt) tokens, cache reads and writes excluded.
    pub input: u64,
    /// Output tokens, reasoning included.
    pub output: u64,
    /// Input tokens read from the provider's prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the provider's prompt cache.
    pub cache_write: u64,
}
