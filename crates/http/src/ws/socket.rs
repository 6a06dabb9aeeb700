//! One chat socket: reads client frames, starts and aborts runs, answers history, and writes
//! everything through one bounded queue whose writer gives every send a deadline. Runs are
//! spawned apart from the socket, so closing the tab does not stop (or lose) an answer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use futures::StreamExt;
use pincer_agents::chat::{ChatError, ChatRef, Delivery, TurnRequest, Updates, service::chat_key};
use pincer_core::{AgentId, ChatId, Principal};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connections::ConnectionGuard;
use super::frames::{ActiveRunDto, ClientFrame, MessageDto, ServerFrame, UpdateFrames};
use crate::state::AppState;

/// Frames queued for one socket before producers wait.
const OUTBOUND_QUEUE: usize = 64;
/// Every write to the socket must finish within this, or the socket is closed.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a silent client is kept; the server pings three times in that span (every 15 s).
const IDLE_LIMIT: Duration = Duration::from_secs(45);
const PINGS_PER_IDLE_LIMIT: u32 = 3;
/// The largest client frame accepted.
pub const MAX_FRAME_BYTES: usize = 256 * 1024;
/// Chats one socket may follow: each follow holds a forwarding task and a queue of updates, so
/// an unbounded number would let one socket hold unbounded memory. A socket at the cap is refused
/// a new follow (`too_many_follows`) rather than silently losing an older one; it can reconnect.
/// The history replayed per follow is already bounded (the newest 40 messages, one run's text).
pub const MAX_FOLLOWS_PER_SOCKET: usize = 32;
/// Close code for a client that stopped answering pings (private range).
const CLOSE_IDLE: u16 = 4408;
/// The session ended (logout, password change or reset, deactivation): sign in again.
const CLOSE_SESSION_ENDED: u16 = 4401;

enum Outbound {
    Text(String),
    Ping,
    Close(CloseReason),
}

fn close(code: CloseCode, description: &str) -> Outbound {
    Outbound::Close(CloseReason { code, description: Some(description.to_string()) })
}

/// Writes queued frames, each within [`SEND_TIMEOUT`]; ends on a close frame, a failed or late
/// send, or when every producer is gone (the socket loop ends with it).
async fn write_loop(mut session: Session, mut queue: mpsc::Receiver<Outbound>) {
    while let Some(item) = queue.recv().await {
        let sent = match item {
            Outbound::Text(text) => tokio::time::timeout(SEND_TIMEOUT, session.text(text)).await,
            Outbound::Ping => tokio::time::timeout(SEND_TIMEOUT, session.ping(b"")).await,
            Outbound::Close(reason) => {
                tokio::time::timeout(SEND_TIMEOUT, session.close(Some(reason))).await.ok();
                return;
            }
        };
        if !matches!(sent, Ok(Ok(()))) {
            // Late or failed: the client cannot keep up, or is gone. A close frame would only
            // wait behind the same stuck writes; dropping the session ends the socket.
            return;
        }
    }
    tokio::time::timeout(SEND_TIMEOUT, session.close(None)).await.ok();
}

/// Copies one chat's updates, as frames, into the socket's queue (waiting when it is full, which
/// only slows this socket); a socket that fell too far behind is told to ask for the history
/// again.
fn forward(mut updates: Updates, out: mpsc::Sender<Outbound>, agent: String, chat: String) -> JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut frames = UpdateFrames::new(agent.clone(), chat.clone());
        while let Some(delivery) = updates.next().await {
            let text = match delivery {
                Delivery::Update(update) => frames.frame(&update),
                Delivery::Lagged => ServerFrame::error(
                    Some(&agent),
                    Some(&chat),
                    "lagged",
                    "missed part of the stream; request the history again",
                )
                .to_text(),
            };
            if out.send(Outbound::Text(text)).await.is_err() {
                return;
            }
        }
    })
}

/// Whether a read error means the client sent too much: one frame over [`MAX_FRAME_BYTES`]
/// (`Overflow`), or a message in fragments over it, which actix-ws reports as an `io::Error` of
/// kind `Other` (its only other `Other` is a broken connection, where no close frame is read).
fn too_large(error: &actix_ws::ProtocolError) -> bool {
    match error {
        actix_ws::ProtocolError::Overflow => true,
        actix_ws::ProtocolError::Io(e) => e.kind() == std::io::ErrorKind::Other,
        _ => false,
    }
}

