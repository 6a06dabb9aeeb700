//! Runs belong to the domain, not to a frontend: the coordinator accepts a chat turn from any
//! caller (the WebSocket today, channels and webhooks later), registers its run, runs it apart
//! from the caller — closing the tab does not stop or lose an answer — and publishes what
//! happens to everyone following the chat ([`RunRegistry`]).

use std::sync::Arc;

use async_trait::async_trait;
use futures::FutureExt;
use futures::future::BoxFuture;
use pincer_core::{ChatId, MessageId, Principal, RunId};

use super::runs::{ChatRef, Follow, RunRegistry, RunSlot, RunUpdate};
use super::service::{ChatError, ChatService, PreparedRun, RunEvent, RunSink, TurnRequest, chat_key};

/// Starts the task a run lives on. The server gives the async runtime's spawn; the domain does
/// not depend on a runtime.
pub trait RunSpawner: Send + Sync + 'static {
    /// Runs `run` to its end on the runtime, apart from the caller.
    fn spawn(&self, run: BoxedRun);
}

/// A run, ready to be polled to its end on a task of its own.
pub type BoxedRun = BoxFuture<'static, ()>;

/// Why a turn was not accepted. Nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The user has this many runs going already.
    #[error("you have {0} answers being written already; wait for one to finish or stop one")]
    TooManyRuns(usize),
    /// The turn was refused (the service's rules).
    #[error(transparent)]
    Chat(#[from] ChatError),
}

impl StartError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooManyRuns(_) => "too_many_runs",
            Self::Chat(e) => e.code(),
        }
    }
}

/// Starts, follows and cancels runs for every frontend (see the module notes).
pub struct RunCoordinator {
    chat: Arc<ChatService>,
    registry: Arc<RunRegistry>,
    spawner: Arc<dyn RunSpawner>,
    max_runs_per_user: usize,
}

/// A turn accepted and stored, its run registered (it can be aborted) but not yet going:
/// [`AcceptedRun::launch`] starts it, so the caller can first tell its own client that the
/// message was stored — before any chunk. Dropped without `launch`, it launches.
pub struct AcceptedRun {
    /// The chat it runs in.
    pub chat: ChatRef,
    /// The chat's id: the session the turn belongs to.
    pub session_id: ChatId,
    /// The run.
    pub run_id: RunId,
    /// The stored user message.
    pub user_message_id: MessageId,
    /// The assistant message the run writes.
    pub message_id: MessageId,
    launch: Option<BoxFuture<'static, ()>>,
    spawner: Arc<dyn RunSpawner>,
}

impl AcceptedRun {
    /// Starts the run (after the caller acknowledged its client).
    pub fn launch(mut self) {
        self.start();
    }

    fn start(&mut self) {
        if let Some(run) = self.launch.take() {
            self.spawner.spawn(run);
        }
    }
}

impl Drop for AcceptedRun {
    fn drop(&mut self) {
        self.start();
    }
}

impl RunCoordinator {
    /// A coordinator over `chat`, spawning runs with `spawner`, at most `max_runs_per_user` per user.
    pub fn new(chat: Arc<ChatService>, spawner: Arc<dyn RunSpawner>, max_runs_per_user: usize) -> Self {
        Self { chat, registry: Arc::default(), spawner, max_runs_per_user }
    }

    /// The chat a turn or frame is about, its key checked.
    pub fn chat_ref(
        principal: &Principal,
        agent: pincer_core::AgentId,
        key: Option<&str>,
    ) -> Result<ChatRef, ChatError> {
        Ok(ChatRef { user: principal.user_id, agent, key: chat_key(key)? })
    }

    /// Follows a chat: the run going on and its updates from now on.
    pub fn follow(&self, chat: &ChatRef) -> Follow {
        self.registry.follow(chat)
    }

    /// Accepts a turn: supersedes the run going on in the chat, reserves a run within the
    /// user's cap, stores the message (the service's rules), and registers the run.
    pub async fn start(&self, principal: &Principal, request: TurnRequest) -> Result<AcceptedRun, StartError> {
        let chat = Self::chat_ref(principal, request.agent_id, request.chat_key.as_deref())?;
        self.registry.cancel(&chat);
        let slot = self
            .registry
            .reserve_run(&chat, self.max_runs_per_user)
            .ok_or(StartError::TooManyRuns(self.max_runs_per_user))?;
        let prepared = self.chat.start(principal, request).await?;
        Ok(self.register(chat, slot, prepared))
    }

    fn register(&self, chat: ChatRef, slot: RunSlot, prepared: PreparedRun) -> AcceptedRun {
        let run_id = prepared.run_id;
        let message_id = prepared.assistant_message_id;
        let user_message_id = prepared.user_message.id;
        let session_id = prepared.chat.id;
        let cancelled = self.registry.begin(&chat, slot, run_id, message_id);
        let (service, registry, followed) = (self.chat.clone(), self.registry.clone(), chat.clone());
        let run = async move {
            let mut sink = PublishingSink { registry: registry.clone(), chat: followed.clone(), run_id, message_id };
            // A dropped sender (the registry forgot the run) cancels too.
            let cancel = cancelled.map(|_| ());
            service.run(prepared, &mut sink, cancel).await;
            registry.end(&followed, run_id);
        };
        AcceptedRun {
            chat,
            session_id,
            run_id,
            user_message_id,
            message_id,
            launch: Some(run.boxed()),
            spawner: self.spawner.clone(),
        }
    }

    /// Aborts the run going on in a chat; whether there was one.
    pub fn cancel(&self, chat: &ChatRef) -> bool {
        self.registry.cancel(chat)
    }

    /// Shutdown: cancels every run (they end as aborted and are stored so); how many.
    pub fn cancel_all(&self) -> usize {
        self.registry.cancel_all()
    }

    /// Forgets chats nobody follows any more and no run uses.
    pub fn release(&self, chats: &[ChatRef]) {
        self.registry.release(chats)
    }

    /// Chats with a run going on this node.
    pub fn active_runs(&self) -> usize {
        self.registry.active_runs()
    }
}

/// Turns run events into updates for everyone following the chat.
struct PublishingSink {
    registry: Arc<RunRegistry>,
    chat: ChatRef,
    run_id: RunId,
    message_id: MessageId,
}

impl PublishingSink {
    fn publish(&self, update: RunUpdate) {
        self.registry.publish(&self.chat, self.run_id, Arc::new(update));
    }
}

#[async_trait]
impl RunSink for PublishingSink {
    async fn emit(&mut self, event: RunEvent) {
        let message_id = self.message_id;
        match event {
            RunEvent::Thinking { tool } => self.publish(RunUpdate::Thinking { message_id, tool }),
            RunEvent::Chunk(text) => self.publish(RunUpdate::Chunk { message_id, text }),
            // Tool steps are kept in the message and shown by the history.
            RunEvent::Step(_) => {}
            RunEvent::Finished { status, error } => {
                if let Some(failure) = error {
                    self.publish(RunUpdate::Failed { message_id, failure });
                }
                self.publish(RunUpdate::Done { message_id, status });
                self.publish(RunUpdate::Complete { message_id });
            }
        }
    }
}

impl super::sessions::RunCanceller for RunCoordinator {
    fn cancel(&self, chat: &ChatRef) {
        RunCoordinator::cancel(self, chat);
    }
}
