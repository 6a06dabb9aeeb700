//! The storage port of the audit log.

use std::sync::Arc;

use async_trait::async_trait;
use pincer_core::{PageRequest, StoreError, Timestamp};

use crate::chain::{AuditEntry, AuditHead, ChainKey, PendingEntry};
use crate::tally::Tally;

/// Which rows a query or export returns. `actor_id` is already the stored pseudonym.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AuditFilter {
    /// Only this event type.
    pub event_type: Option<String>,
    /// Only this actor (a pseudonym).
    pub actor_id: Option<String>,
    /// From this time on (inclusive).
    pub from: Option<Timestamp>,
    /// Until this time (inclusive, as `from`).
    pub to: Option<Timestamp>,
}

/// A stored row with its actor resolved back to a user, when the pseudonym still maps to one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// The row.
    pub entry: AuditEntry,
    /// The user behind a `user` actor's pseudonym; `None` once the mapping was erased.
    pub actor_user_id: Option<String>,
    /// The actor's current name, for display (none once erased).
    pub actor_name: Option<String>,
    /// The MAC of the mapping that resolved the actor (checked by the service before the actor
    /// is shown; `None` for a mapping from before mappings were sealed).
    pub actor_mapping_mac: Option<String>,
}

/// A row of the pseudonym table: who a pseudonym stands for, and the MAC binding the two.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PseudonymMapping {
    /// The user.
    pub user_id: String,
    /// Their pseudonym in the trail.
    pub pseudonym: String,
    /// The MAC binding the two (none before it was sealed).
    pub mac: Option<String>,
}

/// The stored audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Appends one row: under a lock serialising all appenders (across processes on PostgreSQL),
    /// reads the last row and stores `key.seal(entry, last)`, and in the same transaction
    /// replaces the head with `key.head(&row)`. Returns the stored row.
    async fn append(&self, entry: PendingEntry, key: Arc<ChainKey>) -> Result<AuditEntry, StoreError>;
    /// Appends `entries` in order, continuing the chain exactly as `append` would, and returns
    /// the ids of the stored rows. Adapters override this to seal and insert the whole batch in
    /// one write transaction under the appenders' lock; this default appends one row at a time.
    async fn append_batch(&self, entries: Vec<PendingEntry>, key: Arc<ChainKey>) -> Result<Vec<i64>, StoreError> {
        let mut ids = Vec::with_capacity(entries.len());
        for entry in entries {
            ids.push(self.append(entry, key.clone()).await?.id);
        }
        Ok(ids)
    }
    /// The pseudonym of a user, created on first use with `key.pseudonym_mac` stored beside it.
    async fn pseudonym(&self, user_id: &str, key: Arc<ChainKey>) -> Result<String, StoreError>;
    /// The mapping of a user if one exists (for filtering; never creates).
    async fn find_pseudonym(&self, user_id: &str) -> Result<Option<PseudonymMapping>, StoreError>;
    /// Every mapping (one per user who ever acted), for verification.
    async fn pseudonym_mappings(&self) -> Result<Vec<PseudonymMapping>, StoreError>;
    /// Stores the MACs of mappings that have none (made before mappings were sealed).
    async fn seal_pseudonyms(&self, sealed: Vec<PseudonymMapping>) -> Result<(), StoreError>;
    /// One page of the rows matching `filter`, newest first, and `counted` extended by the
    /// matching rows with `id > counted.through_id`, through the newest row of the log (matching
    /// or not), so that the next count starts after it.
    async fn query(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
        counted: Tally,
    ) -> Result<(Vec<AuditRow>, Tally), StoreError>;
    /// Rows with `id > after_id` (and `id <= to_id`) matching `filter`, ascending, at most `limit`.
    async fn scan(
        &self,
        filter: &AuditFilter,
        after_id: i64,
        to_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRow>, StoreError>;
    /// Rows with `id > after_id` (and `id <= to_id`), ascending, at most `limit`, without
    /// resolving actors: what verification reads.
    async fn scan_entries(
        &self,
        after_id: i64,
        to_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = self.scan(&AuditFilter::default(), after_id, to_id, limit).await?;
        Ok(rows.into_iter().map(|row| row.entry).collect())
    }
    /// The sealed head written by the last append, if any. Read before the rows it is compared
    /// with: appends move row and head together, so rows found beyond it are only newer appends.
    async fn head(&self) -> Result<Option<AuditHead>, StoreError>;
    /// The id of the newest row, if any.
    async fn last_id(&self) -> Result<Option<i64>, StoreError>;
    /// The row with this id, if any.
    async fn get(&self, id: i64) -> Result<Option<AuditEntry>, StoreError>;
    /// Distinct event types, sorted.
    async fn event_types(&self) -> Result<Vec<String>, StoreError>;
}

/// A copy of the sealed head kept outside the database (a file in the data directory), so that a
/// restored older copy of the database, or a wipe of log and head together, is noticed: the
/// database must still hold the row the anchor names. It may lag the database (it is written
/// after the append commits), never lead it.
pub trait HeadAnchor: Send + Sync + 'static {
    /// The head of a committed append. Must not block: an implementation writes it behind.
    fn remember(&self, head: &AuditHead);
    /// The newest head remembered (this run, or read at start), if any.
    fn recall(&self) -> Option<AuditHead>;
}
