//! The periodic removal of expired sessions. They already fail authentication; without this
//! they would pile up in the table forever. On PostgreSQL every replica runs the schedule and the
//! store lets one of them at a time do the work (an advisory lock, DESIGN §8).

use std::sync::Arc;
use std::time::Duration;

use pincer_identity::Identity;

pub async fn run_periodically(identity: Arc<Identity>, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        match identity.purge_expired_sessions().await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "removed expired sessions"),
            Err(e) => tracing::warn!(error = %e, "cannot remove expired sessions"),
        }
    }
}
