//! The audit service: the real [`AuditSink`] and the admin queries over the log.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use pincer_core::{Clock, Page, PageRequest, Principal, StoreError, Timestamp};
use serde_json::Value;

use crate::chain::{ChainKey, PendingEntry};
use crate::error::AuditError;
use crate::event::{Actor, AuditEvent, AuditSink, Outcome};
use crate::ports::{AuditFilter, AuditRow, AuditStore};
use crate::redact::Redactor;
use crate::throttle::{Decision, FailureThrottle};
use crate::verify::{Verifier, VerifyReport};

/// Rows read per round trip when scanning the whole log.
pub const SCAN_BATCH: usize = 5_000;
/// The throttled event type (anyone can trigger it).
const FAILED_LOGIN: &str = "auth.failed";

/// What an admin filters by: a real user id, not a pseudonym.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub event_type: Option<String>,
    pub actor_user_id: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

pub struct AuditService {
    store: Arc<dyn AuditStore>,
    key: Arc<ChainKey>,
    redactor: Redactor,
    clock: Arc<dyn Clock>,
    throttle: FailureThrottle,
    lost: AtomicU64,
}

impl AuditService {
    pub fn new(store: Arc<dyn AuditStore>, audit_key: &[u8; 32], clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            key: Arc::new(ChainKey::new(audit_key)),
            redactor: Redactor::new(audit_key),
            clock,
            throttle: FailureThrottle::default(),
            lost: AtomicU64::new(0),
        }
    }

    /// Events that could not be stored since start (the store adapter logs each cause).
    pub fn lost_events(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// Appends an event, returning the stored row id (`None` when throttled).
    pub async fn append(&self, event: AuditEvent) -> Result<Option<i64>, StoreError> {
        let now = self.clock.now();
        let mut detail = event.detail;
        if event.event_type == FAILED_LOGIN {
            let source = detail.get("source").and_then(Value::as_str).unwrap_or("unknown").to_string();
            match self.throttle.decide(&source, now) {
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
        Ok(Some(self.store.append(pending, self.key.clone()).await?.id))
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
        self.store.append_batch(pending, self.key.clone()).await
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
                        let fresh = self.store.pseudonym(&id).await?;
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
            // A user with no pseudonym has no rows; a value no pseudonym can take matches nothing.
            Some(user_id) => Some(self.store.find_pseudonym(&user_id).await?.unwrap_or_else(|| "-".into())),
        };
        Ok(AuditFilter { event_type: query.event_type, actor_id, from: query.from, to: query.to })
    }

    pub async fn list(
        &self,
        principal: &Principal,
        query: AuditQuery,
        page: PageRequest,
    ) -> Result<Page<AuditRow>, AuditError> {
        require_admin(principal)?;
        let filter = self.filter(query).await?;
        Ok(self.store.query(&filter, page).await?)
    }

    pub async fn event_types(&self, principal: &Principal) -> Result<Vec<String>, AuditError> {
        require_admin(principal)?;
        Ok(self.store.event_types().await?)
    }

    /// Resolves an export's filter once; then call [`AuditService::export_batch`] until empty.
    pub async fn export_filter(&self, principal: &Principal, query: AuditQuery) -> Result<AuditFilter, AuditError> {
        require_admin(principal)?;
        self.filter(query).await
    }

    /// The next rows of an export, ascending by id.
    pub async fn export_batch(&self, filter: &AuditFilter, after_id: i64) -> Result<Vec<AuditRow>, AuditError> {
        Ok(self.store.scan(filter, after_id, None, SCAN_BATCH).await?)
    }

    /// Recomputes the chain over `[from_id, to_id]` (the whole log by default).
    pub async fn verify(
        &self,
        principal: &Principal,
        from_id: Option<i64>,
        to_id: Option<i64>,
    ) -> Result<VerifyReport, AuditError> {
        require_admin(principal)?;
        if let (Some(from), Some(to)) = (from_id, to_id)
            && from > to
        {
            return Err(AuditError::InvalidInput("fromId must not be greater than toId".into()));
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
        let all = AuditFilter::default();
        let mut cursor = after_id;
        loop {
            let batch = self.store.scan(&all, cursor, to_id, SCAN_BATCH).await?;
            let Some(last) = batch.last() else { break };
            cursor = last.entry.id;
            batch.iter().for_each(|row| verifier.feed(&row.entry));
            if batch.len() < SCAN_BATCH {
                break;
            }
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

fn require_admin(principal: &Principal) -> Result<(), AuditError> {
    if principal.is_admin() { Ok(()) } else { Err(AuditError::AdminRequired) }
}
