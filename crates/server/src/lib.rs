//! Wiring for the `pincer` binary: configuration, tracing, keys, database, services and the HTTP
//! server. No business logic lives here.

pub mod backup;
pub mod cli;
pub mod config_check;
pub mod config_file;
pub mod head_file;
pub mod healthcheck;
pub mod host_probe;
mod keys;
pub mod metrics;
mod notify;
pub mod rotate_key;
pub mod secrets;
pub mod services;
mod telemetry;
mod workers;

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use pincer_agents::ProviderKind;
use pincer_agents::catalogue::BaseUrls;
use pincer_agents::chat::RunCoordinator;
use pincer_audit::IntegrityCheck;
use pincer_http::HttpConfig;
use pincer_identity::Identity;
use pincer_identity::licence::TrustedKeys;
use pincer_identity::session_purge::SessionPurge;
use pincer_security::DailySelfAudit;
use pincer_store::Database;

use crate::cli::ServeArgs;
use crate::services::{ServiceConfig, Services};
use crate::workers::Workers;

/// The channel transports' adapters: the Telegram Bot API client at `PINCER_TELEGRAM_API_URL`.
fn transports(args: &ServeArgs) -> Result<Vec<Arc<dyn pincer_channels::ChannelTransport>>, String> {
    let telegram = pincer_connectors::telegram::TelegramBotApi::new(&args.telegram_api_url)
        .map_err(|e| format!("PINCER_TELEGRAM_API_URL: {e}"))?
        .with_poll_timeout(Duration::from_secs(args.telegram_poll_seconds));
    Ok(vec![Arc::new(telegram)])
}

/// The providers' base URLs: built-in defaults with the operator's overrides.
fn base_urls(args: &ServeArgs) -> BaseUrls {
    [
        (ProviderKind::Anthropic, &args.provider_baseurl_anthropic),
        (ProviderKind::Openai, &args.provider_baseurl_openai),
        (ProviderKind::Google, &args.provider_baseurl_google),
        (ProviderKind::OllamaCloud, &args.provider_baseurl_ollama_cloud),
        (ProviderKind::OllamaLocal, &args.provider_baseurl_ollama_local),
    ]
    .into_iter()
    .fold(BaseUrls::default(), |urls, (kind, url)| match url {
        Some(url) if !url.trim().is_empty() => urls.with_override(kind, url),
        _ => urls,
    })
}

/// `pincer unlock-domain`: clears the domain lock in an existing installation's database, and
/// records it in the audit trail as the system's doing.
pub fn unlock_domain(args: cli::StoreArgs) -> Result<(), String> {
    if !args.data_dir.join("secrets").is_dir() {
        return Err(format!("{} is not a Pincer data directory (no secrets/ in it)", args.data_dir.display()));
    }
    let keys = keys::load(&args.data_dir, args.encryption_key.as_deref(), args.audit_key.as_deref())?;
    let database_url = args.database_url();
    actix_web::rt::System::new().block_on(async move {
        let db = Database::open(&database_url).await.map_err(|e| e.to_string())?;
        let store = Arc::new(db.clone());
        let clock = Arc::new(pincer_core::SystemClock);
        let anchor = Arc::new(head_file::HeadFile::open(&args.data_dir.join("secrets"))?);
        let audit = Arc::new(
            pincer_audit::AuditService::new(store.clone(), &keys.audit, clock.clone()).with_anchor(anchor.clone()),
        );
        let lock = pincer_identity::domain_lock::DomainLock::new(store, clock, audit);
        let cleared = lock.clear().await.map_err(|e| format!("cannot clear the domain lock: {e}"));
        anchor.flush();
        db.close(Duration::from_secs(5)).await;
        cleared
    })
}

/// Refuses a documents root that contains the data directory or lies inside it: an agent granted
/// a documents folder must never reach `secrets/` or the database.
fn refuse_overlap(data_dir: &std::path::Path, documents_dir: &std::path::Path) -> Result<(), String> {
    let data = absolute(data_dir)?;
    let documents = absolute(documents_dir)?;
    if data.starts_with(&documents) || documents.starts_with(&data) {
        return Err(format!(
            "the documents root {} and the data directory {} overlap: agents granted documents could reach the \
             keys and the database; give PINCER_DOCUMENTS_DIR and PINCER_DATA_DIR separate folders",
            documents.display(),
            data.display()
        ));
    }
    Ok(())
}