pub struct Socket {
    state: actix_web::web::Data<AppState>,
    principal: Principal,
    token: String,
    out: mpsc::Sender<Outbound>,
    follows: HashMap<ChatRef, JoinHandle<()>>,
}

/// Runs a socket until the client leaves, is idle too long, or breaks the protocol.
pub async fn serve(
    state: actix_web::web::Data<AppState>,
    principal: Principal,
    token: String,
    session: Session,
    stream: actix_ws::MessageStream,
    mut slot: ConnectionGuard,
) {
    let (out, queue) = mpsc::channel(OUTBOUND_QUEUE);
    let writer = actix_web::rt::spawn(write_loop(session, queue));
    let mut socket = Socket { state, principal, token, out, follows: HashMap::new() };
    let mut stream =
        stream.max_frame_size(MAX_FRAME_BYTES).aggregate_continuations().max_continuation_size(MAX_FRAME_BYTES);
    let idle_limit = socket.state.config.ws_idle_limit.unwrap_or(IDLE_LIMIT);
    let mut ping = tokio::time::interval(idle_limit / PINGS_PER_IDLE_LIMIT);
    ping.tick().await;
    let mut last_seen = Instant::now();
    let mut closing = socket.state.connections.closing();
    let mut access = socket.state.connections.access_changes();
    // Resolves when the writer has ended: a write missed its deadline (the client cannot keep
    // up) or failed. The socket is over then, even if the client keeps sending.
    let writer_gone = socket.out.clone();
    loop {
        tokio::select! {
            _ = closing.wait_for(|closing| *closing) => {
                socket.send(close(CloseCode::Away, "server shutting down")).await;
                break;
            }
            () = writer_gone.closed() => break,
            () = slot.session_ended() => {
                socket.session_ended().await;
                break;
            }
            Ok(()) = access.changed() => socket.drop_lost_agents().await,
            message = stream.recv() => {
                last_seen = Instant::now();
                match message {
                    Some(Ok(AggregatedMessage::Text(text))) => {
                        if !socket.on_text(&text).await {
                            break;
                        }
                    }
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        // The writer owns the session; a pong is a cheap courtesy, not needed for liveness.
                        let _ = bytes;
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => {}
                    Some(Ok(AggregatedMessage::Binary(_))) => {
                        socket.send(close(CloseCode::Unsupported, "text frames only")).await;
                        break;
                    }
                    Some(Ok(AggregatedMessage::Close(_))) | None => {
                        socket.send(close(CloseCode::Normal, "bye")).await;
                        break;
                    }
                    Some(Err(error)) if too_large(&error) => {
                        socket.send(close(CloseCode::Size, "frame too large")).await;
                        break;
                    }
                    Some(Err(_)) => {
                        socket.send(close(CloseCode::Protocol, "protocol error")).await;
                        break;
                    }
                }
            }
            _ = ping.tick() => {
                if last_seen.elapsed() > idle_limit {
                    socket.send(close(CloseCode::Other(CLOSE_IDLE), "no answer to pings")).await;
                    break;
                }
                socket.send(Outbound::Ping).await;
            }
        }
    }
    let chats: Vec<ChatRef> = socket.follows.keys().cloned().collect();
    for (_, forwarder) in socket.follows.drain() {
        forwarder.abort();
    }
    socket.state.runs.release(&chats);
    drop(socket);
    writer.await.ok();
}

impl Socket {
    async fn send(&self, item: Outbound) {
        // A full queue means a stuck client; the writer's deadline will close it.
        let _ = tokio::time::timeout(SEND_TIMEOUT, self.out.send(item)).await;
    }

    async fn frame(&self, frame: ServerFrame) {
        self.send(Outbound::Text(frame.to_text())).await;
    }

    /// The session is over (found at a frame, or told by identity at once): say so and close
    /// with 4401, which tells the client to sign in again rather than reconnect.
    async fn session_ended(&self) {
        self.frame(ServerFrame::error(None, None, "not_authenticated", "session ended")).await;
        self.send(close(CloseCode::Other(CLOSE_SESSION_ENDED), "session ended")).await;
    }

