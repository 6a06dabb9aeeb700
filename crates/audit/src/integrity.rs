//! The periodic integrity check as a worker: verifies the chain from the last verified
//! checkpoint, records `audit.integrity_check`, and raises the alarm when a row was edited or
//! removed. One replica runs it at a time (the scheduler's lease).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use pincer_core::{Round, Worker};
use serde_json::json;

use crate::{Actor, AuditEvent, AuditService};

/// The first check runs shortly after start, then every interval.
const FIRST_DELAY: Duration = Duration::from_secs(5);

/// Verifies the chain every `interval` (a singleton worker).
pub struct IntegrityCheck {
    audit: Arc<AuditService>,
    interval: Duration,
    /// The end of the last clean stretch: the next round verifies from there.
    checkpoint: Mutex<Option<(i64, String)>>,
}

impl IntegrityCheck {
    /// A check of `audit`'s chain every `interval`.
    pub fn new(audit: Arc<AuditService>, interval: Duration) -> Self {
        Self { audit, interval, checkpoint: Mutex::new(None) }
    }

    fn checkpoint(&self) -> Option<(i64, String)> {
        self.checkpoint.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Worker for IntegrityCheck {
    fn name(&self) -> &'static str {
        "audit.integrity_check"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn first_delay(&self) -> Duration {
        FIRST_DELAY.min(self.interval)
    }

    async fn run_once(&self) -> Round {
        let checkpoint = self.checkpoint();
        let (report, next) = match self.audit.verify_since(checkpoint.clone()).await {
            Ok(verified) => verified,
            Err(e) => return Round::Failed(format!("audit integrity check could not run: {e}")),
        };
        let mut event = AuditEvent::new(Actor::System, "audit.integrity_check").detail(json!({
            "checked": report.total_checked,
            "invalidIds": report.invalid_ids,
            "chainBreakIds": report.chain_break_ids,
            "truncated": report.truncated,
            "rolledBack": report.rolled_back,
            "headInvalid": report.head_invalid,
            "headId": report.head_id,
            "lastId": report.last_id,
            "anchorId": report.anchor_id,
            "invalidPseudonyms": report.invalid_pseudonyms,
            "fromId": checkpoint.as_ref().map_or(1, |(id, _)| id + 1),
        }));
        let round = if report.valid {
            // Only a clean stretch becomes the new starting point.
            if let (Some(next), Ok(mut checkpoint)) = (next, self.checkpoint.lock()) {
                *checkpoint = Some(next);
            }
            Round::Done(format!("audit chain verified ({} entries checked)", report.total_checked))
        } else {
            event = event.failed();
            Round::Alarm(format!(
                "AUDIT LOG INTEGRITY VIOLATION: rows were edited or removed (invalid {:?}, chain breaks {:?}, \
                 truncated {}, rolled back {}, head invalid {}, head {:?}, last {:?}, anchor {:?}, invalid \
                 pseudonyms {:?})",
                report.invalid_ids,
                report.chain_break_ids,
                report.truncated,
                report.rolled_back,
                report.head_invalid,
                report.head_id,
                report.last_id,
                report.anchor_id,
                report.invalid_pseudonyms,
            ))
        };
        self.audit.append(event).await.ok();
        round
    }
}
