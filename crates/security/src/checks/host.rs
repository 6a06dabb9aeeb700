//! Checks of the running server: its files, its command line, how it is reached.

use pincer_core::Timestamp;

use super::url::{is_local_host, scheme_and_host};
use super::{days_since, list};
use crate::check::{Check, Severity, Status};
use crate::facts::{DatabaseFacts, FileFact, HostFacts, KeySource};

/// Backups older than this are worth a warning; older than [`BACKUP_FAIL_DAYS`], a failure.
const BACKUP_WARN_DAYS: i64 = 7;
const BACKUP_FAIL_DAYS: i64 = 30;

/// Permission bits others (`o`) hold, and the group (`g`).
const OTHERS: u32 = 0o007;
const GROUP: u32 = 0o070;

fn describe(file: &FileFact) -> String {
    format!("{} ({:03o})", file.path, file.mode & 0o777)
}

/// The worst of a set of files: `Fail` when anyone may read one, `Warn` when its group may.
fn exposure(files: &[&FileFact]) -> (Status, Vec<String>) {
    let open: Vec<&&FileFact> = files.iter().filter(|f| f.mode & (OTHERS | GROUP) != 0).collect();
    let status = if open.iter().any(|f| f.mode & OTHERS != 0) {
        Status::Fail
    } else if open.is_empty() {
        Status::Pass
    } else {
        Status::Warn
    };
    (status, open.iter().map(|f| describe(f)).collect())
}

pub fn key_files(host: &HostFacts) -> Check {
    const ID: &str = "key_files";
    const TITLE: &str = "Key files are private";
    let mut files: Vec<&FileFact> = vec![&host.secrets_dir];
    let mut from_env = Vec::new();
    for key in &host.keys {
        match key {
            KeySource::File(file) => files.push(file),
            KeySource::Environment { name } => from_env.push(name.clone()),
        }
    }
    let (status, open) = exposure(&files);
    if status == Status::Pass {
        let env =
            if from_env.is_empty() { String::new() } else { format!("; from the environment: {}", list(from_env)) };
        return Check::pass(ID, TITLE, Severity::Critical, format!("only the server's user can read them{env}"));
    }
    Check::flag(
        ID,
        TITLE,
        Severity::Critical,
        status,
        format!("readable by other users: {}", list(open)),
        format!("chmod 700 {} and chmod 600 the key files in it", host.secrets_dir.path),
    )
}

pub fn secrets_exposed(host: &HostFacts) -> Check {
    const ID: &str = "secrets_exposed";
    const TITLE: &str = "Secret files are private";
    if host.exposed_secret_files.is_empty() {
        return Check::pass(
            ID,
            TITLE,
            Severity::Critical,
            "no secret file others can read (and no secret is accepted on the command line)",
        );
    }
    Check::flag(
        ID,
        TITLE,
        Severity::Critical,
        Status::Fail,
        format!("readable by other users: {}", list(host.exposed_secret_files.iter().map(describe))),
        "chmod 600 the files PINCER_*_FILE and PINCER_LICENSE_FILE name",
    )
}

/// Whether people reach the server over HTTPS: an https public URL, or a declared proxy (which
/// terminates TLS).
fn served_over_https(host: &HostFacts) -> bool {
    host.public_url.as_deref().and_then(scheme_and_host).is_some_and(|(scheme, _)| scheme == "https")
}

pub fn bind_address(host: &HostFacts) -> Check {
    const ID: &str = "bind_address";
    const TITLE: &str = "The listening address is not open in plain HTTP";
    if host.bind_loopback {
        return Check::pass(ID, TITLE, Severity::High, format!("{} answers this machine only", host.bind));
    }
    if served_over_https(host) || host.behind_proxy {
        return Check::pass(ID, TITLE, Severity::High, format!("{} is reached through an HTTPS proxy", host.bind));
    }
    Check::flag(
        ID,
        TITLE,
        Severity::High,
        Status::Fail,
        format!("{} accepts connections from the network in plain HTTP, with no proxy declared", host.bind),
        "listen on 127.0.0.1 behind a TLS reverse proxy (PINCER_BIND, PINCER_TRUSTED_PROXIES, PINCER_PUBLIC_URL=https://…)",
    )
}

