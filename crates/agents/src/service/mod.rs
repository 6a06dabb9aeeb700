//! The agents services: the catalogue of agents, and the providers with their models.

mod agents;
mod providers;
mod visibility;

pub use agents::{AgentChanges, AgentService, AgentServiceDeps, NewAgent, ORG_CONTEXT_KEY};
pub use providers::{ModelCatalogue, ProviderInput, ProviderService, ProviderServiceDeps, ProviderView};