    /// Who may see which agent changed: stops following the agents this socket's user can no
    /// longer see (telling the client `agent_not_found` for each), so no frame of theirs arrives
    /// after access is gone. A run in progress is not cut; its frames just stop coming here.
    async fn drop_lost_agents(&mut self) {
        let mut agents: Vec<AgentId> = self.follows.keys().map(|chat| chat.agent).collect();
        agents.sort_unstable();
        agents.dedup();
        for agent in agents {
            match self.state.agents.get(&self.principal, agent).await {
                Err(pincer_agents::AgentError::AgentNotFound) => {}
                // Still visible, or the store is unreachable (keep following; the next frame
                // the client sends is checked again).
                _ => continue,
            }
            let lost: Vec<ChatRef> = self.follows.keys().filter(|chat| chat.agent == agent).cloned().collect();
            for chat in &lost {
                if let Some(forwarder) = self.follows.remove(chat) {
                    forwarder.abort();
                }
            }
            self.state.runs.release(&lost);
            let error = ChatError::AgentNotFound;
            self.frame(ServerFrame::error(Some(&agent.to_string()), None, error.code(), error.to_string())).await;
        }
    }

    /// Handles one text frame; `false` ends the socket.
    async fn on_text(&mut self, text: &str) -> bool {
        // The session may have ended since the upgrade (logout, deactivation, role change).
        match self.state.identity.authenticate(&self.token).await {
            Ok(principal) => self.principal = principal,
            Err(_) => {
                self.session_ended().await;
                return false;
            }
        }
        // As over HTTP (crate::extract): PostgreSQL cannot store a NUL, so no text may carry one.
        if crate::extract::has_escaped_nul(text.as_bytes()) {
            self.frame(ServerFrame::error(None, None, "invalid_input", "text must not contain NUL characters")).await;
            return true;
        }
        let frame: ClientFrame = match serde_json::from_str(text) {
            Ok(frame) => frame,
            Err(_) => {
                self.frame(ServerFrame::error(
                    None,
                    None,
                    "invalid_frame",
                    "frame is not a valid message, history or abort",
                ))
                .await;
                return true;
            }
        };
        match frame {
            ClientFrame::Message { agent_id, content, chat_id, client_message_id, session_id } => {
                if let Some(chat_id) = self.session_chat(&agent_id, chat_id, session_id).await {
                    self.on_message(agent_id, content, chat_id, client_message_id).await;
                }
            }
            ClientFrame::History { agent_id, chat_id, session_id } => {
                if let Some(chat_id) = self.session_chat(&agent_id, chat_id, session_id.map(Some)).await {
                    self.on_history(agent_id, chat_id).await;
                }
            }
            ClientFrame::Abort { agent_id, chat_id } => {
                if let Some((agent, key)) = self.target(&agent_id, chat_id.as_deref()).await {
                    self.state.runs.cancel(&ChatRef { user: self.principal.user_id, agent, key });
                }
            }
        }
        true
    }

    /// The chat key a frame is about: its `chatId` when it names no session; a fresh key for a new
    /// session (`"sessionId": null`); the key of the caller's session `sessionId` with this
    /// agent — or `None`, with a `session_not_found` frame sent, when there is no such session.
    async fn session_chat(
        &self,
        agent_id: &str,
        chat_id: Option<String>,
        session_id: Option<Option<String>>,
    ) -> Option<Option<String>> {
        let raw = match session_id {
            None => return Some(chat_id),
            Some(None) => return Some(Some(format!("s-{}", ChatId::new()))),
            Some(Some(raw)) => raw,
        };
        let session = match raw.trim().parse::<ChatId>() {
            Ok(id) => self.state.sessions.get(&self.principal, id).await.ok(),
            Err(_) => None,
        };
        match session {
            Some(s) if agent_id.trim().parse::<AgentId>().is_ok_and(|a| a == s.chat.agent_id) => Some(Some(s.chat.key)),
            _ => {
                self.frame(ServerFrame::error(Some(agent_id), None, "session_not_found", "session not found")).await;
                None
            }
        }
    }

