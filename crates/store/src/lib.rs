//! The diesel storage adapter: one portable schema over SQLite and PostgreSQL.
//!
//! Public surface (kept stable for `server`, `xtask` and tests):
//! - [`Database`]: `open(url)`, `migrate()`, `revert_last()`, `ping()`, `backend()`; it is `Clone`
//!   and implements every store port: identity, audit, agents (`AgentStore`, `ProviderStore`),
//!   conversations (`ConversationStore`) and usage (`UsageStore`).
//! - [`BlockingPasswordHasher`]: argon2id off the async executor.
//!
//! Every call runs on one of the store's own threads, each holding one connection
//! (`Database::run`, `executor.rs`); diesel is synchronous and must never block an async worker.

mod agent_rows;
mod agents;
mod api_tokens;
mod audit;
mod backend;
mod budgets;
mod channels;
mod chat_rows;
mod chat_sessions;
mod cluster;
mod conn;
mod conversations;
mod error;
mod executor;
mod groups;
mod hasher;
mod invites;
mod memories;
mod migrate;
mod pairings;
mod providers;
mod reseal;
mod rows;
mod schema;
mod security;
mod sessions;
mod settings;
mod usage;
mod usage_reports;
mod users;
mod webhooks;

use diesel::connection::SimpleConnection;
use pincer_core::StoreError;

pub use conn::{AnyConn, Backend, redact as redact_url};
pub use hasher::BlockingPasswordHasher;
pub use reseal::Resealed;

/// The SQLite file a database URL names (`sqlite://path`, `sqlite:path`, a plain path); `None`
/// for PostgreSQL or a URL [`Database::open`] would refuse.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let target = conn::Target::parse(url).ok()?;
    (target.backend == Backend::Sqlite).then(|| target.sqlite_path().into())
}

use crate::conn::Target;
use crate::error::DbError;
use crate::executor::Executor;

/// Why the database could not be opened, migrated or reverted. Carries the driver's reason for
/// operators (startup logs, CLI); URLs in it have their password masked.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("invalid database URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("could not connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("could not start the database threads for {url}: {reason}")]
    Threads { url: String, reason: String },
    #[error("migrating {url} failed: {reason}")]
    Migration { url: String, reason: String },
    #[error("the database task failed: {0}")]
    Task(String),
}

/// Connections to one SQLite file or PostgreSQL database, each owned by one of the store's
/// threads. Cheap to clone; the threads stop when the last clone is dropped.
#[derive(Clone)]
pub struct Database {
    executor: Executor,
    /// SQLite only: the one thread that writes (see [`Database::run_write`]).
    writer: Option<Executor>,
    target: Target,
    /// The lease and event-bus threads, each with a connection of its own (`cluster.rs`).
    cluster: std::sync::Arc<cluster::ClusterThreads>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("url", &self.target.display).finish_non_exhaustive()
    }
}

impl Database {
    /// Opens a pool on `url`: `sqlite://path`, `sqlite:path`, a plain file path (created if
    /// missing), or `postgres://…` / `postgresql://…`. One connection is made right away, so a
    /// bad URL or an unreachable server fails here with the driver's reason.
    pub async fn open(url: &str) -> Result<Database, OpenError> {
        let target =
            Target::parse(url).map_err(|reason| OpenError::InvalidUrl { url: conn::redact(url.trim()), reason })?;
        // As many connections as a backend serves well at once: SQLite runs one writer (its own
        // thread) and a few readers; PostgreSQL has its own processes.
        let threads = match target.backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        tokio::task::spawn_blocking(move || {
            let url = target.display.clone();
            // The eager connection: its error is the driver's, not a later timeout.
            let first = target.connect().map_err(|e| OpenError::Connect { url: url.clone(), reason: e.0 })?;
            let threads_failed = |e: std::io::Error| OpenError::Threads { url: url.clone(), reason: e.to_string() };
            let writer = match target.backend {
                Backend::Sqlite => Some(Executor::start(&target, 1, None, "pincer-db-writer").map_err(threads_failed)?),
                Backend::Postgres => None,
            };
            let executor = Executor::start(&target, threads, Some(first), "pincer-db").map_err(threads_failed)?;
            Ok(Database { executor, writer, target, cluster: std::sync::Arc::default() })
        })
        .await
        .map_err(|e| OpenError::Task(e.to_string()))?
    }

