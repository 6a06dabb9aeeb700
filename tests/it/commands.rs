//! The operator's commands of the `pincer` binary (issue #20): `pincer migrate [--revert]` on a
//! database no server has opened, and `pincer healthcheck` against a running server and a
//! closed port. Each on the configured backend.

use std::process::{Command, Output};

use pincer_testkit::server::binary_path;
use pincer_testkit::{TestDatabase, TestServer};

pub(crate) fn pincer(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(binary_path());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PINCER_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(args).envs(env.iter().copied()).output().unwrap()
}

pub(crate) fn said(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn migrate_applies_everything_once_and_reverts_the_newest() {
    let database = TestDatabase::from_env();
    let data = tempfile::tempdir().unwrap();
    let env = [("PINCER_DATA_DIR", data.path().to_str().unwrap()), ("PINCER_DATABASE_URL", database.url())];

    let first = pincer(&["migrate"], &env);
    assert!(first.status.success(), "{}", said(&first));
    let applied = said(&first);
    assert!(applied.contains("applied ") && applied.contains("000001") && applied.contains("000019"), "{applied}");

    let again = pincer(&["migrate"], &env);
    assert!(again.status.success() && said(&again).contains("up to date"), "{}", said(&again));

    let reverted = pincer(&["migrate", "--revert"], &env);
    assert!(reverted.status.success(), "{}", said(&reverted));
    let newest = said(&reverted);
    assert!(newest.contains("reverted") && newest.contains("20261211000019"), "{newest}");

    let reapplied = pincer(&["migrate"], &env);
    let text = said(&reapplied);
    assert!(reapplied.status.success() && text.contains("000019") && !text.contains("000001"), "{text}");

    let nowhere = pincer(&["migrate"], &[("PINCER_DATA_DIR", "/nonexistent/pincer-data")]);
    assert!(!nowhere.status.success() && said(&nowhere).contains("does not exist"), "{}", said(&nowhere));
}

#[tokio::test(flavor = "multi_thread")]
async fn healthcheck_exits_zero_for_a_ready_server_and_one_otherwise() {
    let server = TestServer::start().await;
    let bind = server.base_url().trim_start_matches("http://").to_string();
    let ready = tokio::task::spawn_blocking(move || pincer(&["healthcheck", "--bind", &bind], &[])).await.unwrap();
    assert!(ready.status.success(), "{}", said(&ready));

    // A port nobody listens on (bound, then released).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let down =
        tokio::task::spawn_blocking(move || pincer(&["healthcheck"], &[("PINCER_BIND", &closed)])).await.unwrap();
    assert_eq!(down.status.code(), Some(1), "{}", said(&down));
    assert!(said(&down).contains("cannot connect"), "{}", said(&down));
}

#[test]
fn version_names_the_release_and_the_commit() {
    let out = pincer(&["--version"], &[]);
    assert!(out.status.success(), "{}", said(&out));
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let prefix = format!("pincer {} (commit ", env!("CARGO_PKG_VERSION"));
    let commit = text.strip_prefix(&prefix).and_then(|rest| rest.strip_suffix(')')).unwrap_or_else(|| panic!("{text}"));
    assert!(commit == "unknown" || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())), "{text}");
}

