//! The identity service's rules on the in-memory stores: no database, no binary, milliseconds.
//! What a service test looks like once its stores are in memory (they keep the same contract
//! as SQLite and PostgreSQL: crates/store/tests/it runs them through the same suites).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use async_trait::async_trait;
use pincer_audit::{Actor, MemorySink};
use pincer_core::{ApiTokenId, Credential, LocalEventBus, Principal, Scope, Secret, StoreError, SystemClock};
use pincer_identity::{
    Identity, IdentityDeps, IdentityError, NewInvite, NoAccountHook, NoSessionWatch, PasswordHasher, password,
};
use pincer_testkit::memory::MemoryStores;

/// argon2id, as the binary hashes (the store's hasher only moves this off the executor).
struct Argon2;

#[async_trait]
impl PasswordHasher for Argon2 {
    async fn hash(&self, password: Secret<String>) -> Result<String, StoreError> {
        password::hash(password.expose()).map_err(|_| StoreError::Unavailable)
    }

    async fn verify(&self, password: Secret<String>, hash: Option<String>) -> bool {
        hash.is_some_and(|hash| password::verify(password.expose(), &hash))
    }
}

fn identity(audit: Arc<MemorySink>) -> Identity {
    identity_at(audit, Arc::new(SystemClock))
}

/// A clock the test moves.
#[derive(Default)]
struct StepClock(std::sync::atomic::AtomicI64);

impl StepClock {
    fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl pincer_core::Clock for StepClock {
    fn now(&self) -> pincer_core::Timestamp {
        pincer_core::Timestamp(1_800_000_000_000 + self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

fn identity_at(audit: Arc<MemorySink>, clock: Arc<dyn pincer_core::Clock>) -> Identity {
    let stores = Arc::new(MemoryStores::default());
    Identity::new(IdentityDeps {
        users: stores.clone(),
        sessions: stores.clone(),
        tokens: stores.clone(),
        pairings: stores.clone(),
        invites: stores,
        hasher: Arc::new(Argon2),
        clock,
        audit,
        accounts: Arc::new(NoAccountHook),
        session_watch: Arc::new(NoSessionWatch),
        bus: Arc::new(LocalEventBus::default()),
        seats: Arc::new(pincer_identity::licence::Unlimited),
        entitlement: Arc::new(pincer_core::Community),
    })
}

#[tokio::test]
async fn a_role_change_applies_at_once_and_a_logout_ends_only_its_session() {
    let audit = Arc::new(MemorySink::default());
    let identity = identity(audit.clone());
    let setup = identity.setup("Ada", "ada@example.com", "a long admin passphrase").await.unwrap();
    let ada = identity.authenticate(setup.token.expose()).await.unwrap();

    let invite = NewInvite { role: "admin".into(), email: Some("bo@example.com".into()), group_ids: Vec::new() };
    let (_, token) = identity.create_invite(&ada, invite).await.unwrap();
    identity.claim(token.expose(), Some("Bo"), None, "bo's own passphrase").await.unwrap();
    let first = identity.login("bo@example.com", "bo's own passphrase", "10.0.0.1").await.unwrap();
    let second = identity.login("bo@example.com", "bo's own passphrase", "10.0.0.1").await.unwrap();
    let bo = identity.authenticate(first.token.expose()).await.unwrap();

    // Ada demotes Bo (nobody demotes themselves); Bo's cached session is a member's at once.
    identity.change_role(&ada, bo.user_id, "member").await.unwrap();
    assert_eq!(identity.change_role(&ada, ada.user_id, "member").await, Err(IdentityError::SelfAction));
    let bo = identity.authenticate(first.token.expose()).await.unwrap();
    assert!(!bo.is_admin(), "the role change reached the cached session");

    identity.logout(&bo, first.token.expose()).await.unwrap();
    assert!(identity.authenticate(first.token.expose()).await.is_err(), "the logged-out session is gone");
    assert!(identity.authenticate(second.token.expose()).await.is_ok(), "the other session stays");
    let types: Vec<String> = audit.events().iter().map(|e| e.event_type.to_string()).collect();
    for expected in ["user.setup", "user.invited", "user.created", "user.role_updated", "auth.logout"] {
        assert!(types.iter().any(|t| t == expected), "{expected} not audited: {types:?}");
    }
}

#[tokio::test]
async fn an_action_taken_with_an_api_token_is_recorded_as_the_token() {
    let audit = Arc::new(MemorySink::default());
    let identity = identity(audit.clone());
    let setup = identity.setup("Ada", "ada@example.com", "a long admin passphrase").await.unwrap();
    let ada = identity.authenticate(setup.token.expose()).await.unwrap();

    let token = ApiTokenId::new();
    let by_token =
        Principal { credential: Credential::ApiToken { id: token, scopes: vec![Scope::Admin] }, ..ada.clone() };
    identity.rename(&by_token, "Ada L.").await.unwrap();
    identity.rename(&ada, "Ada Lovelace").await.unwrap();

    let renames: Vec<Actor> =
        audit.events().into_iter().filter(|e| e.event_type == "user.updated").map(|e| e.actor).collect();
    assert_eq!(renames, [Actor::ApiKey(token.to_string()), Actor::User(ada.user_id.to_string())]);
}

/// A QR sign-in code works once, and not once its two minutes are over.
#[tokio::test]
async fn a_qr_code_signs_in_once_and_only_within_two_minutes() {
    let clock = Arc::new(StepClock::default());
    let identity = identity_at(Arc::new(MemorySink::default()), clock.clone());
    let setup = identity.setup("Ada", "ada@example.com", "a long admin passphrase").await.unwrap();
    let ada = identity.authenticate(setup.token.expose()).await.unwrap();

    let late = identity.qr_sign_in_code(&ada).await.unwrap();
    clock.advance(pincer_identity::service::QR_TTL_MS);
    let refused = identity.qr_login(late.code.expose(), "Phone", "10.0.0.9").await;
    assert_eq!(refused.err(), Some(IdentityError::InvalidToken), "expired at two minutes");

    let fresh = identity.qr_sign_in_code(&ada).await.unwrap();
    clock.advance(pincer_identity::service::QR_TTL_MS - 1);
    let phone = identity.qr_login(fresh.code.expose(), "Phone", "10.0.0.9").await.unwrap();
    assert_eq!(phone.user.email, "ada@example.com");
    let again = identity.qr_login(fresh.code.expose(), "Phone", "10.0.0.9").await;
    assert_eq!(again.err(), Some(IdentityError::InvalidToken), "used once");

    let script =
        Principal { credential: Credential::ApiToken { id: ApiTokenId::new(), scopes: vec![Scope::Admin] }, ..ada };
    assert!(matches!(identity.qr_sign_in_code(&script).await, Err(IdentityError::WrongCredential(_))));
}
