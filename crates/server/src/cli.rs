//! Command line and environment: every `PINCER_*` variable is also a `pincer serve` flag
//! (DESIGN.md §9). Flags win over the environment, which wins over the defaults.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};

/// `0.1.0 (commit 1a2b3c4d5e6f)`: the release and the commit it was built from (`build.rs`).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("PINCER_COMMIT"), ")");

#[derive(Debug, Parser)]
#[command(name = "pincer", version = VERSION, about = "Pincer: a self-hosted AI agent platform for teams")]
pub struct Cli {
    /// A TOML file of settings (flag names with underscores); flags and the environment win over it.
    #[arg(long, global = true, env = "PINCER_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Print the OpenAPI document of the HTTP API (the one served at /api/openapi.json).
    Openapi,
    /// Clear the domain lock, for an admin whom it locks out (audited; running servers follow
    /// within seconds).
    UnlockDomain(StoreArgs),
    /// Apply the database migrations this binary has (`serve` also does at start), or revert the
    /// newest one.
    Migrate(MigrateArgs),
    /// Copy the database (SQLite: online, consistent) to a new file, and the keys to
    /// `<file>.secrets/` beside it.
    Backup(BackupArgs),
    /// Restore a backup (and the keys beside it) into a data directory that holds none yet.
    Restore(RestoreArgs),
    /// Move every secret sealed at rest (provider keys, secret settings, channel credentials,
    /// webhook secrets) to a new encryption key. Stop every server that uses the database first.
    RotateEncryptionKey(RotateKeyArgs),
    /// Operator commands on accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Ask a running server whether it is ready (exit 0) or not (exit 1): for container health
    /// checks.
    Healthcheck(HealthcheckArgs),
    /// Commands on the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (secrets masked) with where each setting comes from,
    /// and every problem found; exit 1 when `pincer serve` would refuse to start with it.
    Check(Box<ServeArgs>),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Revert the newest applied migration instead.
    #[arg(long)]
    pub revert: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Print a one-time link that sets a new password for the account with this email (for an
    /// admin who lost theirs; audited as the system's doing).
    ResetPassword(ResetPasswordArgs),
}

#[derive(Debug, Args)]
pub struct ResetPasswordArgs {
    /// The account's email.
    pub email: String,
    /// The URL users reach Pincer at, for the link; default: http:// and PINCER_BIND.
    #[arg(long, env = "PINCER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The server's listening address, for the link when no public URL is given.
    #[arg(long, env = "PINCER_BIND", default_value = "127.0.0.1:7777")]
    pub bind: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new backup file (it must not exist).
    pub file: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file `pincer backup` wrote (its keys are read from `<file>.secrets/`).
    pub file: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct RotateKeyArgs {
    /// Where to write the new key when the current one comes from PINCER_ENCRYPTION_KEY (a new
    /// file); give it to the server the way the old one was.
    #[arg(long)]
    pub new_key_file: Option<PathBuf>,
    /// The server's listening address: something answering there is taken for a running server,
    /// and the rotation refused.
    #[arg(long, env = "PINCER_BIND", default_value = "127.0.0.1:7777")]
    pub bind: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The server's listening address (a wildcard address is probed on loopback).
    #[arg(long, env = "PINCER_BIND", default_value = "127.0.0.1:7777")]
    pub bind: String,
}

/// Where an installation keeps its data and its keys: what every command that opens it reads.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Holds the SQLite file and the secrets/ folder.
    #[arg(long, env = "PINCER_DATA_DIR", default_value = "./pincer-data")]
    pub data_dir: PathBuf,
    /// `sqlite://path` or `postgres://…`; default: SQLite in the data directory.
    #[arg(long, env = "PINCER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// 64 hex characters; default: secrets/audit.key in the data directory (`serve` generates it
    /// at first start).
    #[arg(long, env = "PINCER_AUDIT_KEY", hide_env_values = true)]
    pub audit_key: Option<String>,
    /// 64 hex characters; default: secrets/encryption.key in the data directory (`serve`
    /// generates it at first start).
    #[arg(long, env = "PINCER_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<String>,
}

impl StoreArgs {
    /// The database these commands open: `PINCER_DATABASE_URL`, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("pincer.db").display()))
    }

