//! LLM provider adapters over reqwest. So far: [`HttpModelLister`], the `ModelLister` port of the
//! agents domain over each provider's genuine model-list endpoint (the live credential check and
//! the model catalogue). The streaming chat clients come next, one module per wire format.
//!
//! Every outbound request goes through the SSRF guard in `upstream`: the URL's host is resolved
//! once, every address checked against `pincer_integrations::ssrf`, and the client pinned to the
//! checked addresses, with redirects and proxies off. Keys travel only in headers marked
//! sensitive; neither keys nor upstream bodies ever reach a log or an error.

mod anthropic;
mod google;
mod lister;
mod ollama;
mod openai;
mod upstream;

pub use lister::{DEFAULT_TIMEOUT, HttpModelLister, MAX_PAGES};
