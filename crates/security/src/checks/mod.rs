//! The checks: pure functions from facts to verdicts. Each has a stable id; reports are compared
//! check by check on it.

mod data;
mod host;
mod url;

use pincer_core::Timestamp;

use crate::check::Check;
use crate::facts::{HostFacts, StoredFacts};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Every check, in the order a report lists them.
pub fn evaluate(host: &HostFacts, stored: &StoredFacts, now: Timestamp) -> Vec<Check> {
    vec![
        host::key_files(host),
        host::secrets_exposed(host),
        host::bind_address(host),
        host::https(host),
        host::domain_lock(host),
        host::tunnel(host),
        host::database_files(host),
        host::database_tls(host),
        host::backups(host, now),
        data::admin_passwords(stored, now),
        data::admin_tokens(stored, now),
        data::provider_tls(stored),
        data::audit_chain(stored, now),
        data::migrations(stored),
    ]
}

/// The checks a configuration answers before any server runs (`pincer config check`): files,
/// addresses, the database connection, backups. The domain lock and the tunnel are a running
/// server's state, the data checks need its database.
pub fn configuration(host: &HostFacts, now: Timestamp) -> Vec<Check> {
    vec![
        host::key_files(host),
        host::secrets_exposed(host),
        host::bind_address(host),
        host::https(host),
        host::database_files(host),
        host::database_tls(host),
        host::backups(host, now),
    ]
}

/// Whole days between two instants (0 when `then` is later).
fn days_since(then: Timestamp, now: Timestamp) -> i64 {
    (now.millis() - then.millis()).max(0) / DAY_MS
}

/// `a, b and 3 more` — a readable list that stays short.
fn list(items: impl IntoIterator<Item = String>) -> String {
    const SHOWN: usize = 5;
    let items: Vec<String> = items.into_iter().collect();
    let mut out = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > SHOWN {
        out.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    out
}

#[cfg(test)]
mod tests;
