//! Embedded migrations, one set per backend with identical version names, run on the matching
//! variant of [`AnyConn`].

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::backend;
use crate::conn::AnyConn;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration under the migration lock; returns the applied versions.
pub fn run_pending(conn: &mut AnyConn) -> Result<Vec<String>, BoxError> {
    backend::with_migration_lock(conn, |conn| {
        let applied = match conn {
            AnyConn::Sqlite(c) => c.run_pending_migrations(SQLITE)?,
            AnyConn::Postgres(c) => c.run_pending_migrations(POSTGRES)?,
        };
        Ok(applied.iter().map(ToString::to_string).collect())
    })
}

/// The versions of the embedded migrations the database has not had yet.
pub fn pending(conn: &mut AnyConn) -> Result<Vec<String>, BoxError> {
    let pending = match conn {
        AnyConn::Sqlite(c) => c.pending_migrations(SQLITE)?.iter().map(|m| m.name().to_string()).collect(),
        AnyConn::Postgres(c) => c.pending_migrations(POSTGRES)?.iter().map(|m| m.name().to_string()).collect(),
    };
    Ok(pending)
}

/// Reverts the newest applied migration under the migration lock; `None` when none is applied.
pub fn revert_last(conn: &mut AnyConn) -> Result<Option<String>, BoxError> {
    fn revert<C: MigrationHarness<B>, B: diesel::backend::Backend>(
        c: &mut C,
        source: EmbeddedMigrations,
    ) -> Result<Option<String>, BoxError>
    where
        EmbeddedMigrations: diesel::migration::MigrationSource<B>,
    {
        if c.applied_migrations()?.is_empty() {
            return Ok(None);
        }
        Ok(Some(c.revert_last_migration(source)?.to_string()))
    }
    backend::with_migration_lock(conn, |conn| match conn {
        AnyConn::Sqlite(c) => revert(c, SQLITE),
        AnyConn::Postgres(c) => revert(c, POSTGRES),
    })
}

#[cfg(test)]
mod tests {
    use diesel::migration::MigrationSource;

    use super::*;

    /// Both folders must hold the same versions, so one schema.rs fits both backends.
    #[test]
    fn both_backends_have_the_same_versions() {
        let sqlite: Vec<String> = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE)
            .unwrap()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        let postgres: Vec<String> = MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES)
            .unwrap()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }
}