pub fn https(host: &HostFacts) -> Check {
    const ID: &str = "https";
    const TITLE: &str = "People reach Pincer over HTTPS";
    match host.public_url.as_deref().and_then(scheme_and_host) {
        Some((scheme, _)) if scheme == "https" => {
            Check::pass(ID, TITLE, Severity::High, "the public URL is HTTPS: cookies are Secure")
        }
        Some((_, h)) if is_local_host(&h) => Check::pass(ID, TITLE, Severity::High, "the public URL is this machine"),
        Some(_) => Check::flag(
            ID,
            TITLE,
            Severity::High,
            Status::Fail,
            "the public URL is plain HTTP: passwords and session cookies cross the network in clear",
            "serve Pincer through a TLS reverse proxy and set PINCER_PUBLIC_URL=https://…",
        ),
        None if host.bind_loopback && host.tunnel.is_none() => {
            Check::pass(ID, TITLE, Severity::High, "only this machine reaches Pincer")
        }
        None => Check::flag(
            ID,
            TITLE,
            Severity::High,
            Status::Warn,
            "no public URL is set, so Pincer cannot tell whether people reach it over HTTPS",
            "set PINCER_PUBLIC_URL to the https address people use",
        ),
    }
}

pub fn domain_lock(host: &HostFacts) -> Check {
    const ID: &str = "domain_lock";
    const TITLE: &str = "Pincer answers only its own domain";
    if let Some(domain) = &host.locked_domain {
        return Check::pass(ID, TITLE, Severity::Medium, format!("locked to {domain}"));
    }
    if host.bind_loopback && host.tunnel.is_none() {
        return Check::pass(ID, TITLE, Severity::Medium, "not locked; only this machine reaches Pincer");
    }
    Check::flag(
        ID,
        TITLE,
        Severity::Medium,
        Status::Warn,
        "not locked: any hostname pointing at this server is answered",
        "lock the domain on the settings page (Security → Domain lock)",
    )
}

pub fn tunnel(host: &HostFacts) -> Check {
    const ID: &str = "tunnel";
    const TITLE: &str = "No tunnel opens Pincer to the internet unnoticed";
    match &host.tunnel {
        None => Check::pass(ID, TITLE, Severity::High, "no tunnel is running"),
        Some(url) => Check::flag(
            ID,
            TITLE,
            Severity::High,
            Status::Warn,
            format!(
                "a tunnel makes Pincer reachable from the internet at {url}; the loopback trust is suspended while it runs"
            ),
            "stop remote access when nobody needs it (Settings → Remote access)",
        ),
    }
}

pub fn database_files(host: &HostFacts) -> Check {
    const ID: &str = "database_files";
    const TITLE: &str = "The database file is private";
    let DatabaseFacts::Sqlite { files } = &host.database else {
        return Check::pass(ID, TITLE, Severity::High, "the data lives in PostgreSQL");
    };
    let (status, open) = exposure(&files.iter().collect::<Vec<_>>());
    if status == Status::Pass {
        return Check::pass(ID, TITLE, Severity::High, "only the server's user can read the SQLite files");
    }
    Check::flag(
        ID,
        TITLE,
        Severity::High,
        status,
        format!("readable by other users: {}", list(open)),
        "chmod 600 the SQLite files (pincer.db and its -wal and -shm files)",
    )
}

pub fn database_tls(host: &HostFacts) -> Check {
    const ID: &str = "database_tls";
    const TITLE: &str = "The database connection is encrypted or local";
    let DatabaseFacts::Postgres { host: db_host, local, sslmode } = &host.database else {
        return Check::pass(ID, TITLE, Severity::High, "the embedded SQLite database needs no connection");
    };
    if *local {
        return Check::pass(ID, TITLE, Severity::High, format!("PostgreSQL on this machine ({db_host})"));
    }
    match sslmode.as_deref() {
        Some(mode @ ("require" | "verify-ca" | "verify-full")) => {
            Check::pass(ID, TITLE, Severity::High, format!("PostgreSQL at {db_host} with sslmode={mode}"))
        }
        mode => Check::flag(
            ID,
            TITLE,
            Severity::High,
            Status::Fail,
            format!("PostgreSQL at {db_host} with sslmode={}: the connection may be plain", mode.unwrap_or("prefer")),
            "add sslmode=verify-full (or require) to PINCER_DATABASE_URL",
        ),
    }
}

pub fn backups(host: &HostFacts, now: Timestamp) -> Check {
    const ID: &str = "backups";
    const TITLE: &str = "There is a recent backup";
    let fix = format!("back up the database and the secrets folder into {} (docs/OPERATIONS.md)", host.backup_dir);
    let Some(newest) = host.newest_backup else {
        return Check::flag(
            ID,
            TITLE,
            Severity::Medium,
            Status::Warn,
            format!("no backup in {}", host.backup_dir),
            fix,
        );
    };
    let age = days_since(newest, now);
    let detail = format!("the newest backup in {} is {age} day(s) old", host.backup_dir);
    match age {
        a if a > BACKUP_FAIL_DAYS => Check::flag(ID, TITLE, Severity::Medium, Status::Fail, detail, fix),
        a if a > BACKUP_WARN_DAYS => Check::flag(ID, TITLE, Severity::Medium, Status::Warn, detail, fix),
        _ => Check::pass(ID, TITLE, Severity::Medium, detail),
    }
}
