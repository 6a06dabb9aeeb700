//! The supervisor runs one receiver per enabled binding: it takes the binding's lease (on
//! PostgreSQL one replica receives for a bot; another takes over within seconds of its death),
//! long-polls the transport, hands each message to the [`Relay`], and moves the binding's cursor
//! past what was handled — so a restart neither loses nor repeats a message. A failure puts the
//! receiver in `error` (kept in the binding, so every replica reports it) and it retries with
//! backoff; it stops when the binding is disabled, removed or the server stops. Bindings are read
//! again every few seconds, so a change made on another replica is picked up too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{AbortHandle, Abortable};
use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::crypto::Cipher;
use pincer_core::{ChannelBindingId, Clock, HeldLease, Leases, StoreError, Timestamp};
use serde_json::json;

use crate::bindings::{Binding, ChannelStore};
use crate::relay::{Bound, Relay};
use crate::transport::{ChannelRuntime, ChannelTransport, Inbound, TransportError};

/// How often the bindings are read again (changes made on another replica).
const RECONCILE_EVERY: Duration = Duration::from_secs(5);
/// How long a replica without the lease waits before asking again.
const STANDBY_RETRY: Duration = Duration::from_secs(3);
/// The first and the longest wait after a failure.
const BACKOFF: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(60));

/// What a receiver is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiverState {
    /// Receiving on this server.
    Running,
    /// Enabled, but another replica receives (or it has not started yet).
    Standby,
    /// Disabled.
    Stopped,
    /// Failing; it retries with backoff.
    Error,
}

impl ReceiverState {
    /// As shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Standby => "standby",
            Self::Stopped => "stopped",
            Self::Error => "error",
        }
    }
}

/// A binding's receiver as reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// What it does.
    pub state: ReceiverState,
    /// Its last failure (when in `error`).
    pub last_error: Option<String>,
    /// When that happened.
    pub last_error_at: Option<Timestamp>,
    /// Messages received today (UTC) on this server.
    pub messages_in: u64,
    /// Messages sent today (UTC) on this server.
    pub messages_out: u64,
}

#[derive(Clone, Copy, Default)]
struct Counts {
    day: i64,
    messages_in: u64,
    messages_out: u64,
    running: bool,
}

/// Messages in and out per binding, per UTC day, and which receivers run here.
pub struct Tally {
    clock: Arc<dyn Clock>,
    counts: Mutex<HashMap<ChannelBindingId, Counts>>,
}

const DAY_MS: i64 = 86_400_000;

impl Tally {
    fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock, counts: Mutex::default() }
    }

    fn update(&self, id: ChannelBindingId, change: impl FnOnce(&mut Counts)) {
        let day = self.clock.now().millis().div_euclid(DAY_MS);
        if let Ok(mut counts) = self.counts.lock() {
            let entry = counts.entry(id).or_default();
            if entry.day != day {
                *entry = Counts { day, running: entry.running, ..Counts::default() };
            }
            change(entry);
        }
    }

    /// One message received.
    pub fn count_in(&self, id: ChannelBindingId) {
        self.update(id, |c| c.messages_in += 1);
    }

    /// One message sent.
    pub fn count_out(&self, id: ChannelBindingId) {
        self.update(id, |c| c.messages_out += 1);
    }

    fn set_running(&self, id: ChannelBindingId, running: bool) {
        self.update(id, |c| c.running = running);
    }

    fn get(&self, id: ChannelBindingId) -> Counts {
        let day = self.clock.now().millis().div_euclid(DAY_MS);
        let counts = self.counts.lock().ok().and_then(|c| c.get(&id).copied()).unwrap_or_default();
        if counts.day == day { counts } else { Counts { running: counts.running, ..Counts::default() } }
    }
}