/// Backup → restore → a server on the restored data directory: the audit chain verifies and the
/// sealed provider key decrypts (the provider receives it). The backup is private, the keys lie
/// apart in `<file>.secrets/`, and neither command overwrites what exists. On PostgreSQL the
/// backup carries the keys and points at `pg_dump`, and restore points at `pg_restore`.
#[tokio::test(flavor = "multi_thread")]
async fn backup_then_restore_gives_a_server_whose_chain_verifies_and_secrets_decrypt() {
    use std::os::unix::fs::PermissionsExt;

    use pincer_testkit::fakes::{FakeKind, FakeProvider};
    use reqwest::StatusCode;
    use serde_json::{Value, json};

    let fake = FakeProvider::start(FakeKind::Openai);
    let key = fake.api_key().unwrap().to_string();
    let server = TestServer::builder()
        .env(&FakeKind::Openai.base_url_variable(), &fake.origin())
        .env("PINCER_ALLOW_PRIVATE_URLS", "1")
        .start()
        .await;
    let admin = server.setup_admin().await;
    let (status, saved) =
        admin.send_json("POST", "/api/settings/providers", json!({"provider": "openai", "apiKey": key})).await;
    assert_eq!(status, StatusCode::OK, "{saved}");

    let dir = tempfile::tempdir().unwrap();
    // The backups folder does not exist yet: the command makes it, private.
    let file = dir.path().join("backups").join("pincer-backup.db");
    let (data_dir, url) = (server.data_dir().to_str().unwrap().to_string(), server.database().url().to_string());
    let store_env = |data: &str, url: &str| {
        vec![("PINCER_DATA_DIR".to_string(), data.to_string()), ("PINCER_DATABASE_URL".to_string(), url.to_string())]
    };
    let run = |args: Vec<String>, env: Vec<(String, String)>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            pincer(&args, &env)
        })
    };
    let file_arg = file.to_str().unwrap().to_string();
    // Online, while the server runs.
    let backup = run(vec!["backup".into(), file_arg.clone()], store_env(&data_dir, &url)).await.unwrap();
    assert!(backup.status.success(), "{}", said(&backup));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let keys = dir.path().join("backups").join("pincer-backup.db.secrets");
    assert_eq!(mode(&keys), 0o700);
    assert_eq!(mode(&dir.path().join("backups")), 0o700);
    for name in ["encryption.key", "audit.key"] {
        assert_eq!(mode(&keys.join(name)), 0o600, "{name}");
        assert_eq!(
            std::fs::read(keys.join(name)).unwrap(),
            std::fs::read(server.data_dir().join("secrets").join(name)).unwrap()
        );
    }
    let again = run(vec!["backup".into(), file_arg.clone()], store_env(&data_dir, &url)).await.unwrap();
    assert!(!again.status.success() && said(&again).contains("exists already"), "{}", said(&again));

    if server.database().is_postgres() {
        assert!(said(&backup).contains("pg_dump"), "{}", said(&backup));
        assert!(!file.exists(), "no SQLite copy of a PostgreSQL database");
        let restore = run(vec!["restore".into(), file_arg], store_env(&data_dir, &url)).await.unwrap();
        assert!(!restore.status.success() && said(&restore).contains("pg_restore"), "{}", said(&restore));
        return;
    }
    assert_eq!(mode(&file), 0o600);

    // Never over a data directory in use.
    let live = run(vec!["restore".into(), file_arg.clone()], store_env(&data_dir, &url)).await.unwrap();
    assert!(!live.status.success() && said(&live).contains("refuses to overwrite"), "{}", said(&live));

    let restored = dir.path().join("restored");
    let restored_dir = restored.to_str().unwrap().to_string();
    let restored_url = format!("sqlite://{}", restored.join("pincer.db").display());
    let restore = run(vec!["restore".into(), file_arg.clone()], store_env(&restored_dir, &restored_url)).await.unwrap();
    assert!(restore.status.success(), "{}", said(&restore));
    assert_eq!(mode(&restored.join("pincer.db")), 0o600);
    assert_eq!(mode(&restored.join("secrets")), 0o700);
    let twice = run(vec!["restore".into(), file_arg], store_env(&restored_dir, &restored_url)).await.unwrap();
    assert!(!twice.status.success(), "{}", said(&twice));

    let back = TestServer::builder()
        .env(&FakeKind::Openai.base_url_variable(), &fake.origin())
        .env("PINCER_ALLOW_PRIVATE_URLS", "1")
        .env("PINCER_DATA_DIR", &restored_dir)
        .env("PINCER_DATABASE_URL", &restored_url)
        .start()
        .await;
    let admin = back.login("admin@example.com", pincer_testkit::server::PASSWORD).await;
    let (status, verified) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["valid"], true, "{verified}");
    fake.clear_requests();
    let (status, models) = admin.send_json("GET", "/api/providers/models", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{models}");
    let sent = fake.requests();
    assert!(!sent.is_empty(), "the restored server called the provider");
    assert_eq!(sent[0].header("authorization"), Some(format!("Bearer {key}").as_str()), "the sealed key decrypted");
}

/// `pincer admin reset-password <email>`: the operator gets a one-time link for a locked-out
/// admin while the server runs; the link sets a new password once; the reset is audited as the
/// system's doing; an unknown email fails.
#[tokio::test(flavor = "multi_thread")]
async fn an_operator_resets_a_lost_admin_password_from_the_command_line() {
    use serde_json::{Value, json};

    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let env = vec![
        ("PINCER_DATA_DIR".to_string(), server.data_dir().to_str().unwrap().to_string()),
        ("PINCER_DATABASE_URL".to_string(), server.database().url().to_string()),
        ("PINCER_PUBLIC_URL".to_string(), "https://pincer.example.com".to_string()),
    ];
    let run = |email: &str| {
        let (email, env) = (email.to_string(), env.clone());
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            pincer(&["admin", "reset-password", &email], &env)
        })
    };
    let out = run("Admin@Example.com").await.unwrap();
    assert!(out.status.success(), "{}", said(&out));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let token = text
        .split("https://pincer.example.com/invite/")
        .nth(1)
        .map(|t| t.trim().to_string())
        .unwrap_or_else(|| panic!("no link in {text}"));

    let claim = json!({"token": token, "name": "Admin", "password": "a brand new passphrase"});
    let (status, body) = server.browser().send_json("POST", "/api/invite/claim", claim.clone()).await;
    assert!(status.is_success(), "{status} {body}");
    let (_, ended) = admin.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!(ended["code"], "not_authenticated", "the reset ends the old sessions: {ended}");
    let admin = server.login("admin@example.com", "a brand new passphrase").await;
    let (status, _) = server.browser().send_json("POST", "/api/invite/claim", claim).await;
    assert!(status.is_client_error(), "the link works once");

    let (_, events) = admin.send_json("GET", "/api/audit?eventType=user.reset_created", Value::Null).await;
    let entry = &events["entries"][0];
    assert_eq!(
        (entry["actorType"].as_str(), &entry["detail"]["by"]),
        (Some("system"), &json!("command line")),
        "{events}"
    );

    let unknown = run("nobody@example.com").await.unwrap();
    assert_eq!(unknown.status.code(), Some(1), "{}", said(&unknown));
    assert!(said(&unknown).contains("not found"), "{}", said(&unknown));
}
