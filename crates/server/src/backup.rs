//! `pincer backup <file>` and `pincer restore <file>`: a consistent online copy of the SQLite
//! database (`VACUUM INTO`) with the keys beside it in `<file>.secrets/` — apart, so they can be
//! stored apart — and its restoration into a data directory that holds no database and no keys
//! yet. PostgreSQL databases are copied with `pg_dump`; the keys still come from here.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use pincer_store::Database;

use crate::cli::{BackupArgs, RestoreArgs};

/// The files of `secrets/` a backup carries: the two keys and the audit chain's sealed head
/// (without it a restored chain would not verify).
const SECRET_FILES: [&str; 3] = ["encryption.key", "audit.key", "audit-head"];

/// Where the keys of the backup `file` go: `<file>.secrets/`.
fn secrets_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".secrets");
    PathBuf::from(name)
}

/// Takes the backup; returns what it did, line by line.
pub fn backup(args: BackupArgs) -> Result<Vec<String>, String> {
    let secrets = args.store.data_dir.join("secrets");
    if !secrets.is_dir() {
        return Err(format!("{} is not a Pincer data directory (no secrets/ in it)", args.store.data_dir.display()));
    }
    let keys_to = secrets_of(&args.file);
    for taken in [&args.file, &keys_to] {
        if taken.exists() {
            return Err(format!("{} exists already: name a new backup file", taken.display()));
        }
    }
    // A backups folder that does not exist yet is made, private to this user.
    if let Some(folder) = args.file.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    let url = args.store.database_url();
    let sqlite = pincer_store::sqlite_file(&url).is_some();
    let mut said = Vec::new();
    // The keys first: the audit head copied before the database is never ahead of the copy.
    said.extend(copy_secrets(&secrets, &keys_to)?);
    if !sqlite {
        said.push(
            "the database is PostgreSQL: back it up with `pg_dump --format=custom --file=<file> <database URL>` \
             (restore with pg_restore), and keep the keys above with it"
                .into(),
        );
        return Ok(said);
    }
    // An empty file readable by this user only: VACUUM INTO fills it, keeping its mode.
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&args.file)
        .map_err(|e| format!("cannot create {}: {e}", args.file.display()))?;
    let copied = actix_web::rt::System::new().block_on(async {
        let db = Database::open(&url).await.map_err(|e| e.to_string())?;
        let copied = db.backup_into(&args.file).await;
        db.close(Duration::from_secs(5)).await;
        copied
    });
    if let Err(e) = copied {
        let _ = fs::remove_file(&args.file);
        let _ = fs::remove_dir_all(&keys_to);
        return Err(e);
    }
    said.push(format!("database copied to {}", args.file.display()));
    Ok(said)
}

/// Copies the secret files that exist into a new private folder `to`.
fn copy_secrets(from: &Path, to: &Path) -> Result<Vec<String>, String> {
    fs::DirBuilder::new().mode(0o700).create(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let mut said = Vec::new();
    for name in SECRET_FILES {
        match fs::read(from.join(name)) {
            Ok(bytes) => {
                private_file(&to.join(name), &bytes)?;
                said.push(format!("{name} copied to {}", to.display()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if name != "audit-head" {
                    said.push(format!("{name} is not in {}: keep the key the environment gives", from.display()));
                }
            }
            Err(e) => return Err(format!("cannot read {}: {e}", from.join(name).display())),
        }
    }
    Ok(said)
}

/// Writes a new file readable by this user only, synced to disk.
pub(crate) fn private_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Restores a backup into a data directory without a database or keys; returns what it did.
pub fn restore(args: RestoreArgs) -> Result<Vec<String>, String> {
    let url = args.store.database_url();
    let Some(database) = pincer_store::sqlite_file(&url) else {
        return Err("the database is PostgreSQL: restore it with pg_restore, then the keys into secrets/".into());
    };
    if !args.file.is_file() {
        return Err(format!("{} is not a backup file", args.file.display()));
    }
    let secrets = args.store.data_dir.join("secrets");
    let mut live: Vec<PathBuf> =
        ["", "-wal"].iter().map(|s| PathBuf::from(format!("{}{s}", database.display()))).collect();
    live.extend(SECRET_FILES.iter().map(|name| secrets.join(name)));
    if let Some(found) = live.iter().find(|p| p.exists()) {
        return Err(format!(
            "{} exists: restore refuses to overwrite a data directory in use; restore into a new one",
            found.display()
        ));
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&secrets)
        .map_err(|e| format!("cannot create {}: {e}", secrets.display()))?;
    let bytes = fs::read(&args.file).map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    private_file(&database, &bytes)?;
    let mut said = vec![format!("database restored to {}", database.display())];
    let keys_from = secrets_of(&args.file);
    for name in SECRET_FILES {
        match fs::read(keys_from.join(name)) {
            Ok(key) => {
                private_file(&secrets.join(name), &key)?;
                said.push(format!("{name} restored to {}", secrets.display()));
            }
            Err(_) if name == "audit-head" => {}
            Err(_) => said.push(format!("{name} is not in {}: give it in the environment", keys_from.display())),
        }
    }
    Ok(said)
}
