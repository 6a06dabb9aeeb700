//! Recomputes the chain over rows fed in id order and reports what does not hold.

use serde::Serialize;

use crate::chain::{AuditEntry, ChainKey, GENESIS};

/// The outcome of a verification run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    pub valid: bool,
    pub total_checked: u64,
    /// Rows whose MAC does not match their content.
    pub invalid_ids: Vec<i64>,
    /// Rows whose link to the previous row is broken or missing (a row before them was removed,
    /// replaced or re-chained).
    pub chain_break_ids: Vec<i64>,
}

/// Feed rows in ascending id order; then [`Verifier::finish`].
pub struct Verifier<'k> {
    key: &'k ChainKey,
    prev: Option<(i64, String)>,
    report: VerifyReport,
}

/// Reports list at most this many ids of each kind; the counts stay exact via `total_checked`.
const MAX_REPORTED_IDS: usize = 10_000;

impl<'k> Verifier<'k> {
    /// `prev` is the row just before the range (id and row_hmac), or `None` when the range starts
    /// at the beginning of the log.
    pub fn new(key: &'k ChainKey, prev: Option<(i64, String)>) -> Self {
        Self { key, prev, report: VerifyReport::default() }
    }

    pub fn feed(&mut self, row: &AuditEntry) {
        self.report.total_checked += 1;
        if !self.key.is_authentic(row) && self.report.invalid_ids.len() < MAX_REPORTED_IDS {
            self.report.invalid_ids.push(row.id);
        }
        let linked = match &self.prev {
            Some((prev_id, prev_hmac)) => row.id == prev_id + 1 && row.prev_hmac == *prev_hmac,
            None => row.id == 1 && row.prev_hmac == GENESIS,
        };
        if !linked && self.report.chain_break_ids.len() < MAX_REPORTED_IDS {
            self.report.chain_break_ids.push(row.id);
        }
        // Reuses the previous MAC's buffer rather than allocating one per row.
        match &mut self.prev {
            Some((id, mac)) => {
                *id = row.id;
                mac.clone_from(&row.row_hmac);
            }
            None => self.prev = Some((row.id, row.row_hmac.clone())),
        }
    }

    /// The id and MAC of the last row fed: a checkpoint to resume from.
    pub fn last(&self) -> Option<&(i64, String)> {
        self.prev.as_ref()
    }

    pub fn finish(mut self) -> VerifyReport {
        self.report.valid = self.report.invalid_ids.is_empty() && self.report.chain_break_ids.is_empty();
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::tests::pending;

    fn chain(key: &ChainKey, n: usize) -> Vec<AuditEntry> {
        let mut rows: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let prev = rows.last().map(|r| (r.id, r.row_hmac.as_str()));
            let row = key.seal(pending(&format!("e{i}")), prev);
            rows.push(row);
        }
        rows
    }

    fn verify(key: &ChainKey, rows: &[AuditEntry]) -> VerifyReport {
        let mut v = Verifier::new(key, None);
        rows.iter().for_each(|r| v.feed(r));
        v.finish()
    }

    #[test]
    fn untouched_chain_is_valid() {
        let key = ChainKey::new(&[3; 32]);
        let report = verify(&key, &chain(&key, 5));
        assert_eq!(
            report,
            VerifyReport { valid: true, total_checked: 5, invalid_ids: vec![], chain_break_ids: vec![] }
        );
    }

    #[test]
    fn edited_row_is_invalid_and_deleted_row_breaks_the_next_link() {
        let key = ChainKey::new(&[3; 32]);
        let mut rows = chain(&key, 5);
        rows[1].pending.detail = "{\"edited\":true}".into();
        rows.remove(3);
        let report = verify(&key, &rows);
        assert!(!report.valid);
        assert_eq!(report.invalid_ids, vec![2]);
        assert_eq!(report.chain_break_ids, vec![5]);
    }

    #[test]
    fn resuming_mid_chain_needs_the_previous_link() {
        let key = ChainKey::new(&[3; 32]);
        let rows = chain(&key, 4);
        let mut v = Verifier::new(&key, Some((rows[1].id, rows[1].row_hmac.clone())));
        rows[2..].iter().for_each(|r| v.feed(r));
        assert!(v.finish().valid);
        let mut v = Verifier::new(&key, None);
        rows[2..].iter().for_each(|r| v.feed(r));
        assert_eq!(v.finish().chain_break_ids, vec![3]);
    }
}
