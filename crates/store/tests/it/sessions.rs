//! `SessionStore`: lookups join the user and ignore expired sessions; deletions count.

use pincer_core::{Role, SessionId, StoreError, UserId};
use pincer_identity::{SessionStore, UserStore};

use crate::support::{HOUR, NOW, each_identity_store, session, user};

#[tokio::test(flavor = "multi_thread")]
async fn find_active_returns_the_session_with_its_user() {
    each_identity_store(|db| async move {
        let mut ada = user("ada@example.com", Role::Member);
        ada.banned = true;
        UserStore::insert(&*db, &ada).await.unwrap();
        let s = session(&ada, "hash-1", NOW.plus_millis(HOUR));
        SessionStore::insert(&*db, &s).await.unwrap();

        // Banned users are returned too: the service decides what a ban means.
        assert_eq!(db.find_active("hash-1", NOW).await.unwrap(), Some((s, ada)));
        assert_eq!(db.find_active("hash-2", NOW).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_sessions_are_not_found() {
    each_identity_store(|db| async move {
        let ada = user("ada@example.com", Role::Member);
        UserStore::insert(&*db, &ada).await.unwrap();
        let s = session(&ada, "hash", NOW);
        SessionStore::insert(&*db, &s).await.unwrap();

        assert_eq!(db.find_active("hash", NOW.plus_millis(-1)).await.unwrap().map(|(s, _)| s.id), Some(s.id));
        assert_eq!(db.find_active("hash", NOW).await.unwrap(), None, "expires_at is exclusive");
        assert_eq!(db.find_active("hash", NOW.plus_millis(HOUR)).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn token_hashes_are_unique_and_users_must_exist() {
    each_identity_store(|db| async move {
        let ada = user("ada@example.com", Role::Member);
        UserStore::insert(&*db, &ada).await.unwrap();
        SessionStore::insert(&*db, &session(&ada, "hash", NOW.plus_millis(HOUR))).await.unwrap();
        let twin = session(&ada, "hash", NOW.plus_millis(2 * HOUR));
        assert_eq!(SessionStore::insert(&*db, &twin).await, Err(StoreError::Conflict(pincer_core::Rule::TokenHash)));

        // Foreign keys are enforced (on SQLite this needs `PRAGMA foreign_keys = ON`).
        let ghost = user("ghost@example.com", Role::Member);
        let orphan = session(&ghost, "orphan", NOW.plus_millis(HOUR));
        assert_eq!(SessionStore::insert(&*db, &orphan).await, Err(StoreError::Conflict(pincer_core::Rule::ForeignKey)));
        assert_eq!(db.find_active("orphan", NOW).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_reports_whether_the_session_existed() {
    each_identity_store(|db| async move {
        let ada = user("ada@example.com", Role::Member);
        UserStore::insert(&*db, &ada).await.unwrap();
        let s = session(&ada, "hash", NOW.plus_millis(HOUR));
        SessionStore::insert(&*db, &s).await.unwrap();

        assert!(SessionStore::delete(&*db, s.id).await.unwrap());
        assert_eq!(db.find_active("hash", NOW).await.unwrap(), None);
        assert!(!SessionStore::delete(&*db, s.id).await.unwrap());
        assert!(!SessionStore::delete(&*db, SessionId::new()).await.unwrap());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_for_user_keeps_one_and_spares_other_users() {
    each_identity_store(|db| async move {
        let ada = user("ada@example.com", Role::Member);
        let bob = user("bob@example.com", Role::Member);
        UserStore::insert(&*db, &ada).await.unwrap();
        UserStore::insert(&*db, &bob).await.unwrap();
        let later = NOW.plus_millis(HOUR);
        let kept = session(&ada, "ada-1", later);
        for s in [&kept, &session(&ada, "ada-2", later), &session(&ada, "ada-3", later), &session(&bob, "bob-1", later)]
        {
            SessionStore::insert(&*db, s).await.unwrap();
        }

        assert_eq!(db.delete_for_user(ada.id, Some(kept.id)).await.unwrap(), 2);
        assert_eq!(db.find_active("ada-1", NOW).await.unwrap().map(|(s, _)| s), Some(kept));
        assert_eq!(db.find_active("ada-2", NOW).await.unwrap(), None);
        assert_eq!(db.find_active("ada-3", NOW).await.unwrap(), None);
        assert!(db.find_active("bob-1", NOW).await.unwrap().is_some());

        assert_eq!(db.delete_for_user(ada.id, None).await.unwrap(), 1);
        assert_eq!(db.find_active("ada-1", NOW).await.unwrap(), None);
        assert_eq!(db.delete_for_user(ada.id, None).await.unwrap(), 0);
        assert_eq!(db.delete_for_user(UserId::new(), None).await.unwrap(), 0);
        assert!(db.find_active("bob-1", NOW).await.unwrap().is_some());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_expired_removes_only_expired_sessions() {
    each_identity_store(|db| async move {
        let ada = user("ada@example.com", Role::Member);
        UserStore::insert(&*db, &ada).await.unwrap();
        for (hash, offset) in [("past", -HOUR), ("now", 0), ("future", HOUR)] {
            SessionStore::insert(&*db, &session(&ada, hash, NOW.plus_millis(offset))).await.unwrap();
        }

        assert_eq!(db.delete_expired(NOW).await.unwrap(), 2);
        assert_eq!(db.delete_expired(NOW).await.unwrap(), 0);
        // Still there: visible at a time before it expires.
        assert!(db.find_active("future", NOW).await.unwrap().is_some());
        assert_eq!(db.find_active("past", NOW.plus_millis(-2 * HOUR)).await.unwrap(), None);
        assert_eq!(db.find_active("now", NOW.plus_millis(-2 * HOUR)).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_purge_another_replica_is_running_is_left_to_it() {
    // PostgreSQL only: replicas share a database there; SQLite serves one node.
    let Some(admin_url) =
        pincer_testkit::db::postgres_or_skip("store::a_purge_another_replica_is_running_is_left_to_it")
    else {
        return;
    };
    let fresh = pincer_testkit::TestDatabase::postgres(&admin_url);
    let db = pincer_store::Database::open(fresh.url()).await.unwrap();
    db.migrate().await.unwrap();
    let ada = user("ada@example.com", Role::Member);
    UserStore::insert(&db, &ada).await.unwrap();
    SessionStore::insert(&db, &session(&ada, "past", NOW.plus_millis(-HOUR))).await.unwrap();

    // Another replica holds the purge's advisory lock (the key in store/src/backend.rs).
    use diesel::{Connection, RunQueryDsl};
    let mut other = diesel::PgConnection::establish(fresh.url()).unwrap();
    diesel::sql_query(format!("SELECT pg_advisory_lock({})", 0x7069_6e63_0100_i64)).execute(&mut other).unwrap();
    assert_eq!(db.delete_expired(NOW).await.unwrap(), 0, "left to the replica holding the lock");
    assert_eq!(db.find_active("past", NOW.plus_millis(-2 * HOUR)).await.unwrap().map(|(s, _)| s.user_id), Some(ada.id));

    // Unlock explicitly: a dropped connection's locks are released by its backend process some
    // moments after the socket closes, which would race the purge below.
    diesel::sql_query(format!("SELECT pg_advisory_unlock({})", 0x7069_6e63_0100_i64)).execute(&mut other).unwrap();
    drop(other);
    assert_eq!(db.delete_expired(NOW).await.unwrap(), 1);
    assert_eq!(db.find_active("past", NOW.plus_millis(-2 * HOUR)).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn trimming_keeps_the_newest_sessions_of_that_user_only() {
    each_identity_store(|db| async move {
        let (ada, bob) = (user("ada@example.com", Role::Member), user("bob@example.com", Role::Member));
        UserStore::insert(&*db, &ada).await.unwrap();
        UserStore::insert(&*db, &bob).await.unwrap();
        let mut ids = Vec::new();
        for n in 0..5 {
            let mut s = session(&ada, &format!("ada-{n}"), NOW.plus_millis(HOUR));
            s.created_at = NOW.plus_millis(n);
            SessionStore::insert(&*db, &s).await.unwrap();
            ids.push(s.id);
        }
        SessionStore::insert(&*db, &session(&bob, "bob", NOW.plus_millis(HOUR))).await.unwrap();

        let mut evicted = db.trim_for_user(ada.id, 3).await.unwrap();
        evicted.sort();
        assert_eq!(evicted, ids[..2].to_vec(), "the two oldest go");
        for (n, id) in ids.iter().enumerate() {
            let found = db.find_active(&format!("ada-{n}"), NOW).await.unwrap().map(|(s, _)| s.id);
            assert_eq!(found, (n >= 2).then_some(*id));
        }
        assert!(db.find_active("bob", NOW).await.unwrap().is_some(), "other users keep theirs");
        assert_eq!(db.trim_for_user(ada.id, 3).await.unwrap(), Vec::<SessionId>::new());
    })
    .await;
}
