//! The usage reports admins read: totals per agent and per source, and the same over time.

use std::collections::HashMap;
use std::sync::Arc;

use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::{AgentId, Capability, Clock, Denied, Entitlement, Principal, Scope, StoreError, Timestamp};
use serde_json::json;

use crate::UsageSource;
use crate::report::{
    BucketSums, DAY_MS, HOUR_MS, LineCursor, Sums, UnpricedModel, UsageLine, UsageReports, UsageWindow, UserSums,
};

/// The look-back when none is asked for.
pub const DEFAULT_DAYS: u32 = 30;
/// The longest look-back (ten years); `0` is all time.
pub const MAX_DAYS: u32 = 3650;
/// The most buckets one series has.
pub const MAX_BUCKETS: i64 = 2_000;
/// Records per export batch.
pub const EXPORT_BATCH: usize = 5_000;
/// What a row of an agent whose row is gone altogether is called.
pub const GONE_AGENT_NAME: &str = "Deleted agent";

/// Why a usage report was refused; each has a stable code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UsageError {
    /// Usage is for admins.
    #[error("admin role required")]
    AdminRequired,
    /// The credential (an API token) lacks the scope.
    #[error("this credential lacks the scope {}", .0.as_str())]
    MissingScope(Scope),
    /// A parameter is malformed (the message says which).
    #[error("{0}")]
    InvalidInput(String),
    /// The report (or a group budget) needs an active enterprise licence.
    #[error("this feature needs an enterprise licence")]
    EnterpriseRequired,
    /// A budget names a group that does not exist.
    #[error("unknown group")]
    UnknownGroup,
    /// The series would have more than [`MAX_BUCKETS`] buckets.
    #[error("the series would have {0} buckets; at most 2000 (a shorter period or daily buckets)")]
    TooManyBuckets(i64),
    /// The store could not be reached.
    #[error("storage unavailable")]
    Unavailable,
}

impl UsageError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AdminRequired => "admin_required",
            Self::MissingScope(_) => "missing_scope",
            Self::EnterpriseRequired => "enterprise_required",
            Self::InvalidInput(_) => "invalid_query",
            Self::TooManyBuckets(_) => "too_many_buckets",
            Self::UnknownGroup => "unknown_group",
            Self::Unavailable => "storage_unavailable",
        }
    }
}

impl From<StoreError> for UsageError {
    fn from(_: StoreError) -> Self {
        Self::Unavailable
    }
}

impl From<Denied> for UsageError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::AdminRequired => Self::AdminRequired,
            Denied::MissingScope(scope) => Self::MissingScope(scope),
        }
    }
}

/// What a report covers, as asked: `days` (default 30, `0` all time) and one agent's id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageQuery {
    /// The look-back in days.
    pub days: Option<i64>,
    /// Only this agent (its id as text, checked here).
    pub agent_id: Option<String>,
}

impl UsageQuery {
    fn window(&self, now: Timestamp) -> Result<UsageWindow, UsageError> {
        let days = match self.days {
            None => DEFAULT_DAYS,
            Some(days) => u32::try_from(days)
                .ok()
                .filter(|d| *d <= MAX_DAYS)
                .ok_or_else(|| UsageError::InvalidInput(format!("days must be between 0 and {MAX_DAYS}")))?,
        };
        let agent_id = match self.agent_id.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(
                raw.parse::<AgentId>().map_err(|_| UsageError::InvalidInput("agentId must be an agent id".into()))?,
            ),
        };
        Ok(UsageWindow::last_days(days, now, agent_id))
    }
}

/// The length of a series' buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    /// UTC days.
    Day,
    /// Hours.
    Hour,
}

impl Interval {
    /// `day` or `hour`.
    pub fn parse(s: &str) -> Option<Interval> {
        match s {
            "day" => Some(Interval::Day),
            "hour" => Some(Interval::Hour),
            _ => None,
        }
    }

    /// As shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Hour => "hour",
        }
    }

    /// The bucket length in milliseconds.
    pub fn millis(self) -> i64 {
        match self {
            Interval::Day => DAY_MS,
            Interval::Hour => HOUR_MS,
        }
    }
}

