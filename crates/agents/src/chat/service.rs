//! The agent runtime: one run answers one user message. It builds the context, streams the model,
//! executes the tool calls the agent is granted (deny by default), feeds the results back and
//! repeats up to a step limit; every tool call is audited and every model call writes one usage
//! record. The loop is pure: time, storage, the model and the files are ports; cancellation is a
//! future the caller completes (abort, a newer message, shutdown).

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{FutureExt, StreamExt};
use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::{AgentId, ChatId, Clock, MessageId, Principal, RunId, StoreError, UsageId, UserId};
use pincer_usage::{UsageRecord, UsageSource, UsageStore, price_for};
use serde_json::json;

use super::context::{ContextBuilder, FinishedRun, RunHook};
use super::model::{Chat, DEFAULT_CHAT_KEY, Message, MessageRole, MessageStatus, ToolStep};
use super::ports::{
    ConversationStore, ModelClient, ModelError, ModelRequest, NewTurn, StopReason, StreamEvent, ToolCall, Turn,
};
use crate::AgentError;
use crate::model::Agent;
use crate::model_id::ModelId;
use crate::ports::Endpoint;
use crate::service::{AgentService, ProviderService};
use crate::tools::registry::denied_arguments;
use crate::tools::{ToolContext, ToolRegistry, ToolSet};

/// Bounds of one run.
#[derive(Clone, Copy, Debug)]
pub struct RunLimits {
    /// Model calls per run; a run that still wants tools after the last one ends as failed.
    pub max_steps: u32,
    /// The most tokens one answer may have.
    pub max_output_tokens: u32,
    /// Earlier messages sent to the model as history.
    pub history_messages: u32,
    /// The longest accepted user message, in characters.
    pub max_message_chars: usize,
}

impl Default for RunLimits {
    fn default() -> Self {
        Self { max_steps: 8, max_output_tokens: 4096, history_messages: 40, max_message_chars: 32_000 }
    }
}

/// The longest tool result preview kept in the conversation.
const RESULT_PREVIEW_CHARS: usize = 500;
/// The longest chat key (`chatId`) a client may use.
const MAX_CHAT_KEY_CHARS: usize = 64;

/// Why a turn was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChatError {
    /// Unknown, deleted or not visible: the same answer on purpose.
    #[error("Agent not found")]
    AgentNotFound,
    /// A field is missing, malformed or out of bounds.
    #[error("{0}")]
    InvalidInput(String),
    /// The agent has no model.
    #[error("this agent has no model yet; an admin must configure a provider")]
    NoModel,
    /// The provider of the agent's model is not configured.
    #[error("the provider of this agent's model is not configured")]
    ProviderMissing,
    /// The client message id was used in this chat already.
    #[error("this message was already received")]
    Duplicate,
    /// A monthly budget the turn falls under is spent.
    #[error("{0}")]
    BudgetExceeded(pincer_usage::budget::BudgetExceeded),
    /// The provider's key could not be decrypted.
    #[error("stored secret could not be decrypted")]
    SecretUnreadable,
    /// The store could not be reached.
    #[error("storage unavailable")]
    Unavailable,
}

impl ChatError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AgentNotFound => "agent_not_found",
            Self::InvalidInput(_) => "invalid_input",
            Self::NoModel => "agent_has_no_model",
            Self::ProviderMissing => "provider_not_configured",
            Self::Duplicate => "duplicate_message",
            Self::BudgetExceeded(_) => "budget_exceeded",
            Self::SecretUnreadable => "secret_unreadable",
            Self::Unavailable => "storage_unavailable",
        }
    }
}

impl From<StoreError> for ChatError {
    fn from(_: StoreError) -> Self {
        Self::Unavailable
    }
}

impl From<AgentError> for ChatError {
    fn from(e: AgentError) -> Self {
        match e {
            AgentError::AgentNotFound => Self::AgentNotFound,
            AgentError::ProviderNotFound => Self::ProviderMissing,
            AgentError::SecretUnreadable => Self::SecretUnreadable,
            AgentError::InvalidInput(m) => Self::InvalidInput(m),
            _ => Self::Unavailable,
        }
    }
}

