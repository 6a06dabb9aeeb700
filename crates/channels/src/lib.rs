//! Channels (upcoming): bindings of agents to Telegram, Slack, Discord, WhatsApp and webhooks,
//! pairing, and the inbound/outbound message model behind a `ChannelTransport` port. Empty until
//! the channels issue builds it; the crate exists so the dependency rules already place it.

#![warn(missing_docs)]
