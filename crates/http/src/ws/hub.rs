//! The live side of chats on this node: which chats have a run going, the text it has produced
//! so far, and the sockets following each chat. Frames are serialised once and fanned out over a
//! bounded broadcast channel, so a slow socket lags (and is told so) instead of slowing the run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pincer_core::{AgentId, MessageId, RunId, SessionId, UserId};
use pincer_identity::{EndedSessions, SessionWatch};
use tokio::sync::{broadcast, oneshot, watch};

use super::frames::{ActiveRunDto, ServerFrame};

/// Frames a socket may fall behind by before it is told it lagged.
const CHAT_BUFFER: usize = 256;

/// One conversation: a user, an agent and the chat key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChatRef {
    pub user: UserId,
    pub agent: AgentId,
    pub key: String,
}

struct Active {
    run_id: RunId,
    message_id: MessageId,
    partial: String,
    cancel: Option<oneshot::Sender<()>>,
}

struct Hub {
    tx: broadcast::Sender<Arc<str>>,
    active: Option<Active>,
}

impl Hub {
    fn new() -> Self {
        Self { tx: broadcast::channel(CHAT_BUFFER).0, active: None }
    }
}

pub struct ChatHubs {
    hubs: Mutex<HashMap<ChatRef, Hub>>,
    /// Per user: chats with a run going plus run slots reserved and not yet begun (review M2).
    /// Changed only while `hubs` is held, so it always agrees with the chats' `active`.
    runs: Mutex<HashMap<UserId, usize>>,
    /// The open sockets of each user, with the session each authenticated with.
    connections: Mutex<HashMap<UserId, Vec<Connection>>>,
    next_connection: std::sync::atomic::AtomicU64,
    /// Turns true once at shutdown; every socket then closes with 1001.
    closing: watch::Sender<bool>,
}

