//! `AuditStore`, driven through `AuditService` as the server drives it: the chain verifies, user
//! actors are pseudonymised and can be unlinked, secrets never reach a row, and queries return
//! exactly the matching rows — on every store, the in-memory one included; concurrent appenders
//! (two pools, like two processes) keep ids gapless, and edits and deletions made behind the
//! application's back are found, on the databases.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use pincer_audit::service::AuditQuery;
use pincer_audit::{
    Actor, AuditEntry, AuditError, AuditEvent, AuditFilter, AuditRow, AuditService, AuditStore, ChainKey, GENESIS,
    Tally, Verifier,
};
use pincer_core::{Clock, Credential, PageRequest, Principal, Role, SystemClock, Timestamp, UserId};
use pincer_identity::User;
use pincer_store::Database;
use serde_json::{Value, json};

use crate::support::{AuditStores, NOW, each_audit_store, each_backend_with_url, execute, user};

const KEY: [u8; 32] = [7; 32];

/// A clock the test sets.
struct TestClock(AtomicI64);

impl TestClock {
    fn set(&self, t: Timestamp) {
        self.0.store(t.millis(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

fn service(db: &Database) -> AuditService {
    AuditService::new(Arc::new(db.clone()), &KEY, Arc::new(SystemClock))
}

fn service_on(store: &Arc<dyn AuditStores>) -> AuditService {
    AuditService::new(store.clone(), &KEY, Arc::new(SystemClock))
}

fn admin() -> Principal {
    Principal { user_id: UserId::new(), role: Role::Admin, name: "a".into(), credential: Credential::Internal }
}

fn member() -> Principal {
    Principal { role: Role::Member, ..admin() }
}

async fn append(service: &AuditService, event: AuditEvent) -> i64 {
    service.append(event).await.unwrap().expect("not throttled")
}

async fn all_entries(db: &dyn AuditStore) -> Vec<AuditEntry> {
    db.scan_entries(0, None, 100_000).await.unwrap()
}

fn ids(rows: &[AuditRow]) -> Vec<i64> {
    rows.iter().map(|r| r.entry.id).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untouched_chain_verifies() {
    each_audit_store(|db, _| async move {
        let service = service_on(&db);
        let (report, checkpoint) = service.verify_since(None).await.unwrap();
        assert!(report.valid && report.total_checked == 0 && checkpoint.is_none(), "{report:?}");

        let someone = UserId::new().to_string();
        let mut appended = Vec::new();
        for i in 0..25 {
            let actor = match i % 4 {
                0 => Actor::User(someone.clone()),
                1 => Actor::Agent(format!("agent-{i}")),
                2 => Actor::System,
                _ => Actor::ApiKey(format!("key-{i}")),
            };
            let mut event = AuditEvent::new(actor, "test.event").detail(json!({"i": i, "text": "a, \"b\"\nc"}));
            if i % 3 == 0 {
                event = event.resource(format!("thing:{i}"));
            }
            if i % 5 == 0 {
                event = event.failed();
            }
            appended.push(append(&service, event).await);
        }
        assert_eq!(appended, (1..=25).collect::<Vec<i64>>());

        let rows = all_entries(&*db).await;
        assert_eq!(rows.len(), 25);
        assert_eq!(rows[0].prev_hmac, GENESIS);
        for pair in rows.windows(2) {
            assert_eq!(pair[1].prev_hmac, pair[0].row_hmac, "row {} links to row {}", pair[1].id, pair[0].id);
        }

        let (report, checkpoint) = service.verify_since(None).await.unwrap();
        assert!(report.valid, "{report:?}");
        assert_eq!(report.total_checked, 25);
        assert!(report.invalid_ids.is_empty() && report.chain_break_ids.is_empty());
        assert_eq!(checkpoint, Some((25, rows[24].row_hmac.clone())));
        assert_eq!(db.last_id().await.unwrap(), Some(25));

        // Resuming from the checkpoint checks only what came after it.
        append(&service, AuditEvent::new(Actor::System, "test.later")).await;
        let (report, next) = service.verify_since(checkpoint).await.unwrap();
        assert!(report.valid, "{report:?}");
        assert_eq!(report.total_checked, 1);
        assert_eq!(next.map(|(id, _)| id), Some(26));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_writers_in_two_pools_build_one_gapless_chain() {
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 500;
    each_backend_with_url(|db, url| async move {
        // A second pool on the same database: a second process, as far as locking goes.
        let other = Database::open(&url).await.unwrap();
        let services = [Arc::new(service(&db)), Arc::new(service(&other))];
        // Two writers (one per pool) act as the same user: they race to create its pseudonym.
        let shared_user = UserId::new().to_string();
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let service = services[writer % 2].clone();
            let shared_user = shared_user.clone();
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::with_capacity(PER_WRITER);
                for i in 0..PER_WRITER {
                    let actor = if writer % 4 == 0 {
                        Actor::User(shared_user.clone())
                    } else {
                        Actor::Agent(format!("agent-{writer}"))
                    };
                    let event = AuditEvent::new(actor, "load.event").detail(json!({"writer": writer, "i": i}));
                    ids.push(service.append(event).await.unwrap().expect("not throttled"));
                }
                ids
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            let ids = task.await.unwrap();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "a writer's rows are in its own order");
            all.extend(ids);
        }
        all.sort_unstable();
        let total = (WRITERS * PER_WRITER) as i64;
        assert_eq!(all, (1..=total).collect::<Vec<i64>>(), "ids 1..={total} exactly once each");

        let rows = all_entries(&db).await;
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), (1..=total).collect::<Vec<i64>>());
        let (report, _) = services[1].verify_since(None).await.unwrap();
        assert!(report.valid, "{report:?}");
        assert_eq!(report.total_checked, total as u64);

        // One pseudonym for the shared user, used by all of its rows.
        let pseudonym = db.find_pseudonym(&shared_user).await.unwrap().expect("created").pseudonym;
        let user_rows: Vec<&AuditEntry> = rows.iter().filter(|r| r.pending.actor_type == "user").collect();
        assert_eq!(user_rows.len(), 2 * PER_WRITER);
        assert!(user_rows.iter().all(|r| r.pending.actor_id.as_deref() == Some(pseudonym.as_str())));
        // Every writer's events are all there, in the order it appended them.
        for writer in 0..WRITERS {
            let is: Vec<i64> = rows
                .iter()
                .map(|r| serde_json::from_str::<Value>(&r.pending.detail).unwrap())
                .filter(|d| d["writer"] == writer)
                .map(|d| d["i"].as_i64().unwrap())
                .collect();
            assert_eq!(is, (0..PER_WRITER as i64).collect::<Vec<_>>(), "writer {writer}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn edited_fields_and_deleted_rows_are_found_over_the_whole_log_and_in_ranges() {
    each_backend_with_url(|db, url| async move {
        let service = service(&db);
        for i in 1..=12 {
            let event = AuditEvent::new(Actor::Agent("agent-1".into()), "test.event")
                .resource(format!("thing:{i}"))
                .detail(json!({"i": i}));
            append(&service, event).await;
        }
        assert!(service.verify_since(None).await.unwrap().0.valid);

        // One field per row, each edited behind the application's back.
        execute(
            &url,
            "UPDATE audit_log SET detail = '{\"forged\":true}' WHERE id = 2;
             UPDATE audit_log SET event_type = 'test.forged' WHERE id = 3;
             UPDATE audit_log SET actor_id = 'agent-2' WHERE id = 4;
             UPDATE audit_log SET timestamp = timestamp + 1 WHERE id = 5;
             UPDATE audit_log SET outcome = 'failure' WHERE id = 6;
             UPDATE audit_log SET resource = 'thing:forged' WHERE id = 7;",
        )
        .await;
        let (report, _) = service.verify_since(None).await.unwrap();
        assert!(!report.valid);
        assert_eq!(report.invalid_ids, vec![2, 3, 4, 5, 6, 7], "{report:?}");
        // The stored MACs and links are untouched, so no link is broken.
        assert_eq!(report.chain_break_ids, Vec::<i64>::new());
        assert_eq!(report.total_checked, 12);

        execute(&url, "DELETE FROM audit_log WHERE id = 10").await;
        let (report, _) = service.verify_since(None).await.unwrap();
        assert_eq!(report.invalid_ids, vec![2, 3, 4, 5, 6, 7]);
        assert_eq!(report.chain_break_ids, vec![11], "{report:?}");
        assert_eq!(report.total_checked, 11);

        // Sub-ranges through the service (admin only).
        let admin = admin();
        let range = |from: i64, to: Option<i64>| {
            let (service, admin) = (&service, &admin);
            async move { service.verify(admin, Some(from), to).await.unwrap() }
        };
        let r = range(8, Some(9)).await;
        assert!(r.valid && r.total_checked == 2, "{r:?}");
        let r = range(1, Some(3)).await;
        assert_eq!((r.valid, r.total_checked, r.invalid_ids, r.chain_break_ids), (false, 3, vec![2, 3], vec![]));
        let r = range(7, Some(8)).await;
        assert_eq!((r.total_checked, r.invalid_ids, r.chain_break_ids), (2, vec![7], vec![]));
        // The row before the range is gone: the range's first link cannot be checked.
        let r = range(11, Some(12)).await;
        assert_eq!((r.valid, r.total_checked, r.invalid_ids, r.chain_break_ids), (false, 2, vec![], vec![11]));
        let r = range(9, Some(11)).await;
        assert_eq!((r.total_checked, r.chain_break_ids), (2, vec![11]));
        let r = range(12, None).await;
        assert!(r.valid && r.total_checked == 1, "{r:?}");
        // Beyond the sealed head is refused, no longer cut back to the last row (security review H2).
        assert!(matches!(service.verify(&admin, Some(8), Some(1_000)).await, Err(AuditError::InvalidInput(_))));
        assert_eq!(service.verify(&member(), None, None).await, Err(AuditError::AdminRequired));
        assert!(matches!(service.verify(&admin, Some(5), Some(3)).await, Err(AuditError::InvalidInput(_))));

        // The same range checked directly over the store's `scan`, anchored with `get`.
        let anchor = db.get(7).await.unwrap().expect("row 7");
        let rows = db.scan(&AuditFilter::default(), 7, Some(9), 100).await.unwrap();
        assert_eq!(ids(&rows), vec![8, 9]);
        let key = ChainKey::new(&KEY);
        let mut verifier = Verifier::new(&key, Some((anchor.id, anchor.row_hmac)));
        rows.iter().for_each(|row| verifier.feed(&row.entry));
        assert!(verifier.finish().valid);
        assert_eq!(db.get(10).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn user_actors_are_pseudonymised_and_erasing_the_pseudonym_unlinks_them() {
    each_audit_store(|db, behind| async move {
        let service = service_on(&db);
        let ada = user("ada@example.com", Role::Member);
        let bob = user("bob@example.com", Role::Admin);
        db.insert(&ada).await.unwrap();
        db.insert(&bob).await.unwrap();
        let of = |u: &User| Actor::User(u.id.to_string());

        let mut ada_ids = Vec::new();
        let mut bob_ids = Vec::new();
        for i in 0..3 {
            ada_ids.push(append(&service, AuditEvent::new(of(&ada), "auth.login").detail(json!({"i": i}))).await);
            bob_ids.push(append(&service, AuditEvent::new(of(&bob), "settings.updated")).await);
        }
        append(&service, AuditEvent::new(Actor::System, "auth.failed").failed()).await;
        ada_ids.push(append(&service, AuditEvent::new(of(&ada), "auth.logout")).await);

        let ada_pseudonym =
            db.find_pseudonym(&ada.id.to_string()).await.unwrap().expect("ada has a pseudonym").pseudonym;
        let bob_pseudonym =
            db.find_pseudonym(&bob.id.to_string()).await.unwrap().expect("bob has a pseudonym").pseudonym;
        assert_ne!(ada_pseudonym, bob_pseudonym);
        for id in &ada_ids {
            let raw = AuditStore::get(&*db, *id).await.unwrap().unwrap();
            assert_eq!(raw.pending.actor_type, "user");
            assert_ne!(raw.pending.actor_id.as_deref(), Some(ada.id.to_string().as_str()));
            assert_eq!(raw.pending.actor_id.as_deref(), Some(ada_pseudonym.as_str()));
        }
        assert_eq!(db.find_pseudonym(&UserId::new().to_string()).await.unwrap(), None);

        let admin = admin();
        let by = |user_id: String| {
            let (service, admin) = (&service, &admin);
            async move {
                let query = AuditQuery { actor_user_id: Some(user_id), ..AuditQuery::default() };
                service.list(admin, query, PageRequest { page: 1, limit: 100 }).await.unwrap()
            }
        };
        let page = by(ada.id.to_string()).await;
        assert_eq!(page.total, 4);
        assert_eq!(ids(&page.items), ada_ids.iter().rev().copied().collect::<Vec<_>>(), "newest first");
        for row in &page.items {
            assert_eq!(row.actor_user_id.as_deref(), Some(ada.id.to_string().as_str()));
            assert_eq!(row.actor_name.as_deref(), Some(ada.name.as_str()));
        }
        let page = by(bob.id.to_string()).await;
        assert_eq!(ids(&page.items), bob_ids.iter().rev().copied().collect::<Vec<_>>());
        assert!(page.items.iter().all(|r| r.actor_user_id == Some(bob.id.to_string())));
        let nobody = by(UserId::new().to_string()).await;
        assert_eq!((nobody.total, nobody.items.len()), (0, 0));
        // A raw pseudonym is not a user id: filtering by it finds nothing.
        assert_eq!(by(ada_pseudonym.clone()).await.total, 0);

        // Erase Ada's mapping: her rows stay, unresolvable, and the chain is untouched.
        behind.erase_pseudonym(&ada.id.to_string()).await;
        assert_eq!(by(ada.id.to_string()).await.total, 0);
        let everything =
            service.list(&admin, AuditQuery::default(), PageRequest { page: 1, limit: 100 }).await.unwrap();
        assert_eq!(everything.total, 8);
        for row in &everything.items {
            if ada_ids.contains(&row.entry.id) {
                assert_eq!((row.actor_user_id.as_deref(), row.actor_name.as_deref()), (None, None));
                assert_eq!(row.entry.pending.actor_id.as_deref(), Some(ada_pseudonym.as_str()));
            } else if bob_ids.contains(&row.entry.id) {
                assert_eq!(row.actor_user_id, Some(bob.id.to_string()));
            }
        }
        let (report, _) = service.verify_since(None).await.unwrap();
        assert!(report.valid, "{report:?}");
        assert_eq!(report.total_checked, 8);

        // Ada acting again gets a new pseudonym: the old rows stay unlinked.
        let later = append(&service, AuditEvent::new(of(&ada), "auth.login")).await;
        let fresh = db.find_pseudonym(&ada.id.to_string()).await.unwrap().expect("new pseudonym").pseudonym;
        assert_ne!(fresh, ada_pseudonym);
        assert_eq!(ids(&by(ada.id.to_string()).await.items), vec![later]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_are_redacted_and_emails_masked_before_storage() {
    each_audit_store(|db, _| async move {
        let service = service_on(&db);
        let id = append(
            &service,
            AuditEvent::new(Actor::System, "test.secrets").detail(json!({
                "password": "hunter2-hunter2",
                "api_key": "plain-looking-value",
                "note": "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
                "nested": {"bot_token": "tg-value-qqq"},
                "email": "Alice.Smith@Example.com",
                "reason": "wrong_password",
            })),
        )
        .await;
        let stored = AuditStore::get(&*db, id).await.unwrap().unwrap().pending.detail;
        for secret in ["hunter2", "plain-looking-value", "sk-ant", "abcdefghijklmnop", "tg-value-qqq"] {
            assert!(!stored.contains(secret), "{secret} stored: {stored}");
        }
        assert_eq!(stored.matches("[REDACTED]").count(), 4, "{stored}");
        assert!(!stored.to_lowercase().contains("alice.smith@"), "{stored}");
        let detail: Value = serde_json::from_str(&stored).unwrap();
        let email = detail["email"].as_str().unwrap();
        assert!(email.starts_with("a•••@example.com#"), "{email}");
        assert_eq!(detail["reason"], "wrong_password");
        assert_eq!(detail["password"], "[REDACTED]");
        assert_eq!(detail["api_key"], "[REDACTED]");
        assert_eq!(detail["note"], "[REDACTED]");
        // The same address always masks the same way, so events about it can be correlated.
        let third = append(
            &service,
            AuditEvent::new(Actor::System, "test.secrets").detail(json!({"to": " alice.smith@EXAMPLE.com"})),
        )
        .await;
        let third: Value =
            serde_json::from_str(&AuditStore::get(&*db, third).await.unwrap().unwrap().pending.detail).unwrap();
        assert_eq!(third["to"], email);
        assert!(service.verify_since(None).await.unwrap().0.valid);
    })
    .await;
}

/// What an appended event looked like, to compute the expected answer of a query.
#[derive(Clone, Debug)]
struct Appended {
    id: i64,
    event_type: &'static str,
    user: Option<UserId>,
    at: Timestamp,
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_and_pages_return_exactly_the_matching_rows() {
    each_audit_store(|db, _| async move {
        let clock = Arc::new(TestClock(AtomicI64::new(NOW.millis())));
        let service = AuditService::new(db.clone(), &KEY, clock.clone());
        let (ada, bob) = (UserId::new(), UserId::new());
        let types = ["user.invited", "auth.login", "settings.updated"];
        let mut log = Vec::new();
        for i in 0..30_i64 {
            // Seconds apart, with two rows sharing a millisecond now and then.
            let at = NOW.plus_millis(i / 2 * 1_000 + i % 2 * (i % 3));
            clock.set(at);
            let user = match i % 3 {
                0 => Some(ada),
                1 if i % 2 == 1 => Some(bob),
                _ => None,
            };
            let actor = user.map_or(Actor::Agent("agent-7".into()), |u| Actor::User(u.to_string()));
            let event_type = types[(i % 4 % 3) as usize];
            let id = append(&service, AuditEvent::new(actor, event_type)).await;
            log.push(Appended { id, event_type, user, at });
        }
        let admin = admin();
        let queries: Vec<AuditQuery> = {
            let q = AuditQuery::default;
            let (t5, t9) = (NOW.plus_millis(5_000), NOW.plus_millis(9_001));
            vec![
                q(),
                AuditQuery { event_type: Some("auth.login".into()), ..q() },
                AuditQuery { event_type: Some("no.such.type".into()), ..q() },
                AuditQuery { actor_user_id: Some(ada.to_string()), ..q() },
                AuditQuery { actor_user_id: Some(bob.to_string()), ..q() },
                AuditQuery { actor_user_id: Some(UserId::new().to_string()), ..q() },
                AuditQuery { from: Some(t5), ..q() },
                AuditQuery { to: Some(t5), ..q() },
                AuditQuery { from: Some(t5), to: Some(t9), ..q() },
                AuditQuery { from: Some(t9), to: Some(t5), ..q() },
                AuditQuery {
                    event_type: Some("user.invited".into()),
                    actor_user_id: Some(ada.to_string()),
                    from: Some(NOW.plus_millis(1)),
                    to: Some(t9),
                },
            ]
        };
        let mut sizes = Vec::new();
        for query in queries {
            let expected: Vec<i64> = log
                .iter()
                .filter(|e| query.event_type.as_deref().is_none_or(|t| t == e.event_type))
                .filter(|e| {
                    query.actor_user_id.as_ref().is_none_or(|u| e.user.map(|x| x.to_string()) == Some(u.clone()))
                })
                .filter(|e| query.from.is_none_or(|from| e.at >= from))
                .filter(|e| query.to.is_none_or(|to| e.at <= to))
                .map(|e| e.id)
                .rev()
                .collect();
            sizes.push(expected.len());
            for limit in [1, 7, 100] {
                let mut got = Vec::new();
                for page in 1..=40 {
                    let result = service.list(&admin, query.clone(), PageRequest { page, limit }).await.unwrap();
                    assert_eq!(result.total, expected.len() as i64, "{query:?}");
                    assert!(result.items.len() <= limit as usize);
                    if result.items.is_empty() {
                        break;
                    }
                    got.extend(ids(&result.items));
                }
                assert_eq!(got, expected, "{query:?}, limit {limit}");
            }
            // The export path: ascending, in batches after a cursor.
            let filter = service.export_filter(&admin, query.clone()).await.unwrap();
            let ascending: Vec<i64> = expected.iter().rev().copied().collect();
            assert_eq!(ids(&service.export_batch(&filter, 0).await.unwrap()), ascending, "{query:?}");
            let after = ascending.get(2).copied().unwrap_or(i64::MAX);
            let rest: Vec<i64> = ascending.iter().copied().filter(|id| *id > after).collect();
            assert_eq!(ids(&service.export_batch(&filter, after).await.unwrap()), rest);
        }

        // Worked out by hand from the loop above: the queries are not vacuous.
        assert_eq!(sizes, vec![30, 8, 0, 10, 5, 0, 20, 11, 10, 0, 3], "matching rows per query");

        let mut expected_types: Vec<String> = types.iter().map(|t| t.to_string()).collect();
        expected_types.sort();
        assert_eq!(service.event_types(&admin).await.unwrap(), expected_types);
        assert_eq!(db.event_types().await.unwrap(), expected_types);
        let distinct: BTreeSet<&str> = log.iter().map(|e| e.event_type).collect();
        assert_eq!(distinct.len(), 3);

        assert!(matches!(
            service.list(&member(), AuditQuery::default(), PageRequest { page: 1, limit: 10 }).await,
            Err(AuditError::AdminRequired)
        ));
        assert_eq!(service.event_types(&member()).await, Err(AuditError::AdminRequired));
        assert!(matches!(
            service.export_filter(&member(), AuditQuery::default()).await,
            Err(AuditError::AdminRequired)
        ));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn totals_count_only_the_rows_after_the_given_tally() {
    each_audit_store(|db, _| async move {
        let service = service_on(&db);
        let mut logins = Vec::new();
        let mut newest = 0;
        for i in 0..9 {
            let event_type = if i % 3 == 0 { "auth.login" } else { "settings.updated" };
            newest = append(&service, AuditEvent::new(Actor::System, event_type)).await;
            if event_type == "auth.login" {
                logins.push(newest);
            }
        }
        let filter = AuditFilter { event_type: Some("auth.login".into()), ..AuditFilter::default() };
        let first = PageRequest { page: 1, limit: 2 };

        // Counted through the newest row of the log, a login or not.
        let (items, tally) = db.query(&filter, first, Tally::default()).await.unwrap();
        assert_eq!(ids(&items), vec![logins[2], logins[1]]);
        assert_eq!(tally, Tally { count: 3, through_id: newest });

        // A tally taken through the first login: only the two later ones are counted, on top of
        // whatever the tally says (a made-up 100 here, to show it is not recounted).
        let (_, tally) = db.query(&filter, first, Tally { count: 100, through_id: logins[0] }).await.unwrap();
        assert_eq!(tally, Tally { count: 102, through_id: newest });
        // Nothing newer: the tally stays as it was (a made-up count, to show nothing is counted).
        let (_, tally) = db.query(&filter, first, Tally { count: 50, through_id: newest }).await.unwrap();
        assert_eq!(tally, Tally { count: 50, through_id: newest });
        // A filter that matches nothing still moves its mark to the newest row, so the rows
        // already looked at are not looked at again.
        let none = AuditFilter { event_type: Some("never.happens".into()), ..AuditFilter::default() };
        let (items, tally) = db.query(&none, first, Tally::default()).await.unwrap();
        assert!(items.is_empty());
        assert_eq!(tally, Tally { count: 0, through_id: newest });
        let (_, tally) = db.query(&none, first, Tally { count: 0, through_id: logins[1] }).await.unwrap();
        assert_eq!(tally, Tally { count: 0, through_id: newest });

        // Through the service, which keeps the tallies: appends after a page are counted on the
        // next one, matching and non-matching alike.
        let admin = admin();
        let query = AuditQuery { event_type: Some("auth.login".into()), ..AuditQuery::default() };
        assert_eq!(service.list(&admin, query.clone(), first).await.unwrap().total, 3);
        assert_eq!(service.list(&admin, AuditQuery::default(), first).await.unwrap().total, 9);
        append(&service, AuditEvent::new(Actor::System, "auth.login")).await;
        append(&service, AuditEvent::new(Actor::System, "settings.updated")).await;
        append(&service, AuditEvent::new(Actor::System, "auth.login")).await;
        assert_eq!(service.list(&admin, query.clone(), first).await.unwrap().total, 5);
        assert_eq!(service.list(&admin, AuditQuery::default(), first).await.unwrap().total, 12);
        assert_eq!(service.list(&admin, query, PageRequest { page: 3, limit: 2 }).await.unwrap().items.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn totals_after_a_tally_count_many_new_rows_in_steps() {
    each_audit_store(|db, _| async move {
        let service = service_on(&db);
        let first = append(&service, AuditEvent::new(Actor::System, "auth.login")).await;
        // More new rows than one counting step reads (10,000), every third of them a login.
        let events = (0..25_001)
            .map(|i| AuditEvent::new(Actor::System, if i % 3 == 0 { "auth.login" } else { "settings.updated" }))
            .collect();
        let appended = service.append_batch(events).await.unwrap();
        let newest = *appended.last().unwrap();
        let page = PageRequest { page: 1, limit: 1 };

        let (_, all) = db.query(&AuditFilter::default(), page, Tally { count: 1, through_id: first }).await.unwrap();
        assert_eq!(all, Tally { count: 25_002, through_id: newest });
        let logins = AuditFilter { event_type: Some("auth.login".into()), ..AuditFilter::default() };
        let (_, counted) = db.query(&logins, page, Tally { count: 1, through_id: first }).await.unwrap();
        assert_eq!(counted, Tally { count: 1 + 8_334, through_id: newest });
    })
    .await;
}
