//! Each check against a well-set-up installation (everything passes), then with one fact changed.

use pincer_core::Timestamp;

use super::evaluate;
use crate::check::Status;
use crate::facts::{
    AdminFact, AdminTokenFact, DatabaseFacts, FileFact, HostFacts, IntegrityFact, KeySource, ProviderFact, StoredFacts,
};

const DAY: i64 = 24 * 60 * 60 * 1000;
const NOW: Timestamp = Timestamp(1_800_000_000_000);

fn ago(days: i64) -> Timestamp {
    NOW.plus_millis(-days * DAY)
}

fn file(path: &str, mode: u32) -> FileFact {
    FileFact { path: path.into(), mode }
}

fn host() -> HostFacts {
    HostFacts {
        secrets_dir: file("/data/secrets", 0o700),
        keys: vec![
            KeySource::File(file("/data/secrets/encryption.key", 0o600)),
            KeySource::Environment { name: "PINCER_AUDIT_KEY".into() },
        ],
        exposed_secret_files: Vec::new(),
        bind: "127.0.0.1:7777".into(),
        bind_loopback: true,
        public_url: Some("https://pincer.example.com".into()),
        behind_proxy: true,
        locked_domain: Some("pincer.example.com".into()),
        tunnel: None,
        database: DatabaseFacts::Sqlite { files: vec![file("/data/pincer.db", 0o600)] },
        backup_dir: "/data/backups".into(),
        newest_backup: Some(ago(1)),
    }
}

fn stored() -> StoredFacts {
    StoredFacts {
        admins: vec![AdminFact { email: "ada@example.com".into(), password_changed_at: ago(10) }],
        admin_tokens: vec![AdminTokenFact {
            name: "ci".into(),
            owner: "ada@example.com".into(),
            created_at: ago(100),
            last_used_at: Some(ago(1)),
        }],
        providers: vec![
            ProviderFact { name: "anthropic".into(), base_url: None },
            ProviderFact { name: "ollama".into(), base_url: Some("http://localhost:11434".into()) },
        ],
        last_integrity_check: Some(IntegrityFact { at: ago(0), valid: true }),
        pending_migrations: Vec::new(),
    }
}

fn status_of(host: &HostFacts, stored: &StoredFacts, id: &str) -> Status {
    let checks = evaluate(host, stored, NOW);
    let check = checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id}"));
    assert_eq!(check.fix.is_empty(), check.status == Status::Pass, "{check:?}");
    check.status
}

fn host_status(change: impl FnOnce(&mut HostFacts), id: &str) -> Status {
    let mut h = host();
    change(&mut h);
    status_of(&h, &stored(), id)
}

fn stored_status(change: impl FnOnce(&mut StoredFacts), id: &str) -> Status {
    let mut s = stored();
    change(&mut s);
    status_of(&host(), &s, id)
}

#[test]
fn a_well_set_up_installation_passes_everything() {
    let checks = evaluate(&host(), &stored(), NOW);
    assert_eq!(checks.len(), 14);
    let failing: Vec<_> = checks.iter().filter(|c| c.status != Status::Pass).collect();
    assert!(failing.is_empty(), "{failing:?}");
    assert_eq!(crate::check::score(&checks), 100);
}

#[test]
fn key_files_others_can_read_fail_and_group_readable_ones_warn() {
    let key = |mode| move |h: &mut HostFacts| h.keys[0] = KeySource::File(file("/data/secrets/encryption.key", mode));
    assert_eq!(host_status(key(0o644), "key_files"), Status::Fail);
    assert_eq!(host_status(key(0o640), "key_files"), Status::Warn);
    assert_eq!(host_status(|h| h.secrets_dir.mode = 0o755, "key_files"), Status::Fail);
    assert_eq!(
        host_status(|h| h.exposed_secret_files = vec![file("/etc/pincer/licence", 0o644)], "secrets_exposed"),
        Status::Fail
    );
}

