//! Recomputes the chain over rows fed in id order and reports what does not hold.

use serde::Serialize;

use crate::chain::{AuditEntry, AuditHead, ChainKey, GENESIS};

/// The outcome of a verification run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// Whether nothing was edited, removed or rolled back.
    pub valid: bool,
    /// How many rows were checked.
    pub total_checked: u64,
    /// Rows whose MAC does not match their content.
    pub invalid_ids: Vec<i64>,
    /// Rows whose link to the previous row is broken or missing (a row before them was removed,
    /// replaced or re-chained).
    pub chain_break_ids: Vec<i64>,
    /// The newest row the sealed head names is gone: rows were removed from the end of the log
    /// (or all of them). `head_id` and `last_id` say how far.
    pub truncated: bool,
    /// The row the head names exists but is not the row that was appended: the log was rolled
    /// back to an older state and appended to again, or its newest row was re-chained.
    pub rolled_back: bool,
    /// The head's own MAC does not verify, or rows exist but no head does (it was deleted).
    pub head_invalid: bool,
    /// The newest id according to the sealed head, when one was found.
    pub head_id: Option<i64>,
    /// The newest id found in the log.
    pub last_id: Option<i64>,
    /// The newest id according to the head kept outside the database (the data directory's
    /// anchor), when there is one. The database must still hold that row as it was appended;
    /// otherwise `truncated` or `rolled_back` is set (and `head_invalid` when the anchor itself
    /// does not verify).
    pub anchor_id: Option<i64>,
    /// Pseudonyms whose mapping to a user is not sealed by the audit key: the table saying who
    /// acted was altered (review M7). At most 10,000 listed.
    pub invalid_pseudonyms: Vec<String>,
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

    /// Checks the next row.
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

    /// Compares the log's end with the sealed head (read before `last`, the newest row found).
    pub fn check_head(&mut self, head: Option<&AuditHead>, at_head: Option<&AuditEntry>, last: Option<i64>) {
        self.report.last_id = last;
        let Some(head) = head else {
            // No head: an empty log never had one; rows without one means it was deleted.
            self.report.head_invalid = last.is_some();
            return;
        };
        self.report.head_id = Some(head.last_id);
        self.compare(head, at_head);
    }

    /// Compares the log with the head kept outside the database: the row it names must still be
    /// there as it was appended (`at_anchor`, read by the caller).
    pub fn check_anchor(&mut self, anchor: Option<&AuditHead>, at_anchor: Option<&AuditEntry>) {
        let Some(anchor) = anchor else { return };
        self.report.anchor_id = Some(anchor.last_id);
        self.compare(anchor, at_anchor);
    }

    /// A sealed head (the database's or the anchor's) against the row it names: the seal must
    /// verify, the row must exist, and be the row that was sealed.
    fn compare(&mut self, head: &AuditHead, at_head: Option<&AuditEntry>) {
        if !self.key.is_authentic_head(head) {
            self.report.head_invalid = true;
            return;
        }
        match at_head {
            None => self.report.truncated = true,
            Some(row) if row.id != head.last_id || row.row_hmac != head.last_hmac => self.report.rolled_back = true,
            Some(_) => {}
        }
    }

    /// Records the pseudonyms whose mapping does not verify.
    pub fn check_pseudonyms(&mut self, invalid: impl Iterator<Item = String>) {
        self.report.invalid_pseudonyms = invalid.take(MAX_REPORTED_IDS).collect();
    }

    /// The report of what was fed.
    pub fn finish(mut self) -> VerifyReport {
        self.report.valid = self.report.invalid_ids.is_empty()
            && self.report.chain_break_ids.is_empty()
            && !self.report.truncated
            && !self.report.rolled_back
            && !self.report.head_invalid
            && self.report.invalid_pseudonyms.is_empty();
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
        assert_eq!(report, VerifyReport { valid: true, total_checked: 5, ..VerifyReport::default() });
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
