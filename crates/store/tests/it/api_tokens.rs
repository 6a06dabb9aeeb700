//! `ApiTokenStore`: tokens round trip with their scopes and times, a token hash is used once, an
//! owner must exist, lookups by hash carry the owner, deletion is per owner (by id, by name, all),
//! and a use is recorded. The same suite runs on the in-memory store.

use pincer_core::{ApiTokenId, Role, Rule, Scope, StoreError, UserId};
use pincer_identity::{ApiToken, UserStore};

use crate::support::{NOW, each_identity_store, user};

fn token(owner: UserId, name: &str, hash: &str) -> ApiToken {
    ApiToken {
        id: ApiTokenId::new(),
        user_id: owner,
        name: name.to_string(),
        scopes: vec![Scope::Chat, Scope::AgentsRead],
        token_hash: hash.to_string(),
        created_at: NOW,
        last_used_at: None,
        expires_at: Some(NOW.plus_millis(86_400_000)),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_round_trip_per_owner_and_a_hash_is_used_once() {
    each_identity_store(|db| async move {
        let (ada, bo) = (user("ada@example.com", Role::Admin), user("bo@example.com", Role::Member));
        UserStore::insert(&*db, &ada).await.unwrap();
        UserStore::insert(&*db, &bo).await.unwrap();
        let ci = token(ada.id, "ci", "hash-1");
        db.insert_token(&ci).await.unwrap();
        let mut never = token(ada.id, "default", "hash-2");
        never.expires_at = None;
        never.created_at = NOW.plus_millis(1);
        db.insert_token(&never).await.unwrap();
        let theirs = token(bo.id, "default", "hash-3");
        db.insert_token(&theirs).await.unwrap();

        assert_eq!(db.insert_token(&token(ada.id, "twin", "hash-1")).await, Err(StoreError::Conflict(Rule::TokenHash)));
        assert_eq!(
            db.insert_token(&token(UserId::new(), "orphan", "hash-9")).await,
            Err(StoreError::Conflict(Rule::ForeignKey))
        );
        assert_eq!(db.tokens_of(ada.id).await.unwrap(), vec![ci.clone(), never.clone()]);
        let (found, owner) = db.token_by_hash("hash-3").await.unwrap().unwrap();
        assert_eq!((found, owner.id), (theirs.clone(), bo.id));
        assert_eq!(db.token_by_hash("hash-0").await.unwrap(), None);

        let at = NOW.plus_millis(5_000);
        db.touch_token(ci.id, at).await.unwrap();
        assert_eq!(db.tokens_of(ada.id).await.unwrap()[0].last_used_at, Some(at));

        assert!(!db.delete_token(bo.id, ci.id).await.unwrap(), "only the owner's");
        assert!(db.delete_token(ada.id, ci.id).await.unwrap());
        assert!(!db.delete_token(ada.id, ci.id).await.unwrap());
        assert_eq!(db.delete_tokens_named(ada.id, "default").await.unwrap(), vec![never.id]);
        assert_eq!(db.tokens_of(bo.id).await.unwrap(), vec![theirs.clone()], "another owner's default stays");
        assert_eq!(db.delete_tokens_of(bo.id).await.unwrap(), 1);
        assert_eq!(db.token_by_hash("hash-3").await.unwrap(), None);
    })
    .await;
}
