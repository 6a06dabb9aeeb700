//! Usage: what model calls cost. So far the price catalogue ([`prices`]) and the token counts it
//! prices ([`TokenCounts`]); usage records, aggregation and CSV come with the usage issue.

pub mod prices;

pub use prices::{Price, price_for};

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
