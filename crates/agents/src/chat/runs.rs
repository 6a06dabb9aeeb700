//! The live side of chats on this node: which chats have a run going, the text it has produced
//! so far, and who follows each chat. Updates are shared (`Arc`) and pushed into a bounded ring
//! per follower: a slow follower loses its oldest updates (and is told so, at the place of the
//! gap) instead of slowing the run, and always gets the newest — the end of a run included.
//!
//! Any frontend follows a chat the same way — the WebSocket today, channels and webhooks later:
//! [`RunRegistry::follow`] gives the text so far and the updates from then on, taken together so
//! that no chunk is missed or seen twice.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use futures::Stream;
use futures::channel::oneshot;
use pincer_core::{AgentId, MessageId, RunId, UserId};

use super::model::MessageStatus;
use super::service::RunFailure;

/// Updates a follower may fall behind by before it loses the oldest and is told it lagged.
pub const FOLLOW_BUFFER: usize = 256;

/// One conversation: a user, an agent and the chat key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChatRef {
    /// Whose chat.
    pub user: UserId,
    /// With which agent.
    pub agent: AgentId,
    /// The chat key.
    pub key: String,
}

/// What happens in a run, as its followers see it.
#[derive(Clone, Debug, PartialEq)]
pub enum RunUpdate {
    /// The model is being asked (`tool: None`) or a tool runs.
    Thinking {
        /// The message being written.
        message_id: MessageId,
        /// The tool running, if one is.
        tool: Option<String>,
    },
    /// The next piece of the answer.
    Chunk {
        /// The message being written.
        message_id: MessageId,
        /// The piece.
        text: String,
    },
    /// Why the run failed; `Done` with `Failed` follows.
    Failed {
        /// The message that failed.
        message_id: MessageId,
        /// Why.
        failure: RunFailure,
    },
    /// The answer is final.
    Done {
        /// The message.
        message_id: MessageId,
        /// How it ended.
        status: MessageStatus,
    },
    /// The run is over; the chat takes the next message.
    Complete {
        /// The message the run wrote.
        message_id: MessageId,
    },
}

/// The run going on in a chat when a follower joined: its answer and the text so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveRun {
    /// The message being written.
    pub message_id: MessageId,
    /// Its text so far.
    pub content: String,
}

/// A chat followed: the run going on when it began, then every update, in order.
pub struct Follow {
    /// The run going on when following began, with its text so far.
    pub active: Option<ActiveRun>,
    /// What happens from then on.
    pub updates: Updates,
}

/// What a follower receives.
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    /// The next update.
    Update(Arc<RunUpdate>),
    /// Updates were lost here (the follower fell more than [`FOLLOW_BUFFER`] behind): follow
    /// again for the text so far.
    Lagged,
}

#[derive(Default)]
struct Queue {
    items: VecDeque<Arc<RunUpdate>>,
    lost: bool,
    waker: Option<Waker>,
}

/// The updates of one follower, as a stream that waits for the next one.
pub struct Updates {
    queue: Arc<Mutex<Queue>>,
}

impl Updates {
    /// The next delivery if one is waiting.
    pub fn try_next(&mut self) -> Option<Delivery> {
        let mut queue = lock(&self.queue);
        if std::mem::take(&mut queue.lost) {
            return Some(Delivery::Lagged);
        }
        queue.items.pop_front().map(Delivery::Update)
    }
}

impl Stream for Updates {
    type Item = Delivery;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        if let Some(delivery) = self.try_next() {
            return Poll::Ready(Some(delivery));
        }
        lock(&self.queue).waker = Some(cx.waker().clone());
        // An update pushed between the check and storing the waker found no waker: check again.
        match self.try_next() {
            Some(delivery) => Poll::Ready(Some(delivery)),
            None => Poll::Pending,
        }
    }
}

struct Follower {
    queue: Arc<Mutex<Queue>>,
}

impl Follower {
    /// Nobody reads this follower's updates any more.
    fn gone(&self) -> bool {
        Arc::strong_count(&self.queue) == 1
    }

    fn push(&self, update: &Arc<RunUpdate>) {
        let mut queue = lock(&self.queue);
        if queue.items.len() >= FOLLOW_BUFFER {
            queue.items.pop_front();
            queue.lost = true;
        }
        queue.items.push_back(update.clone());
        if let Some(waker) = queue.waker.take() {
            waker.wake();
        }
    }
}

struct Active {
    run_id: RunId,
    message_id: MessageId,
    partial: String,
    cancel: Option<oneshot::Sender<()>>,
}

#[derive(Default)]
struct Hub {
    followers: Vec<Follower>,
    active: Option<Active>,
}

impl Hub {
    fn unused(&self) -> bool {
        self.active.is_none() && self.followers.iter().all(Follower::gone)
    }
}

