//! What the security service needs from the outside: the host's facts, the database's facts, and
//! somewhere to keep the reports.

use async_trait::async_trait;
use pincer_core::{Page, PageRequest, StoreError};

use crate::facts::{HostFacts, StoredFacts};
use crate::report::{Day, Report};

/// The running server's facts (files, configuration, the tunnel): gathered by the binary.
#[async_trait]
pub trait HostProbe: Send + Sync + 'static {
    async fn host_facts(&self) -> HostFacts;
}

/// The database's facts: admins, their tokens, providers, the audit chain's last verification,
/// pending migrations.
#[async_trait]
pub trait PostureStore: Send + Sync + 'static {
    async fn stored_facts(&self) -> Result<StoredFacts, StoreError>;
}

/// One report per day.
#[async_trait]
pub trait ReportStore: Send + Sync + 'static {
    /// Stores the report as its day's, replacing an earlier one of that day.
    async fn save_report(&self, report: &Report) -> Result<(), StoreError>;
    /// The report of `day`, if one was stored.
    async fn report(&self, day: Day) -> Result<Option<Report>, StoreError>;
    /// The most recent report.
    async fn latest_report(&self) -> Result<Option<Report>, StoreError>;
    /// A page of reports, newest day first.
    async fn reports(&self, page: PageRequest) -> Result<Page<Report>, StoreError>;
}
