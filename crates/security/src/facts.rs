//! What the checks judge: plain facts gathered by the adapters (the host by the server, the data
//! by the store). Nothing here decides anything.

use pincer_core::Timestamp;

/// A file or folder and its Unix permission bits (`0o600`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFact {
    pub path: String,
    pub mode: u32,
}

/// Where a key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// Given in the environment (or a flag): nothing on disk to protect.
    Environment { name: String },
    /// Read from a file in the secrets folder.
    File(FileFact),
}

/// The database the server uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseFacts {
    /// The embedded file (and its `-wal`/`-shm` companions that exist).
    Sqlite { files: Vec<FileFact> },
    /// A PostgreSQL server: its host, whether that is this machine (loopback or a Unix socket),
    /// and the `sslmode` the URL asks for (`None`: libpq's default, `prefer`, which accepts a
    /// plain connection).
    Postgres { host: String, local: bool, sslmode: Option<String> },
}

/// The running server: its configuration and its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFacts {
    /// The secrets folder.
    pub secrets_dir: FileFact,
    /// The encryption and audit keys.
    pub keys: Vec<KeySource>,
    /// Files holding a secret (`PINCER_*_FILE`, a licence file) that others may read. (No secret
    /// reaches the command line: the binary refuses secret flags.)
    pub exposed_secret_files: Vec<FileFact>,
    /// The address the server listens on, and whether it is loopback only.
    pub bind: String,
    pub bind_loopback: bool,
    /// `PINCER_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// Whether a reverse proxy is declared (`PINCER_TRUSTED_PROXIES`).
    pub behind_proxy: bool,
    /// The hostname the domain lock holds, if any.
    pub locked_domain: Option<String>,
    /// The tunnel's public address while one runs.
    pub tunnel: Option<String>,
    pub database: DatabaseFacts,
    /// Where backups are looked for, and when the newest one there was written.
    pub backup_dir: String,
    pub newest_backup: Option<Timestamp>,
}

/// An admin account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminFact {
    pub email: String,
    /// When its password was last set.
    pub password_changed_at: Timestamp,
}

/// An API token with the `admin` scope held by an admin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminTokenFact {
    pub name: String,
    pub owner: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// A configured LLM provider and the base URL it is called at (`None`: its built-in HTTPS one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderFact {
    pub name: String,
    pub base_url: Option<String>,
}

/// The last background verification of the audit chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntegrityFact {
    pub at: Timestamp,
    pub valid: bool,
}

/// What the database says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredFacts {
    /// Active admins.
    pub admins: Vec<AdminFact>,
    pub admin_tokens: Vec<AdminTokenFact>,
    pub providers: Vec<ProviderFact>,
    pub last_integrity_check: Option<IntegrityFact>,
    /// Migrations this binary knows that the database has not had.
    pub pending_migrations: Vec<String>,
}