/// What the runtime reports while a run goes, in order: `Thinking` first, then chunks and tool
/// steps, then exactly one `Finished`.
#[derive(Clone, Debug, PartialEq)]
pub enum RunEvent {
    /// The model is being asked (`tool: None`) or a tool is running.
    Thinking {
        /// The tool running, if one is.
        tool: Option<String>,
    },
    /// A piece of the answer.
    Chunk(String),
    /// A tool call made (or refused).
    Step(ToolStep),
    /// The run is over.
    Finished {
        /// How the answer ended.
        status: MessageStatus,
        /// Why it failed, if it did.
        error: Option<RunFailure>,
    },
}

/// Why a run failed, safe to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunFailure {
    /// The stable code (`provider_timeout`, `step_limit_reached`, …).
    pub code: &'static str,
    /// What went wrong, safe to show.
    pub message: String,
}

/// Where a run's events go (the WebSocket layer fans them out to every socket on the chat).
#[async_trait]
pub trait RunSink: Send {
    /// Receives one event.
    async fn emit(&mut self, event: RunEvent);
}

/// A run that has been accepted: the user message is stored, the assistant message exists (as
/// `Streaming`), and everything the loop needs is resolved.
#[derive(Debug)]
pub struct PreparedRun {
    /// The run.
    pub run_id: RunId,
    /// The chat it runs in.
    pub chat: Chat,
    /// The stored user message.
    pub user_message: Message,
    /// The assistant message it writes.
    pub assistant_message_id: MessageId,
    user_id: UserId,
    /// The channel the turn came through: named in its tool calls' audit events.
    channel: &'static str,
    agent: Agent,
    endpoint: Endpoint,
    provider: String,
    model: String,
    system: String,
    turns: Vec<Turn>,
}

/// The channel of a turn from the web app or the API.
pub const WEB_CHANNEL: &str = "web";

/// A user message for an agent, as a client sends it.
#[derive(Clone, Debug, Default)]
pub struct TurnRequest {
    /// The agent asked.
    pub agent_id: AgentId,
    /// The chat key (`main` when absent).
    pub chat_key: Option<String>,
    /// The message.
    pub content: String,
    /// The client's id for deduplicating resends.
    pub client_message_id: Option<String>,
    /// The channel the turn came through (`web` when absent): a new session records it.
    pub channel: Option<&'static str>,
}

/// What the chat service is built from.
pub struct ChatServiceDeps {
    /// Which agents the caller may use.
    pub agents: Arc<AgentService>,
    /// Where their models are.
    pub providers: Arc<ProviderService>,
    /// Chats and messages.
    pub conversations: Arc<dyn ConversationStore>,
    /// The ledger every model call writes to.
    pub usage: Arc<dyn UsageStore>,
    /// Streams model calls.
    pub model: Arc<dyn ModelClient>,
    /// The tools runs may be granted (the file tools, and whatever else is registered).
    pub tools: Arc<ToolRegistry>,
    /// Builds the system prompt.
    pub context: ContextBuilder,
    /// Called, in order, after every run (memory, channels, notifications).
    pub hooks: Vec<Arc<dyn RunHook>>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Where tool calls are recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Bounds of a run.
    pub limits: RunLimits,
    /// This node's id: recorded on the answers it streams.
    pub node: String,
    /// Tells which nodes are gone (their `node:<id>` lease is free).
    pub leases: Arc<dyn pincer_core::Leases>,
    /// Refuses a turn whose budget is spent, before the model is called.
    pub budget: Arc<dyn pincer_usage::budget::SpendGate>,
}

/// The lease a node holds for its whole life, so others can tell it is alive.
pub fn node_lease(node: &str) -> String {
    format!("node:{node}")
}

/// Runs turns: checks and stores them, then streams the model and runs granted tools.
pub struct ChatService {
    deps: ChatServiceDeps,
}

