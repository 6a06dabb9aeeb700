//! Outbound adapters other than the LLM providers. So far: [`documents`], the documents root on
//! the local filesystem (the `DocumentFolders` port of the agents domain). The Telegram Bot API,
//! Odoo JSON-RPC, MCP and cloudflared come next, one module each.

pub mod documents;

pub use documents::LocalDocumentFolders;
