//! What replicas sharing a PostgreSQL database coordinate with, each on a connection of its own
//! (never one of the store threads', whose connections are reused by every call):
//! - leases: a session advisory lock per name, held by a thread that keeps its connection open and
//!   checks it every few seconds; when the process dies, PostgreSQL ends the session and the lock
//!   is free for the next replica that asks;
//! - the event bus: one thread with one connection that `LISTEN`s on one channel and sends the
//!   node's own `NOTIFY`s, waking at once for an outgoing event and every 50 ms to read incoming
//!   ones (libpq delivers notifications only when asked).
//!
//! Every such thread is registered with the database and ends, its connection closed, when the
//! database is closed at shutdown: a thread still inside libpq's TLS when the process exits would
//! meet the state the exit-time cleanup frees (docs/PERFORMANCE.md, "The exit crash").
//!
//! On SQLite one node serves the database: leases are always granted, the bus is in-process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use pincer_core::events::MAX_EVENT_BODY_BYTES;
use pincer_core::{BusEvent, EventBus, EventHandler, HeldLease, Leases, LocalEventBus, LocalLeases, StoreError};
use serde_json::json;

use crate::Database;
use crate::conn::{AnyConn, Backend, Target};

/// How often a held lease's connection is checked.
const LEASE_CHECK: Duration = Duration::from_secs(2);
/// How often a lease thread looks whether the database is closing.
const LEASE_TICK: Duration = Duration::from_millis(50);
/// How often the bus reads incoming notifications when nothing is sent.
const BUS_POLL: Duration = Duration::from_millis(50);
/// How long the bus waits before connecting again after losing its connection.
const BUS_RECONNECT: Duration = Duration::from_secs(1);
/// The one `LISTEN/NOTIFY` channel of the bus.
const BUS_CHANNEL: &str = "pincer_events";

/// The threads of this module, closed with the database (`Database::close`) so none outlives
/// the process's exit while it holds a connection.
#[derive(Default)]
pub(crate) struct ClusterThreads {
    closing: AtomicBool,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl ClusterThreads {
    fn closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Starts a thread, unless the database is closing.
    fn spawn(&self, name: String, job: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        if self.closing() {
            return Err(std::io::Error::other("the database is closing"));
        }
        let handle = std::thread::Builder::new().name(name).spawn(job)?;
        let mut threads = self.threads.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        threads.retain(|t| !t.is_finished());
        threads.push(handle);
        Ok(())
    }

    /// Tells every thread to stop and waits for them, at most `within`; whether all ended.
    pub(crate) fn close(&self, within: Duration) -> bool {
        self.closing.store(true, Ordering::Release);
        let deadline = Instant::now() + within;
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let mut all = true;
        for thread in threads {
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if thread.is_finished() {
                let _ = thread.join();
            } else {
                all = false;
            }
        }
        all
    }
}

impl Database {
    /// Leases for the workers that run on one replica at a time.
    pub fn leases(&self) -> Arc<dyn Leases> {
        match self.target.backend {
            Backend::Sqlite => Arc::new(LocalLeases),
            Backend::Postgres => Arc::new(PgLeases { target: self.target.clone(), threads: self.cluster.clone() }),
        }
    }

    /// The event bus of the nodes sharing this database. Start it once per process.
    pub fn event_bus(&self) -> Arc<dyn EventBus> {
        match self.target.backend {
            Backend::Sqlite => Arc::new(LocalEventBus::default()),
            Backend::Postgres => Arc::new(PgEventBus::start(self.target.clone(), self.cluster.clone())),
        }
    }
}

/// The advisory lock key of a lease name: FNV-1a, stable across processes and releases, in a
/// range apart from the store's own guard keys.
fn lease_key(name: &str) -> i64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    i64::from_ne_bytes((hash | (1 << 62)).to_ne_bytes())
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

struct PgLeases {
    target: Target,
    threads: Arc<ClusterThreads>,
}

struct PgLease {
    held: Arc<AtomicBool>,
    /// Dropped with the lease: the holding thread sees the disconnect, unlocks and closes.
    _release: mpsc::Sender<()>,
}

#[async_trait]
impl HeldLease for PgLease {
    async fn still_held(&self) -> bool {
        self.held.load(Ordering::Acquire)
    }
}

#[async_trait]
impl Leases for PgLeases {
    async fn try_acquire(&self, name: &str) -> Result<Option<Box<dyn HeldLease>>, StoreError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let (target, key, name) = (self.target.clone(), lease_key(name), name.to_string());
        let threads = self.threads.clone();
        let thread = self.threads.spawn(format!("lease-{name}"), move || {
            let mut conn = match target.connect() {
                Ok(AnyConn::Postgres(conn)) => conn,
                Ok(AnyConn::Sqlite(_)) => return drop(answer.send(Err(StoreError::Unavailable))),
                Err(e) => {
                    tracing::warn!(lease = %name, error = %e.0, "cannot connect to take a lease");
                    return drop(answer.send(Err(StoreError::Unavailable)));
                }
            };
            let got = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
                .bind::<BigInt, _>(key)
                .get_result::<Locked>(&mut conn);
            match got {
                Ok(Locked { locked: true }) => {}
                Ok(Locked { locked: false }) => return drop(answer.send(Ok(None))),
                Err(e) => {
                    tracing::warn!(lease = %name, error = %e, "cannot take a lease");
                    return drop(answer.send(Err(StoreError::Unavailable)));
                }
            }
            let held = Arc::new(AtomicBool::new(true));
            let (release, released) = mpsc::channel::<()>();
            if answer.send(Ok(Some((held.clone(), release)))).is_err() {
                return; // Nobody waits for it: closing the connection gives it up.
            }
            let mut checked = Instant::now();
            loop {
                match released.recv_timeout(LEASE_TICK) {
                    Err(mpsc::RecvTimeoutError::Timeout) if !threads.closing() => {
                        if checked.elapsed() < LEASE_CHECK {
                            continue;
                        }
                        checked = Instant::now();
                        if diesel::sql_query("SELECT 1").execute(&mut conn).is_err() {
                            tracing::warn!(lease = %name, "lost the connection holding a lease");
                            held.store(false, Ordering::Release);
                            return;
                        }
                    }
                    // The lease was dropped, or the database is closing: give it up.
                    _ => {
                        held.store(false, Ordering::Release);
                        let _ = diesel::sql_query("SELECT pg_advisory_unlock($1)")
                            .bind::<BigInt, _>(key)
                            .execute(&mut conn);
                        return;
                    }
                }
            }
        });
        if thread.is_err() {
            return Err(StoreError::Unavailable);
        }
        match answered.await {
            Ok(Ok(Some((held, release)))) => Ok(Some(Box::new(PgLease { held, _release: release }))),
            Ok(Ok(None)) => Ok(None),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StoreError::Unavailable),
        }
    }
}

