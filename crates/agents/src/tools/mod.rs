//! Tools an agent may be granted. Families of tools are [`ToolProvider`]s (the file tools are the
//! first; memory, MCP servers and Odoo connections follow), merged by a [`ToolRegistry`] that
//! checks grants, offers a run only what its agent is granted, and routes each call.

pub mod files;
pub mod id;
pub mod memory;
pub mod provider;
pub mod registry;

pub use files::{DocumentReader, FileToolProvider, FolderEntry};
pub use id::ToolId;
pub use memory::MemoryToolProvider;
pub use provider::{OfferedTool, ToolContext, ToolFailure, ToolProvider};
pub use registry::{ToolRegistry, ToolRun, ToolSet};
