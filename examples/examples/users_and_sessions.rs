//! Users and sessions for a Rust service with `pincer-identity`, stored in SQLite through
//! `pincer-store`: the first admin, an invited member who sets their own password, a login, a
//! session token that authenticates requests, and a logout that ends it. Every step is audited
//! (here into `pincer-audit`'s chain, so the example also shows the two crates together).
//!
//! ```sh
//! cargo run -p pincer-examples --example users_and_sessions
//! ```

use std::sync::Arc;

use pincer_audit::AuditService;
use pincer_core::{LocalEventBus, SystemClock};
use pincer_identity::{Identity, IdentityDeps, NewInvite, NoAccountHook, NoSessionWatch};
use pincer_store::{BlockingPasswordHasher, Database};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let db = Database::open(&format!("sqlite://{}", dir.path().join("users.db").display())).await?;
    db.migrate().await?;
    let store = Arc::new(db.clone());
    let audit = Arc::new(AuditService::new(store.clone(), &[7u8; 32], Arc::new(SystemClock)));
    let identity = Identity::new(IdentityDeps {
        users: store.clone(),
        sessions: store.clone(),
        tokens: store.clone(),
        pairings: store.clone(),
        invites: store,
        // argon2id on threads of its own, off the async executor.
        hasher: Arc::new(BlockingPasswordHasher),
        clock: Arc::new(SystemClock),
        audit: audit.clone(),
        // Nothing to provision for a new account, no live connections to close, one process.
        accounts: Arc::new(NoAccountHook),
        session_watch: Arc::new(NoSessionWatch),
        bus: Arc::new(LocalEventBus::default()),
        seats: Arc::new(pincer_identity::licence::Unlimited),
        entitlement: Arc::new(pincer_core::Community),
    });

    let setup = identity.setup("Ada Admin", "ada@example.com", "a long admin passphrase").await?;
    let admin = identity.authenticate(setup.token.expose()).await?;
    println!("first admin: {} ({:?})", admin.name, admin.role);

    let invite = NewInvite { role: "member".into(), email: Some("max@example.com".into()), group_ids: Vec::new() };
    let (_, invite_token) = identity.create_invite(&admin, invite).await?;
    identity.claim(invite_token.expose(), Some("Max Member"), None, "max's own passphrase").await?;
    println!("Max claimed the invite and chose a password");

    let login = identity.login("max@example.com", "max's own passphrase", "127.0.0.1").await?;
    let max = identity.authenticate(login.token.expose()).await?;
    println!("Max is signed in: {} ({:?})", max.name, max.role);
    if identity.login("max@example.com", "a wrong guess", "127.0.0.1").await.is_ok() {
        return Err("a wrong password signed in".into());
    }

    identity.logout(&max, login.token.expose()).await?;
    if identity.authenticate(login.token.expose()).await.is_ok() {
        return Err("the session outlived its logout".into());
    }
    println!("after logout the token no longer authenticates");

    let (report, _) = audit.verify_since(None).await?;
    println!("{} audit entries recorded, chain valid: {}", report.total_checked, report.valid);
    if !report.valid || report.total_checked < 5 {
        return Err(format!("unexpected audit trail: {report:?}").into());
    }
    Ok(())
}
