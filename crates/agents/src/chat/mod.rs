//! Chat: conversations and the agent runtime loop, with the tools it is granted (`crate::tools`).

pub mod context;
pub mod coordinator;
pub mod model;
pub mod ports;
pub mod prompt;
pub mod runs;
pub mod service;
pub mod sessions;

pub use context::{ContextBuilder, FinishedRun, RunHook};
pub use coordinator::{AcceptedRun, BoxedRun, RunCoordinator, RunSpawner, StartError};
pub use model::{Chat, DEFAULT_CHAT_KEY, Message, MessageRole, MessageStatus, ToolStep};
pub use ports::{
    ConversationStore, ModelClient, ModelError, ModelRequest, ModelStream, NewTurn, StopReason, StreamEvent, ToolCall,
    ToolSpec, Turn,
};
pub use runs::{ActiveRun, ChatRef, Delivery, Follow, RunRegistry, RunUpdate, Updates};
pub use service::{
    ChatError, ChatService, ChatServiceDeps, PreparedRun, RunEvent, RunFailure, RunLimits, RunSink, TurnRequest,
};
