//! The security self-audit's ports on both backends. `ReportStore`: one report per day (a second
//! save of a day replaces it), newest day first, paged, the checks round trip. `PostureStore`: the
//! facts the checks judge — active admins with when their password was last set (set by a
//! password change), only admin-scoped tokens of active admins, providers' base URLs, the newest
//! integrity check and its outcome, no pending migrations.

use std::sync::Arc;

use pincer_agents::{Provider, ProviderKind, ProviderStore};
use pincer_audit::{Actor, AuditEvent, AuditService};
use pincer_core::{ApiTokenId, PageRequest, Role, Scope, SystemClock, Timestamp};
use pincer_identity::{ApiToken, ApiTokenStore, UserStore};
use pincer_security::facts::{AdminTokenFact, IntegrityFact, ProviderFact};
use pincer_security::ports::{PostureStore, ReportStore};
use pincer_security::{Assessment, Check, Day, Report, Severity, Status};

use crate::support::{HOUR, NOW, each_backend, user, user_at};

fn report(day: &str, at: Timestamp, score: u8, status: Status) -> Report {
    Report {
        day: Day::parse(day).unwrap(),
        assessment: Assessment {
            at,
            score,
            checks: vec![
                Check::flag("key_files", "Key files are private", Severity::Critical, status, "found", "chmod"),
                Check::pass("backups", "There is a recent backup", Severity::Medium, "1 day old"),
            ],
        },
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_report_a_day_newest_first() {
    each_backend(|db| async move {
        assert_eq!(db.latest_report().await.unwrap(), None);
        let morning = report("2026-12-04", NOW, 80, Status::Warn);
        let earlier = report("2026-12-02", NOW.plus_millis(-2 * 24 * HOUR), 90, Status::Pass);
        let evening = report("2026-12-04", NOW.plus_millis(10 * HOUR), 40, Status::Fail);
        for r in [&morning, &earlier, &evening] {
            db.save_report(r).await.unwrap();
        }
        assert_eq!(db.report(Day::parse("2026-12-04").unwrap()).await.unwrap(), Some(evening.clone()));
        assert_eq!(db.report(Day::parse("2026-12-02").unwrap()).await.unwrap(), Some(earlier.clone()));
        assert_eq!(db.report(Day::parse("2026-12-03").unwrap()).await.unwrap(), None);
        assert_eq!(db.latest_report().await.unwrap(), Some(evening.clone()));

        let all = db.reports(PageRequest { page: 1, limit: 10 }).await.unwrap();
        assert_eq!((all.total, all.items), (2, vec![evening, earlier.clone()]));
        let second = db.reports(PageRequest { page: 2, limit: 1 }).await.unwrap();
        assert_eq!((second.total, second.items), (2, vec![earlier]));
    })
    .await;
}

fn token(owner: &pincer_identity::User, name: &str, scopes: Vec<Scope>, last_used_at: Option<Timestamp>) -> ApiToken {
    ApiToken {
        id: ApiTokenId::new(),
        user_id: owner.id,
        name: name.into(),
        scopes,
        token_hash: format!("hash-{name}-{}", owner.email),
        created_at: NOW,
        last_used_at,
        expires_at: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_facts_the_checks_judge() {
    each_backend(|db| async move {
        let ada = user("ada@example.com", Role::Admin);
        let old = user_at("old@example.com", Role::Admin, NOW.plus_millis(-400 * 24 * HOUR));
        let banned = pincer_identity::User { banned: true, ..user("gone@example.com", Role::Admin) };
        let bo = user("bo@example.com", Role::Member);
        for u in [&ada, &old, &banned, &bo] {
            UserStore::insert(&db, u).await.unwrap();
        }
        let changed = NOW.plus_millis(HOUR);
        db.set_password_hash(ada.id, "$argon2id$new", changed).await.unwrap();
        let used = NOW.plus_millis(2 * HOUR);
        for t in [
            token(&ada, "ci", vec![Scope::Admin], Some(used)),
            token(&ada, "chat", vec![Scope::Chat], None),
            token(&bo, "powerless", vec![Scope::Admin], None),
            token(&banned, "banned", vec![Scope::Admin, Scope::Chat], None),
        ] {
            db.insert_token(&t).await.unwrap();
        }
        let plain = Provider {
            name: "lan".into(),
            kind: ProviderKind::OpenaiCompatible,
            sealed_api_key: None,
            key_hint: String::new(),
            base_url: Some("http://10.0.0.5:8000/v1".into()),
            default_model: None,
            is_default: true,
            created_at: NOW,
            updated_at: NOW,
        };
        ProviderStore::upsert(&db, &plain).await.unwrap();

        let facts = db.stored_facts().await.unwrap();
        let admins: Vec<(&str, Timestamp)> =
            facts.admins.iter().map(|a| (a.email.as_str(), a.password_changed_at)).collect();
        assert_eq!(admins, vec![("ada@example.com", changed), ("old@example.com", old.created_at)]);
        assert_eq!(
            facts.admin_tokens,
            vec![AdminTokenFact {
                name: "ci".into(),
                owner: "ada@example.com".into(),
                created_at: NOW,
                last_used_at: Some(used)
            }]
        );
        assert_eq!(facts.providers, vec![ProviderFact { name: "lan".into(), base_url: plain.base_url.clone() }]);
        assert_eq!(facts.last_integrity_check, None);
        assert_eq!(facts.pending_migrations, Vec::<String>::new());

        let audit = AuditService::new(Arc::new(db.clone()), &[3; 32], Arc::new(SystemClock));
        audit.append(AuditEvent::new(Actor::System, "audit.integrity_check")).await.unwrap();
        audit.append(AuditEvent::new(Actor::System, "audit.integrity_check").failed()).await.unwrap();
        audit.append(AuditEvent::new(Actor::System, "security.self_audit")).await.unwrap();
        let last = db.stored_facts().await.unwrap().last_integrity_check.unwrap();
        assert!(!last.valid, "the newest check failed: {last:?}");
        audit.append(AuditEvent::new(Actor::System, "audit.integrity_check")).await.unwrap();
        assert!(matches!(
            db.stored_facts().await.unwrap().last_integrity_check,
            Some(IntegrityFact { valid: true, .. })
        ));
    })
    .await;
}