/// One agent's totals over the window, all sources together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentTotals {
    /// The agent.
    pub agent_id: AgentId,
    /// Its name (its last name when deleted).
    pub name: String,
    /// Whether it is deleted.
    pub deleted: bool,
    /// What its calls used and cost.
    pub sums: Sums,
}

/// Totals per agent and per source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageSummary {
    /// Agents with calls in the window, costliest first.
    pub agents: Vec<AgentTotals>,
    /// Per source, in [`UsageSource::ALL`]'s order (sources without calls are zeros).
    pub by_source: Vec<(UsageSource, Sums)>,
    /// Models called without a price in the window: their calls count no cost.
    pub unpriced: Vec<UnpricedModel>,
}

/// A gap-free series of buckets: every bucket from the window's start through the current one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageSeries {
    /// The buckets' length.
    pub interval: Interval,
    /// Ascending; a bucket without calls is zeros.
    pub buckets: Vec<BucketSums>,
}

/// What the reporter needs.
pub struct UsageReporterDeps {
    /// The ledger, summed where it is kept.
    pub reports: Arc<dyn UsageReports>,
    /// Whether the enterprise reports (per person, the export) are on.
    pub entitlement: Arc<dyn Entitlement>,
    /// Where an export is recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// Reads the usage reports, for admins.
pub struct UsageReporter {
    reports: Arc<dyn UsageReports>,
    entitlement: Arc<dyn Entitlement>,
    audit: Arc<dyn AuditSink>,
    clock: Arc<dyn Clock>,
}

impl UsageReporter {
    /// A reporter over this ledger.
    pub fn new(deps: UsageReporterDeps) -> Self {
        let UsageReporterDeps { reports, entitlement, audit, clock } = deps;
        Self { reports, entitlement, audit, clock }
    }

    /// An admin's window, for a report the licence must allow.
    async fn enterprise_window(&self, principal: &Principal, query: &UsageQuery) -> Result<UsageWindow, UsageError> {
        principal.require(Capability::ReadUsage)?;
        if !self.entitlement.enterprise().await {
            return Err(UsageError::EnterpriseRequired);
        }
        query.window(self.clock.now())
    }

    /// Totals per person over the window, costliest first (enterprise).
    pub async fn by_user(&self, principal: &Principal, query: &UsageQuery) -> Result<Vec<UserSums>, UsageError> {
        let window = self.enterprise_window(principal, query).await?;
        let mut rows = self.reports.sums_by_user(&window).await?;
        rows.sort_by(|a, b| {
            b.sums.cost_nanos.cmp(&a.sums.cost_nanos).then_with(|| a.name.cmp(&b.name)).then(a.user_id.cmp(&b.user_id))
        });
        Ok(rows)
    }

    /// Starts an export of the window's records (enterprise): checked and audited once, then read
    /// with [`UsageReporter::export_batch`].
    pub async fn export(&self, principal: &Principal, query: &UsageQuery) -> Result<UsageWindow, UsageError> {
        let window = self.enterprise_window(principal, query).await?;
        let detail = json!({
            "since": window.since.map(Timestamp::to_rfc3339),
            "agentId": window.agent_id.map(|a| a.to_string()),
        });
        self.audit.record(AuditEvent::new(Actor::of(principal), "usage.exported").detail(detail)).await;
        Ok(window)
    }

    /// The next [`EXPORT_BATCH`] records of an export after `after`; empty at the end.
    pub async fn export_batch(
        &self,
        window: &UsageWindow,
        after: Option<LineCursor>,
    ) -> Result<Vec<UsageLine>, UsageError> {
        Ok(self.reports.lines(window, after, EXPORT_BATCH).await?)
    }

