//! The security audit: runs the checks on demand, files the day's self-audit report, and records
//! in the audit trail every check that got worse since the report before.

use std::sync::Arc;

use pincer_audit::{Actor, AuditEvent, AuditService};
use pincer_core::{Capability, Clock, Page, PageRequest, Principal, StoreError};
use serde_json::json;

use crate::check::{Status, score};
use crate::checks::evaluate;
use crate::error::SecurityError;
use crate::ports::{HostProbe, PostureStore, ReportStore};
use crate::report::{Assessment, Day, Report, worsened};

/// What the service is built from.
pub struct SecurityDeps {
    pub host: Arc<dyn HostProbe>,
    pub facts: Arc<dyn PostureStore>,
    pub reports: Arc<dyn ReportStore>,
    pub audit: Arc<AuditService>,
    pub clock: Arc<dyn Clock>,
}

/// Who asked for a self-audit (recorded with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The daily round.
    Scheduled,
    /// An admin (`POST /api/self-audit/run`).
    Manual,
}

/// Security audits and self-audit reports.
pub struct SecurityAudit {
    deps: SecurityDeps,
}

impl SecurityAudit {
    pub fn new(deps: SecurityDeps) -> Self {
        Self { deps }
    }

    /// Runs every check now (admins). Nothing is stored.
    pub async fn check_now(&self, principal: &Principal) -> Result<Assessment, SecurityError> {
        principal.require(Capability::ManageSettings)?;
        Ok(self.assess().await?)
    }

    /// Runs a self-audit now and files it as today's report (admins).
    pub async fn run(&self, principal: &Principal) -> Result<Report, SecurityError> {
        principal.require(Capability::ManageSettings)?;
        Ok(self.self_audit(Actor::of(principal), Trigger::Manual).await?)
    }

    /// A page of reports, newest day first (admins).
    pub async fn reports(&self, principal: &Principal, page: PageRequest) -> Result<Page<Report>, SecurityError> {
        principal.require(Capability::ManageSettings)?;
        Ok(self.deps.reports.reports(page).await?)
    }

    /// The report of the day `date` (`YYYY-MM-DD`) (admins).
    pub async fn report(&self, principal: &Principal, date: &str) -> Result<Report, SecurityError> {
        principal.require(Capability::ManageSettings)?;
        let day = Day::parse(date).ok_or(SecurityError::InvalidDate)?;
        self.deps.reports.report(day).await?.ok_or(SecurityError::ReportNotFound)
    }

    /// Whether today (UTC) has a report already.
    pub async fn filed_today(&self) -> Result<bool, StoreError> {
        let today = Day::of(self.deps.clock.now());
        Ok(self.deps.reports.report(today).await?.is_some())
    }

    /// Runs the checks, compares them with the last report, files today's, and records the run
    /// and each check that got worse.
    pub async fn self_audit(&self, actor: Actor, trigger: Trigger) -> Result<Report, StoreError> {
        let assessment = self.assess().await?;
        let previous = self.deps.reports.latest_report().await?;
        let report = Report { day: Day::of(assessment.at), assessment };
        self.deps.reports.save_report(&report).await?;
        let mut events = vec![
            AuditEvent::new(actor.clone(), "security.self_audit")
                .resource(format!("self_audit:{}", report.day))
                .detail(json!({
                    "date": report.day.to_string(),
                    "score": report.assessment.score,
                    "failed": count(&report.assessment, Status::Fail),
                    "warnings": count(&report.assessment, Status::Warn),
                    "trigger": match trigger { Trigger::Scheduled => "scheduled", Trigger::Manual => "manual" },
                })),
        ];
        if let Some(previous) = &previous {
            events.extend(worsened(&previous.assessment, &report.assessment).into_iter().map(|(check, before)| {
                AuditEvent::new(actor.clone(), "security.check_failed")
                    .resource(format!("security_check:{}", check.id))
                    .detail(json!({
                        "check": check.id,
                        "title": check.title,
                        "severity": check.severity,
                        "from": before,
                        "to": check.status,
                        "detail": check.detail,
                        "previousReport": previous.day.to_string(),
                    }))
                    .failed()
            }));
        }
        self.deps.audit.append_batch(events).await?;
        Ok(report)
    }

    async fn assess(&self) -> Result<Assessment, StoreError> {
        let stored = self.deps.facts.stored_facts().await?;
        let host = self.deps.host.host_facts().await;
        let at = self.deps.clock.now();
        let checks = evaluate(&host, &stored, at);
        Ok(Assessment { at, score: score(&checks), checks })
    }
}

fn count(assessment: &Assessment, status: Status) -> usize {
    assessment.checks.iter().filter(|c| c.status == status).count()
}