/// `path` made absolute with its symbolic links resolved as far as it exists (the rest, not yet
/// created, appended as written).
fn absolute(path: &std::path::Path) -> Result<std::path::PathBuf, String> {
    let path = std::path::absolute(path).map_err(|e| format!("cannot resolve {}: {e}", path.display()))?;
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(resolved) = existing.canonicalize() {
            return Ok(rest.iter().rev().fold(resolved, |p, part| p.join(part)));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return Ok(path.clone()),
        }
    }
}

/// What the security self-audit reads of this process's configuration.
fn host_config(args: &ServeArgs, database_url: &str) -> host_probe::HostConfig {
    host_probe::HostConfig {
        data_dir: args.store.data_dir.clone(),
        database_url: database_url.to_string(),
        encryption_key_from_env: args.store.encryption_key.is_some(),
        audit_key_from_env: args.store.audit_key.is_some(),
        secret_files: secrets::files_in_environment(),
        bind: args.bind.clone(),
        public_url: args.public_url.clone(),
        behind_proxy: !args.trusted_proxies.is_empty(),
        backup_dir: args.backup_dir.clone().unwrap_or_else(|| args.store.data_dir.join("backups")),
    }
}

/// `pincer admin reset-password <email>`: a one-time reset link for the account, made by the
/// services of an existing installation (the same wiring as `serve`, without listening).
pub fn reset_password(args: cli::ResetPasswordArgs) -> Result<String, String> {
    if !args.store.data_dir.join("secrets").is_dir() {
        return Err(format!("{} is not a Pincer data directory (no secrets/ in it)", args.store.data_dir.display()));
    }
    let keys = keys::load(&args.store.data_dir, args.store.encryption_key.as_deref(), args.store.audit_key.as_deref())?;
    let database_url = args.store.database_url();
    let base = args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.bind));
    actix_web::rt::System::new().block_on(async move {
        let db = Database::open(&database_url).await.map_err(|e| e.to_string())?;
        let services = Services::build(&db, offline_config(&args.store.data_dir, &database_url, keys)?).await?;
        let made = services.identity.reset_from_command_line(&args.email).await;
        services.anchor.flush();
        db.close(Duration::from_secs(5)).await;
        let token = made.map_err(|e| format!("cannot make a reset link for {}: {e}", args.email))?;
        Ok(format!(
            "a one-time link to set a new password for {} (valid once, for 24 hours): {}/invite/{}",
            args.email,
            base.trim_end_matches('/'),
            token.expose()
        ))
    })
}

/// The services' configuration for a command that works on an installation without serving it:
/// its keys and data, no channels, no tools beyond the built-in ones.
fn offline_config(data_dir: &std::path::Path, database_url: &str, keys: keys::Keys) -> Result<ServiceConfig, String> {
    Ok(ServiceConfig {
        secrets_dir: data_dir.join("secrets"),
        encryption_key: keys.encryption,
        audit_key: keys.audit,
        documents_dir: data_dir.join("documents-unused"),
        base_urls: BaseUrls::default(),
        allow_private_urls: false,
        max_runs_per_user: 1,
        webhook_deliveries_per_minute: 1,
        transports: Vec::new(),
        extra_tools: Vec::new(),
        licence_keys: TrustedKeys::default(),
        licence_from_env: keys::licence_from_env()?,
        cloudflared: None,
        host: host_probe::HostConfig {
            data_dir: data_dir.to_path_buf(),
            database_url: database_url.to_string(),
            encryption_key_from_env: false,
            audit_key_from_env: false,
            secret_files: Vec::new(),
            bind: String::new(),
            public_url: None,
            behind_proxy: false,
            backup_dir: data_dir.join("backups"),
        },
    })
}

/// `pincer migrate [--revert]`: applies the pending migrations (under the PostgreSQL migration
/// lock, so a starting replica waits) or reverts the newest; returns what it did.
pub fn migrate(args: cli::MigrateArgs) -> Result<String, String> {
    let database_url = args.store.database_url();
    if args.store.database_url.is_none() && !args.store.data_dir.is_dir() {
        return Err(format!(
            "{} does not exist (give --data-dir or PINCER_DATABASE_URL)",
            args.store.data_dir.display()
        ));
    }
    actix_web::rt::System::new().block_on(async move {
        let db = Database::open(&database_url).await.map_err(|e| e.to_string())?;
        let done = if args.revert {
            db.revert_last().await.map_err(|e| e.to_string()).map(|reverted| match reverted {
                Some(version) => format!("reverted {version}"),
                None => "no migration is applied".to_string(),
            })
        } else {
            db.migrate().await.map_err(|e| e.to_string()).map(|applied| match applied.as_slice() {
                [] => "the database is up to date".to_string(),
                versions => format!("applied {}", versions.join(", ")),
            })
        };
        db.close(Duration::from_secs(5)).await;
        done
    })
}

