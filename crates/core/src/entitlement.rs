//! Whether the enterprise features are on: the one question every enterprise route asks, answered
//! by the licence (`identity::licence`), so no domain depends on how a licence is verified.

use async_trait::async_trait;

/// The organisation's entitlement to the enterprise features.
#[async_trait]
pub trait Entitlement: Send + Sync + 'static {
    /// Whether an enterprise licence is active now (verified, unexpired).
    async fn enterprise(&self) -> bool;
}

/// No licence at all: the community edition (tests, embedding services that sell nothing).
#[derive(Clone, Copy, Debug, Default)]
pub struct Community;

#[async_trait]
impl Entitlement for Community {
    async fn enterprise(&self) -> bool {
        false
    }
}

/// Every enterprise feature on (tests of those features, embedding services).
#[derive(Clone, Copy, Debug, Default)]
pub struct Enterprise;

#[async_trait]
impl Entitlement for Enterprise {
    async fn enterprise(&self) -> bool {
        true
    }
}
