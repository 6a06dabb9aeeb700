//! Dev-only test harness: fresh databases, in-memory stores, the real `pincer` binary on an
//! ephemeral port, and fake upstreams that speak genuine wire formats.

pub mod db;
pub mod fakes;
pub mod licence;
pub mod memory;
pub mod server;

pub use db::TestDatabase;
pub use fakes::{
    Behaviour, ClosedPort, FakeKind, FakeModel, FakeProvider, FakeReply, FakeStop, FakeTelegram, FakeToolCall,
    FakeUsage, RecordedRequest, TelegramCall,
};
pub use server::TestServer;
