//! What the usage reports are made of: a window of records, the sums of their counts and costs,
//! and the port that sums them where the records are (never by loading them).

use async_trait::async_trait;
use pincer_core::{AgentId, StoreError, Timestamp, UsageId, UserId};

use crate::{UsageRecord, UsageSource};

/// One UTC day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;
/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

/// Which records a report sums: those created at or after `since` (all of them when `None`),
/// of one agent when `agent_id` is set. `since` is a UTC midnight ([`UsageWindow::last_days`]):
/// stores may sum per day and hour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsageWindow {
    /// The first instant counted.
    pub since: Option<Timestamp>,
    /// Only this agent's calls.
    pub agent_id: Option<AgentId>,
}

impl UsageWindow {
    /// The last `days` UTC days, today included (today so far, then `days - 1` whole days before
    /// it), so that daily buckets are whole days; `0` is all time.
    pub fn last_days(days: u32, now: Timestamp, agent_id: Option<AgentId>) -> UsageWindow {
        let since = (days > 0).then(|| {
            let today = now.millis().div_euclid(DAY_MS) * DAY_MS;
            Timestamp(today - (i64::from(days) - 1) * DAY_MS)
        });
        UsageWindow { since, agent_id }
    }
}

/// Token counts and cost summed over calls. A call without a price adds no cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sums {
    /// Input tokens, cache reads and writes excluded.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Tokens read from a prompt cache.
    pub cache_read: u64,
    /// Tokens written to a prompt cache.
    pub cache_write: u64,
    /// Nano-dollars.
    pub cost_nanos: u64,
}

impl Sums {
    /// These sums and `other`'s (saturating: the columns hold at most `i64::MAX` each).
    pub fn plus(self, other: Sums) -> Sums {
        Sums {
            input: self.input.saturating_add(other.input),
            output: self.output.saturating_add(other.output),
            cache_read: self.cache_read.saturating_add(other.cache_read),
            cache_write: self.cache_write.saturating_add(other.cache_write),
            cost_nanos: self.cost_nanos.saturating_add(other.cost_nanos),
        }
    }
}

/// The sums of one agent's calls from one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentSourceSums {
    /// The agent (`None`: calls no agent made).
    pub agent_id: Option<AgentId>,
    /// Its name now, or its last name when deleted; `None` when its row is gone altogether.
    pub agent_name: Option<String>,
    /// Whether the agent is deleted (or its row is gone).
    pub agent_deleted: bool,
    /// Where the calls came from.
    pub source: UsageSource,
    /// What they used and cost.
    pub sums: Sums,
}

/// The sums of the calls in one bucket of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketSums {
    /// The bucket's first instant (a multiple of its length since the epoch: UTC hours and days).
    pub start: Timestamp,
    /// What the calls in it used and cost.
    pub sums: Sums,
}

/// A model the price catalogue did not know when it was called: its calls count no cost.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnpricedModel {
    /// The provider's name.
    pub provider: String,
    /// The provider's model id.
    pub model: String,
}

/// The sums of one person's calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSums {
    /// The person (`None`: calls no person made, or made by an erased account).
    pub user_id: Option<UserId>,
    /// Their name, while their account exists.
    pub name: Option<String>,
    /// Their email, while their account exists.
    pub email: Option<String>,
    /// Whether their account is deactivated.
    pub deactivated: bool,
    /// What their calls used and cost.
    pub sums: Sums,
}

/// One record with the names of who and what made it, for the export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageLine {
    /// The record.
    pub record: UsageRecord,
    /// The person's name and email, while their account exists.
    pub user: Option<(String, String)>,
    /// The agent's name (its last name once deleted), while its row exists.
    pub agent_name: Option<String>,
}

/// Where an export batch continues: after this record, in `(created_at, id)` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCursor {
    /// The last record's time.
    pub created_at: Timestamp,
    /// The last record's id.
    pub id: UsageId,
}

/// The usage ledger, summed where it is kept.
#[async_trait]
pub trait UsageReports: Send + Sync + 'static {
    /// The sums per agent and source over the window, in no particular order; only pairs with
    /// at least one call.
    async fn sums_by_agent(&self, window: &UsageWindow) -> Result<Vec<AgentSourceSums>, StoreError>;
    /// The sums per bucket of `bucket_ms` (a divisor of a day) over the window, ascending; only
    /// buckets with at least one call.
    async fn sums_by_time(&self, window: &UsageWindow, bucket_ms: i64) -> Result<Vec<BucketSums>, StoreError>;
    /// The models called in the window without a price, sorted.
    async fn unpriced_models(&self, window: &UsageWindow) -> Result<Vec<UnpricedModel>, StoreError>;
    /// The start of the hour of the window's first call, if there was one.
    async fn first_call_at(&self, window: &UsageWindow) -> Result<Option<Timestamp>, StoreError>;
    /// The sums per person over the window, in no particular order.
    async fn sums_by_user(&self, window: &UsageWindow) -> Result<Vec<UserSums>, StoreError>;
    /// At most `limit` records of the window after `after`, ascending by `(created_at, id)`,
    /// with their names.
    async fn lines(
        &self,
        window: &UsageWindow,
        after: Option<LineCursor>,
        limit: usize,
    ) -> Result<Vec<UsageLine>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_of_days_starts_at_a_utc_midnight() {
        // 2026-01-03T15:30:00Z
        let now = Timestamp(1_767_225_600_000 + 2 * DAY_MS + 15 * HOUR_MS + 30 * 60_000);
        let one = UsageWindow::last_days(1, now, None);
        assert_eq!(one.since, Some(Timestamp(1_767_225_600_000 + 2 * DAY_MS)), "today only");
        let three = UsageWindow::last_days(3, now, None);
        assert_eq!(three.since, Some(Timestamp(1_767_225_600_000)));
        assert_eq!(UsageWindow::last_days(0, now, None).since, None, "all time");
    }

    #[test]
    fn sums_add_up_and_saturate() {
        let a = Sums { input: 1, output: 2, cache_read: 3, cache_write: 4, cost_nanos: 5 };
        assert_eq!(a.plus(a), Sums { input: 2, output: 4, cache_read: 6, cache_write: 8, cost_nanos: 10 });
        let full = Sums { cost_nanos: u64::MAX, ..a };
        assert_eq!(full.plus(a).cost_nanos, u64::MAX);
    }
}
