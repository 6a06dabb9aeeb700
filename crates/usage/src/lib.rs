//! Usage: what model calls cost. So far the price catalogue ([`prices`]), the token counts it
//! prices ([`TokenCounts`]) and the usage records every model call writes ([`record`]);
//! aggregation and CSV come with the usage issue.

pub mod prices;
pub mod record;

pub use prices::{Price, price_for};
pub use record::{UsageRecord, UsageSource, UsageStore};

/// Tokens of one model call, normalised across providers: `input` excludes the cached tokens,
/// which are counted in `cache_read` (read from the provider's prompt cache) and `cache_write`
/// (written to it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenCounts {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}
