//! Connections: the two-backend [`AnyConn`] and database URL parsing; [`Target::connect`] picks
//! the backend from the URL scheme and keeps the driver's real error text.

use diesel::connection::SimpleConnection;
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};

/// One connection to either backend. Portable queries run on it directly; backend-specific SQL
/// matches on the variant (see `backend.rs`).
#[derive(diesel::MultiConnection)]
pub enum AnyConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Evaluates `$body` with `$c` bound to the backend's own diesel connection, for the hottest
/// queries. Through `AnyConn`, diesel builds a query's SQL text on every call to find its prepared
/// statement (the multi-connection's query wrapper has no static query id); on a backend's own
/// connection a static query is found by its type (docs/PERFORMANCE.md, `agents`).
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::conn::AnyConn::Sqlite($c) => $body,
            $crate::conn::AnyConn::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Which database a [`crate::Database`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Set on every new SQLite connection. `busy_timeout` comes first so that switching to WAL waits
/// for a concurrent writer instead of failing.
/// The options `.cargo/config.toml` (`LIBSQLITE3_FLAGS`) builds the embedded SQLite with, as
/// `PRAGMA compile_options` names them (and without `ENABLE_MEMORY_MANAGEMENT`).
pub(crate) const SQLITE_BUILD_OPTIONS: [&str; 3] = ["DEFAULT_MEMSTATUS=0", "ENABLE_QPSG", "THREADSAFE=2"];

const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;";

/// How long libpq may take to open a connection when the URL does not say (seconds).
const PG_CONNECT_TIMEOUT_SECS: u32 = 5;

/// A parsed database URL: what to connect to, and how to name it in messages.
#[derive(Clone)]
pub struct Target {
    pub backend: Backend,
    /// What the driver receives: a file path (SQLite) or a libpq URL (PostgreSQL).
    connect: String,
    /// The URL with any password masked, safe for logs and error messages.
    pub display: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("backend", &self.backend).field("url", &self.display).finish()
    }
}

impl Target {
    /// Parses `sqlite://path`, `sqlite:path`, a plain file path, or `postgres://…` /
    /// `postgresql://…`. The error is a human reason.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            let display = redact(url);
            let connect = if has_query_param(url, "connect_timeout") {
                url.to_string()
            } else {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}connect_timeout={PG_CONNECT_TIMEOUT_SECS}")
            };
            return Ok(Self { backend: Backend::Postgres, connect, display });
        }
        let path = if lower.starts_with("sqlite://") {
            &url["sqlite://".len()..]
        } else if lower.starts_with("sqlite:") {
            &url["sqlite:".len()..]
        } else if url.contains("://") {
            return Err("unsupported scheme (use sqlite://<path> or postgres://…)".into());
        } else {
            url
        };
        if path.is_empty() {
            return Err("the SQLite file path is empty".into());
        }
        if path == ":memory:" || path.contains("mode=memory") {
            // Every store thread's connection would get its own empty database.
            return Err("in-memory SQLite databases cannot be pooled; use a file".into());
        }
        Ok(Self { backend: Backend::Sqlite, connect: path.to_string(), display: format!("sqlite://{path}") })
    }

    /// The file path, for a SQLite target.
    pub fn sqlite_path(&self) -> &str {
        &self.connect
    }

    /// Opens one new connection, configured for Pincer.
    pub fn connect(&self) -> Result<AnyConn, ConnectError> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.connect)
                .map(AnyConn::Postgres)
                .map_err(|e| ConnectError(connection_error_text(&e))),
            Backend::Sqlite => {
                create_private(&self.connect).map_err(|e| ConnectError(format!("creating the database file: {e}")))?;
                let mut conn =
                    SqliteConnection::establish(&self.connect).map_err(|e| ConnectError(connection_error_text(&e)))?;
                conn.batch_execute(SQLITE_PRAGMAS).map_err(|e| ConnectError(format!("setting pragmas: {e}")))?;
                Ok(AnyConn::Sqlite(conn))
            }
        }
    }
}

