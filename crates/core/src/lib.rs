//! Core vocabulary shared by every Pincer crate: typed ids, time, paging, principals, secrets and
//! the storage error every port returns. Pure: no I/O, no runtime.
//!
//! # Example: one authorisation vocabulary
//!
//! A service asks the principal for a capability; the role bounds it and the credential narrows
//! it (an API token only has its scopes).
//!
//! ```
//! use pincer_core::{ApiTokenId, Capability, Credential, Denied, Principal, Role, Scope, UserId};
//!
//! let token = Principal {
//!     user_id: UserId::new(),
//!     role: Role::Admin,
//!     name: "CI bot".into(),
//!     credential: Credential::ApiToken { id: ApiTokenId::new(), scopes: vec![Scope::Chat, Scope::AgentsRead] },
//! };
//! assert_eq!(token.require(Capability::Chat), Ok(()));
//! // An admin's token without the `audit:read` scope cannot read the audit trail.
//! assert_eq!(token.require(Capability::ReadAudit), Err(Denied::MissingScope(Scope::AuditRead)));
//! ```

#![warn(missing_docs)]

pub mod crypto;
pub mod entitlement;
pub mod events;
pub mod id;
pub mod page;
pub mod principal;
pub mod remote;
pub mod secret;
pub mod store_error;
pub mod time;
pub mod worker;

pub use entitlement::{Community, Enterprise, Entitlement};
pub use events::{BusEvent, EventBus, EventHandler, LocalEventBus};
pub use id::{
    AgentId, ApiTokenId, ChannelBindingId, ChatId, GroupId, InviteId, MemoryId, MessageId, PairingId, RunId, SessionId,
    UsageId, UserId, WebhookId, WebhookRequestId,
};
pub use page::{Page, PageRequest};
pub use principal::{Capability, Credential, Denied, Principal, Role, Scope};
pub use secret::Secret;
pub use store_error::{Rule, StoreError};
pub use time::{Clock, SystemClock, Timestamp};
pub use worker::{HeldLease, Leases, LocalLeases, Round, Worker};
