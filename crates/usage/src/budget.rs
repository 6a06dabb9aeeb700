//! Monthly spend limits: one for the organisation, per agent, per user and per group (set under an
//! enterprise licence), set by admins. A chat turn is refused before the model is called once a
//! limit it falls under is spent (a run in progress is never cut). Spend is the usage ledger's
//! cost since the start of the UTC month, summed by the store and kept for a few seconds, so a
//! turn costs no aggregation query. A group's spend is its current members' spend this month.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::{AgentId, Capability, Clock, Entitlement, GroupId, Principal, StoreError, Timestamp, UserId};
use serde_json::json;

use crate::report::{UsageReports, UsageWindow};
use crate::service::{UsageError, dollars};

/// How long computed spend is trusted before it is summed again.
pub const SPEND_TTL_MS: i64 = 5_000;
/// Who is in which group, as group budgets need it.
#[async_trait]
pub trait GroupMemberships: Send + Sync + 'static {
    /// Every (group, member) pair.
    async fn memberships(&self) -> Result<Vec<(GroupId, UserId)>, StoreError>;
    /// Which of `groups` exist.
    async fn existing_groups(&self, groups: &[GroupId]) -> Result<Vec<GroupId>, StoreError>;
}

/// The share of a limit at which admins are warned, in percent.
pub const WARNING_PERCENT: u64 = 80;
/// The largest limit (a billion dollars), in nano-dollars.
pub const MAX_LIMIT_NANOS: u64 = 1_000_000_000 * 1_000_000_000;
/// The most limits one organisation sets.
pub const MAX_BUDGETS: usize = 1_000;

/// What a limit applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BudgetScope {
    /// Every call of the organisation.
    Org,
    /// One agent's calls.
    Agent(AgentId),
    /// One person's calls.
    User(UserId),
    /// The calls of a group's members.
    Group(GroupId),
}

impl BudgetScope {
    /// `org`, `agent`, `user` or `group`.
    pub fn kind(self) -> &'static str {
        match self {
            BudgetScope::Org => "org",
            BudgetScope::Agent(_) => "agent",
            BudgetScope::User(_) => "user",
            BudgetScope::Group(_) => "group",
        }
    }

    /// The agent's, user's or group's id; empty for the organisation.
    pub fn target(self) -> String {
        match self {
            BudgetScope::Org => String::new(),
            BudgetScope::Agent(id) => id.to_string(),
            BudgetScope::User(id) => id.to_string(),
            BudgetScope::Group(id) => id.to_string(),
        }
    }

    /// The scope stored as `kind` and `target`, if it is one.
    pub fn parse(kind: &str, target: &str) -> Option<BudgetScope> {
        match kind {
            "org" if target.is_empty() => Some(BudgetScope::Org),
            "agent" => target.parse().ok().map(BudgetScope::Agent),
            "user" => target.parse().ok().map(BudgetScope::User),
            "group" => target.parse().ok().map(BudgetScope::Group),
            _ => None,
        }
    }
}

/// A monthly limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// What it applies to.
    pub scope: BudgetScope,
    /// Nano-dollars per UTC month.
    pub limit_nanos: u64,
}

/// Where the limits are kept.
#[async_trait]
pub trait BudgetStore: Send + Sync + 'static {
    /// Every limit.
    async fn budgets(&self) -> Result<Vec<Budget>, StoreError>;
    /// Replaces every limit with `budgets`, at once.
    async fn replace_budgets(&self, budgets: &[Budget], now: Timestamp) -> Result<(), StoreError>;
}

/// How far a limit is spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetLevel {
    /// Under the warning share.
    Ok,
    /// At or above [`WARNING_PERCENT`].
    Warning,
    /// Spent: new turns under it are refused.
    Exceeded,
}

impl BudgetLevel {
    /// As shown.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetLevel::Ok => "ok",
            BudgetLevel::Warning => "warning",
            BudgetLevel::Exceeded => "exceeded",
        }
    }
}

/// A limit with this month's spend under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetState {
    /// The limit.
    pub budget: Budget,
    /// Nano-dollars spent this month under it.
    pub spent_nanos: u64,
    /// How far it is spent.
    pub level: BudgetLevel,
    /// When the month ends and the spend starts again from zero.
    pub resets_at: Timestamp,
}

