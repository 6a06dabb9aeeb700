//! LLM provider adapters over reqwest: [`HttpModelLister`], the `ModelLister` port of the agents
//! domain over each provider's genuine model-list endpoint (the live credential check and the
//! model catalogue), and [`HttpModelClient`], the `ModelClient` port: streamed chat with tool
//! calls and token usage over each provider's genuine wire format (`chat`, one module per format).
//!
//! Every outbound request goes through the guarded client of `pincer_outbound`: the URL's host
//! is resolved once, every address checked against the SSRF policy, and the client pinned to the
//! checked addresses, with redirects and proxies off. Keys travel only in headers marked
//! sensitive; neither keys nor upstream bodies ever reach a log or an error.

mod anthropic;
mod chat;
mod google;
mod lister;
mod ollama;
mod openai;
mod upstream;

pub use chat::{ClientTimeouts, HttpModelClient};
pub use lister::{DEFAULT_TIMEOUT, HttpModelLister, MAX_PAGES};
