//! The periodic audit integrity check: verifies the chain from the last verified checkpoint,
//! records `audit.integrity_check`, and logs loudly when a row was edited or removed.

use std::sync::Arc;
use std::time::Duration;

use pincer_audit::{Actor, AuditEvent, AuditService};
use serde_json::json;

/// The first check runs shortly after start, then every `interval`.
const FIRST_DELAY: Duration = Duration::from_secs(5);

pub async fn run_periodically(audit: Arc<AuditService>, interval: Duration) {
    let mut checkpoint = None;
    let mut delay = FIRST_DELAY.min(interval);
    loop {
        tokio::time::sleep(delay).await;
        delay = interval;
        match audit.verify_since(checkpoint.clone()).await {
            Ok((report, next)) => {
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
                if report.valid {
                    tracing::info!(checked = report.total_checked, "audit chain verified");
                    // Only a clean stretch becomes the new starting point.
                    if next.is_some() {
                        checkpoint = next;
                    }
                } else {
                    event = event.failed();
                    tracing::error!(
                        invalid = ?report.invalid_ids,
                        chain_breaks = ?report.chain_break_ids,
                        truncated = report.truncated,
                        rolled_back = report.rolled_back,
                        head_invalid = report.head_invalid,
                        head_id = ?report.head_id,
                        last_id = ?report.last_id,
                        anchor_id = ?report.anchor_id,
                        invalid_pseudonyms = ?report.invalid_pseudonyms,
                        "AUDIT LOG INTEGRITY VIOLATION: rows were edited or removed"
                    );
                }
                audit.append(event).await.ok();
            }
            Err(e) => tracing::error!(error = %e, "audit integrity check could not run"),
        }
    }
}
