//! Telegram: what is particular to Telegram and independent of the Bot API client (which is an
//! adapter in `connectors`): the formatting of answers ([`format`](mod@format)).

pub mod format;

/// The most characters of one Telegram message.
pub const MAX_MESSAGE_CHARS: usize = format::MAX_MESSAGE_CHARS;
