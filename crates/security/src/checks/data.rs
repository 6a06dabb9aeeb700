//! Checks of what the database holds: accounts, tokens, providers, the audit chain, the schema.

use pincer_core::Timestamp;

use super::url::{is_local_host, scheme_and_host};
use super::{days_since, list};
use crate::check::{Check, Severity, Status};
use crate::facts::StoredFacts;

/// An admin password older than this is worth changing.
const PASSWORD_MAX_DAYS: i64 = 180;
/// An admin-scoped token never used this long after its creation, or unused this long, is
/// probably forgotten.
const TOKEN_NEVER_USED_DAYS: i64 = 30;
const TOKEN_UNUSED_DAYS: i64 = 90;
/// The background verification runs every 15 minutes by default: two days without one means it
/// stopped.
const INTEGRITY_MAX_DAYS: i64 = 2;

pub fn admin_passwords(stored: &StoredFacts, now: Timestamp) -> Check {
    const ID: &str = "admin_passwords";
    const TITLE: &str = "Admin passwords were changed recently";
    let stale: Vec<String> = stored
        .admins
        .iter()
        .filter(|a| days_since(a.password_changed_at, now) > PASSWORD_MAX_DAYS)
        .map(|a| format!("{} ({} days)", a.email, days_since(a.password_changed_at, now)))
        .collect();
    if stale.is_empty() {
        return Check::pass(
            ID,
            TITLE,
            Severity::Medium,
            format!("every admin password is under {PASSWORD_MAX_DAYS} days old"),
        );
    }
    Check::flag(
        ID,
        TITLE,
        Severity::Medium,
        Status::Warn,
        format!("not changed for over {PASSWORD_MAX_DAYS} days: {}", list(stale)),
        "ask these admins to change their password (Profile → Password), or demote accounts nobody uses",
    )
}

pub fn admin_tokens(stored: &StoredFacts, now: Timestamp) -> Check {
    const ID: &str = "admin_tokens";
    const TITLE: &str = "No forgotten admin tokens";
    let forgotten: Vec<String> = stored
        .admin_tokens
        .iter()
        .filter_map(|t| match t.last_used_at {
            None if days_since(t.created_at, now) > TOKEN_NEVER_USED_DAYS => {
                Some(format!("{} of {} (never used)", t.name, t.owner))
            }
            Some(used) if days_since(used, now) > TOKEN_UNUSED_DAYS => {
                Some(format!("{} of {} (unused for {} days)", t.name, t.owner, days_since(used, now)))
            }
            _ => None,
        })
        .collect();
    if forgotten.is_empty() {
        return Check::pass(
            ID,
            TITLE,
            Severity::High,
            format!("{} admin-scoped token(s), all in use", stored.admin_tokens.len()),
        );
    }
    Check::flag(
        ID,
        TITLE,
        Severity::High,
        Status::Warn,
        format!("admin-scoped tokens nobody seems to use: {}", list(forgotten)),
        "revoke them (Profile → API tokens), or give the scripts that need them narrower scopes",
    )
}

pub fn provider_tls(stored: &StoredFacts) -> Check {
    const ID: &str = "provider_tls";
    const TITLE: &str = "Providers are called over HTTPS";
    let plain: Vec<String> = stored
        .providers
        .iter()
        .filter(|p| {
            p.base_url
                .as_deref()
                .and_then(scheme_and_host)
                .is_some_and(|(scheme, host)| scheme == "http" && !is_local_host(&host))
        })
        .map(|p| p.name.clone())
        .collect();
    if plain.is_empty() {
        return Check::pass(
            ID,
            TITLE,
            Severity::High,
            format!("{} provider(s), none in plain HTTP across the network", stored.providers.len()),
        );
    }
    Check::flag(
        ID,
        TITLE,
        Severity::High,
        Status::Fail,
        format!("called in plain HTTP across the network (keys and conversations in clear): {}", list(plain)),
        "give these providers an https:// base URL, or reach them through a TLS proxy (Settings → Providers)",
    )
}

pub fn audit_chain(stored: &StoredFacts, now: Timestamp) -> Check {
    const ID: &str = "audit_chain";
    const TITLE: &str = "The audit chain verifies";
    let Some(last) = stored.last_integrity_check else {
        return Check::flag(
            ID,
            TITLE,
            Severity::Critical,
            Status::Warn,
            "the audit chain has not been verified yet",
            "keep the server running: it verifies the chain every PINCER_AUDIT_CHECK_INTERVAL seconds",
        );
    };
    let at = last.at.to_rfc3339();
    if !last.valid {
        return Check::flag(
            ID,
            TITLE,
            Severity::Critical,
            Status::Fail,
            format!("the last verification ({at}) found edited or missing entries"),
            "verify the log (Audit → Verify), find the rows named, and restore them from a backup (docs/OPERATIONS.md)",
        );
    }
    if days_since(last.at, now) > INTEGRITY_MAX_DAYS {
        return Check::flag(
            ID,
            TITLE,
            Severity::Critical,
            Status::Warn,
            format!("the last verification was {at}: the background check has stopped"),
            "check the server's log for the audit.integrity_check worker",
        );
    }
    Check::pass(ID, TITLE, Severity::Critical, format!("verified at {at}"))
}

pub fn migrations(stored: &StoredFacts) -> Check {
    const ID: &str = "migrations";
    const TITLE: &str = "The database schema is up to date";
    if stored.pending_migrations.is_empty() {
        return Check::pass(ID, TITLE, Severity::Medium, "no migration is pending");
    }
    Check::flag(
        ID,
        TITLE,
        Severity::Medium,
        Status::Warn,
        format!("pending: {}", list(stored.pending_migrations.iter().cloned())),
        "restart the server (it migrates at start) or run `pincer migrate`",
    )
}
