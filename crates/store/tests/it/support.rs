//! Fresh migrated databases per backend, raw SQL behind the application's back, and records to
//! store.

use std::future::Future;
use std::sync::Arc;

use diesel::connection::SimpleConnection as _;
use diesel::{Connection, PgConnection, SqliteConnection};
use pincer_core::{InviteId, Role, SessionId, Timestamp, UserId};
use pincer_identity::{Invite, InviteKind, InviteStore, Session, SessionStore, SettingStore, User, UserStore};
use pincer_store::Database;
use pincer_testkit::TestDatabase;
use pincer_testkit::memory::MemoryStores;

/// A fixed "now" for tests (2026-01-01T00:00:00Z).
pub const NOW: Timestamp = Timestamp(1_767_225_600_000);
pub const HOUR: i64 = 3_600_000;

/// Runs `test` once per backend, each time on a fresh, migrated database.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Database) -> Fut,
    Fut: Future<Output = ()>,
{
    for fresh in TestDatabase::all() {
        let db = Database::open(fresh.url()).await.unwrap();
        // Printed output is shown when the test fails: it tells which backend did.
        println!("backend: {:?}", db.backend());
        let applied = db.migrate().await.unwrap();
        assert!(!applied.is_empty());
        test(db).await;
    }
}

/// Runs `test` against every implementation of a set of ports `S`: each backend's `Database`
/// (fresh and migrated), then the in-memory stores, so all of them keep one contract.
async fn each_store<S, F, Fut>(from_database: fn(Database) -> Arc<S>, memory: fn() -> Arc<S>, test: F)
where
    S: ?Sized,
    F: Fn(Arc<S>) -> Fut,
    Fut: Future<Output = ()>,
{
    each_backend(|db| test(from_database(db))).await;
    println!("backend: memory");
    test(memory()).await;
}

/// The identity ports as one object, whichever store implements them.
pub trait IdentityStores:
    UserStore + SessionStore + InviteStore + SettingStore + pincer_identity::ApiTokenStore
{
}
impl<T: UserStore + SessionStore + InviteStore + SettingStore + pincer_identity::ApiTokenStore> IdentityStores for T {}

/// Runs `test` against every store the identity ports have: SQLite, PostgreSQL when configured,
/// and the in-memory stores of `testkit`, each fresh, so all of them keep one contract.
pub async fn each_identity_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn IdentityStores>) -> Fut,
    Fut: Future<Output = ()>,
{
    each_store(|db| Arc::new(db), || Arc::new(MemoryStores::default()), test).await;
}

/// Runs `test` against every usage ledger: SQLite, PostgreSQL when configured, and memory.
pub async fn each_usage_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn pincer_usage::UsageStore>) -> Fut,
    Fut: Future<Output = ()>,
{
    each_store(|db| Arc::new(db), || Arc::new(MemoryStores::default()), test).await;
}

/// The usage ledger, its reports, the budgets, and the agents and people whose names the reports
/// show.
pub trait UsageReportStores:
    pincer_usage::UsageStore
    + pincer_usage::UsageReports
    + pincer_usage::budget::BudgetStore
    + pincer_agents::AgentStore
    + UserStore
{
}
impl<
    T: pincer_usage::UsageStore
        + pincer_usage::UsageReports
        + pincer_usage::budget::BudgetStore
        + pincer_agents::AgentStore
        + UserStore,
> UsageReportStores for T
{
}

/// Runs `test` against every store of the usage reports: SQLite, PostgreSQL when configured, and
/// memory.
pub async fn each_usage_report_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn UsageReportStores>) -> Fut,
    Fut: Future<Output = ()>,
{
    each_store(|db| Arc::new(db), || Arc::new(MemoryStores::default()), test).await;
}

/// The groups with the users they hold, and the agents and invites that name them.
pub trait GroupStores:
    pincer_identity::groups::GroupStore + UserStore + pincer_agents::AgentStore + InviteStore
{
}
impl<T: pincer_identity::groups::GroupStore + UserStore + pincer_agents::AgentStore + InviteStore> GroupStores for T {}

/// Runs `test` against every group store: SQLite, PostgreSQL when configured, and memory.
pub async fn each_group_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn GroupStores>) -> Fut,
    Fut: Future<Output = ()>,
{
    each_store(|db| Arc::new(db), || Arc::new(MemoryStores::default()), test).await;
}

/// The catalogue's ports with the users they refer to, whichever store implements them.
pub trait CatalogueStores: UserStore + pincer_agents::AgentStore + pincer_agents::ProviderStore {}
impl<T: UserStore + pincer_agents::AgentStore + pincer_agents::ProviderStore> CatalogueStores for T {}

/// Runs `test` against every store of the catalogue: SQLite, PostgreSQL when configured, and
/// the in-memory stores.
pub async fn each_catalogue_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn CatalogueStores>) -> Fut,
    Fut: Future<Output = ()>,
{
    each_store(|db| Arc::new(db), || Arc::new(MemoryStores::default()), test).await;
}

/// The conversation store with the users and agents its chats refer to.
pub trait ConversationStores:
    UserStore
    + pincer_agents::AgentStore
    + pincer_agents::chat::ConversationStore
    + pincer_agents::chat::sessions::SessionArchive
{
}
impl<
    T: UserStore
        + pincer_agents::AgentStore
        + pincer_agents::chat::ConversationStore
        + pincer_agents::chat::sessions::SessionArchive,