/// A chat key as the client gave it, or the default one.
pub fn chat_key(raw: Option<&str>) -> Result<String, ChatError> {
    let key = raw.map(str::trim).filter(|k| !k.is_empty()).unwrap_or(DEFAULT_CHAT_KEY);
    let ok = key.chars().count() <= MAX_CHAT_KEY_CHARS
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(key.to_string())
    } else {
        Err(ChatError::InvalidInput(format!(
            "chatId must be 1-{MAX_CHAT_KEY_CHARS} characters of A-Z, a-z, 0-9, '-', '_', '.', ':'"
        )))
    }
}

impl ChatService {
    /// The service over its dependencies.
    pub fn new(deps: ChatServiceDeps) -> Self {
        Self { deps }
    }

    /// The stored messages of a chat (newest `history_messages`, oldest first); empty when the
    /// chat does not exist yet.
    pub async fn history(
        &self,
        principal: &Principal,
        agent_id: AgentId,
        chat_key: Option<&str>,
    ) -> Result<Vec<Message>, ChatError> {
        let key = self::chat_key(chat_key)?;
        self.deps.agents.get(principal, agent_id).await?;
        match self.deps.conversations.find_chat(principal.user_id, agent_id, &key).await? {
            Some(chat) => {
                Ok(self.deps.conversations.recent_messages(chat.id, self.deps.limits.history_messages).await?)
            }
            None => Ok(Vec::new()),
        }
    }

