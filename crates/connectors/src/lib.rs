//! Outbound adapters other than the LLM providers. So far: [`documents`], the documents root on
//! the local filesystem (the `DocumentFolders` port of the agents domain), [`files`], the files
//! the agents' file tools read (`DocumentReader`), and [`telegram`], the Telegram Bot API (the
//! `ChannelTransport` port of the channels domain). Odoo JSON-RPC, MCP and cloudflared come
//! next, one module each.

pub mod cloudflared;
pub mod documents;
pub mod files;
pub mod telegram;

pub use documents::LocalDocumentFolders;
pub use files::LocalDocuments;
pub use telegram::{DEFAULT_TELEGRAM_API_URL, TelegramBotApi};
