//! Telegram: what the bindings of agents to Telegram bots need that does not depend on the Bot
//! API client. So far the formatting of answers ([`format`](mod@format)); bindings, pairing and the receiver
//! come with the rest of the channel layer.

pub mod format;