    /// Checks and stores a user message and opens the assistant message that will answer it.
    pub async fn start(&self, principal: &Principal, req: TurnRequest) -> Result<PreparedRun, ChatError> {
        let key = chat_key(req.chat_key.as_deref())?;
        let content = req.content.trim();
        if content.is_empty() {
            return Err(ChatError::InvalidInput("content must not be empty".into()));
        }
        if content.chars().count() > self.deps.limits.max_message_chars {
            return Err(ChatError::InvalidInput(format!(
                "content must be at most {} characters",
                self.deps.limits.max_message_chars
            )));
        }
        let client_message_id = match req.client_message_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) if id.len() <= 100 && !id.chars().any(char::is_control) => Some(id.to_string()),
            Some(_) => return Err(ChatError::InvalidInput("clientMessageId must be at most 100 characters".into())),
        };
        let agent = self.deps.agents.get(principal, req.agent_id).await?;
        let model_id = agent.model.as_deref().ok_or(ChatError::NoModel)?;
        let model = ModelId::parse(model_id).map_err(|_| ChatError::NoModel)?;
        let endpoint = self.deps.providers.endpoint_for(&model.provider).await?;
        self.deps.budget.admit(principal.user_id, agent.id).await.map_err(ChatError::BudgetExceeded)?;
        let context = self.deps.context.context(principal, &agent).await?;

        let now = self.deps.clock.now();
        let run_id = RunId::new();
        let user_message = Message {
            id: MessageId::new(),
            // Set by the store to the chat the turn opens in.
            chat_id: ChatId::new(),
            role: MessageRole::User,
            content: content.to_string(),
            status: MessageStatus::Complete,
            steps: Vec::new(),
            client_message_id,
            run_id: Some(run_id),
            error: None,
            created_at: now,
            updated_at: now,
        };
        let assistant = Message {
            id: MessageId::new(),
            role: MessageRole::Assistant,
            content: String::new(),
            status: MessageStatus::Streaming,
            client_message_id: None,
            ..user_message.clone()
        };
        let node = self.deps.node.clone();
        let title = super::sessions::default_title(&user_message.content);
        let channel = req.channel.unwrap_or(WEB_CHANNEL);
        let mut turn = NewTurn {
            user: principal.user_id,
            agent: agent.id,
            key,
            now,
            user_message,
            assistant,
            node,
            title,
            channel,
        };
        // One transaction and one trip: the chat, its history, both messages; the memory lookup
        // (which cannot fail) reads meanwhile.
        let (memories, opened) = futures::join!(
            self.deps.context.memories(principal, content),
            self.deps.conversations.open_turn(&mut turn, self.deps.limits.history_messages)
        );
        let (chat, history) = match opened {
            Ok(opened) => opened,
            Err(StoreError::Conflict(pincer_core::Rule::ClientMessageId)) => return Err(ChatError::Duplicate),
            Err(e) => return Err(e.into()),
        };
        let system = super::context::run_prompt(principal, &agent, &context, &memories);
        let NewTurn { user_message, assistant, .. } = turn;

        let mut turns = history_turns(&history);
        turns.push(Turn::User { text: user_message.content.clone() });
        Ok(PreparedRun {
            run_id,
            chat,
            user_message,
            assistant_message_id: assistant.id,
            user_id: principal.user_id,
            channel,
            agent,
            endpoint,
            provider: model.provider,
            model: model.model,
            system,
            turns,
        })
    }

    /// Runs the loop until the answer is complete, it fails, or `cancel` completes. The assistant
    /// message is stored at every step and at the end, whatever the outcome.
    pub async fn run<C>(&self, run: PreparedRun, sink: &mut dyn RunSink, cancel: C) -> MessageStatus
    where
        C: Future<Output = ()> + Send,
    {
        let mut cancel = std::pin::pin!(cancel.fuse());
        let mut state = RunState { text: String::new(), steps: Vec::new(), turns: run.turns.clone() };
        sink.emit(RunEvent::Thinking { tool: None }).await;
        let offered = self.deps.tools.offer(&run.tool_context()).await;
        let tools = offered.specs();
        for step in 0..self.deps.limits.max_steps {
            let request = ModelRequest {
                endpoint: run.endpoint.clone(),
                model: run.model.clone(),
                system: run.system.clone(),
                turns: state.turns.clone(),
                tools: tools.clone(),
                max_output_tokens: self.deps.limits.max_output_tokens,
            };
            let mut step_text = String::new();
            let mut calls: Vec<ToolCall> = Vec::new();
            let outcome = futures::select_biased! {
                () = cancel.as_mut() => Err(None),
                result = self.stream_step(&run, step, request, sink, &mut step_text, &mut calls).fuse() => {
                    result.map_err(Some)
                }
            };
            if let Err(error) = outcome {
                // What arrived before the cancellation or the failure is kept.
                state.text.push_str(&step_text);
                let (status, failure) = match error {
                    None => (MessageStatus::Aborted, None),
                    Some(e) => (MessageStatus::Failed, Some(RunFailure { code: e.code(), message: e.to_string() })),
                };
                return self.finish(&run, &state, sink, status, failure).await;
            }
            state.text.push_str(&step_text);
            if calls.is_empty() {
                return self.finish(&run, &state, sink, MessageStatus::Complete, None).await;
            }
            state.turns.push(Turn::Assistant { text: step_text, tool_calls: calls.clone() });
            for call in calls {
                sink.emit(RunEvent::Thinking { tool: Some(call.name.clone()) }).await;
                let (step, content) = self.execute_tool(&run, &offered, &call).await;
                state.turns.push(Turn::ToolResult {
                    call_id: call.id.clone(),
                    name: call.name.clone(),
                    content,
                    is_error: step.is_error,
                });
                state.steps.push(step.clone());
                sink.emit(RunEvent::Step(step)).await;
            }
            self.save(&run, &state, MessageStatus::Streaming, None).await;
        }
        let failure = RunFailure {
            code: "step_limit_reached",
            message: format!("the agent did not finish within {} steps", self.deps.limits.max_steps),
        };
        self.finish(&run, &state, sink, MessageStatus::Failed, Some(failure)).await
    }

    /// One model call, streamed to the sink; its text and tool calls accumulate in `text` and
    /// `calls`, so what arrived survives a cancellation (which drops this future and with it the
    /// upstream stream). A stream that ends without finishing is `BrokenStream`.
    async fn stream_step(
        &self,
        run: &PreparedRun,
        step: u32,
        request: ModelRequest,
        sink: &mut dyn RunSink,
        text: &mut String,
        calls: &mut Vec<ToolCall>,
    ) -> Result<(), ModelError> {
        let mut stream = self.deps.model.stream(request).await?;
        loop {
            match stream.next().await {
                Some(Ok(StreamEvent::Text(delta))) => {
                    if !delta.is_empty() {
                        text.push_str(&delta);
                        sink.emit(RunEvent::Chunk(delta)).await;
                    }
                }
                Some(Ok(StreamEvent::ToolCall(call))) => calls.push(call),
                Some(Ok(StreamEvent::Finished { stop, tokens })) => {
                    self.record_usage(run, step, tokens).await;
                    if stop == StopReason::Refusal {
                        return Err(ModelError::Refused);
                    }
                    // A model that says it is done but also asked for tools gets its tools run.
                    if stop == StopReason::ToolUse && calls.is_empty() {
                        return Err(ModelError::BadResponse);
                    }
                    return Ok(());
                }
                Some(Err(error)) => return Err(error),
                None => return Err(ModelError::BrokenStream),
            }
        }
    }

    /// Runs one tool call: refused and audited as `tool.denied` unless this run was offered the
    /// tool (its agent is granted it); otherwise run by its provider and audited under the
    /// provider's event (`tool.pinchy_read`). Returns the step and the content the model sees.
    async fn execute_tool(&self, run: &PreparedRun, offered: &ToolSet, call: &ToolCall) -> (ToolStep, String) {
        let actor = Actor::User(run.user_id.to_string());
        let resource = format!("agent:{}", run.agent.id);
        let ctx = run.tool_context();
        let Some(done) = self.deps.tools.call(&ctx, offered, &call.name, &call.arguments).await else {
            let name: String = call.name.chars().take(100).collect();
            let arguments = denied_arguments(&call.arguments);
            self.deps
                .audit
                .record(
                    AuditEvent::new(actor, "tool.denied")
                        .resource(resource)
                        .detail(json!({"tool": name, "arguments": arguments, "channel": run.channel}))
                        .failed(),
                )
                .await;
            let content = format!("access denied: this agent is not allowed to use the tool {name}");
            let step = ToolStep {
                call_id: call.id.clone(),
                name,
                arguments,
                result_preview: content.clone(),
                is_error: true,
                denied: true,
            };
            return (step, content);
        };
        let (content, is_error) = match done.result {
            Ok(text) => (text, false),
            Err(e) => (e.0, true),
        };
        let mut event = AuditEvent::new(actor, done.event_type).resource(resource).detail(json!({
            "arguments": done.arguments,
            "error": is_error.then(|| content.clone()),
            "channel": run.channel,
        }));
        if is_error {
            event = event.failed();
        }
        self.deps.audit.record(event).await;
        let step = ToolStep {
            call_id: call.id.clone(),
            name: call.name.clone(),
            arguments: done.arguments,
            result_preview: content.chars().take(RESULT_PREVIEW_CHARS).collect(),
            is_error,
            denied: false,
        };
        (step, content)
    }

    async fn record_usage(&self, run: &PreparedRun, step: u32, tokens: pincer_usage::TokenCounts) {
        let record = UsageRecord {
            id: UsageId::new(),
            user_id: Some(run.user_id),
            agent_id: Some(run.agent.id),
            provider: run.provider.clone(),
            model: run.model.clone(),
            tokens,
            cost_nanos: price_for(&run.provider, &run.model).map(|p| p.cost_nanos(tokens)),
            source: UsageSource::Chat,
            run_id: run.run_id,
            step,
            created_at: self.deps.clock.now(),
        };
        // The ledger must not break a chat; a failed write is retried by nobody and shows up
        // as a missing record (the store logs it).
        let _ = self.deps.usage.record(&record).await;
    }

    async fn save(&self, run: &PreparedRun, state: &RunState, status: MessageStatus, error: Option<&str>) {
        let _ = self
            .deps
            .conversations
            .update_message(run.assistant_message_id, &state.text, status, &state.steps, error, self.deps.clock.now())
            .await;
    }

    async fn finish(
        &self,
        run: &PreparedRun,
        state: &RunState,
        sink: &mut dyn RunSink,
        status: MessageStatus,
        error: Option<RunFailure>,
    ) -> MessageStatus {
        self.save(run, state, status, error.as_ref().map(|e| e.code)).await;
        sink.emit(RunEvent::Finished { status, error }).await;
        if !self.deps.hooks.is_empty() {
            let finished = FinishedRun {
                run_id: run.run_id,
                user: run.user_id,
                agent: run.agent.id,
                chat: run.chat.id,
                message_id: run.assistant_message_id,
                status,
                text: state.text.clone(),
            };
            for hook in &self.deps.hooks {
                hook.run_finished(&finished).await;
            }
        }
        status
    }

    /// At start: answers left `Streaming` by nodes that are gone become `Interrupted`. A node is
    /// gone when its lease (`node:<id>`, held for its whole life) can be taken; answers other
    /// live replicas are writing stay as they are.
    pub async fn interrupt_leftovers(&self) -> Result<u64, ChatError> {
        let mut interrupted = 0;
        for node in self.deps.conversations.streaming_nodes().await? {
            if node.as_deref() == Some(self.deps.node.as_str()) {
                continue;
            }
            // Held while its answers are marked, so the node cannot come back meanwhile.
            let _gone = match &node {
                Some(node) => match self.deps.leases.try_acquire(&node_lease(node)).await? {
                    Some(lease) => Some(lease),
                    None => continue,
                },
                None => None,
            };
            interrupted += self.deps.conversations.interrupt_streaming(node.as_deref(), self.deps.clock.now()).await?;
        }
        Ok(interrupted)
    }
}