    /// Totals per agent and per source bucket over the window.
    pub async fn summary(&self, principal: &Principal, query: &UsageQuery) -> Result<UsageSummary, UsageError> {
        principal.require(Capability::ReadUsage)?;
        let window = query.window(self.clock.now())?;
        let rows = self.reports.sums_by_agent(&window).await?;
        let mut by_source: Vec<(UsageSource, Sums)> = UsageSource::ALL.iter().map(|s| (*s, Sums::default())).collect();
        let mut agents: HashMap<AgentId, AgentTotals> = HashMap::new();
        for row in rows {
            if let Some(slot) = by_source.iter_mut().find(|(source, _)| *source == row.source) {
                slot.1 = slot.1.plus(row.sums);
            }
            let Some(agent_id) = row.agent_id else { continue };
            let totals = agents.entry(agent_id).or_insert_with(|| AgentTotals {
                agent_id,
                name: row.agent_name.clone().unwrap_or_else(|| GONE_AGENT_NAME.to_string()),
                deleted: row.agent_deleted,
                sums: Sums::default(),
            });
            totals.sums = totals.sums.plus(row.sums);
        }
        let mut agents: Vec<AgentTotals> = agents.into_values().collect();
        agents.sort_by(|a, b| {
            b.sums
                .cost_nanos
                .cmp(&a.sums.cost_nanos)
                .then_with(|| a.name.cmp(&b.name))
                .then(a.agent_id.cmp(&b.agent_id))
        });
        let unpriced = self.reports.unpriced_models(&window).await?;
        Ok(UsageSummary { agents, by_source, unpriced })
    }

    /// The window's sums per bucket, gap-free: from the window's first bucket (for all time, the
    /// bucket of the first call) through the current one.
    pub async fn series(
        &self,
        principal: &Principal,
        query: &UsageQuery,
        interval: Interval,
    ) -> Result<UsageSeries, UsageError> {
        principal.require(Capability::ReadUsage)?;
        let now = self.clock.now();
        let window = query.window(now)?;
        let step = interval.millis();
        let first = match window.since {
            Some(since) => since.millis(),
            None => match self.reports.first_call_at(&window).await? {
                Some(at) => at.millis(),
                None => return Ok(UsageSeries { interval, buckets: Vec::new() }),
            },
        };
        let (first, last) = (first.div_euclid(step), now.millis().div_euclid(step));
        let count = (last - first + 1).max(0);
        if count > MAX_BUCKETS {
            return Err(UsageError::TooManyBuckets(count));
        }
        let found = self.reports.sums_by_time(&window, step).await?;
        let mut found = found.into_iter().peekable();
        let mut buckets = Vec::with_capacity(count as usize);
        for n in first..=last {
            let start = Timestamp(n * step);
            let mut sums = Sums::default();
            // Calls stamped after now (a clock set back) fall in no bucket.
            while let Some(bucket) = found.next_if(|b| b.start <= start) {
                if bucket.start == start {
                    sums = sums.plus(bucket.sums);
                }
            }
            buckets.push(BucketSums { start, sums });
        }
        Ok(UsageSeries { interval, buckets })
    }
}

/// Nano-dollars as dollars with 6 decimals, rounded half up (`1_500` → `"0.000002"`).
pub fn dollars(nanos: u64) -> String {
    let micros = nanos / 1_000 + u64::from(nanos % 1_000 >= 500);
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_dollars_with_six_decimals() {
        assert_eq!(dollars(0), "0.000000");
        assert_eq!(dollars(499), "0.000000");
        assert_eq!(dollars(500), "0.000001");
        assert_eq!(dollars(80_000_000), "0.080000");
        assert_eq!(dollars(12_345_678_901), "12.345679");
    }

    #[test]
    fn queries_are_checked() {
        let now = Timestamp(1_767_225_600_000);
        assert!(UsageQuery::default().window(now).is_ok());
        for days in [-1, 3651, i64::MAX] {
            let q = UsageQuery { days: Some(days), ..UsageQuery::default() };
            assert!(matches!(q.window(now), Err(UsageError::InvalidInput(_))), "{days}");
        }
        let q = UsageQuery { agent_id: Some("not-an-id".into()), ..UsageQuery::default() };
        assert!(matches!(q.window(now), Err(UsageError::InvalidInput(_))));
        let q = UsageQuery { days: Some(0), agent_id: Some(String::new()) };
        assert_eq!(q.window(now).unwrap(), UsageWindow::default());
    }
}
