//! Core vocabulary shared by every Pincer crate: typed ids, time, paging, principals, secrets and
//! the storage error every port returns. Pure: no I/O, no runtime.

pub mod crypto;
pub mod events;
pub mod id;
pub mod page;
pub mod principal;
pub mod secret;
pub mod store_error;
pub mod time;
pub mod worker;

pub use events::{BusEvent, EventBus, EventHandler, LocalEventBus};
pub use id::{AgentId, ChatId, InviteId, MessageId, RunId, SessionId, UsageId, UserId};
pub use page::{Page, PageRequest};
pub use principal::{Capability, Credential, Denied, Principal, Role, Scope};
pub use secret::Secret;
pub use store_error::StoreError;
pub use time::{Clock, SystemClock, Timestamp};
pub use worker::{HeldLease, Leases, LocalLeases, Round, Worker};
