//! `UserStore`: inserts, lookups, paging, and the admin rules that must hold under concurrency.

use pincer_core::{PageRequest, Role, StoreError, Timestamp, UserId};
use pincer_identity::{User, UserStore};

use crate::support::{NOW, each_user_store, user, user_at};

async fn count(db: &dyn UserStore) -> i64 {
    db.list(PageRequest { page: 1, limit: 100 }).await.unwrap().total
}

#[tokio::test(flavor = "multi_thread")]
async fn insert_then_get_and_find_by_email() {
    each_user_store(|db| async move {
        let mut ada = user("ada@example.com", Role::Member);
        ada.context = "## Notes\nlikes engines".into();
        ada.banned = true;
        db.insert(&ada).await.unwrap();

        assert_eq!(db.get(ada.id).await.unwrap(), Some(ada.clone()));
        assert_eq!(db.find_by_email("ada@example.com").await.unwrap(), Some(ada.clone()));
        assert_eq!(db.get(UserId::new()).await.unwrap(), None);
        assert_eq!(db.find_by_email("nobody@example.com").await.unwrap(), None);
        // Emails are stored as given (the domain lower-cases them); lookups are exact.
        assert_eq!(db.find_by_email("ADA@example.com").await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_email_conflicts_and_inserts_nothing() {
    each_user_store(|db| async move {
        let first = user("same@example.com", Role::Member);
        db.insert(&first).await.unwrap();
        let second = user("same@example.com", Role::Admin);
        assert_eq!(db.insert(&second).await, Err(StoreError::Conflict(pincer_core::Rule::Email)));
        assert_eq!(db.get(second.id).await.unwrap(), None);
        assert_eq!(count(&*db).await, 1);
        assert_eq!(db.find_by_email("same@example.com").await.unwrap(), Some(first));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_id_conflicts() {
    each_user_store(|db| async move {
        let first = user("one@example.com", Role::Member);
        db.insert(&first).await.unwrap();
        let again = User { email: "two@example.com".into(), ..first.clone() };
        assert_eq!(db.insert(&again).await, Err(StoreError::Conflict(pincer_core::Rule::Id)));
        assert_eq!(count(&*db).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn list_orders_by_creation_then_id_and_pages() {
    each_user_store(|db| async move {
        let t = |ms: i64| Timestamp(NOW.millis() + ms);
        let users = [
            user_at("c@example.com", Role::Member, t(30)),
            user_at("a@example.com", Role::Admin, t(10)),
            user_at("e@example.com", Role::Member, t(50)),
            user_at("b@example.com", Role::Member, t(20)),
            // Same creation time as "b": the id breaks the tie.
            user_at("b2@example.com", Role::Member, t(20)),
        ];
        for u in &users {
            db.insert(u).await.unwrap();
        }
        let mut expected = users.to_vec();
        expected.sort_by_key(|u| (u.created_at, u.id));

        let page = |page, limit| PageRequest { page, limit };
        let first = db.list(page(1, 2)).await.unwrap();
        assert_eq!(first.total, 5);
        assert_eq!(first.items, expected[0..2]);
        let second = db.list(page(2, 2)).await.unwrap();
        assert_eq!(second.items, expected[2..4]);
        let third = db.list(page(3, 2)).await.unwrap();
        assert_eq!(third.items, expected[4..5]);
        let past = db.list(page(4, 2)).await.unwrap();
        assert_eq!(past.total, 5);
        assert!(past.items.is_empty());
        assert_eq!(db.list(page(1, 100)).await.unwrap().items, expected);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn any_admin_counts_banned_admins_too() {
    each_user_store(|db| async move {
        assert!(!db.any_admin().await.unwrap());
        db.insert(&user("member@example.com", Role::Member)).await.unwrap();
        assert!(!db.any_admin().await.unwrap());
        let mut admin = user("admin@example.com", Role::Admin);
        admin.banned = true;
        db.insert(&admin).await.unwrap();
        assert!(db.any_admin().await.unwrap());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn only_active_accounts_take_seats() {
    each_user_store(|db| async move {
        assert_eq!(db.count_active().await.unwrap(), 0);
        let first = user("first@example.com", Role::Admin);
        db.insert(&first).await.unwrap();
        for n in 0..3 {
            db.insert(&user(&format!("m{n}@example.com"), Role::Member)).await.unwrap();
        }
        let gone = user("gone@example.com", Role::Member);
        db.insert(&gone).await.unwrap();
        assert_eq!(db.count_active().await.unwrap(), 5);
        db.set_banned(gone.id, true, NOW).await.unwrap();
        assert_eq!(db.count_active().await.unwrap(), 4, "a deactivated account frees its seat");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn insert_first_admin_only_once() {
    each_user_store(|db| async move {
        // Members do not complete the setup.
        db.insert(&user("member@example.com", Role::Member)).await.unwrap();
        let first = user("first@example.com", Role::Admin);
        db.insert_first_admin(&first).await.unwrap();
        assert_eq!(db.get(first.id).await.unwrap(), Some(first));

        let second = user("second@example.com", Role::Admin);
        assert_eq!(db.insert_first_admin(&second).await, Err(StoreError::Conflict(pincer_core::Rule::SetupComplete)));
        assert_eq!(db.get(second.id).await.unwrap(), None);
        assert_eq!(count(&*db).await, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn insert_first_admin_refuses_when_only_a_banned_admin_exists() {
    each_user_store(|db| async move {
        let mut banned = user("banned@example.com", Role::Admin);
        banned.banned = true;
        db.insert(&banned).await.unwrap();
        let late = user("late@example.com", Role::Admin);
        assert_eq!(db.insert_first_admin(&late).await, Err(StoreError::Conflict(pincer_core::Rule::SetupComplete)));
        assert_eq!(db.get(late.id).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn insert_first_admin_duplicate_email_is_an_email_conflict() {
    each_user_store(|db| async move {
        db.insert(&user("taken@example.com", Role::Member)).await.unwrap();
        let admin = user("taken@example.com", Role::Admin);
        assert_eq!(db.insert_first_admin(&admin).await, Err(StoreError::Conflict(pincer_core::Rule::Email)));
        assert!(!db.any_admin().await.unwrap());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_setup_has_exactly_one_winner() {
    each_user_store(|db| async move {
        let attempts: Vec<_> = (0..6)
            .map(|i| {
                let db = db.clone();
                let admin = user(&format!("admin{i}@example.com"), Role::Admin);
                tokio::spawn(async move { db.insert_first_admin(&admin).await })
            })
            .collect();
        let mut won = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(()) => won += 1,
                Err(e) => assert_eq!(e, StoreError::Conflict(pincer_core::Rule::SetupComplete)),
            }
        }
        assert_eq!(won, 1);
        assert_eq!(count(&*db).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn set_role_promotes_and_demotes_with_the_last_admin_guard() {
    each_user_store(|db| async move {
        let admin = user("admin@example.com", Role::Admin);
        let member = user("member@example.com", Role::Member);
        db.insert(&admin).await.unwrap();
        db.insert(&member).await.unwrap();
        let later = NOW.plus_millis(1_000);

        // The only active admin cannot be demoted; nothing changes.
        assert_eq!(
            db.set_role(admin.id, Role::Member, later).await,
            Err(StoreError::Conflict(pincer_core::Rule::LastAdmin))
        );
        assert_eq!(db.get(admin.id).await.unwrap(), Some(admin.clone()));
        // Re-affirming the role is not a demotion.
        db.set_role(admin.id, Role::Admin, later).await.unwrap();

        db.set_role(member.id, Role::Admin, later).await.unwrap();
        let promoted = db.get(member.id).await.unwrap().unwrap();
        assert_eq!((promoted.role, promoted.updated_at), (Role::Admin, later));

        // With two active admins one may step down.
        db.set_role(admin.id, Role::Member, later).await.unwrap();
        assert_eq!(db.get(admin.id).await.unwrap().unwrap().role, Role::Member);
        assert_eq!(
            db.set_role(member.id, Role::Member, later).await,
            Err(StoreError::Conflict(pincer_core::Rule::LastAdmin))
        );
        // Members may be "demoted" to member freely.
        db.set_role(admin.id, Role::Member, later).await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn banned_admins_do_not_count_as_remaining_admins() {
    each_user_store(|db| async move {
        let active = user("active@example.com", Role::Admin);
        let mut banned = user("banned@example.com", Role::Admin);
        banned.banned = true;
        db.insert(&active).await.unwrap();
        db.insert(&banned).await.unwrap();

        assert_eq!(
            db.set_role(active.id, Role::Member, NOW).await,
            Err(StoreError::Conflict(pincer_core::Rule::LastAdmin))
        );
        assert_eq!(db.set_banned(active.id, true, NOW).await, Err(StoreError::Conflict(pincer_core::Rule::LastAdmin)));
        // The banned admin is not active: changing it leaves the active one in place.
        db.set_role(banned.id, Role::Member, NOW).await.unwrap();
        assert_eq!(db.get(active.id).await.unwrap(), Some(active));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn set_banned_bans_and_unbans_with_the_last_admin_guard() {
    each_user_store(|db| async move {
        let admin = user("admin@example.com", Role::Admin);
        let other = user("other@example.com", Role::Admin);
        let member = user("member@example.com", Role::Member);
        for u in [&admin, &other, &member] {
            db.insert(u).await.unwrap();
        }
        let later = NOW.plus_millis(5);

        db.set_banned(member.id, true, later).await.unwrap();
        let banned = db.get(member.id).await.unwrap().unwrap();
        assert_eq!((banned.banned, banned.updated_at), (true, later));

        db.set_banned(other.id, true, later).await.unwrap();
        assert_eq!(db.set_banned(admin.id, true, later).await, Err(StoreError::Conflict(pincer_core::Rule::LastAdmin)));
        assert!(!db.get(admin.id).await.unwrap().unwrap().banned);

        // Unbanning is always allowed, and then the other admin may be banned.
        db.set_banned(other.id, false, later).await.unwrap();
        assert!(!db.get(other.id).await.unwrap().unwrap().banned);
        db.set_banned(admin.id, true, later).await.unwrap();
        assert!(db.get(admin.id).await.unwrap().unwrap().banned);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_demotions_keep_one_active_admin() {
    each_user_store(|db| async move {
        let admins: Vec<_> = (0..4).map(|i| user(&format!("admin{i}@example.com"), Role::Admin)).collect();
        for a in &admins {
            db.insert(a).await.unwrap();
        }
        let tasks: Vec<_> = admins
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let (db, id) = (db.clone(), a.id);
                tokio::spawn(async move {
                    if i % 2 == 0 {
                        db.set_role(id, Role::Member, NOW).await
                    } else {
                        db.set_banned(id, true, NOW).await
                    }
                })
            })
            .collect();
        let mut refused = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => {}
                Err(e) => {
                    assert_eq!(e, StoreError::Conflict(pincer_core::Rule::LastAdmin));
                    refused += 1;
                }
            }
        }
        assert_eq!(refused, 1);
        let remaining = db.list(PageRequest { page: 1, limit: 10 }).await.unwrap().items;
        let active: Vec<_> = remaining.iter().filter(|u| u.role == Role::Admin && !u.banned).collect();
        assert_eq!(active.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn setters_update_one_field_and_the_time() {
    each_user_store(|db| async move {
        let ada = user("ada@example.com", Role::Member);
        db.insert(&ada).await.unwrap();

        db.set_name(ada.id, "Ada King", NOW.plus_millis(1)).await.unwrap();
        db.set_context(ada.id, "context ✓", NOW.plus_millis(2)).await.unwrap();
        db.set_password_hash(ada.id, "$argon2id$new", NOW.plus_millis(3)).await.unwrap();

        let expected = User {
            name: "Ada King".into(),
            context: "context ✓".into(),
            password_hash: "$argon2id$new".into(),
            updated_at: NOW.plus_millis(3),
            ..ada.clone()
        };
        assert_eq!(db.get(ada.id).await.unwrap(), Some(expected));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn setters_on_an_unknown_user_are_not_found() {
    each_user_store(|db| async move {
        db.insert(&user("admin@example.com", Role::Admin)).await.unwrap();
        let nobody = UserId::new();
        assert_eq!(db.set_role(nobody, Role::Admin, NOW).await, Err(StoreError::NotFound));
        assert_eq!(db.set_role(nobody, Role::Member, NOW).await, Err(StoreError::NotFound));
        assert_eq!(db.set_banned(nobody, true, NOW).await, Err(StoreError::NotFound));
        assert_eq!(db.set_banned(nobody, false, NOW).await, Err(StoreError::NotFound));
        assert_eq!(db.set_name(nobody, "x", NOW).await, Err(StoreError::NotFound));
        assert_eq!(db.set_context(nobody, "x", NOW).await, Err(StoreError::NotFound));
        assert_eq!(db.set_password_hash(nobody, "x", NOW).await, Err(StoreError::NotFound));
        assert_eq!(count(&*db).await, 1);
    })
    .await;
}
