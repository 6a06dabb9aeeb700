//! The only place with backend-specific SQL: how a write transaction begins, the settings and
//! provider upserts, the insert-if-absent of chats and usage records, and the migration lock. Every branch here is exercised by the contract suite on both backends.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::upsert::excluded;

use crate::agent_rows::ProviderRow;
use crate::chat_rows::ChatRow;
use crate::conn::AnyConn;
use crate::error::DbError;
use crate::rows::SettingRow;
use crate::schema::{chats, providers, settings, usage_records};
use crate::usage::UsageRow;

/// A rule whose check-then-write must be serialised against every other writer of that rule.
#[derive(Clone, Copy, Debug)]
pub enum Guard {
    /// "At least one active admin" and "only the first admin via setup".
    Admins,
    /// The audit chain: appenders read the last row and write the next one.
    Audit,
    /// "One default provider" and the removal plan, which reads the providers that remain.
    Providers,
}

impl Guard {
    /// PostgreSQL advisory lock keys: arbitrary, distinct, stable constants.
    fn key(self) -> i64 {
        match self {
            Guard::Admins => 0x7069_6e63_0001, // "pinc" + 1
            Guard::Audit => 0x7069_6e63_0002,
            Guard::Providers => 0x7069_6e63_0003,
        }
    }
}

/// The session-level PostgreSQL advisory lock held while migrating.
const MIGRATION_LOCK_KEY: i64 = 0x7069_6e63_0000;

/// Periodic jobs that one replica at a time runs (DESIGN §8).
#[derive(Clone, Copy, Debug)]
pub enum Singleton {
    /// Removing expired sessions.
    SessionPurge,
}

impl Singleton {
    fn key(self) -> i64 {
        match self {
            Singleton::SessionPurge => 0x7069_6e63_0100,
        }
    }
}

/// Runs `f` in a write transaction if no other replica is running the same job, else returns
/// `None` without waiting: on PostgreSQL the job holds `pg_try_advisory_xact_lock` (released at
/// commit or rollback); SQLite serves one node, whose writers `BEGIN IMMEDIATE` serialises anyway.
pub fn singleton<T>(
    conn: &mut AnyConn,
    job: Singleton,
    f: impl FnOnce(&mut AnyConn) -> Result<T, DbError>,
) -> Result<Option<T>, DbError> {
    immediate(conn, |conn| {
        if let AnyConn::Postgres(c) = conn {
            #[derive(QueryableByName)]
            struct Locked {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                locked: bool,
            }
            let got: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
                .bind::<BigInt, _>(job.key())
                .get_result(c)?;
            if !got.locked {
                return Ok(None);
            }
        }
        f(conn).map(Some)
    })
}

/// Runs `f` in a write transaction, committing on `Ok` and rolling back on `Err`.
///
/// - SQLite: `BEGIN IMMEDIATE`, so the write lock is taken up front. A deferred transaction that
///   reads and then writes could fail with `SQLITE_BUSY` without waiting; an immediate one waits
///   (`busy_timeout`) and serialises all writers, which also makes every read-check-write atomic.
/// - PostgreSQL: `BEGIN` (read committed), plus `pg_advisory_xact_lock` when a `guard` is given,
///   so two transactions checking the same rule run one after the other; the second one's
///   statements then see the first one's committed rows.
///
/// `MultiConnection` has no immediate-transaction API, so the SQLite branch begins the transaction
/// on the inner connection with `AnsiTransactionManager::begin_transaction_sql`. That records the
/// open transaction in the inner connection's transaction state, which is exactly the state that
/// `AnyConn`'s derived transaction manager delegates to for commit and rollback, so the pair stays
/// consistent (and nested `conn.transaction` calls inside `f` become savepoints as usual).
pub fn write<T>(
    conn: &mut AnyConn,
    guard: Option<Guard>,
    f: impl FnOnce(&mut AnyConn) -> Result<T, DbError>,
) -> Result<T, DbError> {
    immediate(conn, |conn| {
        take_guard(conn, guard)?;
        f(conn)
    })
}

