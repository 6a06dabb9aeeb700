//! Fresh test databases: a SQLite file in its own temporary directory, or a new PostgreSQL
//! database on the server named by `PINCER_TEST_DATABASE_URL`. Dropping one removes it.
//!
//! Setup failures panic with the reason: this is test scaffolding, and a test cannot go on
//! without its database.

use diesel::{Connection, PgConnection, RunQueryDsl};

/// The environment variable naming a PostgreSQL server (an admin URL, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`) on which tests may create databases.
pub const ENV_VAR: &str = "PINCER_TEST_DATABASE_URL";

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A SQLite file (not yet created) in a fresh temporary directory.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::Builder::new()
            .prefix("pincer-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let url = format!("sqlite://{}", dir.path().join("pincer.db").display());
        TestDatabase { url, kind: Kind::Sqlite { _dir: dir } }
    }

    /// A new, empty database `pincer_test_<uuid>` on the server at `admin_url`.
    pub fn postgres(admin_url: &str) -> TestDatabase {
        let name = format!("pincer_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = connect(admin_url);
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let url = with_database(admin_url, &name);
        TestDatabase { url, kind: Kind::Postgres { admin_url: admin_url.to_string(), name } }
    }

    /// PostgreSQL when `PINCER_TEST_DATABASE_URL` is set, else SQLite.
    pub fn from_env() -> TestDatabase {
        match env_url() {
            Some(admin_url) => Self::postgres(&admin_url),
            None => Self::sqlite(),
        }
    }

    /// SQLite always, plus PostgreSQL when `PINCER_TEST_DATABASE_URL` is set.
    pub fn all() -> Vec<TestDatabase> {
        let mut all = vec![Self::sqlite()];
        if let Some(admin_url) = env_url() {
            all.push(Self::postgres(&admin_url));
        }
        all
    }

    /// The URL to hand to `pincer_store::Database::open` or `PINCER_DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.kind, Kind::Postgres { .. })
    }

    /// The server's admin URL this database was created through (PostgreSQL only).
    pub fn admin_url(&self) -> Option<&str> {
        match &self.kind {
            Kind::Postgres { admin_url, .. } => Some(admin_url),
            Kind::Sqlite { .. } => None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // The temporary directory removes itself; a PostgreSQL database is dropped even if a
        // pool still holds connections to it. Never panic here: it may run during unwinding.
        if let Kind::Postgres { admin_url, name } = &self.kind {
            let dropped = PgConnection::establish(admin_url).map_err(|e| e.to_string()).and_then(|mut admin| {
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .map_err(|e| e.to_string())
            });
            if let Err(e) = dropped {
                eprintln!("warning: could not drop test database {name}: {e}");
            }
        }
    }
}

/// Where `cargo xtask test` asks tests to record that they skipped (one line each).
pub const SKIP_LOG_VAR: &str = "PINCER_TEST_SKIP_LOG";

/// The marker that starts each line of the skip log (and what `cargo xtask test` prints).
pub const SKIP_MARKER: &str = "SKIPPED-NEEDS-POSTGRES";

/// For a test that only means something on PostgreSQL: the admin URL from
/// `PINCER_TEST_DATABASE_URL`, or `None` after recording the skip. With the variable set the test
/// always runs (it cannot skip); without it, the skip is appended to the file named by
/// `PINCER_TEST_SKIP_LOG`, which `cargo xtask test` counts, because cargo hides the output of a
/// passing test.
pub fn postgres_or_skip(test: &str) -> Option<String> {
    if let Some(url) = env_url() {
        return Some(url);
    }
    let line = format!("{SKIP_MARKER}: {test}\n");
    eprint!("{line}");
    if let Some(path) = std::env::var_os(SKIP_LOG_VAR).filter(|p| !p.is_empty()) {
        use std::io::Write as _;
        // One append of one short line: concurrent tests do not interleave.
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(e) = written {
            panic!("cannot record the skip of {test} in {}: {e}", std::path::Path::new(&path).display());
        }
    }
    None
}

fn env_url() -> Option<String> {
    std::env::var(ENV_VAR).ok().map(|url| url.trim().to_string()).filter(|url| !url.is_empty())
}

fn connect(admin_url: &str) -> PgConnection {
    PgConnection::establish(admin_url)
        .unwrap_or_else(|e| panic!("cannot connect to the PostgreSQL test server ({ENV_VAR}): {e}"))
}

/// `admin_url` with its database path replaced by `name`, keeping user, host and query.
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_replaces_the_path() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(with_database("postgres://u:p@h", "t1"), "postgres://u:p@h/t1");
        assert_eq!(with_database("postgresql://h/db?sslmode=disable", "t1"), "postgresql://h/t1?sslmode=disable");
    }

    #[test]
    fn sqlite_lives_in_a_temporary_directory_that_goes_away() {
        let db = TestDatabase::sqlite();
        assert!(db.url().starts_with("sqlite://"));
        assert!(!db.is_postgres());
        assert_eq!(db.admin_url(), None);
        let path = std::path::PathBuf::from(db.url().trim_start_matches("sqlite://"));
        let dir = path.parent().unwrap().to_path_buf();
        assert!(dir.is_dir());
        drop(db);
        assert!(!dir.exists());
    }
}