/// A turn refused because a limit it falls under is spent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the monthly budget of ${} for {} is spent (${} so far); it resets on {}", dollars(self.limit_nanos), self.what, dollars(self.spent_nanos), self.resets_at.to_rfc3339())]
pub struct BudgetExceeded {
    /// Which limit.
    pub scope: BudgetScope,
    /// How it is named to the user: "the organisation", "this agent", "you".
    pub what: &'static str,
    /// The limit.
    pub limit_nanos: u64,
    /// What was spent.
    pub spent_nanos: u64,
    /// When it resets.
    pub resets_at: Timestamp,
}

/// Whether a person may start a turn with an agent, as far as spending goes.
#[async_trait]
pub trait SpendGate: Send + Sync + 'static {
    /// `Err` when a limit the turn falls under is spent.
    async fn admit(&self, user: UserId, agent: AgentId) -> Result<(), BudgetExceeded>;
}

/// No limits (tests, embedding services without budgets).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBudgets;

#[async_trait]
impl SpendGate for NoBudgets {
    async fn admit(&self, _user: UserId, _agent: AgentId) -> Result<(), BudgetExceeded> {
        Ok(())
    }
}

/// The first instant of the UTC month `at` falls in, and of the next one.
pub fn month_of(at: Timestamp) -> (Timestamp, Timestamp) {
    let days = at.millis().div_euclid(86_400_000);
    let (year, month, _) = civil_from_days(days);
    let start = days_from_civil(year, month, 1);
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    let end = days_from_civil(next_year, next_month, 1);
    (Timestamp(start * 86_400_000), Timestamp(end * 86_400_000))
}

// Howard Hinnant's algorithms between days since 1970-01-01 and proleptic Gregorian dates.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// This month's limits and spend, as last summed.
struct Snapshot {
    taken_at: Timestamp,
    month: (Timestamp, Timestamp),
    budgets: Vec<Budget>,
    org: u64,
    by_agent: HashMap<AgentId, u64>,
    by_user: HashMap<UserId, u64>,
    by_group: HashMap<GroupId, u64>,
    /// The groups of each member of a group that has a budget.
    groups_of: HashMap<UserId, Vec<GroupId>>,
}

impl Snapshot {
    fn spent(&self, scope: BudgetScope) -> u64 {
        match scope {
            BudgetScope::Org => self.org,
            BudgetScope::Agent(id) => self.by_agent.get(&id).copied().unwrap_or(0),
            BudgetScope::User(id) => self.by_user.get(&id).copied().unwrap_or(0),
            BudgetScope::Group(id) => self.by_group.get(&id).copied().unwrap_or(0),
        }
    }

    fn in_group(&self, user: UserId, group: GroupId) -> bool {
        self.groups_of.get(&user).is_some_and(|groups| groups.contains(&group))
    }

    fn state(&self, budget: Budget) -> BudgetState {
        let spent = self.spent(budget.scope);
        let level = if spent >= budget.limit_nanos {
            BudgetLevel::Exceeded
        } else if u128::from(spent) * 100 >= u128::from(budget.limit_nanos) * u128::from(WARNING_PERCENT) {
            BudgetLevel::Warning
        } else {
            BudgetLevel::Ok
        };
        BudgetState { budget, spent_nanos: spent, level, resets_at: self.month.1 }
    }
}

/// What [`Budgets`] needs.
pub struct BudgetDeps {
    /// Where the limits are.
    pub store: Arc<dyn BudgetStore>,
    /// The ledger, summed.
    pub reports: Arc<dyn UsageReports>,
    /// Who is in which group.
    pub groups: Arc<dyn GroupMemberships>,
    /// Whether group budgets may be set (the enterprise licence).
    pub entitlement: Arc<dyn Entitlement>,
    /// Where changes and refusals are recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// The budgets: set by admins, checked before every turn.
pub struct Budgets {
    deps: BudgetDeps,
    cache: Mutex<Option<Arc<Snapshot>>>,
}

impl Budgets {
    /// The budgets over these ports.
    pub fn new(deps: BudgetDeps) -> Self {
        Self { deps, cache: Mutex::new(None) }
    }

