//! The security self-audit's ports on [`Database`]: the facts the database holds, gathered in one
//! call on one store thread, and one report per day.

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_core::{Page, PageRequest, Scope, StoreError, Timestamp};
use pincer_security::facts::{AdminFact, AdminTokenFact, IntegrityFact, ProviderFact, StoredFacts};
use pincer_security::ports::{PostureStore, ReportStore};
use pincer_security::{Assessment, Check, Day, Report};

use crate::Database;
use crate::backend;
use crate::conn::AnyConn;
use crate::error::DbError;
use crate::migrate;
use crate::schema::{api_tokens, audit_log, providers, security_reports, users};

/// The event the background verification of the audit chain records.
const INTEGRITY_EVENT: &str = "audit.integrity_check";

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = security_reports, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct ReportRow {
    day: String,
    created_at: i64,
    score: i32,
    checks: String,
}

impl ReportRow {
    fn from_report(report: &Report) -> Result<Self, DbError> {
        Ok(Self {
            day: report.day.to_string(),
            created_at: report.assessment.at.millis(),
            score: i32::from(report.assessment.score),
            checks: serde_json::to_string(&report.assessment.checks)
                .map_err(|_| DbError::Corrupt("security_reports.checks"))?,
        })
    }

    fn into_report(self) -> Result<Report, DbError> {
        let checks: Vec<Check> =
            serde_json::from_str(&self.checks).map_err(|_| DbError::Corrupt("security_reports.checks"))?;
        Ok(Report {
            day: Day::parse(&self.day).ok_or(DbError::Corrupt("security_reports.day"))?,
            assessment: Assessment {
                at: Timestamp(self.created_at),
                score: u8::try_from(self.score).map_err(|_| DbError::Corrupt("security_reports.score"))?,
                checks,
            },
        })
    }
}

#[async_trait]
impl ReportStore for Database {
    async fn save_report(&self, report: &Report) -> Result<(), StoreError> {
        let row = ReportRow::from_report(report).map_err(|_| StoreError::Unavailable)?;
        self.run_write("security_reports.save", move |conn| {
            // Delete and insert in one transaction: portable, and the day keeps one report.
            backend::write(conn, None, |conn| {
                diesel::delete(security_reports::table.find(&row.day)).execute(conn)?;
                diesel::insert_into(security_reports::table).values(&row).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn report(&self, day: Day) -> Result<Option<Report>, StoreError> {
        let day = day.to_string();
        self.run("security_reports.by_day", move |conn| {
            let row: Option<ReportRow> =
                security_reports::table.find(&day).select(ReportRow::as_select()).first(conn).optional()?;
            row.map(ReportRow::into_report).transpose()
        })
        .await
    }

    async fn latest_report(&self) -> Result<Option<Report>, StoreError> {
        self.run("security_reports.latest", move |conn| {
            let row: Option<ReportRow> = security_reports::table
                .order(security_reports::day.desc())
                .select(ReportRow::as_select())
                .first(conn)
                .optional()?;
            row.map(ReportRow::into_report).transpose()
        })
        .await
    }

    async fn reports(&self, page: PageRequest) -> Result<Page<Report>, StoreError> {
        self.run("security_reports.list", move |conn| {
            let total: i64 = security_reports::table.count().get_result(conn)?;
            let rows: Vec<ReportRow> = security_reports::table
                .order(security_reports::day.desc())
                .limit(i64::from(page.limit))
                .offset(page.offset())
                .select(ReportRow::as_select())
                .load(conn)?;
            let items = rows.into_iter().map(ReportRow::into_report).collect::<Result<_, _>>()?;
            Ok(Page { items, total })
        })
        .await
    }
}

#[async_trait]
impl PostureStore for Database {
    async fn stored_facts(&self) -> Result<StoredFacts, StoreError> {
        self.run("security.stored_facts", |conn| {
            Ok(StoredFacts {
                admins: admins(conn)?,
                admin_tokens: admin_tokens(conn)?,
                providers: providers::table
                    .select((providers::name, providers::base_url))
                    .order(providers::name.asc())
                    .load::<(String, Option<String>)>(conn)?
                    .into_iter()
                    .map(|(name, base_url)| ProviderFact { name, base_url })
                    .collect(),
                last_integrity_check: last_integrity_check(conn)?,
                pending_migrations: migrate::pending(conn).map_err(|e| {
                    tracing::warn!(error = %e, "cannot list the pending migrations");
                    DbError::Store(StoreError::Unavailable)
                })?,
            })
        })
        .await
    }
}

/// Active admins; an account whose password was never changed counts from its creation.
fn admins(conn: &mut AnyConn) -> Result<Vec<AdminFact>, DbError> {
    let rows: Vec<(String, i64, Option<i64>)> = users::table
        .filter(users::role.eq("admin"))
        .filter(users::banned.eq(false))
        .order(users::email.asc())
        .select((users::email, users::created_at, users::password_changed_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(email, created, changed)| AdminFact {
            email,
            password_changed_at: Timestamp(changed.unwrap_or(created)),
        })
        .collect())
}

/// Tokens carrying the `admin` scope held by active admins (a member's is powerless).
fn admin_tokens(conn: &mut AnyConn) -> Result<Vec<AdminTokenFact>, DbError> {
    let rows: Vec<(String, String, i64, Option<i64>, String)> = api_tokens::table
        .inner_join(users::table)
        .filter(users::role.eq("admin"))
        .filter(users::banned.eq(false))
        .order(api_tokens::created_at.asc())
        .select((api_tokens::name, api_tokens::scopes, api_tokens::created_at, api_tokens::last_used_at, users::email))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, scopes, ..)| scopes.split_whitespace().any(|s| s == Scope::Admin.as_str()))
        .map(|(name, _, created, used, owner)| AdminTokenFact {
            name,
            owner,
            created_at: Timestamp(created),
            last_used_at: used.map(Timestamp),
        })
        .collect())
}

/// The newest `audit.integrity_check` entry (the event-type index reads it directly).
fn last_integrity_check(conn: &mut AnyConn) -> Result<Option<IntegrityFact>, DbError> {
    let row: Option<(i64, String)> = audit_log::table
        .filter(audit_log::event_type.eq(INTEGRITY_EVENT))
        .order(audit_log::id.desc())
        .select((audit_log::timestamp, audit_log::outcome))
        .first(conn)
        .optional()?;
    Ok(row.map(|(at, outcome)| IntegrityFact { at: Timestamp(at), valid: outcome == "success" }))
}
