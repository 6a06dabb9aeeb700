//! The audit service: the real [`AuditSink`] and the admin queries over the log.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;

use async_trait::async_trait;
use pincer_core::{Capability, Clock, Page, PageRequest, Principal, StoreError, Timestamp};
use serde_json::Value;

use crate::chain::{ChainKey, PendingEntry};
use crate::error::AuditError;
use crate::event::{Actor, AuditEvent, AuditSink, Outcome};
use crate::ports::{AuditFilter, AuditRow, AuditStore, HeadAnchor, PseudonymMapping};
use crate::redact::Redactor;
use crate::tally::Tallies;
use crate::throttle::{Decision, FailureThrottle};
use crate::verify::{Verifier, VerifyReport};

/// Rows read per round trip when scanning the whole log.
pub const SCAN_BATCH: usize = 5_000;
/// Ids per read when verifying (no actor resolution, so bigger batches pay off).
const VERIFY_BATCH: usize = 20_000;
/// Verification reads running ahead of the check.
const READS_IN_FLIGHT: usize = 2;
/// The throttled event types (anyone can trigger them): at most one row per source per minute
/// each, the next one counting what was suppressed.
const THROTTLED: [&str; 2] = ["auth.failed", "webhook.rejected"];

/// What an admin filters by: a real user id, not a pseudonym.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Only this event type.
    pub event_type: Option<String>,
    /// Only this user's actions (by user id).
    pub actor_user_id: Option<String>,
    /// From this time on.
    pub from: Option<Timestamp>,
    /// Until this time.
    pub to: Option<Timestamp>,
}

/// The real audit sink: redacts, pseudonymises, throttles and chains every event; reads and verifies the trail for admins.
pub struct AuditService {
    store: Arc<dyn AuditStore>,
    key: Arc<ChainKey>,
    redactor: Redactor,
    clock: Arc<dyn Clock>,
    throttle: FailureThrottle,
    /// The totals of recent queries, so a page counts only rows appended since (`tally`).
    tallies: Tallies,
    lost: AtomicU64,
    /// The head kept outside the database, when the server keeps one.
    anchor: Option<Arc<dyn HeadAnchor>>,
}

