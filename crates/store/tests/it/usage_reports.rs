//! `UsageReports`: the ledger summed where it is kept — per agent and source, per bucket of time,
//! per person, the unpriced models and the first call — equals the same sums worked out here from
//! the records written, and the export's batches return every record once, in order, with names, across live, deleted and vanished agents, calls no agent made, two users, three days
//! and the three sources, within a window and for one agent.

use std::collections::BTreeMap;

use pincer_core::{AgentId, Role, RunId, Timestamp, UsageId, UserId};
use pincer_usage::UsageReports as _;
use pincer_usage::budget::{Budget, BudgetScope};
use pincer_usage::report::{DAY_MS, HOUR_MS, LineCursor, Sums, UnpricedModel, UsageWindow};
use pincer_usage::{TokenCounts, UsageRecord, UsageSource};

use crate::agents::agent;
use crate::support::{NOW, each_usage_report_store, user};

fn sums_of(records: &[&UsageRecord]) -> Sums {
    records.iter().fold(Sums::default(), |acc, r| {
        acc.plus(Sums {
            input: r.tokens.input,
            output: r.tokens.output,
            cache_read: r.tokens.cache_read,
            cache_write: r.tokens.cache_write,
            cost_nanos: r.cost_nanos.unwrap_or(0),
        })
    })
}

