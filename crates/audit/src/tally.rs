//! Totals of audit queries, counted incrementally.
//!
//! An admin page shows the number of rows matching its filter. Counting them afresh on every
//! page is a scan over the whole log (a million rows take tens of milliseconds), so the totals
//! are kept instead: the log is append-only and ids only grow, so the number of rows matching a
//! filter among the ids up to some id never changes. Each page then counts only the rows newer
//! than the last count of its filter, an index range of a few rows.
//!
//! A row removed behind the server's back (tampering, which verification reports) is not
//! noticed by a kept total; a restart counts afresh.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ports::AuditFilter;

/// Filters whose totals are kept. More distinct filters than this empties the table, so a
/// client cycling through filters costs one full count per query, as without the table.
const MAX_FILTERS: usize = 256;

/// How many rows match a filter among the rows with `id <= through_id`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// How many rows matched.
    pub count: i64,
    /// The newest row the count runs through.
    pub through_id: i64,
}

impl Tally {
    /// This tally after counting `more` further matching rows, the newest of them `newest_id`
    /// (`None` when there were none).
    pub fn extended(self, more: i64, newest_id: Option<i64>) -> Tally {
        Tally { count: self.count + more, through_id: newest_id.map_or(self.through_id, |id| id.max(self.through_id)) }
    }
}

/// The kept totals, one per filter.
#[derive(Default)]
pub struct Tallies {
    by_filter: Mutex<HashMap<AuditFilter, Tally>>,
}

impl Tallies {
    /// What is known for `filter`: nothing counted yet is the empty tally.
    pub fn get(&self, filter: &AuditFilter) -> Tally {
        self.lock().get(filter).copied().unwrap_or_default()
    }

    /// Keeps `tally` unless a concurrent query already recorded one that reaches further.
    pub fn record(&self, filter: AuditFilter, tally: Tally) {
        let mut map = self.lock();
        if map.len() >= MAX_FILTERS && !map.contains_key(&filter) {
            map.clear();
        }
        let kept = map.entry(filter).or_default();
        if tally.through_id >= kept.through_id {
            *kept = tally;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AuditFilter, Tally>> {
        // A panic while holding the lock cannot leave a half-written tally: every write is a
        // single assignment.
        self.by_filter.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of_type(t: &str) -> AuditFilter {
        AuditFilter { event_type: Some(t.into()), ..AuditFilter::default() }
    }

    #[test]
    fn extending_adds_the_new_rows_and_moves_the_mark_forward() {
        let start = Tally { count: 10, through_id: 40 };
        assert_eq!(start.extended(3, Some(57)), Tally { count: 13, through_id: 57 });
        assert_eq!(start.extended(0, None), start);
    }

    #[test]
    fn a_tally_is_kept_per_filter_and_never_moves_back() {
        let tallies = Tallies::default();
        assert_eq!(tallies.get(&of_type("auth.login")), Tally::default());
        tallies.record(of_type("auth.login"), Tally { count: 5, through_id: 90 });
        tallies.record(of_type("user.invited"), Tally { count: 1, through_id: 12 });
        // A slower query that started earlier finishes last: its older tally is not kept.
        tallies.record(of_type("auth.login"), Tally { count: 4, through_id: 70 });
        assert_eq!(tallies.get(&of_type("auth.login")), Tally { count: 5, through_id: 90 });
        assert_eq!(tallies.get(&of_type("user.invited")), Tally { count: 1, through_id: 12 });
        assert_eq!(tallies.get(&AuditFilter::default()), Tally::default());
    }

    #[test]
    fn too_many_filters_start_the_table_afresh() {
        let tallies = Tallies::default();
        for i in 0..MAX_FILTERS {
            tallies.record(of_type(&format!("t{i}")), Tally { count: 1, through_id: 1 });
        }
        assert_eq!(tallies.get(&of_type("t0")).count, 1);
        // A known filter still updates in place.
        tallies.record(of_type("t0"), Tally { count: 2, through_id: 2 });
        assert_eq!(tallies.get(&of_type("t1")).count, 1);
        tallies.record(of_type("one-more"), Tally { count: 7, through_id: 9 });
        assert_eq!(tallies.get(&of_type("t1")), Tally::default());
        assert_eq!(tallies.get(&of_type("one-more")).count, 7);
    }
}
