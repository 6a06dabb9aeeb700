//! The periodic removal of expired sessions, as a worker. They already fail authentication;
//! without this they would pile up in the table forever.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pincer_core::{Round, Worker};

use crate::Identity;

/// Removes expired sessions every `interval`.
pub struct SessionPurge {
    identity: Arc<Identity>,
    interval: Duration,
}

impl SessionPurge {
    /// A purge of `identity`'s expired sessions every `interval`.
    pub fn new(identity: Arc<Identity>, interval: Duration) -> Self {
        Self { identity, interval }
    }
}

#[async_trait]
impl Worker for SessionPurge {
    fn name(&self) -> &'static str {
        "sessions.purge"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    async fn run_once(&self) -> Round {
        match self.identity.purge_expired_sessions().await {
            Ok(0) => Round::Quiet,
            Ok(count) => Round::Done(format!("removed expired sessions ({count})")),
            Err(e) => Round::Failed(format!("cannot remove expired sessions: {e}")),
        }
    }
}
