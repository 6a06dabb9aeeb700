//! Agents: the governed catalogue (templates, agents, tool grants, providers and models) and, in
//! later steps, conversations and the runtime loop.
//!
//! What exists so far are the pure rules the agents issue builds on: templates, model ids,
//! visibility and the confinement of granted folders. Ports, services and routes come with it.

pub mod model_id;
pub mod paths;
pub mod provider;
pub mod template;
pub mod visibility;