/// Creates the SQLite file readable by its owner only (0600, like the keys beside it) when it
/// does not exist yet; SQLite gives its journal files the database file's permissions. An
/// existing file keeps the mode the operator gave it.
fn create_private(path: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    if path.starts_with(':') || path.starts_with("file:") {
        return Ok(());
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // A missing folder: the driver's own error says it better.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// The driver's reason a connection could not be opened or configured.
#[derive(Debug)]
pub struct ConnectError(pub String);

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConnectError {}

fn connection_error_text(e: &ConnectionError) -> String {
    // libpq messages end with a newline and sometimes carry a hint on a second line.
    e.to_string().trim().replace('\n', " ").replace('\t', "")
}

/// Masks the password in a URL's user info and any `password=` query parameter.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let rest_start = scheme_end + 3;
    let rest = &url[rest_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let mut out = url[..rest_start].to_string();
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(&userinfo[..colon]);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    let tail = &rest[authority_end..];
    match tail.find('?') {
        Some(q) => {
            out.push_str(&tail[..=q]);
            let query = &tail[q + 1..];
            let (query, fragment) = query.split_once('#').map_or((query, None), |(q, f)| (q, Some(f)));
            let params: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            out.push_str(&params.join("&"));
            if let Some(fragment) = fragment {
                out.push('#');
                out.push_str(fragment);
            }
        }
        None => out.push_str(tail),
    }
    out
}

fn has_query_param(url: &str, name: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query.split('&').any(|pair| pair.split('=').next().is_some_and(|k| k.eq_ignore_ascii_case(name)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_and_paths() {
        for (url, path) in [
            ("sqlite:///tmp/a.db", "/tmp/a.db"),
            ("sqlite://./data/pincer.db", "./data/pincer.db"),
            ("sqlite:pincer.db", "pincer.db"),
            ("/var/lib/pincer/pincer.db", "/var/lib/pincer/pincer.db"),
            ("SQLITE://x.db", "x.db"),
        ] {
            let t = Target::parse(url).unwrap();
            assert_eq!(t.backend, Backend::Sqlite, "{url}");
            assert_eq!(t.connect, path, "{url}");
            assert_eq!(t.display, format!("sqlite://{path}"));
        }
        assert!(Target::parse("sqlite://").is_err());
        assert!(Target::parse("sqlite::memory:").is_err());
        assert!(Target::parse("mysql://localhost/db").is_err());
    }

    #[test]
    fn postgres_urls_get_a_connect_timeout_and_hide_passwords() {
        let t = Target::parse("postgres://app:s3cret@db:5432/pincer").unwrap();
        assert_eq!(t.backend, Backend::Postgres);
        assert_eq!(t.connect, "postgres://app:s3cret@db:5432/pincer?connect_timeout=5");
        assert_eq!(t.display, "postgres://app:***@db:5432/pincer");

        let t = Target::parse("postgresql://db/pincer?sslmode=require&connect_timeout=2").unwrap();
        assert_eq!(t.connect, "postgresql://db/pincer?sslmode=require&connect_timeout=2");
        let t = Target::parse("postgresql://db/pincer?sslmode=require").unwrap();
        assert_eq!(t.connect, "postgresql://db/pincer?sslmode=require&connect_timeout=5");
    }

    #[test]
    fn every_sqlite_connection_gets_the_pragmas() {
        use diesel::sql_types::{Integer, Text};

        #[derive(diesel::QueryableByName)]
        struct JournalMode {
            #[diesel(sql_type = Text)]
            journal_mode: String,
        }
        #[derive(diesel::QueryableByName)]
        struct Synchronous {
            #[diesel(sql_type = Integer)]
            synchronous: i32,
        }
        #[derive(diesel::QueryableByName)]
        struct Timeout {
            #[diesel(sql_type = Integer)]
            timeout: i32,
        }
        #[derive(diesel::QueryableByName)]
        struct ForeignKeys {
            #[diesel(sql_type = Integer)]
            foreign_keys: i32,
        }

        let dir = tempfile::tempdir().unwrap();
        let target = Target::parse(&format!("sqlite://{}", dir.path().join("p.db").display())).unwrap();
        // The first connection switches the file to WAL; the pragmas must hold for later ones too.
        for _ in 0..2 {
            let AnyConn::Sqlite(mut c) = target.connect().unwrap() else { panic!("expected SQLite") };
            let q = |sql: &'static str| diesel::sql_query(sql);
            let mode: JournalMode = diesel::RunQueryDsl::get_result(q("PRAGMA journal_mode"), &mut c).unwrap();
            let sync: Synchronous = diesel::RunQueryDsl::get_result(q("PRAGMA synchronous"), &mut c).unwrap();
            let busy: Timeout = diesel::RunQueryDsl::get_result(q("PRAGMA busy_timeout"), &mut c).unwrap();
            let fks: ForeignKeys = diesel::RunQueryDsl::get_result(q("PRAGMA foreign_keys"), &mut c).unwrap();
            assert_eq!(mode.journal_mode, "wal");
            assert_eq!(sync.synchronous, 1, "NORMAL");
            assert_eq!(busy.timeout, 5000);
            assert_eq!(fks.foreign_keys, 1);
        }
    }

    /// The embedded SQLite is built with the options in `.cargo/config.toml` (`LIBSQLITE3_FLAGS`);
    /// a build that lost them would still work, only slower, so this checks them.
    #[test]
    fn the_embedded_sqlite_has_the_store_s_build_options() {
        #[derive(diesel::QueryableByName)]
        struct CompileOption {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }

        let dir = tempfile::tempdir().unwrap();
        let target = Target::parse(&format!("sqlite://{}", dir.path().join("o.db").display())).unwrap();
        let AnyConn::Sqlite(mut c) = target.connect().unwrap() else { panic!("expected SQLite") };
        let options: Vec<String> =
            diesel::RunQueryDsl::load::<CompileOption>(diesel::sql_query("PRAGMA compile_options"), &mut c)
                .unwrap()
                .into_iter()
                .map(|o| o.compile_options)
                .collect();
        for wanted in SQLITE_BUILD_OPTIONS {
            assert!(options.iter().any(|o| o == wanted), "{wanted} missing from {options:?}");
        }
        assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
    }

    #[test]
    fn redaction() {
        assert_eq!(redact("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(redact("postgres://u:p@ss@h/d"), "postgres://u:***@h/d");
        assert_eq!(redact("postgres://h/d?user=u&password=x#f"), "postgres://h/d?user=u&password=***#f");
        assert_eq!(redact("postgres://u:p@h"), "postgres://u:***@h");
        assert!(!redact("postgres://u:topsecret@h:1/d?password=topsecret").contains("topsecret"));
    }

    #[test]
    fn a_new_sqlite_file_and_its_journal_are_readable_by_the_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("private.db");
        let target = Target::parse(&format!("sqlite://{}", path.display())).unwrap();
        let AnyConn::Sqlite(mut c) = target.connect().unwrap() else { panic!("expected SQLite") };
        c.batch_execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);").unwrap();
        for file in [path.clone(), dir.path().join("private.db-wal")] {
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}: {mode:o}", file.display());
        }
        // An existing file keeps the mode its operator chose.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        drop(target.connect().unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    }
}