/// `BEGIN IMMEDIATE` on SQLite, `BEGIN` on PostgreSQL; commit on `Ok`, roll back on `Err`.
fn immediate<T, E>(conn: &mut AnyConn, f: impl FnOnce(&mut AnyConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    type Tm = <AnyConn as Connection>::TransactionManager;
    match conn {
        AnyConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        AnyConn::Postgres(_) => Tm::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            Tm::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // If the rollback fails too, the transaction manager is marked broken and the pool
            // discards the connection; the original error is the one worth reporting.
            if let Err(rollback) = Tm::rollback_transaction(conn) {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

fn take_guard(conn: &mut AnyConn, guard: Option<Guard>) -> Result<(), DbError> {
    if let (AnyConn::Postgres(c), Some(guard)) = (conn, guard) {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)").bind::<BigInt, _>(guard.key()).execute(c)?;
    }
    Ok(())
}

/// Inserts a setting or replaces the one with the same key.
pub fn upsert_setting(conn: &mut AnyConn, row: &SettingRow) -> QueryResult<usize> {
    // The statement is the same on both backends, but `ON CONFLICT` is not part of the common
    // subset `MultiConnection` offers, so it is built per backend.
    macro_rules! upsert {
        ($c:expr) => {
            diesel::insert_into(settings::table)
                .values(row)
                .on_conflict(settings::key)
                .do_update()
                .set((
                    settings::value.eq(excluded(settings::value)),
                    settings::encrypted.eq(excluded(settings::encrypted)),
                    settings::updated_at.eq(excluded(settings::updated_at)),
                ))
                .execute($c)
        };
    }
    match conn {
        AnyConn::Sqlite(c) => upsert!(c),
        AnyConn::Postgres(c) => upsert!(c),
    }
}

/// Inserts a provider or replaces every field but `created_at` of the one with the same name.
pub fn upsert_provider(conn: &mut AnyConn, row: &ProviderRow) -> QueryResult<usize> {
    macro_rules! upsert {
        ($c:expr) => {
            diesel::insert_into(providers::table)
                .values(row)
                .on_conflict(providers::name)
                .do_update()
                .set((
                    providers::kind.eq(excluded(providers::kind)),
                    providers::sealed_api_key.eq(excluded(providers::sealed_api_key)),
                    providers::key_hint.eq(excluded(providers::key_hint)),
                    providers::base_url.eq(excluded(providers::base_url)),
                    providers::default_model.eq(excluded(providers::default_model)),
                    providers::is_default.eq(excluded(providers::is_default)),
                    providers::updated_at.eq(excluded(providers::updated_at)),
                ))
                .execute($c)
        };
    }
    match conn {
        AnyConn::Sqlite(c) => upsert!(c),
        AnyConn::Postgres(c) => upsert!(c),
    }
}

/// Inserts a chat unless one with its `(user_id, agent_id, key)` exists; returns the rows
/// inserted (0 or 1). On PostgreSQL a concurrent insert of the same key makes this wait for that
/// transaction and then do nothing, so the caller's next statement sees the winner's row. Any other
/// failure (a duplicate id, an unknown user or agent) is still an error.
pub fn insert_chat_if_absent(conn: &mut AnyConn, row: &ChatRow) -> QueryResult<usize> {
    macro_rules! insert {
        ($c:expr) => {
            diesel::insert_into(chats::table)
                .values(row)
                .on_conflict((chats::user_id, chats::agent_id, chats::key))
                .do_nothing()
                .execute($c)
        };
    }
    match conn {
        AnyConn::Sqlite(c) => insert!(c),
        AnyConn::Postgres(c) => insert!(c),
    }
}

/// Inserts a usage record unless its `(run_id, step)` is recorded already (that row is left as
/// it is); returns the rows inserted (0 or 1). A failed statement would abort a PostgreSQL
/// transaction, so the duplicate is skipped by the statement rather than caught as an error.
pub fn insert_usage_if_absent(conn: &mut AnyConn, row: &UsageRow) -> QueryResult<usize> {
    macro_rules! insert {
        ($c:expr) => {
            diesel::insert_into(usage_records::table)
                .values(row)
                .on_conflict((usage_records::run_id, usage_records::step))
                .do_nothing()
                .execute($c)
        };
    }
    match conn {
        AnyConn::Sqlite(c) => insert!(c),
        AnyConn::Postgres(c) => insert!(c),
    }
}

/// Runs `f` while holding the migration lock, so that processes starting together migrate one
/// after the other:
/// - PostgreSQL: a session advisory lock (replicas share the database).
/// - SQLite: one `BEGIN IMMEDIATE` transaction around the whole run. The harness's per-migration
///   transactions nest inside it as savepoints, so a run applies all its migrations or none.
///   (A SQLite migration therefore cannot leave the transaction: `run_in_transaction = false` has
///   no effect, and table rebuilds use `PRAGMA defer_foreign_keys` rather than `foreign_keys = OFF`.)
pub fn with_migration_lock<T, E>(conn: &mut AnyConn, f: impl FnOnce(&mut AnyConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let AnyConn::Postgres(c) = conn else { return immediate(conn, f) };
    diesel::sql_query("SELECT pg_advisory_lock($1)").bind::<BigInt, _>(MIGRATION_LOCK_KEY).execute(c)?;
    let result = f(conn);
    let AnyConn::Postgres(c) = conn else { return result };
    let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)").bind::<BigInt, _>(MIGRATION_LOCK_KEY).execute(c);
    // The caller drops this dedicated connection afterwards, which frees the lock in any case.
    let unlocked = unlocked.map_err(E::from);
    match (result, unlocked) {
        (Ok(value), Ok(_)) => Ok(value),
        (Err(e), _) | (Ok(_), Err(e)) => Err(e),
    }
}