    /// Reads the secrets `PINCER_*_FILE` names.
    pub fn read_secret_files(&mut self) -> Result<(), String> {
        crate::secrets::from_file(&mut self.database_url, "PINCER_DATABASE_URL")?;
        crate::secrets::from_file(&mut self.encryption_key, "PINCER_ENCRYPTION_KEY")?;
        crate::secrets::from_file(&mut self.audit_key, "PINCER_AUDIT_KEY")
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "PINCER_BIND", default_value = "127.0.0.1:7777")]
    pub bind: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Tracing filter, e.g. `info` or `pincer_http=debug,info`.
    #[arg(long, env = "PINCER_LOG", default_value = "info")]
    pub log: String,
    #[arg(long, env = "PINCER_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// The `cloudflared` program for remote access (`/api/remote/start`); default: the one on PATH.
    #[arg(long, env = "PINCER_CLOUDFLARED")]
    pub cloudflared: Option<PathBuf>,
    /// Where Prometheus scrapes `/metrics` (e.g. `127.0.0.1:9464`); off when unset. Never the
    /// public address: the metrics name routes and providers.
    #[arg(long, env = "PINCER_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// Where backups are kept; the security self-audit reports the age of the newest file there.
    /// Default: `backups/` in the data directory.
    #[arg(long, env = "PINCER_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// The URL users reach Pincer at; https here makes session cookies Secure.
    #[arg(long, env = "PINCER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Comma-separated proxy addresses whose X-Forwarded-For is believed.
    #[arg(long, env = "PINCER_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
    /// Root of the folders agents may be granted; must not overlap the data directory (the
    /// default is its sibling, so the two defaults never do).
    #[arg(long, env = "PINCER_DOCUMENTS_DIR", default_value = "./pincer-documents")]
    pub documents_dir: PathBuf,
    /// Base URL of the Anthropic API (proxies, tests).
    #[arg(long, env = "PINCER_PROVIDER_BASEURL_ANTHROPIC")]
    pub provider_baseurl_anthropic: Option<String>,
    /// Base URL of the OpenAI API.
    #[arg(long, env = "PINCER_PROVIDER_BASEURL_OPENAI")]
    pub provider_baseurl_openai: Option<String>,
    /// Base URL of the Google Gemini API.
    #[arg(long, env = "PINCER_PROVIDER_BASEURL_GOOGLE")]
    pub provider_baseurl_google: Option<String>,
    /// Base URL of Ollama's cloud API.
    #[arg(long, env = "PINCER_PROVIDER_BASEURL_OLLAMA_CLOUD")]
    pub provider_baseurl_ollama_cloud: Option<String>,
    /// Default base URL of a local Ollama server (when the admin gives none).
    #[arg(long, env = "PINCER_PROVIDER_BASEURL_OLLAMA_LOCAL")]
    pub provider_baseurl_ollama_local: Option<String>,
    /// Allow provider and integration URLs on private, loopback and link-local networks.
    #[arg(long, env = "PINCER_ALLOW_PRIVATE_URLS", value_parser = BoolishValueParser::new(), default_value = "false")]
    pub allow_private_urls: bool,
    /// Seconds between background verifications of the audit chain.
    #[arg(long, env = "PINCER_AUDIT_CHECK_INTERVAL", default_value_t = 900)]
    pub audit_check_interval: u64,
    /// Seconds between the shutdown signal and the listener closing, while `/api/health/ready`
    /// already answers 503 (for load balancers that poll it; 0: close at once).
    #[arg(long, env = "PINCER_DRAIN_SECONDS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=300))]
    pub drain_seconds: u64,
    /// Seconds between removals of expired sessions.
    #[arg(long, env = "PINCER_SESSION_PURGE_INTERVAL", default_value_t = 600)]
    pub session_purge_interval: u64,
    /// Answers one user may have being written at once; one more is refused (`too_many_runs`).
    #[arg(long, env = "PINCER_MAX_RUNS_PER_USER", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_runs_per_user: u16,
    /// Deliveries one inbound webhook accepts per minute on this server; more get 429.
    #[arg(long, env = "PINCER_WEBHOOK_DELIVERIES_PER_MINUTE", default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub webhook_deliveries_per_minute: u32,
    /// The Telegram Bot API; requests go to `{url}/bot{token}/{method}` (a test's fake, a proxy).
    #[arg(long, env = "PINCER_TELEGRAM_API_URL", default_value = pincer_connectors::telegram::DEFAULT_TELEGRAM_API_URL)]
    pub telegram_api_url: String,
    /// Seconds a Telegram long poll waits for messages (tests shorten it).
    #[arg(long, env = "PINCER_TELEGRAM_POLL_SECONDS", default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..=50))]
    pub telegram_poll_seconds: u64,
    /// Vendor public keys a licence must be signed with: comma-separated, each 64 hex characters
    /// (raw Ed25519 keys). The licence itself comes from `PINCER_LICENSE` or `PINCER_LICENSE_FILE`
    /// (never a flag) or is installed by an admin.
    #[arg(long, env = "PINCER_LICENSE_KEYS", default_value = "")]
    pub license_keys: String,
    /// Milliseconds a chat socket may stay silent before it is closed (4408); default 45 000.
    /// Hidden: only the black-box tests shorten it, to see the close without waiting 45 s.
    #[arg(long, env = "PINCER_WS_IDLE_TIMEOUT_MS", hide = true)]
    pub ws_idle_timeout_ms: Option<u64>,
}
