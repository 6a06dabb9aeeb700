//! What happens to a message someone sends to a bound account: an unlinked sender gets a pairing
//! code and nothing reaches a model; a linked one talks, as themselves, to the binding's agent
//! (their own personal agent through the main bot) if they may see it — the same runs, tool
//! grants, budgets, usage and audit as in the browser, in a session of theirs with the channel's
//! name. The answer streams back as edits of one message (at most one edit a second, "typing…"
//! while the model thinks), split at the transport's length limit.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::future::{Either, select};
use pincer_agents::chat::runs::{Delivery, RunUpdate};
use pincer_agents::chat::{ChatError, ChatRef, Follow, RunCoordinator, StartError, TurnRequest};
use pincer_agents::service::AgentService;
use pincer_agents::{AgentError, chat::MessageStatus};
use pincer_core::{Clock, Credential, Principal};
use pincer_identity::UserStore;
use pincer_identity::pairing::Pairings;
use pincer_identity::rate_limit::RateLimiter;

use crate::bindings::{Binding, ChannelStore, Target};
use crate::supervisor::Tally;
use crate::telegram::format::split;
use crate::transport::{ChannelRuntime, ChannelTransport, Inbound, TransportError};

/// How long a pairing code works.
pub const PAIRING_TTL_MS: i64 = 10 * 60_000;
/// Codes one sender is given per [`PAIRING_TTL_MS`]: writing again does not mint code after code.
const CODES_PER_SENDER: u32 = 3;
/// The shortest time between two edits of an answer (Telegram allows about one a second per chat).
const EDIT_EVERY: Duration = Duration::from_secs(1);
/// How long the first piece of an answer waits for more before it is sent: an answer written
/// within it goes out whole, in one message instead of a word and an edit a second later.
const FIRST_SEND_AFTER: Duration = Duration::from_millis(300);
/// How often "typing…" is renewed while the model thinks (Telegram shows it for 5 seconds).
const TYPING_EVERY: Duration = Duration::from_secs(4);
/// Tries of the last edit of an answer when the transport asks to slow down.
const FINAL_TRIES: u32 = 4;

/// What the relay needs.
pub struct RelayDeps {
    /// Links and threads.
    pub store: Arc<dyn ChannelStore>,
    /// The linked users.
    pub users: Arc<dyn UserStore>,
    /// Which agent answers, and whether the sender may see it.
    pub agents: Arc<AgentService>,
    /// Starts, follows and stops runs.
    pub runs: Arc<RunCoordinator>,
    /// Pairing codes for unlinked senders.
    pub pairings: Arc<Pairings>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Tasks and timers.
    pub runtime: Arc<dyn ChannelRuntime>,
}

/// A binding as its receiver runs it: the binding, its opened credential and its transport.
#[derive(Clone)]
pub struct Bound {
    /// The binding.
    pub binding: Binding,
    /// Its credential, opened.
    pub secret: Arc<str>,
    /// Its transport.
    pub transport: Arc<dyn ChannelTransport>,
    /// Where its messages are counted.
    pub tally: Arc<Tally>,
}

impl Bound {
    /// Sends a short text on a task of its own (the receiver does not wait for it).
    fn reply(&self, runtime: &Arc<dyn ChannelRuntime>, conversation: &str, text: String) {
        let (bound, conversation) = (self.clone(), conversation.to_string());
        runtime.spawn(Box::pin(async move {
            if bound.transport.send(&bound.secret, &conversation, &text).await.is_ok() {
                bound.tally.count_out(bound.binding.id);
            }
        }));
    }
}

/// Relays messages (see the module notes).
pub struct Relay {
    deps: RelayDeps,
    codes: RateLimiter,
}

/// A chat command, from a message's first word (`/new@some_bot` names the bot too).
fn command(text: &str) -> Option<String> {
    let first = text.split_whitespace().next()?;
    let name = first.strip_prefix('/')?;
    let name = name.split('@').next().unwrap_or_default();
    Some(name.to_ascii_lowercase())
}

impl Relay {
    /// The relay over its dependencies.
    pub fn new(deps: RelayDeps) -> Self {
        Self { deps, codes: RateLimiter::new(CODES_PER_SENDER, PAIRING_TTL_MS) }
    }