/// The bus over `LISTEN/NOTIFY`. Events are delivered to this node's subscribers when published
/// (at once) and to other nodes' through PostgreSQL; a node skips the echo of its own events.
struct PgEventBus {
    local: Arc<LocalEventBus>,
    outgoing: mpsc::Sender<String>,
    node: String,
}

impl PgEventBus {
    fn start(target: Target, threads: Arc<ClusterThreads>) -> PgEventBus {
        let local = Arc::new(LocalEventBus::default());
        let node = uuid::Uuid::now_v7().to_string();
        let (outgoing, queue) = mpsc::channel::<String>();
        let (delivery, me, closing) = (local.clone(), node.clone(), threads.clone());
        let started = threads.spawn("event-bus".into(), move || bus_loop(&target, &queue, &delivery, &me, &closing));
        if let Err(e) = started {
            tracing::error!(error = %e, "cannot start the event bus; events stay on this node");
        }
        PgEventBus { local, outgoing, node }
    }
}

impl EventBus for PgEventBus {
    fn publish(&self, event: BusEvent) {
        if event.body.len() > MAX_EVENT_BODY_BYTES {
            tracing::warn!(topic = %event.topic, bytes = event.body.len(), "event too large; dropped");
            return;
        }
        self.local.deliver(&event);
        let envelope = json!({"node": self.node, "topic": event.topic, "body": event.body}).to_string();
        if self.outgoing.send(envelope).is_err() {
            tracing::warn!(topic = %event.topic, "the event bus has stopped; event kept on this node");
        }
    }

    fn subscribe(&self, handler: Arc<dyn EventHandler>) {
        self.local.subscribe(handler);
    }
}

/// Connects, listens, sends and receives until the process ends (or every sender is gone);
/// after a lost connection, connects again. Events sent while disconnected are dropped.
fn bus_loop(
    target: &Target,
    queue: &mpsc::Receiver<String>,
    local: &LocalEventBus,
    me: &str,
    threads: &ClusterThreads,
) {
    while !threads.closing() {
        let mut conn = match target.connect() {
            Ok(AnyConn::Postgres(conn)) => conn,
            Ok(AnyConn::Sqlite(_)) => return,
            Err(e) => {
                tracing::warn!(error = %e.0, "the event bus cannot connect; retrying");
                std::thread::sleep(BUS_RECONNECT);
                continue;
            }
        };
        if let Err(e) = diesel::sql_query(format!("LISTEN {BUS_CHANNEL}")).execute(&mut conn) {
            tracing::warn!(error = %e, "the event bus cannot listen; retrying");
            std::thread::sleep(BUS_RECONNECT);
            continue;
        }
        while !threads.closing() {
            match queue.recv_timeout(BUS_POLL) {
                Ok(envelope) => {
                    let sent = diesel::sql_query("SELECT pg_notify($1, $2)")
                        .bind::<Text, _>(BUS_CHANNEL)
                        .bind::<Text, _>(&envelope)
                        .execute(&mut conn);
                    if let Err(e) = sent {
                        tracing::warn!(error = %e, "the event bus lost its connection");
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            let mut lost = false;
            for received in conn.notifications_iter() {
                match received {
                    Ok(notification) => receive(&notification.payload, local, me),
                    Err(e) => {
                        tracing::warn!(error = %e, "the event bus lost its connection");
                        lost = true;
                        break;
                    }
                }
            }
            if lost {
                break;
            }
        }
        // Closing: the connection goes with this frame, before the process exits.
        if threads.closing() {
            return;
        }
        std::thread::sleep(BUS_RECONNECT);
    }
}

/// Delivers an event another node published; its own echoes and anything malformed are skipped.
fn receive(payload: &str, local: &LocalEventBus, me: &str) {
    let Ok(envelope) = serde_json::from_str::<serde_json::Value>(payload) else { return };
    let (Some(node), Some(topic), Some(body)) =
        (envelope["node"].as_str(), envelope["topic"].as_str(), envelope["body"].as_str())
    else {
        return;
    };
    if node != me {
        local.deliver(&BusEvent { topic: topic.to_string(), body: body.to_string() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_keys_are_stable_distinct_and_apart_from_the_guards() {
        assert_eq!(lease_key("audit.integrity"), lease_key("audit.integrity"));
        assert_ne!(lease_key("audit.integrity"), lease_key("sessions.purge"));
        // The store's guards are small constants (0x7069_6e63_00xx); leases set bit 62.
        assert!(lease_key("x") & (1 << 62) != 0);
    }
}