    fn cached(&self) -> Option<Arc<Snapshot>> {
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The limits with this month's spend, summed again when older than [`SPEND_TTL_MS`] (or
    /// always, with `fresh`). Without any limit, nothing is summed.
    async fn snapshot(&self, fresh: bool) -> Result<Arc<Snapshot>, StoreError> {
        let now = self.deps.clock.now();
        let month = month_of(now);
        if !fresh
            && let Some(s) =
                self.cached().filter(|s| s.month == month && now.millis() - s.taken_at.millis() < SPEND_TTL_MS)
        {
            return Ok(s);
        }
        let budgets = self.deps.store.budgets().await?;
        let mut snapshot = Snapshot {
            taken_at: now,
            month,
            budgets,
            org: 0,
            by_agent: HashMap::new(),
            by_user: HashMap::new(),
            by_group: HashMap::new(),
            groups_of: HashMap::new(),
        };
        if !snapshot.budgets.is_empty() {
            let window = UsageWindow { since: Some(month.0), agent_id: None };
            for row in self.deps.reports.sums_by_agent(&window).await? {
                snapshot.org = snapshot.org.saturating_add(row.sums.cost_nanos);
                if let Some(agent) = row.agent_id {
                    let spent = snapshot.by_agent.entry(agent).or_default();
                    *spent = spent.saturating_add(row.sums.cost_nanos);
                }
            }
            let by_group = snapshot.budgets.iter().any(|b| matches!(b.scope, BudgetScope::Group(_)));
            if by_group || snapshot.budgets.iter().any(|b| matches!(b.scope, BudgetScope::User(_))) {
                for row in self.deps.reports.sums_by_user(&window).await? {
                    if let Some(user) = row.user_id {
                        snapshot.by_user.insert(user, row.sums.cost_nanos);
                    }
                }
            }
            if by_group {
                self.add_group_spend(&mut snapshot).await?;
            }
        }
        let snapshot = Arc::new(snapshot);
        *self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(snapshot.clone());
        Ok(snapshot)
    }

    /// Sums the spend of every group that has a budget from its members' spend.
    async fn add_group_spend(&self, snapshot: &mut Snapshot) -> Result<(), StoreError> {
        let budgeted: Vec<GroupId> = snapshot
            .budgets
            .iter()
            .filter_map(|b| if let BudgetScope::Group(g) = b.scope { Some(g) } else { None })
            .collect();
        for (group, user) in self.deps.groups.memberships().await? {
            if !budgeted.contains(&group) {
                continue;
            }
            let spent = snapshot.by_user.get(&user).copied().unwrap_or(0);
            let total = snapshot.by_group.entry(group).or_default();
            *total = total.saturating_add(spent);
            snapshot.groups_of.entry(user).or_default().push(group);
        }
        Ok(())
    }

    /// Every limit with this month's spend (admins).
    pub async fn states(&self, principal: &Principal) -> Result<Vec<BudgetState>, UsageError> {
        principal.require(Capability::ReadUsage)?;
        let snapshot = self.snapshot(true).await?;
        Ok(snapshot.budgets.iter().map(|b| snapshot.state(*b)).collect())
    }

    /// Replaces every limit (admins), audited; the new limits apply to the next turn.
    pub async fn replace(&self, principal: &Principal, budgets: Vec<Budget>) -> Result<Vec<BudgetState>, UsageError> {
        principal.require(Capability::ManageSettings)?;
        if budgets.len() > MAX_BUDGETS {
            return Err(UsageError::InvalidInput(format!("at most {MAX_BUDGETS} budgets")));
        }
        let mut scopes: Vec<BudgetScope> = budgets.iter().map(|b| b.scope).collect();
        scopes.sort_unstable();
        if scopes.windows(2).any(|w| w[0] == w[1]) {
            return Err(UsageError::InvalidInput("each scope may have one budget".into()));
        }
        if budgets.iter().any(|b| b.limit_nanos > MAX_LIMIT_NANOS) {
            return Err(UsageError::InvalidInput("a limit is at most 1,000,000,000 dollars".into()));
        }
        self.check_groups(&budgets).await?;
        self.deps.store.replace_budgets(&budgets, self.deps.clock.now()).await?;
        let detail: Vec<_> = budgets
            .iter()
            .map(|b| json!({"scope": b.scope.kind(), "targetId": b.scope.target(), "limit": dollars(b.limit_nanos)}))
            .collect();
        self.deps
            .audit
            .record(AuditEvent::new(Actor::of(principal), "usage.budget_changed").detail(json!({"budgets": detail})))
            .await;
        let snapshot = self.snapshot(true).await?;
        Ok(snapshot.budgets.iter().map(|b| snapshot.state(*b)).collect())
    }
}

impl Budgets {
    /// Group limits need the licence groups come with, and groups that exist. A group limit
    /// already set stays enforced (and removable) when the licence lapses.
    async fn check_groups(&self, budgets: &[Budget]) -> Result<(), UsageError> {
        let groups: Vec<GroupId> =
            budgets.iter().filter_map(|b| if let BudgetScope::Group(g) = b.scope { Some(g) } else { None }).collect();
        if groups.is_empty() {
            return Ok(());
        }
        if !self.deps.entitlement.enterprise().await {
            return Err(UsageError::EnterpriseRequired);
        }
        if self.deps.groups.existing_groups(&groups).await?.len() < groups.len() {
            return Err(UsageError::UnknownGroup);
        }
        Ok(())
    }
}

#[async_trait]
impl SpendGate for Budgets {
    async fn admit(&self, user: UserId, agent: AgentId) -> Result<(), BudgetExceeded> {
        // The ledger unreachable: the turn's own storage will fail and say so; do not block on it.
        let Ok(snapshot) = self.snapshot(false).await else { return Ok(()) };
        for budget in &snapshot.budgets {
            let (applies, what) = match budget.scope {
                BudgetScope::Org => (true, "the organisation"),
                BudgetScope::Agent(id) => (id == agent, "this agent"),
                BudgetScope::User(id) => (id == user, "you"),
                BudgetScope::Group(id) => (snapshot.in_group(user, id), "your group"),
            };
            let state = snapshot.state(*budget);
            if applies && state.level == BudgetLevel::Exceeded {
                let refusal = BudgetExceeded {
                    scope: budget.scope,
                    what,
                    limit_nanos: budget.limit_nanos,
                    spent_nanos: state.spent_nanos,
                    resets_at: state.resets_at,
                };
                let detail = json!({
                    "scope": budget.scope.kind(), "targetId": budget.scope.target(), "agentId": agent.to_string(),
                    "limit": dollars(budget.limit_nanos), "spent": dollars(state.spent_nanos),
                });
                self.deps
                    .audit
                    .record(
                        AuditEvent::new(Actor::User(user.to_string()), "usage.budget_exceeded").detail(detail).failed(),
                    )
                    .await;
                return Err(refusal);
            }
        }
        Ok(())
    }
}

/// Dollars as a limit is written (`"10"`, `"0.00001"`, `"12.5"`: at most 9 decimals) in
/// nano-dollars; `None` for anything else.
pub fn parse_dollars(text: &str) -> Option<u64> {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 9
        || whole.len() > 12
    {
        return None;
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let fraction: u64 = if fraction.is_empty() { 0 } else { format!("{fraction:0<9}").parse().ok()? };
    whole.checked_mul(1_000_000_000)?.checked_add(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_start_at_utc_midnight_on_the_first() {
        // 2026-02-14T10:00:00Z
        let (start, end) = month_of(Timestamp(1_771_063_200_000));
        assert_eq!(start.to_rfc3339(), "2026-02-01T00:00:00.000Z");
        assert_eq!(end.to_rfc3339(), "2026-03-01T00:00:00.000Z");
        let (start, end) = month_of(Timestamp::parse_rfc3339("2024-12-31T23:59:59.999Z").unwrap());
        assert_eq!(
            (start.to_rfc3339(), end.to_rfc3339()),
            ("2024-12-01T00:00:00.000Z".into(), "2025-01-01T00:00:00.000Z".into())
        );
        let leap = month_of(Timestamp::parse_rfc3339("2024-02-29T12:00:00.000Z").unwrap());
        assert_eq!(leap.1.to_rfc3339(), "2024-03-01T00:00:00.000Z");
    }

    #[test]
    fn limits_parse_as_dollars_to_the_nano() {
        assert_eq!(parse_dollars("10"), Some(10_000_000_000));
        assert_eq!(parse_dollars("0.00001"), Some(10_000));
        assert_eq!(parse_dollars("12.5"), Some(12_500_000_000));
        assert_eq!(parse_dollars(".5"), Some(500_000_000));
        assert_eq!(parse_dollars("0"), Some(0));
        for bad in ["", ".", "-1", "1e3", "1.0000000001", "abc", "1,5", "1000000000000"] {
            assert_eq!(parse_dollars(bad), None, "{bad}");
        }
    }
}
