//! Fake upstreams that speak the genuine wire formats of the services Pincer calls, each on its own
//! ephemeral port on 127.0.0.1. The real binary (black-box tests) and the adapters' own tests
//! connect to them over real HTTP; every fake keeps a log of what it received, so a test can
//! assert what was sent, and that nothing was.
//!
//! So far: the LLM providers ([`provider`]) and the Telegram Bot API ([`telegram`]). Other fakes
//! (Odoo, MCP, …) reuse the same server scaffolding ([`server::FakeServer`]).

pub mod closed_port;
pub mod provider;
pub mod server;
pub mod telegram;

pub use closed_port::ClosedPort;
pub use provider::{
    Behaviour, FakeKind, FakeModel, FakeProvider, FakeProviderBuilder, FakeReply, FakeStop, FakeToolCall, FakeUsage,
    RecordedRequest,
};
pub use server::FakeServer;
pub use telegram::{FakeTelegram, TelegramCall};