    /// The agent id and chat key of a frame, or an error frame sent.
    async fn target(&self, agent_id: &str, chat_id: Option<&str>) -> Option<(AgentId, String)> {
        let Ok(agent) = agent_id.parse::<AgentId>() else {
            let error = ChatError::AgentNotFound;
            self.frame(ServerFrame::error(Some(agent_id), chat_id, error.code(), error.to_string())).await;
            return None;
        };
        match chat_key(chat_id) {
            Ok(key) => Some((agent, key)),
            Err(e) => {
                self.frame(ServerFrame::error(Some(agent_id), chat_id, e.code(), e.to_string())).await;
                None
            }
        }
    }

    /// Whether this socket may follow `chat`: it already does, or it is under the cap; otherwise
    /// an error frame `too_many_follows` is sent.
    async fn may_follow(&self, chat: &ChatRef, agent_id: &str) -> bool {
        if self.follows.contains_key(chat) || self.follows.len() < MAX_FOLLOWS_PER_SOCKET {
            return true;
        }
        let message =
            format!("this connection follows {MAX_FOLLOWS_PER_SOCKET} chats already; reconnect to follow others");
        self.frame(ServerFrame::error(Some(agent_id), Some(&chat.key), "too_many_follows", message)).await;
        false
    }

    /// Follows a chat (again): returns the snapshot of its run, and starts forwarding after
    /// `first` has been queued, so the client sees it before any later chunk.
    async fn follow(
        &mut self,
        chat: &ChatRef,
        agent_id: &str,
        first: impl FnOnce(Option<ActiveRunDto>) -> Option<ServerFrame>,
    ) {
        if let Some(old) = self.follows.remove(chat) {
            old.abort();
        }
        let mut follow = self.state.runs.follow(chat);
        if let Some(frame) = first(follow.active.take().map(ActiveRunDto::from)) {
            self.frame(frame).await;
        }
        let forwarder = forward(follow.updates, self.out.clone(), agent_id.to_string(), chat.key.clone());
        self.follows.insert(chat.clone(), forwarder);
    }

    async fn on_history(&mut self, agent_id: String, chat_id: Option<String>) {
        let Some((agent, key)) = self.target(&agent_id, chat_id.as_deref()).await else { return };
        let chat = ChatRef { user: self.principal.user_id, agent, key: key.clone() };
        if !self.may_follow(&chat, &agent_id).await {
            return;
        }
        let messages = match self.state.chat.history(&self.principal, agent, Some(&key)).await {
            Ok(messages) => messages,
            Err(e) => {
                self.frame(ServerFrame::error(Some(&agent_id), Some(&key), e.code(), e.to_string())).await;
                return;
            }
        };
        let dtos: Vec<MessageDto> = messages.iter().map(MessageDto::from).collect();
        let frame_agent = agent_id.clone();
        self.follow(&chat, &agent_id, move |active_run| {
            Some(ServerFrame::History { agent_id: frame_agent, chat_id: key, messages: dtos, active_run })
        })
        .await;
    }

    async fn on_message(
        &mut self,
        agent_id: String,
        content: String,
        chat_id: Option<String>,
        client_message_id: Option<String>,
    ) {
        let Some((agent, key)) = self.target(&agent_id, chat_id.as_deref()).await else { return };
        let chat = ChatRef { user: self.principal.user_id, agent, key: key.clone() };
        // Refused before anything is stored: the socket could not show the answer.
        if !self.may_follow(&chat, &agent_id).await {
            return;
        }
        // Followed before the run starts, so that no update of it is missed.
        if !self.follows.contains_key(&chat) {
            self.follow(&chat, &agent_id, |_| None).await;
        }
        let request = TurnRequest {
            agent_id: agent,
            chat_key: Some(key.clone()),
            content,
            client_message_id: client_message_id.clone(),
            channel: None,
        };
        let accepted = match self.state.runs.start(&self.principal, request).await {
            Ok(accepted) => accepted,
            Err(e) => {
                self.frame(ServerFrame::error(Some(&agent_id), Some(&key), e.code(), e.to_string())).await;
                return;
            }
        };
        // The ack is queued before the run makes its first update.
        self.frame(ServerFrame::Ack {
            agent_id,
            chat_id: key,
            session_id: accepted.session_id.to_string(),
            client_message_id,
            user_message_id: accepted.user_message_id.to_string(),
            message_id: accepted.message_id.to_string(),
        })
        .await;
        accepted.launch();
    }
}
