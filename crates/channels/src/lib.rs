//! Channels: the ways people and systems reach agents besides the web app. Inbound webhooks
//! ([`webhooks`]) come first; Telegram, Slack, Discord and WhatsApp bindings, pairing and the
//! inbound/outbound message model behind a `ChannelTransport` port follow.

#![warn(missing_docs)]

pub mod telegram;
pub mod webhooks;