impl PreparedRun {
    fn tool_context(&self) -> ToolContext<'_> {
        ToolContext { agent: &self.agent, user: self.user_id, run_id: self.run_id, chat: self.chat.id }
    }
}

/// What a run has produced so far.
struct RunState {
    text: String,
    steps: Vec<ToolStep>,
    turns: Vec<Turn>,
}

/// Earlier messages as model turns: user messages and assistant answers with text (tool steps of
/// earlier runs are not replayed; their outcome is in the answer).
fn history_turns(history: &[Message]) -> Vec<Turn> {
    history
        .iter()
        .filter(|m| !m.content.trim().is_empty())
        .map(|m| match m.role {
            MessageRole::User => Turn::User { text: m.content.clone() },
            MessageRole::Assistant => Turn::Assistant { text: m.content.clone(), tool_calls: Vec::new() },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pincer_core::{ChatId, Timestamp};

    fn message(role: MessageRole, content: &str, status: MessageStatus) -> Message {
        Message {
            id: MessageId::new(),
            chat_id: ChatId::new(),
            role,
            content: content.into(),
            status,
            steps: Vec::new(),
            client_message_id: None,
            run_id: None,
            error: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn history_keeps_text_turns_and_drops_empty_answers() {
        let history = [
            message(MessageRole::User, "Hi", MessageStatus::Complete),
            message(MessageRole::Assistant, "", MessageStatus::Failed),
            message(MessageRole::User, "Again", MessageStatus::Complete),
            message(MessageRole::Assistant, "Half", MessageStatus::Aborted),
        ];
        assert_eq!(
            history_turns(&history),
            [
                Turn::User { text: "Hi".into() },
                Turn::User { text: "Again".into() },
                Turn::Assistant { text: "Half".into(), tool_calls: Vec::new() },
            ]
        );
    }

    #[test]
    fn chat_keys_default_and_are_bounded() {
        assert_eq!(chat_key(None).as_deref(), Ok(DEFAULT_CHAT_KEY));
        assert_eq!(chat_key(Some("  ")).as_deref(), Ok(DEFAULT_CHAT_KEY));
        assert_eq!(chat_key(Some("project:alpha-1")).as_deref(), Ok("project:alpha-1"));
        for bad in ["has space", "slash/x", &"k".repeat(65), "ünï"] {
            assert!(matches!(chat_key(Some(bad)), Err(ChatError::InvalidInput(_))), "{bad}");
        }
    }
}