/// Runs the server until SIGTERM or SIGINT, then shuts down gracefully.
pub fn serve(args: ServeArgs) -> Result<(), String> {
    // Held until the server has stopped: dropping it writes out the lines still queued.
    let _log_writer = telemetry::init(&args.log, &args.log_format)?;
    actix_web::rt::System::new().block_on(run(args))
}

async fn run(args: ServeArgs) -> Result<(), String> {
    std::fs::create_dir_all(&args.store.data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", args.store.data_dir.display()))?;
    refuse_overlap(&args.store.data_dir, &args.documents_dir)?;
    if let Some(problem) = rotate_key::interrupted(&args.store.data_dir) {
        return Err(problem);
    }
    let keys = keys::load(&args.store.data_dir, args.store.encryption_key.as_deref(), args.store.audit_key.as_deref())?;
    let database_url = args.store.database_url();

    let db = Database::open(&database_url).await.map_err(|e| e.to_string())?;
    let applied = db.migrate().await.map_err(|e| e.to_string())?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied database migrations");
    }
    match db.missing_sqlite_options().await {
        Ok(missing) if missing.is_empty() => {}
        Ok(missing) => tracing::warn!(
            missing = ?missing,
            "the embedded SQLite lacks build options the store relies on for speed: build with the \
             workspace's .cargo/config.toml (LIBSQLITE3_FLAGS)"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot read the SQLite build options"),
    }

    let services = Services::build(
        &db,
        ServiceConfig {
            secrets_dir: args.store.data_dir.join("secrets"),
            encryption_key: keys.encryption,
            audit_key: keys.audit,
            documents_dir: args.documents_dir.clone(),
            base_urls: base_urls(&args),
            allow_private_urls: args.allow_private_urls,
            max_runs_per_user: usize::from(args.max_runs_per_user),
            webhook_deliveries_per_minute: args.webhook_deliveries_per_minute,
            transports: transports(&args)?,
            extra_tools: Vec::new(),
            licence_keys: TrustedKeys::parse(&args.license_keys).map_err(|e| format!("PINCER_LICENSE_KEYS: {e}"))?,
            licence_from_env: keys::licence_from_env()?,
            cloudflared: args.cloudflared.clone(),
            host: host_config(&args, &database_url),
        },
    )
    .await?;
    // No run survives a restart: answers left half-written are marked interrupted.
    match services.chat.interrupt_leftovers().await {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "marked answers interrupted by the last stop"),
        Err(e) => tracing::error!(error = %e, "cannot mark interrupted answers"),
    }
    let identity = services.identity.clone();
    let setup_code = setup_code(&identity).await?;
    let state = web::Data::new(services.app_state(HttpConfig {
        public_url: args.public_url.as_deref().map(|u| u.trim_end_matches('/').to_string()),
        trusted_proxies: args.trusted_proxies.clone(),
        setup_code,
        // At least 3 ms, so the ping interval (a third of it) is never zero.
        ws_idle_limit: args.ws_idle_timeout_ms.map(|ms| std::time::Duration::from_millis(ms.max(3))),
        // Set from the services (`Services::app_state`).
        domain_lock: None,
    }));
    let (audit, runs, connections, anchor) =
        (services.audit.clone(), services.runs.clone(), services.connections.clone(), services.anchor.clone());

    let listener = std::net::TcpListener::bind(&args.bind).map_err(|e| format!("cannot bind {}: {e}", args.bind))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let server = pincer_http::server(state, listener, pincer_web::configure).map_err(|e| e.to_string())?;
    let handle = server.handle();
    // Installed before the address is announced, so a SIGTERM right after start is graceful too.
    let shutdown = shutdown_signal()?;
    // Tests and operators read this line to learn the address (the port may be ephemeral).
    println!("pincer listening on http://{local}");
    tracing::info!(%local, "listening");
    notify::ready();

    let metrics = match &args.metrics_bind {
        Some(bind) => {
            let sampled = metrics::Sampled {
                runs: services.runs.clone(),
                connections: services.connections.clone(),
                audit: services.audit.clone(),
                database: services.database.clone(),
                channels: services.channels.supervisor().clone(),
            };
            let (address, server) = metrics::start(bind, sampled)?;
            println!("pincer metrics on http://{address}/metrics");
            let handle = server.handle();
            actix_web::rt::spawn(server);
            Some(handle)
        }
        None => None,
    };
    let workers = Workers::start(
        vec![
            Arc::new(IntegrityCheck::new(audit, Duration::from_secs(args.audit_check_interval.max(1)))),
            Arc::new(SessionPurge::new(identity, Duration::from_secs(args.session_purge_interval.max(1)))),
            Arc::new(DailySelfAudit::new(services.security.clone())),
        ],
        services.leases.clone(),
    );
    // Channel receivers start once the server answers (a bot's first message may need it).
    let channels = services.channels.supervisor().clone();
    channels.start();
    // A tunnel forwards to the address actually bound (port 0 picks one).
    let tunnel = services.tunnel.clone();
    tunnel.set_target(format!("http://{local}"));
    let (draining, drain_seconds) = (services.draining.clone(), args.drain_seconds);
    actix_web::rt::spawn(async move {
        shutdown.await;
        // Readiness answers 503 from now on; the listener keeps serving for the drain period,
        // so load balancers that poll it stop sending requests before it closes.
        draining.begin();
        notify::stopping();
        tracing::info!(drain_seconds, "shutdown signal received, draining connections");
        if drain_seconds > 0 {
            tokio::time::sleep(Duration::from_secs(drain_seconds)).await;
        }
        // The way in from the internet closes first.
        pincer_core::remote::RemoteAccess::stop(tunnel.as_ref()).await;
        // Sockets close (1001) so they do not hold the graceful stop, and runs end as aborted
        // (and are stored so) instead of being cut off mid-write.
        connections.close_all();
        // No new turns from channels while the runs are stopped.
        channels.stop();
        let cancelled = runs.cancel_all();
        if cancelled > 0 {
            tracing::info!(cancelled, "cancelled running answers");
            wait_for_runs(&runs).await;
        }
        handle.stop(true).await;
    });
    server.await.map_err(|e| e.to_string())?;
    if let Some(metrics) = metrics {
        metrics.stop(true).await;
    }
    workers.stop().await;
    // Connections are closed by their own threads before the process exits, not cut by it.
    if !db.close(DATABASE_CLOSE_TIMEOUT).await {
        tracing::warn!("a database call was still running at exit");
    }
    // The last appends' head reaches the file before the process ends.
    anchor.flush();
    tracing::info!("stopped");
    Ok(())
}