/// The runs going on and their followers, per chat (see the module notes).
#[derive(Default)]
pub struct RunRegistry {
    hubs: Mutex<HashMap<ChatRef, Hub>>,
    /// Per user: chats with a run going plus run slots reserved and not yet begun (review M2).
    /// Changed only while `hubs` is held, so it always agrees with the chats' `active`.
    runs: Mutex<HashMap<UserId, usize>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RunRegistry {
    /// Follows a chat: the run going on (its text so far) and the updates published from now
    /// on, taken together.
    pub fn follow(&self, chat: &ChatRef) -> Follow {
        let mut hubs = lock(&self.hubs);
        let hub = hubs.entry(chat.clone()).or_default();
        hub.followers.retain(|f| !f.gone());
        let queue = Arc::new(Mutex::new(Queue::default()));
        hub.followers.push(Follower { queue: queue.clone() });
        let active = hub.active.as_ref().map(|a| ActiveRun { message_id: a.message_id, content: a.partial.clone() });
        Follow { active, updates: Updates { queue } }
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
        Some(RunSlot { registry: self.clone(), user: chat.user, counted: !supersedes })
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
        let hub = hubs.entry(chat.clone()).or_default();
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

    /// Cancels every run; how many were cancelled.
    pub fn cancel_all(&self) -> usize {
        let mut hubs = lock(&self.hubs);
        hubs.values_mut()
            .filter_map(|h| h.active.as_mut().and_then(|a| a.cancel.take()))
            .map(|cancel| cancel.send(()).is_ok())
            .filter(|sent| *sent)
            .count()
    }

    /// Gives an update of run `run_id` to every follower of the chat. A chunk's text is appended
    /// to the run's text so far in the same critical section, so a follower sees it either in
    /// its snapshot or as an update, never both. A follower whose ring is full loses its oldest
    /// update and is told it lagged.
    pub fn publish(&self, chat: &ChatRef, run_id: RunId, update: Arc<RunUpdate>) {
        let mut hubs = lock(&self.hubs);
        let Some(hub) = hubs.get_mut(chat) else { return };
        if let (RunUpdate::Chunk { text, .. }, Some(active)) = (&*update, hub.active.as_mut())
            && active.run_id == run_id
        {
            active.partial.push_str(text);
        }
        // No follower is fine: the run goes on (and is stored) without anyone watching.
        hub.followers.retain(|f| !f.gone());
        for follower in &hub.followers {
            follower.push(&update);
        }
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
            if hub.unused() {
                hubs.remove(chat);
            }
        }
    }

    /// Drops chats nobody follows and no run uses (after a follower went away).
    pub fn release(&self, chats: &[ChatRef]) {
        let mut hubs = lock(&self.hubs);
        for chat in chats {
            if hubs.get(chat).is_some_and(Hub::unused) {
                hubs.remove(chat);
            }
        }
    }

    /// Chats with a run going.
    pub fn active_runs(&self) -> usize {
        lock(&self.hubs).values().filter(|h| h.active.is_some()).count()
    }
}

/// A run reserved by [`RunRegistry::reserve_run`]; dropped without [`RunRegistry::begin`] (the
/// turn was refused), it frees its place.
pub struct RunSlot {
    registry: Arc<RunRegistry>,
    user: UserId,
    counted: bool,
}

impl Drop for RunSlot {
    fn drop(&mut self) {
        if self.counted {
            let _hubs = lock(&self.registry.hubs);
            self.registry.uncount_run(self.user);
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    fn chat() -> ChatRef {
        ChatRef { user: UserId::new(), agent: AgentId::new(), key: "main".into() }
    }

    fn chunk(text: &str) -> Arc<RunUpdate> {
        Arc::new(RunUpdate::Chunk { message_id: MessageId::new(), text: text.into() })
    }

    fn texts(follow: &mut Follow) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(delivery) = follow.updates.try_next() {
            match delivery {
                Delivery::Update(update) => {
                    if let RunUpdate::Chunk { text, .. } = &*update {
                        out.push(text.clone());
                    }
                }
                Delivery::Lagged => out.push("<lagged>".into()),
            }
        }
        out
    }

    #[test]
    fn a_late_follower_gets_the_partial_text_then_only_new_chunks() {
        let registry = Arc::new(RunRegistry::default());
        let chat = chat();
        let run = RunId::new();
        let _cancel = registry.begin(&chat, registry.reserve_run(&chat, 1).unwrap(), run, MessageId::new());
        registry.publish(&chat, run, chunk("Hel"));
        let mut follow = registry.follow(&chat);
        assert_eq!(follow.active.as_ref().map(|a| a.content.as_str()), Some("Hel"));
        registry.publish(&chat, run, chunk("lo"));
        assert_eq!(texts(&mut follow), ["lo"], "nothing seen twice");
    }

    #[test]
    fn a_follower_that_falls_behind_loses_the_oldest_and_is_told_where() {
        let registry = Arc::new(RunRegistry::default());
        let chat = chat();
        let run = RunId::new();
        let _cancel = registry.begin(&chat, registry.reserve_run(&chat, 1).unwrap(), run, MessageId::new());
        let mut slow = registry.follow(&chat);
        let mut keeping_up = registry.follow(&chat);
        let total = FOLLOW_BUFFER + 10;
        let mut kept = Vec::new();
        for n in 0..total {
            registry.publish(&chat, run, chunk(&n.to_string()));
            kept.extend(texts(&mut keeping_up));
        }
        assert_eq!(kept.len(), total, "the one keeping up misses nothing");
        let got = texts(&mut slow);
        assert_eq!(got[0], "<lagged>", "told first, where the gap is");
        let newest: Vec<String> = (10..total).map(|n| n.to_string()).collect();
        assert_eq!(&got[1..], &newest[..], "then the newest, in order");
        registry.publish(&chat, run, chunk("more"));
        assert_eq!(texts(&mut slow), ["more"], "and it goes on");
    }

    #[test]
    fn a_waiting_follower_is_woken() {
        let registry = Arc::new(RunRegistry::default());
        let chat = chat();
        let run = RunId::new();
        let _cancel = registry.begin(&chat, registry.reserve_run(&chat, 1).unwrap(), run, MessageId::new());
        let follow = registry.follow(&chat);
        let reader = std::thread::spawn(move || futures::executor::block_on(follow.updates.take(2).count()));
        std::thread::sleep(std::time::Duration::from_millis(20));
        registry.publish(&chat, run, chunk("a"));
        registry.publish(&chat, run, chunk("b"));
        assert_eq!(reader.join().unwrap(), 2);
    }

    #[test]
    fn a_new_run_cancels_the_previous_one_and_end_keeps_the_newer() {
        let registry = Arc::new(RunRegistry::default());
        let chat = chat();
        let (first, second) = (RunId::new(), RunId::new());
        let mut first_cancelled =
            registry.begin(&chat, registry.reserve_run(&chat, 1).unwrap(), first, MessageId::new());
        let slot = registry.reserve_run(&chat, 1).expect("a run on the same chat does not count against the cap");
        let _second_cancel = registry.begin(&chat, slot, second, MessageId::new());
        assert_eq!(first_cancelled.try_recv(), Ok(Some(())), "superseded");
        registry.end(&chat, first);
        assert_eq!(registry.active_runs(), 1, "the newer run is still registered");
        assert!(registry.cancel(&chat));
        registry.end(&chat, second);
        assert_eq!(registry.active_runs(), 0);
        assert_eq!(registry.runs_of(chat.user), 0);
    }

    /// Review M2: runs are capped per user across chats; a refused or finished run frees its
    /// place, and a run that supersedes another on its chat counts once.
    #[test]
    fn runs_are_capped_per_user() {
        let registry = Arc::new(RunRegistry::default());
        let user = UserId::new();
        let on = |key: &str| ChatRef { user, agent: AgentId::new(), key: key.into() };
        let (a, b, c) = (on("a"), on("b"), on("c"));
        let run_a = RunId::new();
        let _a = registry.begin(&a, registry.reserve_run(&a, 2).unwrap(), run_a, MessageId::new());
        let reserved_b = registry.reserve_run(&b, 2).unwrap();
        assert!(registry.reserve_run(&c, 2).is_none(), "two going or reserved");
        let other = ChatRef { user: UserId::new(), ..c.clone() };
        assert!(registry.reserve_run(&other, 2).is_some(), "per user");
        drop(reserved_b);
        assert_eq!(registry.runs_of(user), 1, "a refused turn frees its place");
        let run_b = RunId::new();
        let _b = registry.begin(&b, registry.reserve_run(&b, 2).unwrap(), run_b, MessageId::new());
        let run_a2 = RunId::new();
        let _a2 = registry.begin(&a, registry.reserve_run(&a, 2).unwrap(), run_a2, MessageId::new());
        assert_eq!(registry.runs_of(user), 2, "superseding counts once");
        registry.end(&a, run_a);
        assert_eq!(registry.runs_of(user), 2, "the superseded run's end changes nothing");
        registry.end(&a, run_a2);
        registry.end(&b, run_b);
        assert_eq!(registry.runs_of(user), 0);
        assert!(registry.reserve_run(&c, 2).is_some());
    }

    #[test]
    fn a_chat_nobody_follows_is_forgotten_after_its_run() {
        let registry = Arc::new(RunRegistry::default());
        let chat = chat();
        let follow = registry.follow(&chat);
        let run = RunId::new();
        let _cancel = registry.begin(&chat, registry.reserve_run(&chat, 1).unwrap(), run, MessageId::new());
        drop(follow);
        registry.end(&chat, run);
        assert!(lock(&registry.hubs).is_empty());
        let _kept = registry.follow(&chat);
        registry.release(std::slice::from_ref(&chat));
        assert_eq!(lock(&registry.hubs).len(), 1, "a followed chat stays");
    }
}
