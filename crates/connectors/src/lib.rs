//! Outbound adapters other than the LLM providers. So far: [`documents`], the documents root on
//! the local filesystem (the `DocumentFolders` port of the agents domain), and [`files`], the
//! files the agents' file tools read (`DocumentReader`). The Telegram Bot API,
//! Odoo JSON-RPC, MCP and cloudflared come next, one module each.

pub mod documents;
pub mod files;

pub use documents::LocalDocumentFolders;
pub use files::LocalDocuments;