> ConversationStores for T
{
}

/// Runs `test` against every conversation store: SQLite, PostgreSQL when configured, and memory.
pub async fn each_conversation_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn ConversationStores>) -> Fut,
    Fut: Future<Output = ()>,
{
    each_store(|db| Arc::new(db), || Arc::new(MemoryStores::default()), test).await;
}

/// The memory store with the users and agents its entries refer to.
pub trait LongTermStores: ConversationStores + pincer_agents::memory::MemoryStore {}
impl<T: ConversationStores + pincer_agents::memory::MemoryStore> LongTermStores for T {}

/// Runs `test` against every memory store: SQLite, PostgreSQL when configured, and memory.
pub async fn each_memory_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn LongTermStores>) -> Fut,
    Fut: Future<Output = ()>,
{
    each_store(|db| Arc::new(db), || Arc::new(MemoryStores::default()), test).await;
}

/// Runs `test` against every pairing store: SQLite, PostgreSQL when configured, and memory.
pub async fn each_pairing_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn pincer_identity::pairing::PairingStore>) -> Fut,
    Fut: Future<Output = ()>,
{
    each_store(|db| Arc::new(db), || Arc::new(MemoryStores::default()), test).await;
}

/// [`each_identity_store`] for a suite of `UserStore` alone.
pub async fn each_user_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn UserStore>) -> Fut,
    Fut: Future<Output = ()>,
{
    each_identity_store(|db| test(db)).await;
}

/// Like [`each_backend`], but the test also gets the database URL (for raw SQL and for a second
/// pool on the same database).
pub async fn each_backend_with_url<F, Fut>(test: F)
where
    F: Fn(Database, String) -> Fut,
    Fut: Future<Output = ()>,
{
    for fresh in TestDatabase::all() {
        let db = Database::open(fresh.url()).await.unwrap();
        println!("backend: {:?}", db.backend());
        assert!(!db.migrate().await.unwrap().is_empty());
        test(db, fresh.url().to_string()).await;
    }
}

/// The audit trail with the users whose names its pages show, whichever store implements them.
pub trait AuditStores: UserStore + pincer_audit::AuditStore {}
impl<T: UserStore + pincer_audit::AuditStore> AuditStores for T {}

/// What a test does to a store behind the application's back, where the port has no call for it.
pub enum Behind {
    /// Raw SQL on the database at this URL.
    Sql(String),
    Memory(Arc<MemoryStores>),
}

impl Behind {
    /// Removes a user's pseudonym mapping, as an erasure does.
    pub async fn erase_pseudonym(&self, user_id: &str) {
        match self {
            Behind::Sql(url) => {
                execute(url, &format!("DELETE FROM audit_pseudonyms WHERE user_id = '{user_id}'")).await
            }
            Behind::Memory(stores) => stores.erase_pseudonym(user_id),
        }
    }
}

/// Runs `test` against every audit store: SQLite, PostgreSQL when configured, and memory.
pub async fn each_audit_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn AuditStores>, Behind) -> Fut,
    Fut: Future<Output = ()>,
{
    each_backend_with_url(|db, url| test(Arc::new(db), Behind::Sql(url))).await;
    println!("backend: memory");
    let memory = Arc::new(MemoryStores::default());
    test(memory.clone(), Behind::Memory(memory)).await;
}

/// Runs SQL directly on the database, behind the application's back.
pub async fn execute(url: &str, sql: &str) {
    let (url, sql) = (url.to_string(), sql.to_string());
    tokio::task::spawn_blocking(move || {
        if url.starts_with("postgres") {
            PgConnection::establish(&url).unwrap().batch_execute(&sql).unwrap();
        } else {
            let path = url.trim_start_matches("sqlite://");
            SqliteConnection::establish(path).unwrap().batch_execute(&sql).unwrap();
        }
    })
    .await
    .unwrap();
}

pub fn user(email: &str, role: Role) -> User {
    user_at(email, role, NOW)
}

pub fn user_at(email: &str, role: Role, created_at: Timestamp) -> User {
    User {
        id: UserId::new(),
        email: email.to_string(),
        name: format!("Name of {email}"),
        role,
        banned: false,
        password_hash: format!("$argon2id$hash-of-{email}"),
        context: String::new(),
        created_at,
        updated_at: created_at,
    }
}

pub fn session(user: &User, token_hash: &str, expires_at: Timestamp) -> Session {
    Session {
        id: SessionId::new(),
        user_id: user.id,
        token_hash: token_hash.to_string(),
        created_at: NOW.plus_millis(-HOUR),
        expires_at,
    }
}

pub fn invite(created_by: &User, token_hash: &str, email: Option<&str>) -> Invite {
    Invite {
        id: InviteId::new(),
        kind: InviteKind::Invite,
        token_hash: token_hash.to_string(),
        email: email.map(str::to_string),
        role: Role::Member,
        user_id: None,
        created_by: created_by.id,
        created_at: NOW.plus_millis(-HOUR),
        expires_at: NOW.plus_millis(HOUR),
        used_at: None,
        group_ids: Vec::new(),
    }
}

pub fn reset(created_by: &User, target: &User, token_hash: &str) -> Invite {
    Invite { kind: InviteKind::Reset, user_id: Some(target.id), ..invite(created_by, token_hash, None) }
}