impl Default for ChatHubs {
    fn default() -> Self {
        Self {
            hubs: Mutex::default(),
            runs: Mutex::default(),
            connections: Mutex::default(),
            next_connection: std::sync::atomic::AtomicU64::new(0),
            closing: watch::channel(false).0,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ChatHubs {
    /// Follows a chat: frames published from now on, and the run going on (its text so far),
    /// taken together so that no chunk is missed or seen twice.
    pub fn subscribe(&self, chat: &ChatRef) -> (broadcast::Receiver<Arc<str>>, Option<ActiveRunDto>) {
        let mut hubs = lock(&self.hubs);
        let hub = hubs.entry(chat.clone()).or_insert_with(Hub::new);
        let active = hub
            .active
            .as_ref()
            .map(|a| ActiveRunDto { message_id: a.message_id.to_string(), content: a.partial.clone() });
        (hub.tx.subscribe(), active)
    }

    /// Reserves a run on `chat` for its user, before anything is stored: `None` when the user
    /// already has `cap` runs going or reserved on other chats. A run on this same chat does not
    /// count, since the new one supersedes it.
    pub fn reserve_run(self: &Arc<Self>, chat: &ChatRef, cap: usize) -> Option<RunSlot> {
        let hubs = lock(&self.hubs);
        let supersedes = hubs.get(chat).is_some_and(|h| h.active.is_some());
        if !supersedes {
            let mut runs = lock(&self.runs);
            let count = runs.entry(chat.user).or_insert(0);
            if *count >= cap {
                return None;
            }
            *count += 1;
        }
        Some(RunSlot { hubs: self.clone(), user: chat.user, counted: !supersedes })
    }

    /// Registers a new run on a chat in its reserved slot and returns what cancels it. A run
    /// already going on the chat is cancelled: a new message supersedes it.
    pub fn begin(
        &self,
        chat: &ChatRef,
        mut slot: RunSlot,
        run_id: RunId,
        message_id: MessageId,
    ) -> oneshot::Receiver<()> {
        let (cancel, cancelled) = oneshot::channel();
        let mut hubs = lock(&self.hubs);
        let hub = hubs.entry(chat.clone()).or_insert_with(Hub::new);
        let previous = hub.active.take();
        // The chat's one count: the slot's, or the superseded run's, never both.
        match (&previous, slot.counted) {
            (Some(_), true) => self.uncount_run(chat.user),
            (None, false) => *lock(&self.runs).entry(chat.user).or_insert(0) += 1,
            _ => {}
        }
        slot.counted = false;
        if let Some(cancel) = previous.and_then(|p| p.cancel) {
            cancel.send(()).ok();
        }
        hub.active = Some(Active { run_id, message_id, partial: String::new(), cancel: Some(cancel) });
        cancelled
    }

    /// Runs going or reserved by `user`.
    pub fn runs_of(&self, user: UserId) -> usize {
        let _hubs = lock(&self.hubs);
        lock(&self.runs).get(&user).copied().unwrap_or(0)
    }

    /// One run of `user` is over; call with `hubs` held.
    fn uncount_run(&self, user: UserId) {
        let mut runs = lock(&self.runs);
        if let Some(count) = runs.get_mut(&user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                runs.remove(&user);
            }
        }
    }

    /// Cancels the run going on a chat; whether there was one.
    pub fn cancel(&self, chat: &ChatRef) -> bool {
        let mut hubs = lock(&self.hubs);
        match hubs.get_mut(chat).and_then(|h| h.active.as_mut()).and_then(|a| a.cancel.take()) {
            Some(cancel) => cancel.send(()).is_ok(),
            None => false,
        }
    }

    /// Shutdown: tells every socket to close, and cancels every run (they end as aborted and are
    /// stored so). Returns how many runs were cancelled.
    pub fn shut_down(&self) -> usize {
        self.closing.send_replace(true);
        self.cancel_all()
    }

    /// What a socket watches to learn that the server is shutting down.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Cancels every run.
    pub fn cancel_all(&self) -> usize {
        let mut hubs = lock(&self.hubs);
        hubs.values_mut()
            .filter_map(|h| h.active.as_mut().and_then(|a| a.cancel.take()))
            .map(|cancel| cancel.send(()).is_ok())
            .filter(|sent| *sent)
            .count()
    }

    /// Sends a frame to every socket following the chat; `text` is appended to the run's partial
    /// text in the same critical section, so a subscriber sees it either in the snapshot or as a
    /// frame, never both.
    pub fn publish(&self, chat: &ChatRef, run_id: RunId, frame: &ServerFrame, text: Option<&str>) {
        self.publish_text(chat, run_id, Arc::from(frame.to_text()), text);
    }

    /// [`ChatHubs::publish`] for a frame already serialised (the hot path of chunks).
    pub fn publish_text(&self, chat: &ChatRef, run_id: RunId, payload: Arc<str>, text: Option<&str>) {
        let mut hubs = lock(&self.hubs);
        let Some(hub) = hubs.get_mut(chat) else { return };
        if let (Some(text), Some(active)) = (text, hub.active.as_mut())
            && active.run_id == run_id
        {
            active.partial.push_str(text);
        }
        // No receiver is fine: the run goes on (and is stored) without anyone watching.
        hub.tx.send(payload).ok();
    }

    /// The run is over: forget it (unless a newer one took its place) and drop the chat when
    /// nobody follows it.
    pub fn end(&self, chat: &ChatRef, run_id: RunId) {
        let mut hubs = lock(&self.hubs);
        if let Some(hub) = hubs.get_mut(chat) {
            if hub.active.as_ref().is_some_and(|a| a.run_id == run_id) {
                hub.active = None;
                self.uncount_run(chat.user);
            }
            if hub.active.is_none() && hub.tx.receiver_count() == 0 {
                hubs.remove(chat);
            }
        }
    }

    /// Drops chats nobody follows and no run uses (after a socket went away).
    pub fn release(&self, chats: &[ChatRef]) {
        let mut hubs = lock(&self.hubs);
        for chat in chats {
            if hubs.get(chat).is_some_and(|h| h.active.is_none() && h.tx.receiver_count() == 0) {
                hubs.remove(chat);
            }
        }
    }

    /// Counts a new socket of `user`, authenticated by `session`; `None` when the user already
    /// has `cap` open.
    pub fn connect(self: &Arc<Self>, user: UserId, session: Option<SessionId>, cap: usize) -> Option<ConnectionGuard> {
        let mut connections = lock(&self.connections);
        let open = connections.entry(user).or_default();
        if open.len() >= cap {
            return None;
        }
        let id = self.next_connection.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (ended, session_ended) = watch::channel(false);
        open.push(Connection { id, session, ended });
        Some(ConnectionGuard { hubs: self.clone(), user, id, session_ended })
    }

    /// Chats with a run going (for tests of the hub and for metrics).
    pub fn active_runs(&self) -> usize {
        lock(&self.hubs).values().filter(|h| h.active.is_some()).count()
    }
}

/// A run reserved by [`ChatHubs::reserve_run`]; dropped without [`ChatHubs::begin`] (the turn
/// was refused), it frees its place.
pub struct RunSlot {
    hubs: Arc<ChatHubs>,
    user: UserId,
    counted: bool,
}

impl Drop for RunSlot {
    fn drop(&mut self) {
        if self.counted {
            let _hubs = lock(&self.hubs.hubs);
            self.hubs.uncount_run(self.user);
        }
    }
}

/// An open socket as the hubs know it.
struct Connection {
    id: u64,
    session: Option<SessionId>,
    ended: watch::Sender<bool>,
}

/// Closes the sockets whose session ended (logout, password change or reset, deactivation).
impl SessionWatch for ChatHubs {
    fn sessions_ended(&self, user: UserId, which: EndedSessions) {
        let connections = lock(&self.connections);
        for connection in connections.get(&user).into_iter().flatten() {
            let ended = match which {
                EndedSessions::One(session) => connection.session == Some(session),
                EndedSessions::AllExcept(kept) => kept.is_none() || connection.session != kept,
            };
            if ended {
                connection.ended.send_replace(true);
            }
        }
    }
}

/// One counted socket; dropping it frees the slot.
pub struct ConnectionGuard {
    hubs: Arc<ChatHubs>,
    user: UserId,
    id: u64,
    session_ended: watch::Receiver<bool>,
}

impl ConnectionGuard {
    /// Resolves once the socket's session has ended.
    pub async fn session_ended(&mut self) {
        let _ = self.session_ended.wait_for(|ended| *ended).await;
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut connections = lock(&self.hubs.connections);
        if let Some(open) = connections.get_mut(&self.user) {
            open.retain(|c| c.id != self.id);
            if open.is_empty() {
                connections.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat() -> ChatRef {
        ChatRef { user: UserId::new(), agent: AgentId::new(), key: "main".into() }
    }

    fn chunk(text: &str) -> ServerFrame {
        ServerFrame::Chunk {
            agent_id: "a".into(),
            chat_id: "main".into(),
            message_id: "m".into(),
            content: text.into(),
        }
    }

    #[test]
    fn a_late_subscriber_gets_the_partial_text_then_only_new_chunks() {
        let hubs = ChatHubs::default();
        let chat = chat();
        let hubs = Arc::new(hubs);
        let run = RunId::new();
        let _cancel = hubs.begin(&chat, hubs.reserve_run(&chat, 1).unwrap(), run, MessageId::new());
        hubs.publish(&chat, run, &chunk("Hel"), Some("Hel"));
        let (mut rx, active) = hubs.subscribe(&chat);
        assert_eq!(active.map(|a| a.content), Some("Hel".to_string()));
        hubs.publish(&chat, run, &chunk("lo"), Some("lo"));
        assert!(rx.try_recv().is_ok_and(|f| f.contains("\"content\":\"lo\"")));
        assert!(rx.try_recv().is_err(), "nothing seen twice");
    }

    #[test]
    fn a_new_run_cancels_the_previous_one_and_end_keeps_the_newer() {
        let hubs = ChatHubs::default();
        let chat = chat();
        let (first, second) = (RunId::new(), RunId::new());
        let hubs = Arc::new(hubs);
        let mut first_cancelled = hubs.begin(&chat, hubs.reserve_run(&chat, 1).unwrap(), first, MessageId::new());
        let slot = hubs.reserve_run(&chat, 1).expect("a run on the same chat does not count against the cap");
        let _second_cancel = hubs.begin(&chat, slot, second, MessageId::new());
        assert!(first_cancelled.try_recv().is_ok(), "superseded");
        hubs.end(&chat, first);
        assert_eq!(hubs.active_runs(), 1, "the newer run is still registered");
        assert!(hubs.cancel(&chat));
        hubs.end(&chat, second);
        assert_eq!(hubs.active_runs(), 0);
        assert_eq!(hubs.runs_of(chat.user), 0);
    }

    /// Review M2: runs are capped per user across chats; a refused or finished run frees its
    /// place, and a run that supersedes another on its chat counts once.
    #[test]
    fn runs_are_capped_per_user() {
        let hubs = Arc::new(ChatHubs::default());
        let user = UserId::new();
        let on = |key: &str| ChatRef { user, agent: AgentId::new(), key: key.into() };
        let (a, b, c) = (on("a"), on("b"), on("c"));
        let run_a = RunId::new();
        let _a = hubs.begin(&a, hubs.reserve_run(&a, 2).unwrap(), run_a, MessageId::new());
        let reserved_b = hubs.reserve_run(&b, 2).unwrap();
        assert!(hubs.reserve_run(&c, 2).is_none(), "two going or reserved");
        let other = ChatRef { user: UserId::new(), ..c.clone() };
        assert!(hubs.reserve_run(&other, 2).is_some(), "per user");
        drop(reserved_b);
        assert_eq!(hubs.runs_of(user), 1, "a refused turn frees its place");
        let run_b = RunId::new();
        let _b = hubs.begin(&b, hubs.reserve_run(&b, 2).unwrap(), run_b, MessageId::new());
        let run_a2 = RunId::new();
        let _a2 = hubs.begin(&a, hubs.reserve_run(&a, 2).unwrap(), run_a2, MessageId::new());
        assert_eq!(hubs.runs_of(user), 2, "superseding counts once");
        hubs.end(&a, run_a);
        assert_eq!(hubs.runs_of(user), 2, "the superseded run's end changes nothing");
        hubs.end(&a, run_a2);
        hubs.end(&b, run_b);
        assert_eq!(hubs.runs_of(user), 0);
        assert!(hubs.reserve_run(&c, 2).is_some());
    }

    #[test]
    fn connections_are_capped_per_user() {
        let hubs = Arc::new(ChatHubs::default());
        let user = UserId::new();
        let first = hubs.connect(user, None, 2);
        let second = hubs.connect(user, None, 2);
        assert!(first.is_some() && second.is_some());
        assert!(hubs.connect(user, None, 2).is_none());
        assert!(hubs.connect(UserId::new(), None, 2).is_some(), "per user");
        drop(first);
        assert!(hubs.connect(user, None, 2).is_some(), "a closed socket frees its slot");
    }

    #[test]
    fn ended_sessions_reach_exactly_their_sockets() {
        let hubs = Arc::new(ChatHubs::default());
        let (user, other) = (UserId::new(), UserId::new());
        let (s1, s2) = (SessionId::new(), SessionId::new());
        let a = hubs.connect(user, Some(s1), 8).unwrap();
        let b = hubs.connect(user, Some(s2), 8).unwrap();
        let c = hubs.connect(other, Some(SessionId::new()), 8).unwrap();
        let ended = |g: &ConnectionGuard| *g.session_ended.borrow();

        hubs.sessions_ended(user, EndedSessions::One(s1));
        assert_eq!((ended(&a), ended(&b), ended(&c)), (true, false, false), "logout ends one socket");
        hubs.sessions_ended(user, EndedSessions::AllExcept(Some(s2)));
        assert!(!ended(&b), "a password change keeps the changing session");
        hubs.sessions_ended(user, EndedSessions::AllExcept(None));
        assert_eq!((ended(&b), ended(&c)), (true, false), "deactivation ends every socket of the user only");
    }
}