impl AuditService {
    /// The service over `store`, keyed by the audit key.
    pub fn new(store: Arc<dyn AuditStore>, audit_key: &[u8; 32], clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            key: Arc::new(ChainKey::new(audit_key)),
            redactor: Redactor::new(audit_key),
            clock,
            throttle: FailureThrottle::default(),
            tallies: Tallies::default(),
            lost: AtomicU64::new(0),
            anchor: None,
        }
    }

    /// Keeps a copy of the sealed head outside the database as well (see [`HeadAnchor`]).
    pub fn with_anchor(mut self, anchor: Arc<dyn HeadAnchor>) -> Self {
        self.anchor = Some(anchor);
        self
    }

    /// Events that could not be stored since start (the store adapter logs each cause).
    pub fn lost_events(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// Appends an event, returning the stored row id (`None` when throttled).
    pub async fn append(&self, event: AuditEvent) -> Result<Option<i64>, StoreError> {
        let now = self.clock.now();
        let mut detail = event.detail;
        if THROTTLED.contains(&event.event_type.as_ref()) {
            let source = detail.get("source").and_then(Value::as_str).unwrap_or("unknown");
            match self.throttle.decide(&format!("{}:{source}", event.event_type), now) {
                Decision::Suppress => return Ok(None),
                Decision::Write { suppressed } if suppressed > 0 => {
                    if let Value::Object(map) = &mut detail {
                        map.insert("suppressed".into(), Value::from(suppressed));
                    }
                }
                Decision::Write { .. } => {}
            }
        }
        let pending = self.pending(AuditEvent { detail, ..event }, now, &mut HashMap::new()).await?;
        let row = self.store.append(pending, self.key.clone()).await?;
        if let Some(anchor) = &self.anchor {
            anchor.remember(&self.key.head(&row));
        }
        Ok(Some(row.id))
    }

    /// Appends events in order in one store transaction (bulk loads, benchmarks), returning the
    /// stored row ids. Redacted and pseudonymised like [`AuditService::append`], never throttled.
    pub async fn append_batch(&self, events: Vec<AuditEvent>) -> Result<Vec<i64>, StoreError> {
        let now = self.clock.now();
        let mut pending = Vec::with_capacity(events.len());
        let mut pseudonyms = HashMap::new();
        for event in events {
            pending.push(self.pending(event, now, &mut pseudonyms).await?);
        }
        let ids = self.store.append_batch(pending, self.key.clone()).await?;
        if let Some(anchor) = &self.anchor
            && let Some(head) = self.store.head().await?
        {
            anchor.remember(&head);
        }
        Ok(ids)
    }

    /// The event as it is chained: actor pseudonymised (looked up once per user in `pseudonyms`),
    /// detail redacted and canonical.
    async fn pending(
        &self,
        event: AuditEvent,
        now: Timestamp,
        pseudonyms: &mut HashMap<String, String>,
    ) -> Result<PendingEntry, StoreError> {
        let (actor_type, actor_id) = match event.actor {
            Actor::User(id) => {
                let pseudonym = match pseudonyms.get(&id) {
                    Some(known) => known.clone(),
                    None => {
                        let fresh = self.store.pseudonym(&id, self.key.clone()).await?;
                        pseudonyms.insert(id, fresh.clone());
                        fresh
                    }
                };
                ("user", Some(pseudonym))
            }
            Actor::Agent(id) => ("agent", Some(id)),
            Actor::System => ("system", None),
            Actor::ApiKey(id) => ("api_key", Some(id)),
        };
        Ok(PendingEntry {
            timestamp: now,
            actor_type: actor_type.into(),
            actor_id,
            event_type: event.event_type.into(),
            resource: event.resource,
            detail: self.redactor.detail(event.detail),
            outcome: match event.outcome {
                Outcome::Success => "success",
                Outcome::Failure => "failure",
            }
            .into(),
        })
    }

    async fn filter(&self, query: AuditQuery) -> Result<AuditFilter, AuditError> {
        let actor_id = match query.actor_user_id {
            None => None,
            // A user with no pseudonym has no rows, and a mapping that is not sealed is not
            // believed: a value no pseudonym can take matches nothing.
            Some(user_id) => Some(
                self.store
                    .find_pseudonym(&user_id)
                    .await?
                    .filter(|m| self.is_sealed(m))
                    .map_or_else(|| "-".into(), |m| m.pseudonym),
            ),
        };
        Ok(AuditFilter { event_type: query.event_type, actor_id, from: query.from, to: query.to })
    }

    /// A page of entries, newest first (admins).
    pub async fn list(
        &self,
        principal: &Principal,
        query: AuditQuery,
        page: PageRequest,
    ) -> Result<Page<AuditRow>, AuditError> {
        principal.require(Capability::ReadAudit)?;
        let filter = self.filter(query).await?;
        let (items, tally) = self.store.query(&filter, page, self.tallies.get(&filter)).await?;
        self.tallies.record(filter, tally);
        Ok(Page { items: self.checked_actors(items), total: tally.count })
    }

    /// Every event type in the trail (admins).
    pub async fn event_types(&self, principal: &Principal) -> Result<Vec<String>, AuditError> {
        principal.require(Capability::ReadAudit)?;
        Ok(self.store.event_types().await?)
    }

    /// Resolves an export's filter once; then call [`AuditService::export_batch`] until empty.
    pub async fn export_filter(&self, principal: &Principal, query: AuditQuery) -> Result<AuditFilter, AuditError> {
        principal.require(Capability::ReadAudit)?;
        self.filter(query).await
    }

    /// The next rows of an export, ascending by id.
    pub async fn export_batch(&self, filter: &AuditFilter, after_id: i64) -> Result<Vec<AuditRow>, AuditError> {
        Ok(self.checked_actors(self.store.scan(filter, after_id, None, SCAN_BATCH).await?))
    }

    /// Whether a mapping carries the MAC of its user and pseudonym.
    fn is_sealed(&self, mapping: &PseudonymMapping) -> bool {
        mapping
            .mac
            .as_deref()
            .is_some_and(|mac| self.key.is_authentic_pseudonym(&mapping.user_id, &mapping.pseudonym, mac))
    }

    /// Rows whose actor was resolved through a mapping that is not sealed show no user: the
    /// mapping was altered, and who acted is not known (verification reports it).
    fn checked_actors(&self, mut rows: Vec<AuditRow>) -> Vec<AuditRow> {
        for row in &mut rows {
            if let (Some(user_id), Some(pseudonym)) = (&row.actor_user_id, &row.entry.pending.actor_id) {
                let mapping = PseudonymMapping {
                    user_id: user_id.clone(),
                    pseudonym: pseudonym.clone(),
                    mac: row.actor_mapping_mac.clone(),
                };
                if !self.is_sealed(&mapping) {
                    row.actor_user_id = None;
                    row.actor_name = None;
                }
            }
        }
        rows
    }

    /// Seals the pseudonym mappings of a log from before mappings were sealed, once: only when
    /// no mapping is sealed yet (right after the migration). After that an unsealed mapping is
    /// one that was altered, and verification reports it. Returns how many were sealed.
    pub async fn seal_legacy_pseudonyms(&self) -> Result<usize, StoreError> {
        let mappings = self.store.pseudonym_mappings().await?;
        if mappings.is_empty() || mappings.iter().any(|m| m.mac.is_some()) {
            return Ok(0);
        }
        let sealed: Vec<PseudonymMapping> = mappings
            .into_iter()
            .map(|m| PseudonymMapping { mac: Some(self.key.pseudonym_mac(&m.user_id, &m.pseudonym)), ..m })
            .collect();
        let count = sealed.len();
        self.store.seal_pseudonyms(sealed).await?;
        Ok(count)
    }

    /// Recomputes the chain over `[from_id, to_id]` (the whole log by default).
    pub async fn verify(
        &self,
        principal: &Principal,
        from_id: Option<i64>,
        to_id: Option<i64>,
    ) -> Result<VerifyReport, AuditError> {
        principal.require(Capability::ReadAudit)?;
        if let (Some(from), Some(to)) = (from_id, to_id)
            && from > to
        {
            return Err(AuditError::InvalidInput("fromId must not be greater than toId".into()));
        }
        // Ranges end at the head: beyond it there is nothing the key ever sealed.
        let end = match self.store.head().await? {
            Some(head) => Some(head.last_id),
            None => self.store.last_id().await?,
        };
        if let Some(to) = to_id
            && to > end.unwrap_or(0)
        {
            return Err(AuditError::InvalidInput(format!("toId is beyond the newest entry ({})", end.unwrap_or(0))));
        }
        let start = from_id.unwrap_or(1).max(1);
        let prev = if start > 1 {
            // The row before the range anchors its first link; if it is gone, that link breaks.
            self.store.get(start - 1).await?.map(|row| (row.id, row.row_hmac)).or(Some((start - 1, String::new())))
        } else {
            None
        };
        Ok(self.verify_from(prev, start - 1, to_id).await?.0)
    }

    /// Checks every row after `checkpoint` (id and MAC of the last verified row) and returns the
    /// report with the new checkpoint. Used by the periodic integrity check.
    pub async fn verify_since(
        &self,
        checkpoint: Option<(i64, String)>,
    ) -> Result<(VerifyReport, Option<(i64, String)>), AuditError> {
        let after = checkpoint.as_ref().map_or(0, |(id, _)| *id);
        self.verify_from(checkpoint, after, None).await
    }

    async fn verify_from(
        &self,
        prev: Option<(i64, String)>,
        after_id: i64,
        to_id: Option<i64>,
    ) -> Result<(VerifyReport, Option<(i64, String)>), AuditError> {
        let mut verifier = Verifier::new(&self.key, prev);
        // The head first: appends move row and head together, so a row newer than the head read
        // here is an append that raced this check, never a reason to report.
        let head = self.store.head().await?;
        let newest = self.store.last_id().await?;
        let at_head = match &head {
            Some(h) => self.store.get(h.last_id).await?,
            None => None,
        };
        verifier.check_head(head.as_ref(), at_head.as_ref(), newest);
        if let Some(anchor) = self.anchor.as_ref().and_then(|a| a.recall()) {
            let at_anchor = self.store.get(anchor.last_id).await?;
            verifier.check_anchor(Some(&anchor), at_anchor.as_ref());
        }
        let mappings = self.store.pseudonym_mappings().await?;
        verifier.check_pseudonyms(mappings.iter().filter(|m| !self.is_sealed(m)).map(|m| m.pseudonym.clone()));
        // Rows appended while this runs are left for the next check.
        let last = match (newest, to_id) {
            (Some(last), Some(to)) => last.min(to),
            (last, _) => last.unwrap_or(0),
        };
        // The id range is read in windows of VERIFY_BATCH ids (so at most that many rows each),
        // READS_IN_FLIGHT at a time: the store reads ahead on its blocking threads while this
        // task checks the oldest window. Windows are checked in id order, so gaps still show.
        let mut windows =
            (after_id..last).step_by(VERIFY_BATCH).map(|from| (from, (from + VERIFY_BATCH as i64).min(last)));
        let mut reads = VecDeque::with_capacity(READS_IN_FLIGHT);
        loop {
            while reads.len() < READS_IN_FLIGHT {
                let Some((from, to)) = windows.next() else { break };
                let mut read = self.store.scan_entries(from, Some(to), VERIFY_BATCH);
                let early = start(read.as_mut()).await;
                reads.push_back((read, early));
            }
            let Some((read, early)) = reads.pop_front() else { break };
            let batch = match early {
                Some(done) => done?,
                None => read.await?,
            };
            batch.iter().for_each(|entry| verifier.feed(entry));
        }
        let checkpoint = verifier.last().cloned();
        Ok((verifier.finish(), checkpoint))
    }
}

