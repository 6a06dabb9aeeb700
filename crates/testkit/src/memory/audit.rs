//! The audit trail in memory: rows, head and pseudonym mappings in the same tables as the users
//! whose names a page shows, appended under the one lock (the appenders' lock of the databases).

use std::sync::Arc;

use async_trait::async_trait;
use pincer_audit::{
    AuditEntry, AuditFilter, AuditHead, AuditRow, AuditStore, ChainKey, PendingEntry, PseudonymMapping, Tally,
};
use pincer_core::{PageRequest, StoreError, UserId};

use super::{MemoryStores, Tables};

/// The audit tables: `audit_log`, `audit_head` and `audit_pseudonyms`.
#[derive(Default)]
pub(super) struct AuditTables {
    /// Ascending by id, gapless from 1.
    log: Vec<AuditEntry>,
    head: Option<AuditHead>,
    pseudonyms: Vec<PseudonymMapping>,
}

fn matches(filter: &AuditFilter, entry: &AuditEntry) -> bool {
    let row = &entry.pending;
    filter.event_type.as_ref().is_none_or(|t| *t == row.event_type)
        && filter.actor_id.as_ref().is_none_or(|a| row.actor_id.as_ref() == Some(a))
        && filter.from.is_none_or(|from| row.timestamp >= from)
        && filter.to.is_none_or(|to| row.timestamp <= to)
}

impl Tables {
    fn append_sealed(&mut self, entry: PendingEntry, key: &ChainKey) -> AuditEntry {
        let last = self.audit.log.last().map(|row| (row.id, row.row_hmac.as_str()));
        let sealed = key.seal(entry, last);
        self.audit.head = Some(key.head(&sealed));
        self.audit.log.push(sealed.clone());
        sealed
    }

    /// The row with its `user` actor resolved through the mapping and the users table, as the
    /// databases' join does.
    fn audit_row(&self, entry: &AuditEntry) -> AuditRow {
        let mapping = (entry.pending.actor_type == "user")
            .then_some(entry.pending.actor_id.as_ref())
            .flatten()
            .and_then(|pseudonym| self.audit.pseudonyms.iter().find(|m| m.pseudonym == *pseudonym));
        let name = mapping
            .and_then(|m| m.user_id.parse::<UserId>().ok())
            .and_then(|id| self.users.iter().find(|u| u.id == id))
            .map(|u| u.name.clone());
        AuditRow {
            entry: entry.clone(),
            actor_user_id: mapping.map(|m| m.user_id.clone()),
            actor_name: name,
            actor_mapping_mac: mapping.and_then(|m| m.mac.clone()),
        }
    }

    fn rows_after(&self, after_id: i64, to_id: Option<i64>) -> impl Iterator<Item = &AuditEntry> {
        self.audit.log.iter().filter(move |row| row.id > after_id && to_id.is_none_or(|to| row.id <= to))
    }
}

impl MemoryStores {
    /// Removes a user's pseudonym mapping, as an erasure does: their rows stay, unresolvable.
    pub fn erase_pseudonym(&self, user_id: &str) {
        self.tables().audit.pseudonyms.retain(|m| m.user_id != user_id);
    }
}

#[async_trait]
impl AuditStore for MemoryStores {
    async fn append(&self, entry: PendingEntry, key: Arc<ChainKey>) -> Result<AuditEntry, StoreError> {
        Ok(self.tables().append_sealed(entry, &key))
    }

    async fn append_batch(&self, entries: Vec<PendingEntry>, key: Arc<ChainKey>) -> Result<Vec<i64>, StoreError> {
        let mut tables = self.tables();
        Ok(entries.into_iter().map(|entry| tables.append_sealed(entry, &key).id).collect())
    }

    async fn pseudonym(&self, user_id: &str, key: Arc<ChainKey>) -> Result<String, StoreError> {
        let mut tables = self.tables();
        if let Some(existing) = tables.audit.pseudonyms.iter().find(|m| m.user_id == user_id) {
            return Ok(existing.pseudonym.clone());
        }
        let fresh = uuid::Uuid::now_v7().to_string();
        let mac = Some(key.pseudonym_mac(user_id, &fresh));
        tables.audit.pseudonyms.push(PseudonymMapping { user_id: user_id.to_string(), pseudonym: fresh.clone(), mac });
        Ok(fresh)
    }

    async fn find_pseudonym(&self, user_id: &str) -> Result<Option<PseudonymMapping>, StoreError> {
        Ok(self.tables().audit.pseudonyms.iter().find(|m| m.user_id == user_id).cloned())
    }

    async fn pseudonym_mappings(&self) -> Result<Vec<PseudonymMapping>, StoreError> {
        let mut all = self.tables().audit.pseudonyms.clone();
        all.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        Ok(all)
    }

    async fn seal_pseudonyms(&self, sealed: Vec<PseudonymMapping>) -> Result<(), StoreError> {
        let mut tables = self.tables();
        for update in sealed {
            // Only a mapping still as it was read, and still unsealed.
            if let Some(m) = tables
                .audit
                .pseudonyms
                .iter_mut()
                .find(|m| m.user_id == update.user_id && m.pseudonym == update.pseudonym && m.mac.is_none())
            {
                m.mac = update.mac;
            }
        }
        Ok(())
    }

    async fn query(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
        counted: Tally,
    ) -> Result<(Vec<AuditRow>, Tally), StoreError> {
        let tables = self.tables();
        let tally = match tables.audit.log.last() {
            Some(newest) if newest.id > counted.through_id => {
                let more = tables.rows_after(counted.through_id, None).filter(|row| matches(filter, row)).count();
                Tally { count: counted.count + more as i64, through_id: newest.id }
            }
            _ => counted,
        };
        let rows = tables
            .audit
            .log
            .iter()
            .rev()
            .filter(|row| matches(filter, row))
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(page.limit as usize)
            .map(|row| tables.audit_row(row))
            .collect();
        Ok((rows, tally))
    }

    async fn scan(
        &self,
        filter: &AuditFilter,
        after_id: i64,
        to_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let tables = self.tables();
        Ok(tables
            .rows_after(after_id, to_id)
            .filter(|row| matches(filter, row))
            .take(limit)
            .map(|row| tables.audit_row(row))
            .collect())
    }

    async fn head(&self) -> Result<Option<AuditHead>, StoreError> {
        Ok(self.tables().audit.head.clone())
    }

    async fn last_id(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.tables().audit.log.last().map(|row| row.id))
    }

    async fn get(&self, id: i64) -> Result<Option<AuditEntry>, StoreError> {
        Ok(self.tables().audit.log.iter().find(|row| row.id == id).cloned())
    }

    async fn event_types(&self) -> Result<Vec<String>, StoreError> {
        let mut types: Vec<String> = self.tables().audit.log.iter().map(|row| row.pending.event_type.clone()).collect();
        types.sort_unstable();
        types.dedup();
        Ok(types)
    }
}
