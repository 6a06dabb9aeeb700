//! The pairing primitive's rules (identity::pairing) on the in-memory store: a code is claimed
//! once, for its own purpose, before it expires, and its claim is collected once, by its issuer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use pincer_core::{Clock, Timestamp};
use pincer_identity::pairing::{PairingError, PairingStatus, Pairings};
use pincer_testkit::memory::MemoryStores;

/// A clock the test moves.
#[derive(Default)]
struct Manual(AtomicI64);

impl Clock for Manual {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

const MINUTE: i64 = 60_000;

#[tokio::test]
async fn a_code_is_claimed_once_for_its_purpose_and_collected_once_by_its_issuer() {
    let clock = Arc::new(Manual::default());
    let pairings = Pairings::new(Arc::new(MemoryStores::default()), clock.clone());
    let issued = pairings.issue("channel:telegram", "telegram:4242", 5 * MINUTE).await.unwrap();
    let code = issued.code.expose().clone();
    assert_eq!((code.len(), &code[4..5]), (9, "-"), "shown as ABCD-EFGH: {code}");
    assert_eq!(pairings.poll(issued.id, "telegram:4242").await, Ok(PairingStatus::Pending));

    // Another purpose, a wrong code, a malformed one: the same refusal.
    let refused = Err(PairingError::InvalidCode);
    assert_eq!(pairings.claim("qr_sign_in", &code, "user-1").await.map(|_| ()), refused);
    assert_eq!(pairings.claim("channel:telegram", "ABCD-EFGH", "user-1").await.map(|_| ()), refused);
    assert_eq!(pairings.claim("channel:telegram", "nope", "user-1").await.map(|_| ()), refused);

    // Typed in lower case with a space: claimed, once.
    let typed = code.to_lowercase().replace('-', " ");
    let claimed = pairings.claim("channel:telegram", &typed, "user-1").await.unwrap();
    assert_eq!(claimed.claimed_by.as_deref(), Some("user-1"));
    assert_eq!(pairings.claim("channel:telegram", &code, "user-2").await.map(|_| ()), refused);

    // Only its issuer learns who claimed it, and only once.
    assert_eq!(pairings.poll(issued.id, "telegram:9999").await, Err(PairingError::InvalidCode));
    assert_eq!(pairings.poll(issued.id, "telegram:4242").await, Ok(PairingStatus::Claimed("user-1".into())));
    assert_eq!(pairings.poll(issued.id, "telegram:4242").await, Err(PairingError::InvalidCode));
}

#[tokio::test]
async fn an_unclaimed_code_expires() {
    let clock = Arc::new(Manual::default());
    let pairings = Pairings::new(Arc::new(MemoryStores::default()), clock.clone());
    let issued = pairings.issue("qr_sign_in", "user-1", 2 * MINUTE).await.unwrap();
    clock.0.store(2 * MINUTE, Ordering::SeqCst);
    let late = pairings.claim("qr_sign_in", issued.code.expose(), "phone").await;
    assert_eq!(late.map(|_| ()), Err(PairingError::InvalidCode), "expiry is exclusive");
    assert_eq!(pairings.poll(issued.id, "user-1").await, Ok(PairingStatus::Expired));
}
