//! `pincer rotate-encryption-key`: every secret sealed at rest moves to a new encryption key, for
//! an installation no server is running on (a running one holds the old key and would go on
//! sealing with it).
//!
//! Crash safety: the new key is written to `secrets/encryption.key.next` (synced) before the
//! database's single re-sealing transaction, and renamed over `encryption.key` after it. A stop in
//! between leaves both files; the server then refuses to start, and running the command again
//! finishes the rotation (the database opens with the new key) or starts it over (it does not).
//! A key given in the environment is not a file Pincer may replace: the new one is written to
//! `--new-key-file`, for the operator to put where the old one came from.

use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use pincer_audit::{Actor, AuditEvent, AuditSink as _};
use pincer_core::crypto::{Cipher, random_bytes};
use pincer_store::{Database, Resealed};
use serde_json::json;

use crate::cli::RotateKeyArgs;
use crate::{head_file, keys};

/// Where a rotation keeps the new key until the database holds values sealed with it.
pub fn next_key_file(data_dir: &Path) -> PathBuf {
    data_dir.join("secrets").join("encryption.key.next")
}

/// Why `serve` must not start: a rotation stopped between the database and the key file.
pub fn interrupted(data_dir: &Path) -> Option<String> {
    next_key_file(data_dir).exists().then(|| {
        format!(
            "{} exists: a key rotation was interrupted; run `pincer rotate-encryption-key` again to finish it",
            next_key_file(data_dir).display()
        )
    })
}

/// Rotates the key; returns what it did, line by line.
pub fn rotate(args: RotateKeyArgs) -> Result<Vec<String>, String> {
    let data_dir = args.store.data_dir.clone();
    if !data_dir.join("secrets").is_dir() {
        return Err(format!("{} is not a Pincer data directory (no secrets/ in it)", data_dir.display()));
    }
    refuse_running_server(&args.bind)?;
    let from_env = args.store.encryption_key.is_some();
    let new_key_file = match (&args.new_key_file, from_env) {
        (Some(file), true) => file.clone(),
        (None, true) => {
            return Err("the key comes from PINCER_ENCRYPTION_KEY: name a new file for the new key with \
                        --new-key-file, then give it to the server the way the old one was"
                .into());
        }
        (Some(_), false) => {
            return Err("--new-key-file is for a key given in the environment; this one is secrets/encryption.key, \
                        which the rotation replaces"
                .into());
        }
        (None, false) => next_key_file(&data_dir),
    };
    let loaded = keys::load(&data_dir, args.store.encryption_key.as_deref(), args.store.audit_key.as_deref())?;
    let old = loaded.encryption;
    let url = args.store.database_url();
    actix_web::rt::System::new().block_on(async move {
        let db = Database::open(&url).await.map_err(|e| e.to_string())?;
        let mut said = Vec::new();
        if !from_env && new_key_file.exists() {
            if let Some(line) = finish_interrupted(&db, &data_dir, &new_key_file, &old).await? {
                db.close(Duration::from_secs(5)).await;
                return Ok(vec![line]);
            }
            said.push("an interrupted rotation had changed nothing: starting it over".to_string());
        }
        let new = random_bytes::<32>();
        // On disk before the database changes.
        crate::backup::private_file(&new_key_file, hex::encode(new).as_bytes())?;
        let moved = match db.reseal_secrets(Cipher::new(&old), Cipher::new(&new)).await {
            Ok(moved) => moved,
            Err(e) => {
                let _ = fs::remove_file(&new_key_file);
                db.close(Duration::from_secs(5)).await;
                return Err(e);
            }
        };
        if !from_env {
            replace_key(&data_dir, &new_key_file)?;
        }
        record(&db, &data_dir, &loaded.audit, moved).await?;
        db.close(Duration::from_secs(5)).await;
        said.push(format!(
            "re-sealed {} secrets with the new key ({} settings, {} provider keys, {} channel credentials, {} webhook secrets)",
            moved.total(),
            moved.settings,
            moved.providers,
            moved.channel_bindings,
            moved.webhooks
        ));
        said.push(if from_env {
            format!(
                "the new key is in {}: set PINCER_ENCRYPTION_KEY (or PINCER_ENCRYPTION_KEY_FILE) to it before starting the server; the old key opens nothing any more",
                new_key_file.display()
            )
        } else {
            "secrets/encryption.key holds the new key; the old one is gone (backups taken before now carry it in their .secrets/ folder)".into()
        });
        Ok(said)
    })
}

/// Something accepting connections on the server's address is taken for a running server.
fn refuse_running_server(bind: &str) -> Result<(), String> {
    let Ok(address) = crate::healthcheck::probe_address(bind) else { return Ok(()) };
    if TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok() {
        return Err(format!(
            "a server answers on {bind}: stop every Pincer server that uses this database first (a running \
             one would go on sealing with the old key)"
        ));
    }
    Ok(())
}

/// A `.next` key left by an interrupted rotation: when the database already opens with it (and
/// not with the current key), the rotation had committed and only the rename is left.
async fn finish_interrupted(
    db: &Database,
    data_dir: &Path,
    next: &Path,
    old: &[u8; 32],
) -> Result<Option<String>, String> {
    let contents = fs::read_to_string(next).map_err(|e| format!("cannot read {}: {e}", next.display()))?;
    let Some(next_key) = pincer_core::crypto::parse_key_hex(&contents) else {
        fs::remove_file(next).map_err(|e| format!("cannot remove {}: {e}", next.display()))?;
        return Ok(None);
    };
    let committed = db.sealed_with(Cipher::new(&next_key)).await? && !db.sealed_with(Cipher::new(old)).await?;
    if committed {
        replace_key(data_dir, next)?;
        return Ok(Some("finished an interrupted rotation: secrets/encryption.key holds the new key".into()));
    }
    fs::remove_file(next).map_err(|e| format!("cannot remove {}: {e}", next.display()))?;
    Ok(None)
}

/// Renames the new key over `secrets/encryption.key` (atomic), and syncs the folder so the
/// rename survives a power cut.
fn replace_key(data_dir: &Path, next: &Path) -> Result<(), String> {
    let secrets = data_dir.join("secrets");
    let current = secrets.join("encryption.key");
    fs::rename(next, &current).map_err(|e| format!("cannot move {} to {}: {e}", next.display(), current.display()))?;
    fs::File::open(&secrets)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| format!("cannot sync {}: {e}", secrets.display()))
}

/// `settings.encryption_key_rotated`, the system's doing, with how many values moved.
async fn record(db: &Database, data_dir: &Path, audit_key: &[u8; 32], moved: Resealed) -> Result<(), String> {
    let store = Arc::new(db.clone());
    let anchor = Arc::new(head_file::HeadFile::open(&data_dir.join("secrets"))?);
    let audit = pincer_audit::AuditService::new(store, audit_key, Arc::new(pincer_core::SystemClock))
        .with_anchor(anchor.clone());
    let event = AuditEvent::new(Actor::System, "settings.encryption_key_rotated")
        .resource("setting:encryption_key")
        .detail(json!({
            "by": "command line",
            "settings": moved.settings,
            "providers": moved.providers,
            "channelBindings": moved.channel_bindings,
            "webhooks": moved.webhooks,
        }));
    audit.record(event).await;
    anchor.flush();
    Ok(())
}
