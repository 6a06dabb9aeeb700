//! Channels: the ways people and systems reach agents besides the web app.
//!
//! - [`bindings`]: an agent bound to a transport's account (a Telegram bot), users' linked
//!   identities, and the [`bindings::ChannelStore`] port;
//! - [`transport`]: the [`transport::ChannelTransport`] port adapters implement, and the
//!   inbound/outbound message model;
//! - [`service`]: binding, unbinding, toggling and linking (admins and users);
//! - [`supervisor`] and [`relay`]: one receiver per binding, and what a received message becomes;
//! - [`webhooks`]: inbound webhooks, a channel of their own;
//! - [`telegram`]: what is particular to Telegram and not its wire protocol.

#![warn(missing_docs)]

pub mod bindings;
pub mod relay;
pub mod service;
pub mod supervisor;
pub mod telegram;
pub mod transport;
pub mod webhooks;

pub use bindings::{Binding, ChannelStore, Link, Target, Transport};
pub use relay::{PAIRING_TTL_MS, Relay, RelayDeps};
pub use service::{BindingStatus, BotConfig, ChannelDeps, ChannelError, Channels};
pub use supervisor::{Health, ReceiverState, Supervisor, SupervisorDeps};
pub use transport::{Account, ChannelRuntime, ChannelTransport, Inbound, Received, TransportError};