/// What the supervisor needs.
pub struct SupervisorDeps {
    /// Bindings and cursors.
    pub store: Arc<dyn ChannelStore>,
    /// The transports' adapters.
    pub transports: Vec<Arc<dyn ChannelTransport>>,
    /// Opens credentials.
    pub cipher: Arc<Cipher>,
    /// One receiver per binding across replicas.
    pub leases: Arc<dyn Leases>,
    /// Tasks and timers.
    pub runtime: Arc<dyn ChannelRuntime>,
    /// Where messages go.
    pub relay: Arc<Relay>,
    /// Where conflicts are recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

struct Receiver {
    stop: AbortHandle,
    /// The binding it was started for: another id, credential or cursor reset restarts it.
    secret_digest: String,
}

/// The receivers (see the module notes).
pub struct Supervisor {
    deps: Arc<SupervisorDeps>,
    tally: Arc<Tally>,
    receivers: Mutex<HashMap<ChannelBindingId, Receiver>>,
    reconciling: futures::lock::Mutex<()>,
    background: Mutex<Option<AbortHandle>>,
}

impl Supervisor {
    /// A supervisor over its dependencies; nothing runs before [`Supervisor::start`].
    pub fn new(deps: SupervisorDeps) -> Self {
        let tally = Arc::new(Tally::new(deps.clock.clone()));
        Self {
            deps: Arc::new(deps),
            tally,
            receivers: Mutex::default(),
            reconciling: futures::lock::Mutex::new(()),
            background: Mutex::default(),
        }
    }

    /// Starts the receivers of the enabled bindings, and reads the bindings again every few
    /// seconds.
    pub fn start(self: &Arc<Self>) {
        let (stop, registration) = AbortHandle::new_pair();
        let me = self.clone();
        let runtime = self.deps.runtime.clone();
        let watch = async move {
            loop {
                me.reconcile().await;
                me.deps.runtime.sleep(RECONCILE_EVERY).await;
            }
        };
        runtime.spawn(Box::pin(async move {
            let _ = Abortable::new(watch, registration).await;
        }));
        if let Ok(mut background) = self.background.lock() {
            *background = Some(stop);
        }
    }

    /// Stops every receiver (at shutdown); their leases are given up with them.
    pub fn stop(&self) {
        if let Some(stop) = self.background.lock().ok().and_then(|mut b| b.take()) {
            stop.abort();
        }
        if let Ok(mut receivers) = self.receivers.lock() {
            for (id, receiver) in receivers.drain() {
                receiver.stop.abort();
                self.tally.set_running(id, false);
            }
        }
    }

    /// How a binding's receiver is doing, as this server sees it.
    pub fn health(&self, binding: &Binding) -> Health {
        let counts = self.tally.get(binding.id);
        let state = if !binding.enabled {
            ReceiverState::Stopped
        } else if binding.last_error.is_some() {
            ReceiverState::Error
        } else if counts.running {
            ReceiverState::Running
        } else {
            ReceiverState::Standby
        };
        Health {
            state,
            last_error: binding.last_error.clone().filter(|_| binding.enabled),
            last_error_at: binding.last_error_at.filter(|_| binding.enabled),
            messages_in: counts.messages_in,
            messages_out: counts.messages_out,
        }
    }

    /// How many receivers are in each state, as this server sees them (for the metrics).
    pub async fn receiver_states(&self) -> Result<[(ReceiverState, usize); 4], StoreError> {
        let bindings = self.deps.store.bindings().await?;
        let mut counts = [ReceiverState::Running, ReceiverState::Standby, ReceiverState::Stopped, ReceiverState::Error]
            .map(|state| (state, 0));
        for binding in &bindings {
            let state = self.health(binding).state;
            if let Some((_, n)) = counts.iter_mut().find(|(s, _)| *s == state) {
                *n += 1;
            }
        }
        Ok(counts)
    }

