//! The chat sockets open on this node: at most a few per user, each closed at once when the
//! session it authenticated with ends, and all of them told when the server shuts down. (Runs
//! and who follows them are the domain's: `pincer_agents::chat::RunCoordinator`.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pincer_core::events::ACCESS_CHANGED;
use pincer_core::{BusEvent, EventHandler, SessionId, UserId};
use pincer_identity::licence::LICENCE_CHANGED;
use pincer_identity::{EndedSessions, SessionWatch};
use tokio::sync::watch;

pub struct Connections {
    /// The open sockets of each user, with the session each authenticated with.
    connections: Mutex<HashMap<UserId, Vec<Connection>>>,
    next_connection: std::sync::atomic::AtomicU64,
    /// Turns true once at shutdown; every socket then closes with 1001.
    closing: watch::Sender<bool>,
    /// Counts changes of who may see which agent (heard on the bus); every socket then checks
    /// again the agents it follows.
    access: watch::Sender<u64>,
}

impl Default for Connections {
    fn default() -> Self {
        Self {
            connections: Mutex::default(),
            next_connection: std::sync::atomic::AtomicU64::new(0),
            closing: watch::channel(false).0,
            access: watch::channel(0).0,
        }
    }
}

/// Access to agents changed somewhere (an agent's visibility, a group, the licence): every open
/// socket is told to check what it follows. Rare, so telling all of them is cheap.
impl EventHandler for Connections {
    fn handle(&self, event: &BusEvent) {
        if event.topic == ACCESS_CHANGED || event.topic == LICENCE_CHANGED {
            self.access.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Connections {
    /// How many chat sockets are open on this node (the metrics' gauge).
    pub fn open(&self) -> usize {
        lock(&self.connections).values().map(Vec::len).sum()
    }

    /// Shutdown: tells every socket to close.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// What a socket watches to learn that access to agents changed.
    pub fn access_changes(&self) -> watch::Receiver<u64> {
        self.access.subscribe()
    }

    /// What a socket watches to learn that the server is shutting down.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
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
        Some(ConnectionGuard { connections: self.clone(), user, id, session_ended })
    }
}

/// An open socket as the node knows it.
struct Connection {
    id: u64,
    session: Option<SessionId>,
    ended: watch::Sender<bool>,
}

/// Closes the sockets whose session ended (logout, password change or reset, deactivation).
impl SessionWatch for Connections {
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
    connections: Arc<Connections>,
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
        let mut connections = lock(&self.connections.connections);
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

    #[test]
    fn connections_are_capped_per_user() {
        let connections = Arc::new(Connections::default());
        let user = UserId::new();
        let first = connections.connect(user, None, 2);
        let second = connections.connect(user, None, 2);
        assert!(first.is_some() && second.is_some());
        assert!(connections.connect(user, None, 2).is_none());
        assert!(connections.connect(UserId::new(), None, 2).is_some(), "per user");
        drop(first);
        assert!(connections.connect(user, None, 2).is_some(), "a closed socket frees its slot");
    }

    #[test]
    fn ended_sessions_reach_exactly_their_sockets() {
        let connections = Arc::new(Connections::default());
        let (user, other) = (UserId::new(), UserId::new());
        let (s1, s2) = (SessionId::new(), SessionId::new());
        let a = connections.connect(user, Some(s1), 8).unwrap();
        let b = connections.connect(user, Some(s2), 8).unwrap();
        let c = connections.connect(other, Some(SessionId::new()), 8).unwrap();
        let ended = |g: &ConnectionGuard| *g.session_ended.borrow();

        connections.sessions_ended(user, EndedSessions::One(s1));
        assert_eq!((ended(&a), ended(&b), ended(&c)), (true, false, false), "logout ends one socket");
        connections.sessions_ended(user, EndedSessions::AllExcept(Some(s2)));
        assert!(!ended(&b), "a password change keeps the changing session");
        connections.sessions_ended(user, EndedSessions::AllExcept(None));
        assert_eq!((ended(&b), ended(&c)), (true, false), "deactivation ends every socket of the user only");
    }

    #[test]
    fn access_changes_wake_every_socket_and_other_topics_do_not() {
        let connections = Connections::default();
        let mut watcher = connections.access_changes();
        let event = |topic: &str| BusEvent { topic: topic.into(), body: "{}".into() };
        connections.handle(&event("sessions.ended"));
        assert!(!watcher.has_changed().unwrap());
        connections.handle(&event(ACCESS_CHANGED));
        assert!(watcher.has_changed().unwrap());
        watcher.mark_unchanged();
        connections.handle(&event(LICENCE_CHANGED));
        assert!(watcher.has_changed().unwrap(), "a licence can make restrictions apply");
    }
}
