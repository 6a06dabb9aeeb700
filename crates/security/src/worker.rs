//! The daily self-audit as a singleton worker: every hour it looks whether today has a report,
//! and files one when not — so a restart neither skips a day nor runs twice.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pincer_audit::Actor;
use pincer_core::{Round, Worker};

use crate::service::{SecurityAudit, Trigger};

/// How often the worker looks whether today is filed.
const INTERVAL: Duration = Duration::from_secs(60 * 60);
/// The first look, a little after start (the server settles first).
const FIRST_DELAY: Duration = Duration::from_secs(60);

/// Files one self-audit report a day.
pub struct DailySelfAudit {
    security: Arc<SecurityAudit>,
}

impl DailySelfAudit {
    pub fn new(security: Arc<SecurityAudit>) -> Self {
        Self { security }
    }
}

#[async_trait]
impl Worker for DailySelfAudit {
    fn name(&self) -> &'static str {
        "security.self_audit"
    }

    fn interval(&self) -> Duration {
        INTERVAL
    }

    fn first_delay(&self) -> Duration {
        FIRST_DELAY
    }

    async fn run_once(&self) -> Round {
        match self.security.filed_today().await {
            Ok(true) => return Round::Quiet,
            Ok(false) => {}
            Err(e) => return Round::Failed(format!("cannot read today's self-audit report: {e}")),
        }
        match self.security.self_audit(Actor::System, Trigger::Scheduled).await {
            Ok(report) => {
                Round::Done(format!("self-audit filed for {} (score {})", report.day, report.assessment.score))
            }
            Err(e) => Round::Failed(format!("the self-audit could not run: {e}")),
        }
    }
}