    /// Brings the receivers in line with the stored bindings: starts the missing ones, stops
    /// those of bindings disabled or gone, restarts those whose credential changed.
    pub async fn reconcile(&self) {
        let _one_at_a_time = self.reconciling.lock().await;
        let Ok(bindings) = self.deps.store.bindings().await else { return };
        let Ok(mut receivers) = self.receivers.lock() else { return };
        let wanted: HashMap<_, _> = bindings.iter().filter(|b| b.enabled).map(|b| (b.id, b)).collect();
        receivers.retain(|id, receiver| {
            let keep = wanted.get(id).is_some_and(|b| b.secret_digest == receiver.secret_digest);
            if !keep {
                receiver.stop.abort();
                self.tally.set_running(*id, false);
            }
            keep
        });
        for (id, binding) in wanted {
            if receivers.contains_key(&id) {
                continue;
            }
            let Some(transport) = self.deps.transports.iter().find(|t| t.transport() == binding.transport) else {
                continue;
            };
            let Some(secret) = self.deps.cipher.open(&binding.secret_sealed, &Binding::seal_context(id)).ok() else {
                continue;
            };
            let Ok(secret) = String::from_utf8(secret) else { continue };
            let bound = Bound {
                binding: binding.clone(),
                secret: Arc::from(secret),
                transport: transport.clone(),
                tally: self.tally.clone(),
            };
            let (stop, registration) = AbortHandle::new_pair();
            let (deps, tally) = (self.deps.clone(), self.tally.clone());
            self.deps.runtime.spawn(Box::pin(async move {
                let _ = Abortable::new(receive(deps, bound, tally.clone()), registration).await;
                tally.set_running(id, false);
            }));
            receivers.insert(id, Receiver { stop, secret_digest: binding.secret_digest.clone() });
        }
    }
}

/// Hands a batch to the relay: each conversation's messages in order, the conversations side by
/// side (200 people writing at once do not wait for each other's turns to be stored). Returns
/// once every turn is stored, so the cursor may move past the batch.
async fn relay_batch(relay: &Relay, bound: &Bound, messages: Vec<Inbound>) {
    let mut conversations: Vec<(String, Vec<Inbound>)> = Vec::new();
    for message in messages {
        match conversations.iter_mut().find(|(c, _)| *c == message.conversation) {
            Some((_, queue)) => queue.push(message),
            None => conversations.push((message.conversation.clone(), vec![message])),
        }
    }
    let each = conversations.into_iter().map(|(_, queue)| async move {
        for message in queue {
            relay.handle(bound, message).await;
        }
    });
    futures::future::join_all(each).await;
}

/// One binding's receiver: holds the lease, polls, relays, keeps the cursor.
async fn receive(deps: Arc<SupervisorDeps>, bound: Bound, tally: Arc<Tally>) {
    let id = bound.binding.id;
    let mut lease: Option<Box<dyn HeldLease>> = None;
    let (mut cursor, mut stored_cursor) = (bound.binding.cursor, bound.binding.cursor);
    let mut failing = bound.binding.last_error.is_some();
    let mut backoff = BACKOFF.0;
    loop {
        let held = match &lease {
            Some(held) => held.still_held().await,
            None => false,
        };
        if !held {
            lease = None;
            tally.set_running(id, false);
            match deps.leases.try_acquire(&format!("channel:{id}")).await {
                Ok(Some(taken)) => {
                    lease = Some(taken);
                    // Another replica may have moved the cursor while it held the lease.
                    if let Ok(Some(stored)) = deps.store.binding(id).await {
                        cursor = cursor.max(stored.cursor);
                    }
                }
                _ => {
                    deps.runtime.sleep(STANDBY_RETRY).await;
                    continue;
                }
            }
        }
        tally.set_running(id, true);
        match bound.transport.receive(&bound.secret, cursor).await {
            Ok(batch) => {
                backoff = BACKOFF.0;
                if failing {
                    failing = false;
                    let _ = deps.store.set_last_error(id, None, None).await;
                }
                if let Some(last) = batch.messages.iter().map(|m| m.next_cursor).max() {
                    cursor = cursor.max(last);
                }
                relay_batch(&deps.relay, &bound, batch.messages).await;
                if let Some(next) = batch.next_cursor {
                    cursor = cursor.max(next);
                }
                if cursor > stored_cursor && deps.store.advance_cursor(id, cursor).await.is_ok() {
                    stored_cursor = cursor;
                }
            }
            Err(TransportError::RateLimited(secs)) => {
                deps.runtime.sleep(Duration::from_secs(secs.max(1))).await;
            }
            Err(error) => {
                let message = match &error {
                    TransportError::Conflict(_) => {
                        "another program is receiving this bot's messages (Telegram answered 409); stop it, or remove its webhook"
                            .to_string()
                    }
                    TransportError::InvalidCredential(_) => {
                        "the bot token was refused; connect the bot again with a new token".to_string()
                    }
                    other => other.to_string(),
                };
                if !failing {
                    failing = true;
                    let now = deps.clock.now();
                    // Audited first: whoever sees the error in the status finds it in the trail.
                    let event = AuditEvent::new(Actor::System, "channel.error")
                        .resource(format!("channel:{}", Binding::slot(bound.binding.transport, bound.binding.target)))
                        .detail(json!({"transport": bound.binding.transport.as_str(), "error": message}));
                    deps.audit.record(event).await;
                    let _ = deps.store.set_last_error(id, Some(&message), Some(now)).await;
                }
                deps.runtime.sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF.1);
            }
        }
    }
}