    /// Closes the database at shutdown: the calls already queued run, then every store thread
    /// closes its connection and ends; the lease and event-bus threads close theirs too (leases
    /// are given up). Waits at most `within`; `false` when a call was still running then. Calls
    /// made afterwards answer `Unavailable`. No thread may still be using a connection (and with
    /// it libpq's TLS) when the process exits: its exit-time cleanup would pull the state from
    /// under it.
    pub async fn close(&self, within: std::time::Duration) -> bool {
        let (executor, writer, cluster) = (self.executor.clone(), self.writer.clone(), self.cluster.clone());
        tokio::task::spawn_blocking(move || {
            let deadline = std::time::Instant::now() + within;
            let left = || deadline.saturating_duration_since(std::time::Instant::now());
            let cluster_closed = cluster.close(within);
            let writer_closed = writer.is_none_or(|writer| writer.close(left()));
            let executor_closed = executor.close(left());
            cluster_closed && writer_closed && executor_closed
        })
        .await
        .unwrap_or(false)
    }

    pub fn backend(&self) -> Backend {
        self.target.backend
    }

    /// Applies pending embedded migrations and returns their versions. On PostgreSQL this holds
    /// an advisory lock, so replicas starting together migrate one at a time.
    pub async fn migrate(&self) -> Result<Vec<String>, OpenError> {
        self.migration_task(migrate::run_pending).await
    }

    /// The embedded migrations not yet applied, oldest first (nothing is changed).
    pub async fn pending_migrations(&self) -> Result<Vec<String>, OpenError> {
        self.migration_task(migrate::pending).await
    }

    /// Reverts the newest applied migration; `None` when there is none.
    pub async fn revert_last(&self) -> Result<Option<String>, OpenError> {
        self.migration_task(migrate::revert_last).await
    }

    /// A consistent copy of a SQLite database into `path` (which must be absent or empty), taken
    /// online with `VACUUM INTO` on a connection of its own: writers go on meanwhile, the copy
    /// is the database as of one transaction. `Err` on PostgreSQL (use `pg_dump`) and with the
    /// reason when the copy fails.
    pub async fn backup_into(&self, path: &std::path::Path) -> Result<(), String> {
        if self.target.backend != Backend::Sqlite {
            return Err("a PostgreSQL database is backed up with pg_dump".into());
        }
        let target = self.target.clone();
        let path = path.to_str().ok_or("the backup path is not valid UTF-8")?.to_string();
        tokio::task::spawn_blocking(move || {
            use diesel::RunQueryDsl as _;
            let mut conn = target.connect().map_err(|e| e.0)?;
            diesel::sql_query("VACUUM INTO ?")
                .bind::<diesel::sql_types::Text, _>(&path)
                .execute(&mut conn)
                .map(|_| ())
                .map_err(|e| format!("cannot copy the database to {path}: {e}"))
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// The build options of the embedded SQLite that the store relies on for speed
    /// (`.cargo/config.toml`) and this build lacks; empty on PostgreSQL and for a right build. A
    /// binary built without the workspace's configuration (another build system, a packager)
    /// works, only slower: the server warns at start.
    pub async fn missing_sqlite_options(&self) -> Result<Vec<&'static str>, StoreError> {
        if self.target.backend != Backend::Sqlite {
            return Ok(Vec::new());
        }
        self.run("sqlite.compile_options", |conn| {
            #[derive(diesel::QueryableByName)]
            struct CompileOption {
                #[diesel(sql_type = diesel::sql_types::Text)]
                compile_options: String,
            }
            let options: Vec<String> =
                diesel::RunQueryDsl::load::<CompileOption>(diesel::sql_query("PRAGMA compile_options"), conn)?
                    .into_iter()
                    .map(|o| o.compile_options)
                    .collect();
            let mut missing: Vec<&'static str> = conn::SQLITE_BUILD_OPTIONS
                .iter()
                .copied()
                .filter(|wanted| !options.iter().any(|o| o == wanted))
                .collect();
            if options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT") {
                missing.push("no ENABLE_MEMORY_MANAGEMENT");
            }
            Ok(missing)
        })
        .await
    }

    /// Store calls waiting for a thread now: `(reads, writes)`; on PostgreSQL every call is a
    /// read's (one queue serves all).
    pub fn queued_calls(&self) -> (usize, usize) {
        (self.executor.queued(), self.writer.as_ref().map_or(0, Executor::queued))
    }

    /// `SELECT 1` on one of the store's connections. Fails within the queue timeout when the
    /// database is unreachable.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.run("ping", |conn| Ok(conn.batch_execute("SELECT 1")?)).await
    }