    /// Handles one message: when this returns, a turn it starts is stored (so the receiver may
    /// move its cursor past it); the answer streams on a task of its own.
    pub async fn handle(&self, bound: &Bound, message: Inbound) {
        bound.tally.count_in(bound.binding.id);
        // One to one only: in a group, the people writing are not the people linked.
        if !message.private {
            return;
        }
        let conversation = message.conversation.clone();
        let reply = |text: String| bound.reply(&self.deps.runtime, &conversation, text);
        let transport = bound.binding.transport;
        let link = match self.deps.store.link_of_identity(transport, &message.sender).await {
            Ok(link) => link,
            Err(_) => return reply("Something went wrong on our side; please try again in a minute.".into()),
        };
        let Some(link) = link else {
            return self.offer_pairing(bound, &message, reply).await;
        };
        let user = match self.deps.users.get(link.user_id).await {
            Ok(Some(user)) if !user.banned => user,
            Ok(_) => return reply("The Pincer account linked to this chat cannot sign in any more.".into()),
            Err(_) => return reply("Something went wrong on our side; please try again in a minute.".into()),
        };
        let principal =
            Principal { user_id: user.id, role: user.role, name: user.name, credential: Credential::Channel };
        let agent = match bound.binding.target {
            Target::Personal => self.deps.agents.ensure_personal(user.id).await,
            Target::Agent(id) => self.deps.agents.get(&principal, id).await,
        };
        let agent = match agent {
            Ok(agent) => agent,
            Err(AgentError::AgentNotFound) => return reply("You do not have access to this agent.".into()),
            Err(_) => return reply("Something went wrong on our side; please try again in a minute.".into()),
        };
        let Some(text) = message.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            return reply("I can read text messages only.".into());
        };
        let thread = self.deps.store.thread(bound.binding.id, &conversation, user.id).await;
        let thread = match thread {
            Ok(thread) => thread,
            Err(_) => return reply("Something went wrong on our side; please try again in a minute.".into()),
        };
        match command(text).as_deref() {
            Some("start") | Some("help") => {
                let hello = format!(
                    "Hi {}! You are talking to {}. Send /new to start a new conversation and /stop to stop an answer.",
                    principal.name, agent.name
                );
                return reply(hello);
            }
            Some("new") => {
                let key = self.new_thread(bound, &conversation, &principal).await;
                return reply(if key.is_some() { "Started a new conversation." } else { "Please try again." }.into());
            }
            Some("stop") => {
                let stopped =
                    thread.is_some_and(|key| self.deps.runs.cancel(&ChatRef { user: user.id, agent: agent.id, key }));
                return reply(if stopped { "Stopped." } else { "Nothing to stop." }.into());
            }
            _ => {}
        }
        let key = match thread {
            Some(key) => key,
            None => match self.new_thread(bound, &conversation, &principal).await {
                Some(key) => key,
                None => return reply("Something went wrong on our side; please try again in a minute.".into()),
            },
        };
        let turn = TurnRequest {
            agent_id: agent.id,
            chat_key: Some(key),
            content: text.to_string(),
            client_message_id: Some(format!("{}-{}", transport.as_str(), message.message_id)),
            channel: Some(transport.as_str()),
        };
        let accepted = match self.deps.runs.start(&principal, turn).await {
            Ok(accepted) => accepted,
            // Received before a restart and started then: its answer was written then.
            Err(StartError::Chat(ChatError::Duplicate)) => return,
            Err(refused) => return reply(refused.to_string()),
        };
        let follow = self.deps.runs.follow(&accepted.chat);
        let chat = accepted.chat.clone();
        accepted.launch();
        let answer = Answer {
            bound: bound.clone(),
            conversation,
            runs: self.deps.runs.clone(),
            clock: self.deps.clock.clone(),
            runtime: self.deps.runtime.clone(),
            chat,
        };
        self.deps.runtime.spawn(Box::pin(answer.stream(follow)));
    }

    /// A new session for the conversation (`/new`, or the first message).
    async fn new_thread(&self, bound: &Bound, conversation: &str, principal: &Principal) -> Option<String> {
        let now = self.deps.clock.now();
        let key = format!("{}-{}", bound.binding.transport.as_str(), now.millis());
        let set = self.deps.store.set_thread(bound.binding.id, conversation, principal.user_id, &key, now).await;
        set.ok().map(|()| key)
    }

    /// An unlinked sender: a code to enter in the web app, a few per ten minutes.
    async fn offer_pairing(&self, bound: &Bound, message: &Inbound, reply: impl Fn(String)) {
        let transport = bound.binding.transport;
        let now = self.deps.clock.now();
        let key = self.codes.key((transport.as_str(), message.sender.as_str()));
        if self.codes.acquire(key, false, now).is_err() {
            return reply("Enter the code I sent you on your Pincer profile page (Profile → Telegram).".into());
        }
        match self.deps.pairings.issue(transport.pairing_purpose(), &message.sender, PAIRING_TTL_MS).await {
            Ok(issued) => reply(format!(
                "This Telegram account is not linked to Pincer yet. Sign in to Pincer, open your profile, and enter this code under Telegram within 10 minutes:\n\n`{}`",
                issued.code.expose()
            )),
            Err(_) => reply("Something went wrong on our side; please try again in a minute.".into()),
        }
    }
}

/// An answer streamed into a conversation as it is written.
struct Answer {
    bound: Bound,
    conversation: String,
    runs: Arc<RunCoordinator>,
    clock: Arc<dyn Clock>,
    runtime: Arc<dyn ChannelRuntime>,
    chat: ChatRef,
}

