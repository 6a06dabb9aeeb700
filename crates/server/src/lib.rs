//! Wiring for the `pincer` binary: configuration, tracing, keys, database, services and the HTTP
//! server. No business logic lives here.

pub mod cli;
mod integrity;
mod keys;
mod telemetry;

use std::sync::Arc;

use actix_web::web;
use async_trait::async_trait;
use pincer_audit::AuditService;
use pincer_core::SystemClock;
use pincer_core::crypto::Cipher;
use pincer_http::{AppState, HttpConfig, Readiness};
use pincer_identity::{Identity, IdentityDeps, SettingsService};
use pincer_store::{BlockingPasswordHasher, Database};

use crate::cli::ServeArgs;

/// Runs the server until SIGTERM or SIGINT, then shuts down gracefully.
pub fn serve(args: ServeArgs) -> Result<(), String> {
    telemetry::init(&args.log, &args.log_format)?;
    actix_web::rt::System::new().block_on(run(args))
}

async fn run(args: ServeArgs) -> Result<(), String> {
    std::fs::create_dir_all(&args.data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", args.data_dir.display()))?;
    let keys = keys::load(&args.data_dir, args.encryption_key.as_deref(), args.audit_key.as_deref())?;
    let database_url =
        args.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", args.data_dir.join("pincer.db").display()));

    let db = Database::open(&database_url).await.map_err(|e| e.to_string())?;
    let applied = db.migrate().await.map_err(|e| e.to_string())?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied database migrations");
    }

    let clock = Arc::new(SystemClock);
    let store = Arc::new(db.clone());
    let audit = Arc::new(AuditService::new(store.clone(), &keys.audit, clock.clone()));
    let identity = Identity::new(IdentityDeps {
        users: store.clone(),
        sessions: store.clone(),
        invites: store.clone(),
        hasher: Arc::new(BlockingPasswordHasher),
        clock: clock.clone(),
        audit: audit.clone(),
    });
    let settings = SettingsService::new(store, Arc::new(Cipher::new(&keys.encryption)), clock, audit.clone());
    let state = web::Data::new(AppState {
        identity: Arc::new(identity),
        settings: Arc::new(settings),
        audit: audit.clone(),
        readiness: Arc::new(DatabaseReadiness(db)),
        config: HttpConfig {
            public_url: args.public_url.as_deref().map(|u| u.trim_end_matches('/').to_string()),
            trusted_proxies: args.trusted_proxies.clone(),
        },
    });

    let listener = std::net::TcpListener::bind(&args.bind).map_err(|e| format!("cannot bind {}: {e}", args.bind))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let server = pincer_http::server(state, listener).map_err(|e| e.to_string())?;
    let handle = server.handle();
    // Installed before the address is announced, so a SIGTERM right after start is graceful too.
    let shutdown = shutdown_signal()?;
    // Tests and operators read this line to learn the address (the port may be ephemeral).
    println!("pincer listening on http://{local}");
    tracing::info!(%local, "listening");

    let checker = actix_web::rt::spawn(integrity::run_periodically(
        audit,
        std::time::Duration::from_secs(args.audit_check_interval.max(1)),
    ));
    actix_web::rt::spawn(async move {
        shutdown.await;
        tracing::info!("shutdown signal received, draining connections");
        handle.stop(true).await;
    });
    server.await.map_err(|e| e.to_string())?;
    checker.abort();
    tracing::info!("stopped");
    Ok(())
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

struct DatabaseReadiness(Database);

#[async_trait]
impl Readiness for DatabaseReadiness {
    async fn database_ok(&self) -> bool {
        self.0.ping().await.is_ok()
    }
}
