//! A fresh database per scenario (or per server start): a SQLite file in a temporary directory,
//! or a database `pincer_bench_<uuid>` created on the PostgreSQL server given with
//! `--database-url`. Removed on drop.

use diesel::{Connection, PgConnection, RunQueryDsl};

/// A database nobody else uses; dropped (PostgreSQL) or deleted (SQLite) with this value.
pub struct FreshDatabase {
    url: String,
    kind: Fresh,
}

enum Fresh {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { server_url: String, name: String },
}

impl FreshDatabase {
    /// A SQLite file when `server_url` is `None`, else a new database on that PostgreSQL server.
    pub fn create(server_url: Option<&str>) -> Result<FreshDatabase, String> {
        let Some(server_url) = server_url.map(str::trim).filter(|u| !u.is_empty()) else {
            let dir = tempfile::Builder::new()
                .prefix("pincer-bench-")
                .tempdir()
                .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            return Ok(FreshDatabase { url, kind: Fresh::Sqlite { _dir: dir } });
        };
        if !is_postgres_url(server_url) {
            return Err("--database-url must be a postgres:// URL (SQLite is the default)".into());
        }
        let name = format!("pincer_bench_{}", uuid::Uuid::now_v7().simple());
        let mut admin =
            PgConnection::establish(server_url).map_err(|e| format!("cannot connect to the PostgreSQL server: {e}"))?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .map_err(|e| format!("cannot create database {name}: {e}"))?;
        eprintln!("bench: created database {name}");
        let url = with_database(server_url, &name);
        Ok(FreshDatabase { url, kind: Fresh::Postgres { server_url: server_url.to_string(), name } })
    }

    /// The URL to open it with (`sqlite://…` or `postgres://…/pincer_bench_<uuid>`).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if let Fresh::Postgres { server_url, name } = &self.kind {
            let dropped = PgConnection::establish(server_url).map_err(|e| e.to_string()).and_then(|mut admin| {
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .map_err(|e| e.to_string())
            });
            match dropped {
                Ok(_) => eprintln!("bench: dropped database {name}"),
                Err(e) => eprintln!("bench: warning: could not drop database {name}: {e}"),
            }
        }
    }
}

pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `server_url` with its database path replaced by `name`, keeping user, host and query.
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
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
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "b1"),
            "postgres://postgres@127.0.0.1:5432/b1"
        );
        assert_eq!(with_database("postgresql://h/db?sslmode=disable", "b1"), "postgresql://h/b1?sslmode=disable");
        assert_eq!(with_database("postgres://h", "b1"), "postgres://h/b1");
    }
}
