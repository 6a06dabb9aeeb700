//! Long-running work the server schedules (the audit integrity check, the expired-session
//! purge; later self-audits and channel pollers), and the lease that keeps a singleton worker on
//! one replica. The domain says what a round does; the server owns the timer and the stop.

use std::time::Duration;

use async_trait::async_trait;

use crate::StoreError;

/// A periodic job.
#[async_trait]
pub trait Worker: Send + Sync + 'static {
    /// A stable name: logs, and the lease of a singleton.
    fn name(&self) -> &'static str;

    /// How long to wait between two rounds (and before the first).
    fn interval(&self) -> Duration;

    /// Whether one replica at a time runs it (the default), holding the lease named after it;
    /// otherwise every replica does.
    fn singleton(&self) -> bool {
        true
    }

    /// How long to wait before the first round (by default, one interval).
    fn first_delay(&self) -> Duration {
        self.interval()
    }

    /// One round; what it says is logged by the scheduler, and the schedule goes on whatever
    /// the outcome.
    async fn run_once(&self) -> Round;
}

/// What a round of a worker came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Round {
    /// Nothing worth a log line.
    Quiet,
    /// Work done (logged as information).
    Done(String),
    /// The round could not run (logged as a warning); the next one tries again.
    Failed(String),
    /// The round found something an operator must look at (logged as an error).
    Alarm(String),
}

/// Leases: at most one process holds a given name at a time, until it drops the lease or dies.
#[async_trait]
pub trait Leases: Send + Sync + 'static {
    /// Takes the lease `name` if nobody holds it; `None` when another process does.
    async fn try_acquire(&self, name: &str) -> Result<Option<Box<dyn HeldLease>>, StoreError>;
}

/// A lease this process holds; dropping it gives it up.
#[async_trait]
pub trait HeldLease: Send + Sync {
    /// Whether it is still held (the connection that holds it may have been lost).
    async fn still_held(&self) -> bool;
}

/// Leases for a single process (SQLite: one node serves the database): always granted.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalLeases;

struct AlwaysHeld;

#[async_trait]
impl HeldLease for AlwaysHeld {
    async fn still_held(&self) -> bool {
        true
    }
}

#[async_trait]
impl Leases for LocalLeases {
    async fn try_acquire(&self, _name: &str) -> Result<Option<Box<dyn HeldLease>>, StoreError> {
        Ok(Some(Box::new(AlwaysHeld)))
    }
}
