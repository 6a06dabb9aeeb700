//! Asking again, before the first byte only.

use std::time::Duration;

/// Asking again when a request failed before its answer began: the connection could not be made,
/// or the server answered that it is overloaded or that a gateway failed (`502`, `503`, `504`,
/// Anthropic's `529`). Nothing of an answer has been read then, so nothing can be seen twice;
/// once an answer has begun (a stream), it is never repeated. Refusals that are the caller's
/// business (`4xx`, rate limits with their `Retry-After`) are not retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait before the second attempt; it doubles for each one after.
    pub first_delay: Duration,
}

impl Retry {
    /// Three attempts, 250 ms and 500 ms apart.
    pub const BEFORE_FIRST_BYTE: Retry = Retry { attempts: 3, first_delay: Duration::from_millis(250) };

    /// Whether an answer with this status may be asked for again.
    pub fn retries_status(status: u16) -> bool {
        matches!(status, 502 | 503 | 504 | 529)
    }

    /// Sends the request `build` makes, again after a failure worth retrying, at most
    /// `attempts` times; the last outcome is returned as it is.
    pub async fn send(
        self,
        mut build: impl FnMut() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut delay = self.first_delay;
        let mut attempt = 1;
        loop {
            let outcome = build().send().await;
            let again = attempt < self.attempts
                && match &outcome {
                    Ok(response) => Self::retries_status(response.status().as_u16()),
                    Err(e) => e.is_connect(),
                };
            if !again {
                return outcome;
            }
            tracing::info!(attempt, "upstream unavailable before answering; asking again");
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
            attempt += 1;
        }
    }
}