    /// Migrations run on a dedicated connection (not one of the store threads'), so a
    /// PostgreSQL session lock can never be left behind on a reused connection.
    async fn migration_task<T: Send + 'static>(
        &self,
        job: fn(&mut AnyConn) -> Result<T, Box<dyn std::error::Error + Send + Sync>>,
    ) -> Result<T, OpenError> {
        let target = self.target.clone();
        tokio::task::spawn_blocking(move || {
            let url = target.display.clone();
            let mut conn = target.connect().map_err(|e| OpenError::Connect { url: url.clone(), reason: e.0 })?;
            job(&mut conn).map_err(|e| OpenError::Migration { url, reason: e.to_string() })
        })
        .await
        .map_err(|e| OpenError::Task(e.to_string()))?
    }

    /// Runs `f` on one of the store threads' connections (see `executor.rs`). `op` names the
    /// operation in logs; failures other than `NotFound` and `Conflict` are logged and become
    /// `Unavailable`.
    pub(crate) async fn run<T, F>(&self, op: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConn) -> Result<T, DbError> + Send + 'static,
    {
        self.executor.run(op, f).await
    }

    /// Runs `f`, which writes, like [`Database::run`] — on SQLite on the one writer thread.
    ///
    /// SQLite lets one connection write at a time. When several try, the others wait in
    /// SQLite's busy handler, which does not wake when the lock is freed but sleeps in steps of
    /// 1, 2, 5, 10, 15, 20, 25 ms and tries again: under a steady mix of writes that turned 0.1 ms
    /// writes into 20–50 ms ones (docs/PERFORMANCE.md, `webhook`). Writes queued for one thread
    /// run back to back instead, and reads, which WAL never blocks, keep the other threads. A
    /// call that writes but is run with [`Database::run`] still works, only paying the busy
    /// handler's sleeps again.
    pub(crate) async fn run_write<T, F>(&self, op: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConn) -> Result<T, DbError> + Send + 'static,
    {
        self.writer.as_ref().unwrap_or(&self.executor).run(op, f).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread_name() -> String {
        std::thread::current().name().unwrap_or_default().to_string()
    }

    /// On SQLite every write runs on the one writer thread, so writers queue there rather than
    /// in SQLite's sleeping busy handler; reads stay on the other threads.
    #[tokio::test(flavor = "multi_thread")]
    async fn sqlite_writes_run_on_the_writer_thread_and_reads_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&format!("sqlite://{}", dir.path().join("w.db").display())).await.unwrap();
        let mut calls = tokio::task::JoinSet::new();
        for n in 0..32 {
            let db = db.clone();
            calls.spawn(async move {
                let write = n % 2 == 0;
                let thread = if write {
                    db.run_write("test.write", |_| Ok(thread_name())).await
                } else {
                    db.run("test.read", |_| Ok(thread_name())).await
                };
                (write, thread.unwrap())
            });
        }
        while let Some(call) = calls.join_next().await {
            let (write, thread) = call.unwrap();
            if write {
                assert_eq!(thread, "pincer-db-writer-0");
            } else {
                assert!(thread.starts_with("pincer-db-") && !thread.contains("writer"), "{thread}");
            }
        }
        assert!(db.close(std::time::Duration::from_secs(5)).await, "the writer thread ended too");
    }
}