#[test]
fn how_the_server_is_reached() {
    let public = |h: &mut HostFacts| {
        h.bind = "0.0.0.0:7777".into();
        h.bind_loopback = false;
        h.behind_proxy = false;
        h.public_url = None;
        h.locked_domain = None;
    };
    assert_eq!(host_status(public, "bind_address"), Status::Fail);
    assert_eq!(host_status(public, "https"), Status::Warn);
    assert_eq!(host_status(public, "domain_lock"), Status::Warn);
    let plain_url = |h: &mut HostFacts| h.public_url = Some("http://pincer.example.com".into());
    assert_eq!(host_status(plain_url, "https"), Status::Fail);
    assert_eq!(host_status(|h| h.public_url = Some("http://localhost:7777".into()), "https"), Status::Pass);
    assert_eq!(host_status(|h| h.tunnel = Some("https://x.trycloudflare.com".into()), "tunnel"), Status::Warn);
    // A loopback-only server needs no lock, unless a tunnel opens it.
    let loopback_unlocked = |h: &mut HostFacts| {
        h.locked_domain = None;
        h.public_url = None;
    };
    assert_eq!(host_status(loopback_unlocked, "domain_lock"), Status::Pass);
    let tunnelled = |h: &mut HostFacts| {
        loopback_unlocked(h);
        h.tunnel = Some("https://x.trycloudflare.com".into());
    };
    assert_eq!(host_status(tunnelled, "domain_lock"), Status::Warn);
}

#[test]
fn the_database_files_connection_and_backups() {
    let sqlite = |mode| {
        move |h: &mut HostFacts| h.database = DatabaseFacts::Sqlite { files: vec![file("/data/pincer.db", mode)] }
    };
    assert_eq!(host_status(sqlite(0o644), "database_files"), Status::Fail);
    assert_eq!(host_status(sqlite(0o660), "database_files"), Status::Warn);
    let pg = |host: &str, local, sslmode: Option<&str>| {
        let (host, sslmode) = (host.to_string(), sslmode.map(str::to_string));
        move |h: &mut HostFacts| h.database = DatabaseFacts::Postgres { host, local, sslmode }
    };
    assert_eq!(host_status(pg("db.example.com", false, None), "database_tls"), Status::Fail);
    assert_eq!(host_status(pg("db.example.com", false, Some("prefer")), "database_tls"), Status::Fail);
    assert_eq!(host_status(pg("db.example.com", false, Some("verify-full")), "database_tls"), Status::Pass);
    assert_eq!(host_status(pg("127.0.0.1", true, None), "database_tls"), Status::Pass);
    assert_eq!(host_status(pg("db.example.com", false, None), "database_files"), Status::Pass);
    assert_eq!(host_status(|h| h.newest_backup = None, "backups"), Status::Warn);
    assert_eq!(host_status(|h| h.newest_backup = Some(ago(8)), "backups"), Status::Warn);
    assert_eq!(host_status(|h| h.newest_backup = Some(ago(31)), "backups"), Status::Fail);
}

#[test]
fn accounts_tokens_providers_the_chain_and_the_schema() {
    assert_eq!(stored_status(|s| s.admins[0].password_changed_at = ago(181), "admin_passwords"), Status::Warn);
    assert_eq!(stored_status(|s| s.admin_tokens[0].last_used_at = Some(ago(91)), "admin_tokens"), Status::Warn);
    assert_eq!(stored_status(|s| s.admin_tokens[0].last_used_at = None, "admin_tokens"), Status::Warn);
    let fresh_unused = |s: &mut StoredFacts| {
        s.admin_tokens[0].last_used_at = None;
        s.admin_tokens[0].created_at = ago(2);
    };
    assert_eq!(stored_status(fresh_unused, "admin_tokens"), Status::Pass, "a new token is not forgotten yet");
    let lan = |s: &mut StoredFacts| s.providers[1].base_url = Some("http://10.0.0.5:11434".into());
    assert_eq!(stored_status(lan, "provider_tls"), Status::Fail);
    assert_eq!(stored_status(|s| s.last_integrity_check = None, "audit_chain"), Status::Warn);
    let broken = |s: &mut StoredFacts| s.last_integrity_check = Some(IntegrityFact { at: ago(0), valid: false });
    assert_eq!(stored_status(broken, "audit_chain"), Status::Fail);
    let stale = |s: &mut StoredFacts| s.last_integrity_check = Some(IntegrityFact { at: ago(3), valid: true });
    assert_eq!(stored_status(stale, "audit_chain"), Status::Warn);
    assert_eq!(stored_status(|s| s.pending_migrations = vec!["x".into()], "migrations"), Status::Warn);
}
