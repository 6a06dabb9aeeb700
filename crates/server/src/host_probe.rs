//! The running server's facts for the security self-audit: file permissions in the data
//! directory, secrets on the command line, how the server is reached, the database connection,
//! the newest backup. Facts only; the checks judge them (`pincer_security::checks`).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use pincer_core::Timestamp;
use pincer_core::remote::RemoteAccess;
use pincer_identity::domain_lock::DomainLock;
use pincer_security::facts::{DatabaseFacts, FileFact, HostFacts, KeySource};
use pincer_security::ports::HostProbe;

/// What the operator configured, fixed for the life of the process.
#[derive(Clone, Debug)]
pub struct HostConfig {
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`, as the server opened it.
    pub database_url: String,
    /// Which keys came from the environment (or a flag) instead of the secrets folder.
    pub encryption_key_from_env: bool,
    pub audit_key_from_env: bool,
    /// The files the environment names for secrets (`PINCER_*_FILE`, the licence's).
    pub secret_files: Vec<PathBuf>,
    pub bind: String,
    pub public_url: Option<String>,
    pub behind_proxy: bool,
    /// Where backups are looked for (`PINCER_BACKUP_DIR`, default `<data dir>/backups`).
    pub backup_dir: PathBuf,
}

/// Reads the host's facts; file system reads run on a blocking thread.
pub struct SystemHostProbe {
    config: HostConfig,
    domain_lock: Arc<DomainLock>,
    tunnel: Arc<dyn RemoteAccess>,
}

impl SystemHostProbe {
    pub fn new(config: HostConfig, domain_lock: Arc<DomainLock>, tunnel: Arc<dyn RemoteAccess>) -> Self {
        Self { config, domain_lock, tunnel }
    }
}

#[async_trait]
impl HostProbe for SystemHostProbe {
    async fn host_facts(&self) -> HostFacts {
        let config = self.config.clone();
        let files = tokio::task::spawn_blocking(move || FileFacts::read(&config)).await.unwrap_or_default();
        let tunnel = self.tunnel.active().then(|| {
            self.tunnel.status().url.unwrap_or_else(|| "an address cloudflared has not given yet".to_string())
        });
        HostFacts { locked_domain: self.domain_lock.cached(), tunnel, ..self.config.facts_from(files) }
    }
}

impl HostConfig {
    /// The facts the configuration and the file system give without a running server (so no
    /// domain lock and no tunnel): for `pincer config check`. Reads files, so it blocks.
    pub fn facts(&self) -> HostFacts {
        self.facts_from(FileFacts::read(self))
    }

    fn facts_from(&self, files: FileFacts) -> HostFacts {
        HostFacts {
            secrets_dir: files.secrets_dir.unwrap_or_else(|| missing(&self.data_dir.join("secrets"))),
            keys: files.keys,
            exposed_secret_files: files.exposed_secret_files,
            bind: self.bind.clone(),
            bind_loopback: bind_is_loopback(&self.bind),
            public_url: self.public_url.clone(),
            behind_proxy: self.behind_proxy,
            locked_domain: None,
            tunnel: None,
            database: files.database,
            backup_dir: self.backup_dir.display().to_string(),
            newest_backup: files.newest_backup,
        }
    }
}

/// A path that could not be read: reported as private (there is nothing to read).
fn missing(path: &Path) -> FileFact {
    FileFact { path: path.display().to_string(), mode: 0o700 }
}

/// Whether the bind address is loopback (`127.0.0.1:7777`, `[::1]:80`, `localhost:7777`).
fn bind_is_loopback(bind: &str) -> bool {
    if let Ok(addr) = bind.parse::<std::net::SocketAddr>() {
        return addr.ip().is_loopback();
    }
    let host = bind.rsplit_once(':').map_or(bind, |(h, _)| h);
    host.eq_ignore_ascii_case("localhost")
}

/// What the file system says.
struct FileFacts {
    secrets_dir: Option<FileFact>,
    keys: Vec<KeySource>,
    exposed_secret_files: Vec<FileFact>,
    database: DatabaseFacts,
    newest_backup: Option<Timestamp>,
}

impl Default for FileFacts {
    /// Nothing could be read (the blocking thread failed): no file, no backup.
    fn default() -> Self {
        Self {
            secrets_dir: None,
            keys: Vec::new(),
            exposed_secret_files: Vec::new(),
            database: DatabaseFacts::Sqlite { files: Vec::new() },
            newest_backup: None,
        }
    }
}

impl FileFacts {
    fn read(config: &HostConfig) -> FileFacts {
        let secrets = config.data_dir.join("secrets");
        let key = |from_env: bool, name: &str, env: &str| {
            if from_env {
                KeySource::Environment { name: env.to_string() }
            } else {
                KeySource::File(file_fact(&secrets.join(name)).unwrap_or_else(|| missing(&secrets.join(name))))
            }
        };
        FileFacts {
            secrets_dir: file_fact(&secrets),
            keys: vec![
                key(config.encryption_key_from_env, "encryption.key", "PINCER_ENCRYPTION_KEY"),
                key(config.audit_key_from_env, "audit.key", "PINCER_AUDIT_KEY"),
            ],
            exposed_secret_files: config
                .secret_files
                .iter()
                .filter_map(|path| file_fact(path))
                .filter(|f| f.mode & 0o007 != 0)
                .collect(),
            database: database_facts(&config.database_url),
            newest_backup: newest_file(&config.backup_dir),
        }
    }
}

fn file_fact(path: &Path) -> Option<FileFact> {
    let meta = fs::metadata(path).ok()?;
    Some(FileFact { path: path.display().to_string(), mode: meta.permissions().mode() & 0o777 })
}

/// The SQLite file and its companions, or the PostgreSQL server's host and `sslmode`.
fn database_facts(url: &str) -> DatabaseFacts {
    if let Some(rest) = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://")) {
        let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
        let param = |name: &str| {
            query.split('&').find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
        };
        let authority = before_query.split('/').next().unwrap_or_default();
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = match host_port.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default().to_string(),
            None => host_port.split(':').next().unwrap_or_default().to_string(),
        };
        // No host in the URL: a Unix socket (or `?host=/run/postgresql`).
        let host = if host.is_empty() { param("host").unwrap_or_else(|| "a local socket".into()) } else { host };
        let local = host == "a local socket"
            || host.starts_with('/')
            || host.eq_ignore_ascii_case("localhost")
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        return DatabaseFacts::Postgres { host, local, sslmode: param("sslmode") };
    }
    let Some(path) = pincer_store::sqlite_file(url) else { return DatabaseFacts::Sqlite { files: Vec::new() } };
    let files = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| file_fact(Path::new(&format!("{}{suffix}", path.display()))))
        .collect();
    DatabaseFacts::Sqlite { files }
}

/// When the newest file directly in `dir` was last written.
fn newest_file(dir: &Path) -> Option<Timestamp> {
    fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| entry.metadata().ok().filter(fs::Metadata::is_file)?.modified().ok())
        .filter_map(|at| at.duration_since(UNIX_EPOCH).ok())
        .map(|since| Timestamp(i64::try_from(since.as_millis()).unwrap_or(i64::MAX)))
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_postgres_host_and_sslmode() {
        let pg = |url| match database_facts(url) {
            DatabaseFacts::Postgres { host, local, sslmode } => (host, local, sslmode),
            DatabaseFacts::Sqlite { .. } => panic!("{url} is PostgreSQL"),
        };
        assert_eq!(
            pg("postgres://u:p@db.example.com:5432/x?sslmode=require"),
            ("db.example.com".into(), false, Some("require".into()))
        );
        assert_eq!(pg("postgres://postgres@127.0.0.1:5432/postgres"), ("127.0.0.1".into(), true, None));
        assert!(pg("postgres:///pincer?host=/run/postgresql").1);
        assert!(bind_is_loopback("127.0.0.1:0") && bind_is_loopback("[::1]:80") && bind_is_loopback("localhost:7777"));
        assert!(!bind_is_loopback("0.0.0.0:7777") && !bind_is_loopback("10.1.2.3:80"));
    }
}
