//! `PairingStore`: pairings round trip; a code hash is used once; a claim needs the code's own
//! purpose, an unexpired and unclaimed pairing, and has one winner among concurrent claimants;
//! a collection needs a claim and happens once. The same suite runs on the in-memory store.

use pincer_core::{PairingId, Rule, StoreError};
use pincer_identity::pairing::Pairing;

use crate::support::{NOW, each_pairing_store};

const MINUTE: i64 = 60_000;

fn pairing(code_hash: &str, purpose: &str) -> Pairing {
    Pairing {
        id: PairingId::new(),
        code_hash: code_hash.to_string(),
        purpose: purpose.to_string(),
        issued_for: "telegram:4242".into(),
        created_at: NOW,
        expires_at: NOW.plus_millis(5 * MINUTE),
        claimed_by: None,
        claimed_at: None,
        collected_at: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pairings_round_trip_and_a_code_hash_is_used_once() {
    each_pairing_store(|db| async move {
        let first = pairing("hash-1", "channel:telegram");
        db.insert(&first).await.unwrap();
        assert_eq!(db.get(first.id).await.unwrap(), Some(first.clone()));
        assert_eq!(db.get(PairingId::new()).await.unwrap(), None);
        let twin = pairing("hash-1", "qr_sign_in");
        assert_eq!(db.insert(&twin).await, Err(StoreError::Conflict(Rule::TokenHash)));
        assert_eq!(db.get(twin.id).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_needs_the_purpose_an_open_pairing_and_happens_once() {
    each_pairing_store(|db| async move {
        let open = pairing("hash-1", "channel:telegram");
        db.insert(&open).await.unwrap();
        let used = Err(StoreError::Conflict(Rule::PairingUsed));
        let at = NOW.plus_millis(MINUTE);
        assert_eq!(db.claim("hash-1", "qr_sign_in", "user-1", at).await, used, "another purpose");
        assert_eq!(db.claim("hash-2", "channel:telegram", "user-1", at).await, used, "an unknown code");
        let expiry = open.expires_at;
        assert_eq!(db.claim("hash-1", "channel:telegram", "user-1", expiry).await, used, "expiry is exclusive");

        let claimed = db.claim("hash-1", "channel:telegram", "user-1", at).await.unwrap();
        let expected = Pairing { claimed_by: Some("user-1".into()), claimed_at: Some(at), ..open.clone() };
        assert_eq!(claimed, expected);
        assert_eq!(db.claim("hash-1", "channel:telegram", "user-2", at).await, used, "claimed once");
        assert_eq!(db.get(open.id).await.unwrap(), Some(expected));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_claims_of_one_code_have_one_winner() {
    each_pairing_store(|db| async move {
        db.insert(&pairing("hash-1", "qr_sign_in")).await.unwrap();
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move { db.claim("hash-1", "qr_sign_in", &format!("phone-{i}"), NOW).await })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(e) => assert_eq!(e, StoreError::Conflict(Rule::PairingUsed)),
            }
        }
        assert_eq!(won, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_collection_needs_a_claim_and_happens_once() {
    each_pairing_store(|db| async move {
        let p = pairing("hash-1", "qr_sign_in");
        db.insert(&p).await.unwrap();
        let used = Err(StoreError::Conflict(Rule::PairingUsed));
        assert_eq!(db.collect(p.id, NOW).await, used, "nothing to collect before the claim");
        db.claim("hash-1", "qr_sign_in", "phone", NOW).await.unwrap();
        let later = NOW.plus_millis(10);
        let collected = db.collect(p.id, later).await.unwrap();
        assert_eq!((collected.claimed_by.as_deref(), collected.collected_at), (Some("phone"), Some(later)));
        assert_eq!(db.collect(p.id, later).await, used, "collected once");
        assert_eq!(db.collect(PairingId::new(), later).await, used);
    })
    .await;
}