#[async_trait]
impl AuditSink for AuditService {
    async fn record(&self, event: AuditEvent) {
        // Auditing never fails the audited action; the adapter has logged the cause.
        if self.append(event).await.is_err() {
            self.lost.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Polls `future` once, so that work it hands off (a store read on a blocking thread) starts
/// now: its output if it finished right away, else `None` and the caller awaits it later.
async fn start<F: Future + ?Sized>(mut future: Pin<&mut F>) -> Option<F::Output> {
    std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(output) => Poll::Ready(Some(output)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::task::{Context, Waker};

    use pincer_core::{Credential, Role, SystemClock, UserId};

    use super::*;
    use crate::chain::tests::pending;
    use crate::chain::{AuditEntry, AuditHead};
    use crate::tally::Tally;

    /// The log in memory; every call completes at once.
    #[derive(Default)]
    struct MemoryStore(Mutex<Vec<AuditEntry>>, Mutex<Option<AuditHead>>);

    impl MemoryStore {
        fn rows(&self) -> std::sync::MutexGuard<'_, Vec<AuditEntry>> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }

    #[async_trait]
    impl AuditStore for MemoryStore {
        async fn append(&self, entry: PendingEntry, key: Arc<ChainKey>) -> Result<AuditEntry, StoreError> {
            let mut rows = self.rows();
            let sealed = key.seal(entry, rows.last().map(|r| (r.id, r.row_hmac.as_str())));
            rows.push(sealed.clone());
            *self.1.lock().unwrap_or_else(|e| e.into_inner()) = Some(key.head(&sealed));
            Ok(sealed)
        }
        async fn pseudonym(&self, user_id: &str, _key: Arc<ChainKey>) -> Result<String, StoreError> {
            Ok(format!("p-{user_id}"))
        }
        async fn find_pseudonym(&self, user_id: &str) -> Result<Option<PseudonymMapping>, StoreError> {
            Ok(Some(PseudonymMapping { user_id: user_id.into(), pseudonym: format!("p-{user_id}"), mac: None }))
        }
        async fn pseudonym_mappings(&self) -> Result<Vec<PseudonymMapping>, StoreError> {
            Ok(Vec::new())
        }
        async fn seal_pseudonyms(&self, _sealed: Vec<PseudonymMapping>) -> Result<(), StoreError> {
            Ok(())
        }
        async fn query(
            &self,
            _: &AuditFilter,
            page: PageRequest,
            counted: Tally,
        ) -> Result<(Vec<AuditRow>, Tally), StoreError> {
            let rows = self.rows();
            let items = rows
                .iter()
                .rev()
                .take(page.limit as usize)
                .map(|e| AuditRow { entry: e.clone(), actor_user_id: None, actor_name: None, actor_mapping_mac: None })
                .collect();
            let newer: Vec<i64> = rows.iter().map(|e| e.id).filter(|id| *id > counted.through_id).collect();
            Ok((items, counted.extended(newer.len() as i64, newer.last().copied())))
        }
        async fn head(&self) -> Result<Option<AuditHead>, StoreError> {
            Ok(self.1.lock().unwrap_or_else(|e| e.into_inner()).clone())
        }
        async fn last_id(&self) -> Result<Option<i64>, StoreError> {
            Ok(self.rows().last().map(|e| e.id))
        }
        async fn scan(
            &self,
            _: &AuditFilter,
            after_id: i64,
            to_id: Option<i64>,
            limit: usize,
        ) -> Result<Vec<AuditRow>, StoreError> {
            Ok(self
                .rows()
                .iter()
                .filter(|e| e.id > after_id && to_id.is_none_or(|to| e.id <= to))
                .take(limit)
                .map(|e| AuditRow { entry: e.clone(), actor_user_id: None, actor_name: None, actor_mapping_mac: None })
                .collect())
        }
        async fn get(&self, id: i64) -> Result<Option<AuditEntry>, StoreError> {
            Ok(self.rows().iter().find(|e| e.id == id).cloned())
        }
        async fn event_types(&self) -> Result<Vec<String>, StoreError> {
            Ok(Vec::new())
        }
    }

    /// Runs a future that never waits (the memory store answers at once).
    fn now<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("the memory store never waits"),
        }
    }

    /// A service over a log of `n` rows: more than two verification windows.
    fn service(n: usize) -> (AuditService, Arc<MemoryStore>) {
        let store = Arc::new(MemoryStore::default());
        let key = [5; 32];
        let chain_key = Arc::new(ChainKey::new(&key));
        now(store.append_batch((0..n).map(|i| pending(&format!("e{i}"))).collect(), chain_key)).unwrap();
        (AuditService::new(store.clone(), &key, Arc::new(SystemClock)), store)
    }

    fn admin() -> Principal {
        Principal { user_id: UserId::new(), role: Role::Admin, name: "Admin".into(), credential: Credential::Internal }
    }

    #[test]
    fn verification_across_read_windows_checks_every_row_once() {
        let rows = 2 * VERIFY_BATCH + 1_001;
        let (service, _) = service(rows);
        let (report, checkpoint) = now(service.verify_since(None)).unwrap();
        assert!(report.valid, "{report:?}");
        assert_eq!(report.total_checked, rows as u64);
        assert_eq!(checkpoint.map(|(id, _)| id), Some(rows as i64));

        let (report, _) = now(service.verify_since(Some((10_000, String::new())))).unwrap();
        assert_eq!(report.total_checked, rows as u64 - 10_000);
        // The made-up checkpoint MAC breaks the first link only.
        assert_eq!(report.chain_break_ids, vec![10_001]);

        let ranged = now(service.verify(&admin(), Some(100), Some(25_000))).unwrap();
        assert!(ranged.valid, "{ranged:?}");
        assert_eq!(ranged.total_checked, 24_901);
    }

    #[test]
    fn edits_and_deletions_at_window_boundaries_are_found() {
        let boundary = VERIFY_BATCH as i64;
        let (service, store) = service(2 * VERIFY_BATCH + 10);
        {
            let mut rows = store.rows();
            rows.retain(|r| r.id != boundary && r.id != boundary + 7);
            if let Some(row) = rows.iter_mut().find(|r| r.id == boundary + 1) {
                row.pending.detail = "{\"edited\":true}".into();
            }
        }
        let (report, _) = now(service.verify_since(None)).unwrap();
        assert!(!report.valid);
        assert_eq!(report.invalid_ids, vec![boundary + 1]);
        assert_eq!(report.chain_break_ids, vec![boundary + 1, boundary + 8]);
        assert_eq!(report.total_checked, 2 * VERIFY_BATCH as u64 + 8);
    }

    #[test]
    fn removing_the_newest_rows_or_all_of_them_is_truncation() {
        let (service, store) = service(10);
        store.rows().truncate(7);
        let report = now(service.verify(&admin(), None, None)).unwrap();
        assert!(!report.valid);
        assert!(report.truncated && !report.rolled_back, "{report:?}");
        assert_eq!((report.head_id, report.last_id), (Some(10), Some(7)));
        assert!(report.chain_break_ids.is_empty());
        store.rows().clear();
        let (report, _) = now(service.verify_since(None)).unwrap();
        assert!(report.truncated && !report.valid, "{report:?}");
        assert_eq!((report.head_id, report.last_id), (Some(10), None));
    }

    #[test]
    fn a_log_rolled_back_and_appended_to_again_is_reported() {
        let (service, store) = service(10);
        let head = store.1.lock().unwrap().clone();
        // An older state (nine rows) comes back and is appended to: a different row 10…
        store.rows().truncate(9);
        now(store.append(pending("other"), Arc::new(ChainKey::new(&[5; 32])))).unwrap();
        // …which the head sealed for the first row 10 does not name.
        *store.1.lock().unwrap() = head;
        let report = now(service.verify(&admin(), None, None)).unwrap();
        assert!(report.rolled_back && !report.valid, "{report:?}");
    }

    #[test]
    fn a_forged_or_deleted_head_and_to_id_beyond_it_are_refused() {
        let (service, store) = service(5);
        let err = now(service.verify(&admin(), None, Some(6))).unwrap_err();
        assert_eq!(err.code(), "invalid_query");
        if let Some(h) = store.1.lock().unwrap().as_mut() {
            h.last_id = 3;
        }
        assert!(now(service.verify(&admin(), None, None)).unwrap().head_invalid);
        *store.1.lock().unwrap() = None;
        let report = now(service.verify(&admin(), None, None)).unwrap();
        assert!(report.head_invalid && !report.valid, "{report:?}");
    }

    #[test]
    fn an_empty_log_verifies() {
        let (service, _) = service(0);
        let (report, checkpoint) = now(service.verify_since(None)).unwrap();
        assert!(report.valid);
        assert_eq!((report.total_checked, checkpoint), (0, None));
    }
}