/// The messages an answer was sent as so far: id and text of each.
#[derive(Default)]
struct Sent {
    parts: Vec<(String, String)>,
}

impl Answer {
    async fn stream(self, follow: Follow) {
        let Follow { active, mut updates } = follow;
        let mut text = active.map(|a| a.content).unwrap_or_default();
        let (mut sent, mut failure, mut status) = (Sent::default(), None, None);
        // When the next edit may go out: a second after the last, or when the transport said.
        let mut next_at = 0_i64;
        let mut dirty = !text.is_empty();
        let _ = self.bound.transport.typing(&self.bound.secret, &self.conversation).await;
        loop {
            let now = self.clock.now().millis();
            if dirty && now >= next_at {
                next_at = match self.flush(&mut sent, &text).await {
                    Err(TransportError::RateLimited(secs)) => now + secs_millis(secs),
                    _ => {
                        dirty = false;
                        now + millis(EDIT_EVERY)
                    }
                };
                continue;
            }
            let wait = if dirty { Duration::from_millis((next_at - now).unsigned_abs()) } else { TYPING_EVERY };
            let next = updates.next();
            match select(next, self.runtime.sleep(wait)).await {
                Either::Left((Some(Delivery::Update(update)), _)) => match update.as_ref() {
                    RunUpdate::Chunk { text: piece, .. } => {
                        if sent.parts.is_empty() && !dirty {
                            next_at = next_at.max(self.clock.now().millis() + millis(FIRST_SEND_AFTER));
                        }
                        text.push_str(piece);
                        dirty = true;
                    }
                    RunUpdate::Failed { failure: why, .. } => failure = Some(why.message.clone()),
                    RunUpdate::Done { status: done, .. } => status = Some(*done),
                    RunUpdate::Complete { .. } => break,
                    RunUpdate::Thinking { .. } => {}
                },
                // Fell behind: the text so far, then on from there.
                Either::Left((Some(Delivery::Lagged), _)) => {
                    let again = self.runs.follow(&self.chat);
                    if let Some(active) = again.active {
                        text = active.content;
                        dirty = true;
                    }
                    updates = again.updates;
                }
                Either::Left((None, _)) => break,
                Either::Right(_) => {
                    if sent.parts.is_empty() && !dirty {
                        let _ = self.bound.transport.typing(&self.bound.secret, &self.conversation).await;
                    }
                }
            }
        }
        let mut last = text.trim_end().to_string();
        match (failure, status) {
            (Some(why), _) => {
                last = if last.is_empty() { format!("⚠️ {why}") } else { format!("{last}\n\n⚠️ {why}") }
            }
            (None, Some(MessageStatus::Aborted)) if last.is_empty() => last = "(stopped)".into(),
            _ if last.is_empty() => last = "(no answer)".into(),
            _ => {}
        }
        let max = self.bound.transport.max_message_chars();
        let shown: Vec<&str> = sent.parts.iter().map(|(_, text)| text.as_str()).collect();
        if split(&last, max) == shown {
            return;
        }
        for _ in 0..FINAL_TRIES {
            let wait = next_at - self.clock.now().millis();
            if wait > 0 {
                self.runtime.sleep(Duration::from_millis(wait.unsigned_abs())).await;
            }
            match self.flush(&mut sent, &last).await {
                Err(TransportError::RateLimited(secs)) => next_at = self.clock.now().millis() + secs_millis(secs),
                _ => break,
            }
        }
    }

    /// Brings the conversation up to `text`: each piece edited where it changed, new pieces
    /// sent.
    async fn flush(&self, sent: &mut Sent, text: &str) -> Result<(), TransportError> {
        let max = self.bound.transport.max_message_chars();
        let (secret, conversation) = (&self.bound.secret, self.conversation.as_str());
        for (i, piece) in split(text, max).into_iter().enumerate() {
            if piece.trim().is_empty() {
                continue;
            }
            match sent.parts.get_mut(i) {
                Some((_, shown)) if *shown == piece => {}
                Some((id, shown)) => {
                    match self.bound.transport.edit(secret, conversation, id, &piece).await {
                        // "Not modified": the same text after formatting.
                        Ok(()) | Err(TransportError::Refused(_)) => {}
                        Err(e) => return Err(e),
                    }
                    *shown = piece;
                }
                None => {
                    let id = self.bound.transport.send(secret, conversation, &piece).await?;
                    self.bound.tally.count_out(self.bound.binding.id);
                    sent.parts.push((id, piece));
                }
            }
        }
        Ok(())
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn secs_millis(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_the_first_word_with_or_without_the_bot_name() {
        assert_eq!(command("/new").as_deref(), Some("new"));
        assert_eq!(command("  /STOP now").as_deref(), Some("stop"));
        assert_eq!(command("/new@pincer_bot").as_deref(), Some("new"));
        assert_eq!(command("hello /new"), None);
        assert_eq!(command(""), None);
    }
}
