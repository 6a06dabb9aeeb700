//! Prometheus metrics on an address of their own (`PINCER_METRICS_BIND`, off by default), so the
//! scrape endpoint is never on the public listener. The adapters record as things happen (HTTP
//! requests, store queue waits, model calls and tokens, audit appends and the chain's state);
//! a few gauges are read from the services at each scrape (active runs, open sockets, lost audit
//! events, the store's and the password hashing's queue depths, channel receivers by state).

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use pincer_agents::chat::RunCoordinator;
use pincer_audit::AuditService;
use pincer_http::Connections;

/// How often histogram samples are folded into their buckets. The recorder keeps every sample
/// until then: at 70,000 requests a second, waiting for a 15-second scrape held ~24 MiB more
/// (docs/PERFORMANCE.md, "Metrics").
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Latency buckets in seconds, from a cached read to a slow model call.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// What a scrape reads from the services.
#[derive(Clone)]
pub struct Sampled {
    pub runs: Arc<RunCoordinator>,
    pub connections: Arc<Connections>,
    pub audit: Arc<AuditService>,
    pub database: pincer_store::Database,
    pub channels: Arc<pincer_channels::supervisor::Supervisor>,
}

/// Installs the recorder and serves `GET /metrics` on `bind`; returns the bound address and the
/// server (to await and to stop).
pub fn start(bind: &str, sampled: Sampled) -> Result<(SocketAddr, actix_web::dev::Server), String> {
    let handle = PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .map_err(|e| format!("metrics: {e}"))?
        .install_recorder()
        .map_err(|e| format!("metrics: {e}"))?;
    pincer_http::record_metrics();
    let upkeep = handle.clone();
    actix_web::rt::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let listener =
        std::net::TcpListener::bind(bind).map_err(|e| format!("cannot bind the metrics address {bind}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let state = web::Data::new((handle, sampled));
    let server = HttpServer::new(move || App::new().app_data(state.clone()).route("/metrics", web::get().to(render)))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .map_err(|e| e.to_string())?
        .run();
    Ok((local, server))
}

async fn render(state: web::Data<(PrometheusHandle, Sampled)>) -> HttpResponse {
    let (handle, sampled) = state.get_ref();
    metrics::gauge!("pincer_runs_active").set(sampled.runs.active_runs() as f64);
    metrics::gauge!("pincer_ws_sockets_open").set(sampled.connections.open() as f64);
    metrics::gauge!("pincer_audit_events_lost").set(sampled.audit.lost_events() as f64);
    let (reads, writes) = sampled.database.queued_calls();
    metrics::gauge!("pincer_store_queue_depth", "queue" => "reads").set(reads as f64);
    metrics::gauge!("pincer_store_queue_depth", "queue" => "writes").set(writes as f64);
    metrics::gauge!("pincer_password_hash_queue_depth").set(pincer_store::BlockingPasswordHasher::queued() as f64);
    // One read of the bindings per scrape; a failed read leaves the last values.
    if let Ok(states) = sampled.channels.receiver_states().await {
        for (state, count) in states {
            metrics::gauge!("pincer_channel_receivers", "state" => state.as_str()).set(count as f64);
        }
    }
    handle.run_upkeep();
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(handle.render())
}
