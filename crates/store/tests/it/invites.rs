//! `InviteStore`: listing, revoking, and the two claims, which change everything or nothing.

use pincer_core::{InviteId, PageRequest, Role, StoreError, UserId};
use pincer_identity::{Invite, InviteStore, SessionStore, User, UserStore};

use crate::support::{HOUR, IdentityStores, NOW, each_identity_store, invite, reset, session, user};

async fn admin(db: &dyn IdentityStores) -> User {
    let admin = user("admin@example.com", Role::Admin);
    UserStore::insert(db, &admin).await.unwrap();
    admin
}

async fn invite_by_hash(db: &dyn IdentityStores, hash: &str) -> Invite {
    db.find_by_token_hash(hash).await.unwrap().unwrap()
}

async fn user_count(db: &dyn IdentityStores) -> i64 {
    UserStore::list(db, PageRequest { page: 1, limit: 100 }).await.unwrap().total
}

#[tokio::test(flavor = "multi_thread")]
async fn insert_find_and_list_newest_first() {
    each_identity_store(|db| async move {
        let admin = admin(&*db).await;
        let mut older = invite(&admin, "older", Some("new@example.com"));
        older.created_at = NOW.plus_millis(-2 * HOUR);
        older.role = Role::Admin;
        let newer = reset(&admin, &admin, "newer");
        let mut used = invite(&admin, "used", None);
        used.created_at = NOW.plus_millis(-3 * HOUR);
        used.used_at = Some(NOW.plus_millis(-HOUR));
        for i in [&older, &newer, &used] {
            InviteStore::insert(&*db, i).await.unwrap();
        }

        assert_eq!(db.find_by_token_hash("older").await.unwrap(), Some(older.clone()));
        assert_eq!(db.find_by_token_hash("newer").await.unwrap(), Some(newer.clone()));
        assert_eq!(db.find_by_token_hash("used").await.unwrap(), Some(used.clone()));
        assert_eq!(db.find_by_token_hash("missing").await.unwrap(), None);
        assert_eq!(InviteStore::list(&*db).await.unwrap(), vec![newer, older, used]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn token_hashes_are_unique() {
    each_identity_store(|db| async move {
        let admin = admin(&*db).await;
        InviteStore::insert(&*db, &invite(&admin, "same", None)).await.unwrap();
        let twin = invite(&admin, "same", Some("x@example.com"));
        assert_eq!(InviteStore::insert(&*db, &twin).await, Err(StoreError::Conflict(pincer_core::Rule::TokenHash)));
        assert_eq!(InviteStore::list(&*db).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_removes_unclaimed_invites_only() {
    each_identity_store(|db| async move {
        let admin = admin(&*db).await;
        let pending = invite(&admin, "pending", None);
        let mut claimed = invite(&admin, "claimed", None);
        claimed.used_at = Some(NOW);
        InviteStore::insert(&*db, &pending).await.unwrap();
        InviteStore::insert(&*db, &claimed).await.unwrap();

        InviteStore::delete(&*db, pending.id).await.unwrap();
        assert_eq!(db.find_by_token_hash("pending").await.unwrap(), None);
        assert_eq!(InviteStore::delete(&*db, pending.id).await, Err(StoreError::NotFound));
        assert_eq!(InviteStore::delete(&*db, InviteId::new()).await, Err(StoreError::NotFound));
        assert_eq!(InviteStore::delete(&*db, claimed.id).await, Err(StoreError::NotFound));
        assert_eq!(db.find_by_token_hash("claimed").await.unwrap(), Some(claimed));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn claim_for_new_user_marks_the_invite_and_creates_the_account() {
    each_identity_store(|db| async move {
        let admin = admin(&*db).await;
        let inv = invite(&admin, "tok", Some("new@example.com"));
        InviteStore::insert(&*db, &inv).await.unwrap();
        let newcomer = user("new@example.com", Role::Member);

        db.claim_for_new_user(inv.id, NOW, &newcomer).await.unwrap();
        assert_eq!(invite_by_hash(&*db, "tok").await.used_at, Some(NOW));
        assert_eq!(UserStore::get(&*db, newcomer.id).await.unwrap(), Some(newcomer));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn claiming_a_used_or_expired_invite_changes_nothing() {
    each_identity_store(|db| async move {
        let admin = admin(&*db).await;
        let mut used = invite(&admin, "used", None);
        used.used_at = Some(NOW.plus_millis(-HOUR));
        let mut expired = invite(&admin, "expired", None);
        expired.expires_at = NOW;
        InviteStore::insert(&*db, &used).await.unwrap();
        InviteStore::insert(&*db, &expired).await.unwrap();

        let first = user("first@example.com", Role::Member);
        assert_eq!(
            db.claim_for_new_user(used.id, NOW, &first).await,
            Err(StoreError::Conflict(pincer_core::Rule::InviteUsed))
        );
        let second = user("second@example.com", Role::Member);
        assert_eq!(
            db.claim_for_new_user(expired.id, NOW, &second).await,
            Err(StoreError::Conflict(pincer_core::Rule::InviteUsed))
        );
        let third = user("third@example.com", Role::Member);
        assert_eq!(
            db.claim_for_new_user(InviteId::new(), NOW, &third).await,
            Err(StoreError::Conflict(pincer_core::Rule::InviteUsed))
        );

        assert_eq!(invite_by_hash(&*db, "used").await, used);
        assert_eq!(invite_by_hash(&*db, "expired").await, expired);
        assert_eq!(user_count(&*db).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_used_invite_cannot_be_claimed_twice() {
    each_identity_store(|db| async move {
        let admin = admin(&*db).await;
        let inv = invite(&admin, "tok", None);
        InviteStore::insert(&*db, &inv).await.unwrap();
        db.claim_for_new_user(inv.id, NOW, &user("one@example.com", Role::Member)).await.unwrap();
        let two = user("two@example.com", Role::Member);
        assert_eq!(
            db.claim_for_new_user(inv.id, NOW.plus_millis(1), &two).await,
            Err(StoreError::Conflict(pincer_core::Rule::InviteUsed))
        );
        assert_eq!(invite_by_hash(&*db, "tok").await.used_at, Some(NOW));
        assert_eq!(UserStore::get(&*db, two.id).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn claim_with_a_taken_email_leaves_the_invite_unused() {
    each_identity_store(|db| async move {
        let admin = admin(&*db).await;
        let inv = invite(&admin, "tok", None);
        InviteStore::insert(&*db, &inv).await.unwrap();
        let clash = user("admin@example.com", Role::Member);

        assert_eq!(
            db.claim_for_new_user(inv.id, NOW, &clash).await,
            Err(StoreError::Conflict(pincer_core::Rule::Email))
        );
        assert_eq!(invite_by_hash(&*db, "tok").await, inv);
        assert_eq!(UserStore::get(&*db, clash.id).await.unwrap(), None);
        assert_eq!(user_count(&*db).await, 1);

        // The invite is still good for another email.
        let ok = user("fresh@example.com", Role::Member);
        db.claim_for_new_user(inv.id, NOW, &ok).await.unwrap();
        assert_eq!(invite_by_hash(&*db, "tok").await.used_at, Some(NOW));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_claims_of_one_invite_have_one_winner() {
    each_identity_store(|db| async move {
        let admin = admin(&*db).await;
        let inv = invite(&admin, "tok", None);
        InviteStore::insert(&*db, &inv).await.unwrap();
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let db = db.clone();
                let u = user(&format!("u{i}@example.com"), Role::Member);
                tokio::spawn(async move { db.claim_for_new_user(inv.id, NOW, &u).await })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => won += 1,
                Err(e) => assert_eq!(e, StoreError::Conflict(pincer_core::Rule::InviteUsed)),
            }
        }
        assert_eq!(won, 1);
        assert_eq!(user_count(&*db).await, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn claims_check_the_kind_of_link() {
    each_identity_store(|db| async move {
        let admin = admin(&*db).await;
        let rst = reset(&admin, &admin, "reset");
        let inv = invite(&admin, "invite", None);
        InviteStore::insert(&*db, &rst).await.unwrap();
        InviteStore::insert(&*db, &inv).await.unwrap();

        let u = user("new@example.com", Role::Member);
        assert_eq!(
            db.claim_for_new_user(rst.id, NOW, &u).await,
            Err(StoreError::Conflict(pincer_core::Rule::InviteUsed))
        );
        assert_eq!(
            db.claim_for_reset(inv.id, NOW, admin.id, "$new").await,
            Err(StoreError::Conflict(pincer_core::Rule::InviteUsed))
        );
        assert_eq!(invite_by_hash(&*db, "reset").await, rst);
        assert_eq!(invite_by_hash(&*db, "invite").await, inv);
        assert_eq!(UserStore::get(&*db, admin.id).await.unwrap(), Some(admin));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn claim_for_reset_sets_the_hash_and_ends_every_session() {
    each_identity_store(|db| async move {
        let admin = admin(&*db).await;
        let ada = user("ada@example.com", Role::Member);
        UserStore::insert(&*db, &ada).await.unwrap();
        for (who, hash) in [(&ada, "ada-1"), (&ada, "ada-2"), (&admin, "admin-1")] {
            SessionStore::insert(&*db, &session(who, hash, NOW.plus_millis(HOUR))).await.unwrap();
        }
        let rst = reset(&admin, &ada, "reset");
        InviteStore::insert(&*db, &rst).await.unwrap();

        let at = NOW.plus_millis(7);
        db.claim_for_reset(rst.id, at, ada.id, "$argon2id$fresh").await.unwrap();

        let after = UserStore::get(&*db, ada.id).await.unwrap().unwrap();
        assert_eq!((after.password_hash.as_str(), after.updated_at), ("$argon2id$fresh", at));
        assert_eq!(invite_by_hash(&*db, "reset").await.used_at, Some(at));
        assert_eq!(db.find_active("ada-1", NOW).await.unwrap(), None);
        assert_eq!(db.find_active("ada-2", NOW).await.unwrap(), None);
        assert!(db.find_active("admin-1", NOW).await.unwrap().is_some());

        // A second claim changes nothing.
        assert_eq!(
            db.claim_for_reset(rst.id, at, ada.id, "$argon2id$again").await,
            Err(StoreError::Conflict(pincer_core::Rule::InviteUsed))
        );
        assert_eq!(UserStore::get(&*db, ada.id).await.unwrap().unwrap().password_hash, "$argon2id$fresh");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_resets_change_nothing() {
    each_identity_store(|db| async move {
        let admin = admin(&*db).await;
        let ada = user("ada@example.com", Role::Member);
        UserStore::insert(&*db, &ada).await.unwrap();
        SessionStore::insert(&*db, &session(&ada, "ada-1", NOW.plus_millis(HOUR))).await.unwrap();
        let mut expired = reset(&admin, &ada, "expired");
        expired.expires_at = NOW;
        let pending = reset(&admin, &ada, "pending");
        InviteStore::insert(&*db, &expired).await.unwrap();
        InviteStore::insert(&*db, &pending).await.unwrap();

        assert_eq!(
            db.claim_for_reset(expired.id, NOW, ada.id, "$x").await,
            Err(StoreError::Conflict(pincer_core::Rule::InviteUsed))
        );
        // An unknown account: the invite mark is rolled back with the rest.
        assert_eq!(db.claim_for_reset(pending.id, NOW, UserId::new(), "$x").await, Err(StoreError::NotFound));

        assert_eq!(invite_by_hash(&*db, "expired").await, expired);
        assert_eq!(invite_by_hash(&*db, "pending").await, pending);
        assert_eq!(UserStore::get(&*db, ada.id).await.unwrap(), Some(ada));
        assert!(db.find_active("ada-1", NOW).await.unwrap().is_some());
    })
    .await;
}
