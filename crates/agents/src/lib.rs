//! Agents: the governed catalogue (templates, agents, tool grants, providers and models) and, in
//! later steps, conversations and the runtime loop.
//!
//! Services hold the rules ("personal agents cannot be deleted", "the last provider stays");
//! stores, the model lister and the documents folders are ports implemented by adapters.
//!
//! # Example: what a grant names
//!
//! ```
//! use pincer_agents::tools::ToolId;
//!
//! // The reference's names of the built-in tools are the namespaced tools they stand for.
//! let read = ToolId::parse("pinchy_read").unwrap();
//! assert_eq!(read, ToolId::parse("files:read").unwrap());
//! assert_eq!(read.grant_name(), "pinchy_read");
//! let mcp = ToolId::parse("mcp:github/create_issue").unwrap();
//! assert_eq!((mcp.namespace(), mcp.name()), ("mcp", "github/create_issue"));
//! assert!(ToolId::parse("mcp:../etc").is_err());
//! ```

#![warn(missing_docs)]

pub mod catalogue;
pub mod chat;
pub mod error;
pub mod memory;
pub mod model;
pub mod model_id;
pub mod paths;
pub mod ports;
pub mod provider;
pub mod rules;
pub mod service;
pub mod template;
pub mod tools;
pub mod visibility;

pub use error::AgentError;
pub use model::{Agent, DataDirectory, ModelInfo, Provider, RemoteModel};
pub use ports::{
    AgentStore, DocumentFolders, Endpoint, ModelLister, ProbeError, ProviderStore, RemovalPlan, RemovalRefused,
    RemovalRule,
};
pub use provider::ProviderKind;
