//! The usage ledger in memory, and its reports summed over it as the databases' SQL sums them.

use std::collections::BTreeSet;

use async_trait::async_trait;
use pincer_core::{Rule, RunId, StoreError, Timestamp};
use pincer_usage::budget::{Budget, BudgetStore};
use pincer_usage::report::{
    AgentSourceSums, BucketSums, HOUR_MS, LineCursor, Sums, UnpricedModel, UsageLine, UsageReports, UsageWindow,
    UserSums,
};
use pincer_usage::{UsageRecord, UsageStore};

use super::{MemoryStores, Tables};

/// A count as a BIGINT column keeps it.
fn saturated(n: u64) -> u64 {
    n.min(i64::MAX as u64)
}

fn sums_of(record: &UsageRecord) -> Sums {
    let t = record.tokens;
    Sums {
        input: t.input,
        output: t.output,
        cache_read: t.cache_read,
        cache_write: t.cache_write,
        cost_nanos: record.cost_nanos.unwrap_or(0),
    }
}

impl Tables {
    fn in_window<'a>(&'a self, window: &'a UsageWindow) -> impl Iterator<Item = &'a UsageRecord> {
        self.usage.iter().filter(move |r| {
            window.since.is_none_or(|since| r.created_at >= since)
                && window.agent_id.is_none_or(|agent| r.agent_id == Some(agent))
        })
    }
}

#[async_trait]
impl UsageStore for MemoryStores {
    async fn record(&self, record: &UsageRecord) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        if tables.usage.iter().any(|r| r.run_id == record.run_id && r.step == record.step) {
            return Ok(false);
        }
        if tables.usage.iter().any(|r| r.id == record.id) {
            return Err(StoreError::Conflict(Rule::Id));
        }
        let mut kept = record.clone();
        let t = &mut kept.tokens;
        (t.input, t.output, t.cache_read, t.cache_write) =
            (saturated(t.input), saturated(t.output), saturated(t.cache_read), saturated(t.cache_write));
        kept.cost_nanos = kept.cost_nanos.map(saturated);
        tables.usage.push(kept);
        Ok(true)
    }

    async fn for_run(&self, run: RunId) -> Result<Vec<UsageRecord>, StoreError> {
        let mut theirs: Vec<UsageRecord> = self.tables().usage.iter().filter(|r| r.run_id == run).cloned().collect();
        theirs.sort_by_key(|r| r.step);
        Ok(theirs)
    }
}

#[async_trait]
impl UsageReports for MemoryStores {
    async fn sums_by_agent(&self, window: &UsageWindow) -> Result<Vec<AgentSourceSums>, StoreError> {
        let tables = self.tables();
        let mut groups: Vec<AgentSourceSums> = Vec::new();
        for record in tables.in_window(window) {
            match groups.iter_mut().find(|g| g.agent_id == record.agent_id && g.source == record.source) {
                Some(group) => group.sums = group.sums.plus(sums_of(record)),
                None => {
                    let agent = record.agent_id.and_then(|id| tables.agents.iter().find(|a| a.id == id));
                    groups.push(AgentSourceSums {
                        agent_id: record.agent_id,
                        agent_name: agent.map(|a| a.name.clone()),
                        agent_deleted: record.agent_id.is_some() && agent.is_none_or(|a| a.deleted_at.is_some()),
                        source: record.source,
                        sums: sums_of(record),
                    });
                }
            }
        }
        Ok(groups)
    }

    async fn sums_by_time(&self, window: &UsageWindow, bucket_ms: i64) -> Result<Vec<BucketSums>, StoreError> {
        let tables = self.tables();
        let mut buckets: Vec<BucketSums> = Vec::new();
        for record in tables.in_window(window) {
            // Integer division truncating toward zero, as both databases divide.
            let start = Timestamp(record.created_at.millis() / bucket_ms * bucket_ms);
            match buckets.iter_mut().find(|b| b.start == start) {
                Some(bucket) => bucket.sums = bucket.sums.plus(sums_of(record)),
                None => buckets.push(BucketSums { start, sums: sums_of(record) }),
            }
        }
        buckets.sort_by_key(|b| b.start);
        Ok(buckets)
    }

    async fn unpriced_models(&self, window: &UsageWindow) -> Result<Vec<UnpricedModel>, StoreError> {
        let tables = self.tables();
        let found: BTreeSet<UnpricedModel> = tables
            .in_window(window)
            .filter(|r| r.cost_nanos.is_none())
            .map(|r| UnpricedModel { provider: r.provider.clone(), model: r.model.clone() })
            .collect();
        Ok(found.into_iter().collect())
    }

    async fn first_call_at(&self, window: &UsageWindow) -> Result<Option<Timestamp>, StoreError> {
        let first = self.tables().in_window(window).map(|r| r.created_at).min();
        Ok(first.map(|at| Timestamp(at.millis() / HOUR_MS * HOUR_MS)))
    }

    async fn sums_by_user(&self, window: &UsageWindow) -> Result<Vec<UserSums>, StoreError> {
        let tables = self.tables();
        let mut groups: Vec<UserSums> = Vec::new();
        for record in tables.in_window(window) {
            match groups.iter_mut().find(|g| g.user_id == record.user_id) {
                Some(group) => group.sums = group.sums.plus(sums_of(record)),
                None => {
                    let account = record.user_id.and_then(|id| tables.users.iter().find(|u| u.id == id));
                    groups.push(UserSums {
                        user_id: record.user_id,
                        name: account.map(|u| u.name.clone()),
                        email: account.map(|u| u.email.clone()),
                        deactivated: account.is_some_and(|u| u.banned),
                        sums: sums_of(record),
                    });
                }
            }
        }
        Ok(groups)
    }

    async fn lines(
        &self,
        window: &UsageWindow,
        after: Option<LineCursor>,
        limit: usize,
    ) -> Result<Vec<UsageLine>, StoreError> {
        let tables = self.tables();
        // Ids in their text form, as the databases compare them.
        let key = |r: &UsageRecord| (r.created_at, r.id.to_string());
        let mut found: Vec<&UsageRecord> = tables
            .in_window(window)
            .filter(|r| after.is_none_or(|c| key(r) > (c.created_at, c.id.to_string())))
            .collect();
        found.sort_by_key(|r| key(r));
        Ok(found
            .into_iter()
            .take(limit)
            .map(|r| UsageLine {
                record: r.clone(),
                user: r
                    .user_id
                    .and_then(|id| tables.users.iter().find(|u| u.id == id))
                    .map(|u| (u.name.clone(), u.email.clone())),
                agent_name: r.agent_id.and_then(|id| tables.agents.iter().find(|a| a.id == id)).map(|a| a.name.clone()),
            })
            .collect())
    }
}

#[async_trait]
impl BudgetStore for MemoryStores {
    async fn budgets(&self) -> Result<Vec<Budget>, StoreError> {
        let mut all = self.tables().budgets.clone();
        all.sort_by_key(|b| (b.scope.kind(), b.scope.target()));
        Ok(all)
    }

    async fn replace_budgets(&self, budgets: &[Budget], _now: Timestamp) -> Result<(), StoreError> {
        self.tables().budgets = budgets.to_vec();
        Ok(())
    }
}