/// Before setup, a one-time code for completing it from another machine (the operator at this
/// host's loopback needs none): printed, never stored, new at each start.
async fn setup_code(identity: &Identity) -> Result<Option<String>, String> {
    if identity.setup_complete().await.map_err(|e| format!("cannot read the setup state: {e}"))? {
        return Ok(None);
    }
    let code = pincer_core::crypto::random_token()[..16].to_string();
    println!("pincer setup code: {code} (needed to complete setup from another machine)");
    tracing::info!("setup is not complete: open the web app and create the first admin");
    Ok(Some(code))
}

/// How long shutdown waits for the store's threads to finish their calls and close.
const DATABASE_CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long shutdown waits for cancelled runs to store their answers.
const RUNS_STORED_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Waits until every cancelled run has stored its answer and left the registry (a run ends only after
/// its final write), or [`RUNS_STORED_TIMEOUT`] passed: a stuck store must not hold the stop.
/// Runs left then are marked interrupted at the next start.
async fn wait_for_runs(runs: &RunCoordinator) {
    let deadline = tokio::time::Instant::now() + RUNS_STORED_TIMEOUT;
    while runs.active_runs() > 0 {
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!(left = runs.active_runs(), "runs still storing at shutdown; stopping anyway");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    tracing::info!("cancelled answers stored");
}

/// A future that resolves on SIGTERM or SIGINT. The handlers are registered when this returns.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("cannot install a SIGTERM handler: {e}"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("cannot install a SIGINT handler: {e}"))?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}