/// The records of a small organisation: `i` picks the agent, user, source, day, hour and price.
fn ledger(agents: [Option<AgentId>; 4], users: [UserId; 2]) -> Vec<UsageRecord> {
    (0..48u32)
        .map(|i| {
            let source = UsageSource::ALL[(i % 3) as usize];
            let day = i64::from(i % 3);
            let hour = i64::from(i % 7);
            UsageRecord {
                id: UsageId::new(),
                user_id: (i % 5 != 0).then_some(users[(i % 2) as usize]),
                agent_id: agents[(i % 4) as usize],
                provider: if i % 6 == 0 { "local" } else { "anthropic" }.into(),
                model: if i % 6 == 0 { format!("unpriced-{}", i % 4) } else { "claude-haiku-4-5".into() },
                tokens: TokenCounts {
                    input: 1_000 + u64::from(i),
                    output: 300 + u64::from(i) * 7,
                    cache_read: u64::from(i % 4) * 50,
                    cache_write: u64::from(i % 3),
                },
                // Nano-dollar amounts that do not round to whole micro-dollars.
                cost_nanos: (i % 6 != 0).then(|| 987_654_321 + u64::from(i) * 1_111),
                source,
                run_id: RunId::new(),
                step: 0,
                created_at: NOW.plus_millis(day * DAY_MS + hour * HOUR_MS + i64::from(i) * 1_000),
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sums_per_agent_and_source_per_bucket_and_unpriced_models_match_the_records() {
    each_usage_report_store(|db| async move {
        let live = agent("Live agent", 0);
        let deleted = agent("Deleted agent, last name", 1);
        pincer_agents::AgentStore::insert(&*db, &live).await.unwrap();
        pincer_agents::AgentStore::insert(&*db, &deleted).await.unwrap();
        db.soft_delete(deleted.id, NOW).await.unwrap();
        // An agent whose row is gone altogether, and calls no agent made.
        let vanished = AgentId::new();
        let agents = [Some(live.id), Some(deleted.id), Some(vanished), None];
        let ada = user("ada@example.com", Role::Member);
        let mut bob = user("bob@example.com", Role::Member);
        bob.banned = true;
        pincer_identity::UserStore::insert(&*db, &ada).await.unwrap();
        pincer_identity::UserStore::insert(&*db, &bob).await.unwrap();
        let records = ledger(agents, [ada.id, bob.id]);
        for r in &records {
            assert_eq!(db.record(r).await, Ok(true));
        }

        let windows = [
            UsageWindow::default(),
            UsageWindow { since: Some(NOW.plus_millis(DAY_MS)), agent_id: None },
            UsageWindow { since: None, agent_id: Some(live.id) },
            UsageWindow { since: Some(NOW.plus_millis(2 * DAY_MS)), agent_id: Some(deleted.id) },
            UsageWindow { since: Some(NOW.plus_millis(9 * DAY_MS)), agent_id: None },
        ];
        let mut matched = Vec::new();
        for window in windows {
            let inside: Vec<&UsageRecord> = records
                .iter()
                .filter(|r| window.since.is_none_or(|s| r.created_at >= s))
                .filter(|r| window.agent_id.is_none_or(|a| r.agent_id == Some(a)))
                .collect();
            matched.push(inside.len());

            // Per agent and source.
            let mut expected: BTreeMap<(Option<AgentId>, &str), Vec<&UsageRecord>> = BTreeMap::new();
            for r in &inside {
                expected.entry((r.agent_id, r.source.as_str())).or_default().push(r);
            }
            let mut got = db.sums_by_agent(&window).await.unwrap();
            got.sort_by_key(|g| (g.agent_id, g.source.as_str()));
            let got_keys: Vec<_> = got.iter().map(|g| (g.agent_id, g.source.as_str())).collect();
            assert_eq!(got_keys, expected.keys().copied().collect::<Vec<_>>(), "{window:?}");
            for g in &got {
                assert_eq!(g.sums, sums_of(&expected[&(g.agent_id, g.source.as_str())]), "{window:?}");
                let (name, gone) = match g.agent_id {
                    Some(id) if id == live.id => (Some("Live agent"), false),
                    Some(id) if id == deleted.id => (Some("Deleted agent, last name"), true),
                    Some(_) => (None, true),
                    None => (None, false),
                };
                assert_eq!((g.agent_name.as_deref(), g.agent_deleted), (name, gone), "{g:?}");
            }

            // Per bucket of time, both lengths.
            for step in [DAY_MS, HOUR_MS] {
                let mut expected: BTreeMap<i64, Vec<&UsageRecord>> = BTreeMap::new();
                for r in &inside {
                    expected.entry(r.created_at.millis() / step * step).or_default().push(r);
                }
                let got = db.sums_by_time(&window, step).await.unwrap();
                let want: Vec<(Timestamp, Sums)> =
                    expected.iter().map(|(start, rs)| (Timestamp(*start), sums_of(rs))).collect();
                assert_eq!(got.iter().map(|b| (b.start, b.sums)).collect::<Vec<_>>(), want, "{window:?} {step}");
            }

            // Per person, with their name and whether deactivated.
            let mut expected: BTreeMap<Option<UserId>, Vec<&UsageRecord>> = BTreeMap::new();
            for r in &inside {
                expected.entry(r.user_id).or_default().push(r);
            }
            let mut got = db.sums_by_user(&window).await.unwrap();
            got.sort_by_key(|g| g.user_id);
            assert_eq!(got.iter().map(|g| g.user_id).collect::<Vec<_>>(), expected.keys().copied().collect::<Vec<_>>());
            for g in &got {
                assert_eq!(g.sums, sums_of(&expected[&g.user_id]), "{window:?}");
                let who = match g.user_id {
                    Some(id) if id == ada.id => (Some("ada@example.com"), false),
                    Some(id) if id == bob.id => (Some("bob@example.com"), true),
                    _ => (None, false),
                };
                assert_eq!((g.email.as_deref(), g.deactivated), who, "{g:?}");
            }

            // Every record once, in (time, id) order, in batches after a cursor.
            let mut want: Vec<&UsageRecord> = inside.clone();
            want.sort_by_key(|r| (r.created_at, r.id.to_string()));
            let mut got = Vec::new();
            let mut after = None;
            loop {
                let batch = db.lines(&window, after, 7).await.unwrap();
                let Some(last) = batch.last() else { break };
                after = Some(LineCursor { created_at: last.record.created_at, id: last.record.id });
                got.extend(batch);
            }
            assert_eq!(
                got.iter().map(|l| l.record.id).collect::<Vec<_>>(),
                want.iter().map(|r| r.id).collect::<Vec<_>>()
            );
            for line in &got {
                let user = line.record.user_id.map(|id| if id == ada.id { &ada } else { &bob });
                assert_eq!(line.user, user.map(|u| (u.name.clone(), u.email.clone())));
                let agent = match line.record.agent_id {
                    Some(id) if id == live.id => Some("Live agent"),
                    Some(id) if id == deleted.id => Some("Deleted agent, last name"),
                    _ => None,
                };
                assert_eq!(line.agent_name.as_deref(), agent);
            }

            let mut unpriced: Vec<UnpricedModel> = inside
                .iter()
                .filter(|r| r.cost_nanos.is_none())
                .map(|r| UnpricedModel { provider: r.provider.clone(), model: r.model.clone() })
                .collect();
            unpriced.sort();
            unpriced.dedup();
            assert_eq!(db.unpriced_models(&window).await.unwrap(), unpriced, "{window:?}");
            assert_eq!(
                db.first_call_at(&window).await.unwrap(),
                inside.iter().map(|r| Timestamp(r.created_at.millis() / HOUR_MS * HOUR_MS)).min(),
                "{window:?}"
            );
        }
        // The windows are not vacuous, and the last one is empty.
        assert_eq!(matched, vec![48, 32, 12, 4, 0]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn budgets_are_replaced_as_one_set() {
    each_usage_report_store(|db| async move {
        assert_eq!(db.budgets().await.unwrap(), vec![]);
        let (agent, user) = (AgentId::new(), UserId::new());
        let set = vec![
            Budget { scope: BudgetScope::User(user), limit_nanos: 5 },
            Budget { scope: BudgetScope::Org, limit_nanos: 10_000_000_000 },
            Budget { scope: BudgetScope::Agent(agent), limit_nanos: 0 },
        ];
        db.replace_budgets(&set, NOW).await.unwrap();
        let mut got = db.budgets().await.unwrap();
        let mut want = set.clone();
        got.sort_by_key(|b| b.scope);
        want.sort_by_key(|b| b.scope);
        assert_eq!(got, want);
        let fewer = vec![Budget { scope: BudgetScope::Agent(agent), limit_nanos: 7 }];
        db.replace_budgets(&fewer, NOW).await.unwrap();
        assert_eq!(db.budgets().await.unwrap(), fewer, "limits not in the new set are gone");
        db.replace_budgets(&[], NOW).await.unwrap();
        assert_eq!(db.budgets().await.unwrap(), vec![]);
    })
    .await;
}

/// Records written before the rollups existed are summed into them when migration 000011 runs.
#[tokio::test(flavor = "multi_thread")]
async fn the_rollup_migration_counts_the_records_already_there() {
    crate::support::each_backend(|db| async move {
        let agents = [Some(AgentId::new()), None, Some(AgentId::new()), None];
        let records = ledger(agents, [UserId::new(), UserId::new()]);
        for r in &records {
            assert_eq!(pincer_usage::UsageStore::record(&db, r).await, Ok(true));
        }
        let window = UsageWindow::default();
        let mut before = db.sums_by_agent(&window).await.unwrap();
        let series = db.sums_by_time(&window, HOUR_MS).await.unwrap();
        let unpriced = db.unpriced_models(&window).await.unwrap();
        assert!(!before.is_empty() && !series.is_empty() && !unpriced.is_empty());

        // Back to before the rollups (and whatever came after them), then forward again.
        let mut reverted = 0;
        loop {
            let version = db.revert_last().await.unwrap().expect("the rollup migration was applied");
            reverted += 1;
            if version == "20261205000011" {
                break;
            }
        }
        assert_eq!(db.migrate().await.unwrap().len(), reverted);
        let mut after = db.sums_by_agent(&window).await.unwrap();
        before.sort_by_key(|g| (g.agent_id, g.source.as_str()));
        after.sort_by_key(|g| (g.agent_id, g.source.as_str()));
        assert_eq!(after, before);
        assert_eq!(db.sums_by_time(&window, HOUR_MS).await.unwrap(), series);
        assert_eq!(db.unpriced_models(&window).await.unwrap(), unpriced);
    })
    .await;
}
