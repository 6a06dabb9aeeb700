//! The price catalogue: list prices in USD per million tokens, as data. Costs are estimates
//! (providers bill by their own rules: tiers, batch discounts, long-context surcharges); they are
//! computed in nano-dollars so that small calls do not round to zero.

use crate::TokenCounts;

/// Prices in micro-dollars per million tokens (`1_250_000` is $1.25 per million).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price {
    /// Nano-dollars per input token (USD per million tokens × 1,000).
    pub input: u64,
    /// Nano-dollars per output token.
    pub output: u64,
    /// Nano-dollars per cache-read token.
    pub cache_read: u64,
    /// Nano-dollars per cache-write token.
    pub cache_write: u64,
}

impl Price {
    const FREE: Price = Price { input: 0, output: 0, cache_read: 0, cache_write: 0 };

    /// The estimated cost of a call in nano-dollars (10⁻⁹ USD).
    pub fn cost_nanos(&self, tokens: TokenCounts) -> u64 {
        // µUSD per 10⁶ tokens × tokens / 10³ = nUSD; u128 so no realistic count can overflow.
        let part = |count: u64, price: u64| u128::from(count) * u128::from(price) / 1_000;
        let total = part(tokens.input, self.input)
            + part(tokens.output, self.output)
            + part(tokens.cache_read, self.cache_read)
            + part(tokens.cache_write, self.cache_write);
        u64::try_from(total).unwrap_or(u64::MAX)
    }
}

/// Shorthand: dollars per million tokens to micro-dollars per million tokens.
const fn usd(dollars_times_1000: u64) -> u64 {
    dollars_times_1000 * 1_000
}

/// `(provider kind, model id prefix, price)`; the longest matching prefix wins, so dated ids
/// (`claude-haiku-4-5-20251001`) and tagged ids (`gpt-4o-2024-08-06`) find their family, and
/// `gpt-4.1-mini` is not priced as `gpt-4.1`. Prices in thousandths of a dollar per million tokens.
const CATALOGUE: &[(&str, &str, Price)] = &[
    // Anthropic: cache writes cost 1.25× input, cache reads 0.1×.
    ("anthropic", "claude-opus-4-5", p(5_000, 25_000, 500, 6_250)),
    ("anthropic", "claude-opus-4-1", p(15_000, 75_000, 1_500, 18_750)),
    ("anthropic", "claude-opus-4", p(15_000, 75_000, 1_500, 18_750)),
    ("anthropic", "claude-sonnet-4-5", p(3_000, 15_000, 300, 3_750)),
    ("anthropic", "claude-sonnet-4", p(3_000, 15_000, 300, 3_750)),
    ("anthropic", "claude-3-7-sonnet", p(3_000, 15_000, 300, 3_750)),
    ("anthropic", "claude-haiku-4-5", p(1_000, 5_000, 100, 1_250)),
    ("anthropic", "claude-3-5-haiku", p(800, 4_000, 80, 1_000)),
    // OpenAI: cached input is discounted; writing the cache costs nothing extra.
    ("openai", "gpt-5-nano", p(50, 400, 5, 0)),
    ("openai", "gpt-5-mini", p(250, 2_000, 25, 0)),
    ("openai", "gpt-5", p(1_250, 10_000, 125, 0)),
    ("openai", "gpt-4.1-nano", p(100, 400, 25, 0)),
    ("openai", "gpt-4.1-mini", p(400, 1_600, 100, 0)),
    ("openai", "gpt-4.1", p(2_000, 8_000, 500, 0)),
    ("openai", "gpt-4o-mini", p(150, 600, 75, 0)),
    ("openai", "gpt-4o", p(2_500, 10_000, 1_250, 0)),
    ("openai", "o4-mini", p(1_100, 4_400, 275, 0)),
    ("openai", "o3", p(2_000, 8_000, 500, 0)),
    // Google (prompts up to 200k tokens).
    ("google", "gemini-2.5-pro", p(1_250, 10_000, 310, 0)),
    ("google", "gemini-2.5-flash-lite", p(100, 400, 25, 0)),
    ("google", "gemini-2.5-flash", p(300, 2_500, 75, 0)),
    ("google", "gemini-2.0-flash", p(100, 400, 25, 0)),
];

const fn p(input: u64, output: u64, cache_read: u64, cache_write: u64) -> Price {
    Price { input: usd(input), output: usd(output), cache_read: usd(cache_read), cache_write: usd(cache_write) }
}

/// The price of a model of a provider kind (`ProviderKind::as_str`). Local Ollama runs on the
/// customer's hardware and is free; a model Pincer has no price for (OpenAI-compatible endpoints,
/// Ollama's cloud, new models) is `None`, and its cost is unknown rather than zero.
pub fn price_for(kind: &str, model: &str) -> Option<Price> {
    if kind == "ollama-local" {
        return Some(Price::FREE);
    }
    CATALOGUE
        .iter()
        .filter(|(k, prefix, _)| *k == kind && (model == *prefix || model.starts_with(&format!("{prefix}-"))))
        .max_by_key(|(_, prefix, _)| prefix.len())
        .map(|(_, _, price)| *price)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_dates_are_ignored() {
        let haiku = price_for("anthropic", "claude-haiku-4-5-20251001");
        assert_eq!(haiku, Some(p(1_000, 5_000, 100, 1_250)));
        assert_eq!(price_for("openai", "gpt-4.1-mini"), Some(p(400, 1_600, 100, 0)));
        assert_eq!(price_for("openai", "gpt-4.1-2025-04-14"), Some(p(2_000, 8_000, 500, 0)));
        assert_eq!(price_for("openai", "gpt-4o-mini-2024-07-18"), Some(p(150, 600, 75, 0)));
        assert_eq!(price_for("google", "gemini-2.5-flash-lite"), Some(p(100, 400, 25, 0)));
        // A prefix must end at a segment: gpt-4.10 is not gpt-4.1.
        assert_eq!(price_for("openai", "gpt-4.10"), None);
        assert_eq!(price_for("anthropic", "gpt-4o"), None, "prices are per provider");
        assert_eq!(price_for("groq", "llama-3.3-70b"), None);
        assert_eq!(price_for("ollama-local", "llama3.1:8b"), Some(Price::FREE));
    }

    #[test]
    fn costs_are_exact_in_nano_dollars() {
        let haiku = p(1_000, 5_000, 100, 1_250);
        let tokens = TokenCounts { input: 1_000, output: 200, cache_read: 10_000, cache_write: 2_000 };
        // 1000×$1/M + 200×$5/M + 10000×$0.10/M + 2000×$1.25/M = $0.001 + $0.001 + $0.001 + $0.0025
        assert_eq!(haiku.cost_nanos(tokens), 5_500_000);
        let tiny = TokenCounts { input: 3, ..TokenCounts::default() };
        assert_eq!(p(150, 600, 75, 0).cost_nanos(tiny), 450, "three tokens still cost something");
        let huge = TokenCounts { input: u64::MAX, output: u64::MAX, cache_read: 0, cache_write: 0 };
        assert_eq!(p(15_000, 75_000, 0, 0).cost_nanos(huge), u64::MAX, "saturates instead of overflowing");
    }
}
