//! The two 32-byte keys (DESIGN.md §6): from the environment when given, otherwise generated once
//! into `<data dir>/secrets/` (folder 0700, files 0600) and read from there on every start.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use pincer_core::crypto::{parse_key_hex, random_bytes};

pub struct Keys {
    pub encryption: [u8; 32],
    pub audit: [u8; 32],
}

/// The keys are overwritten when the value holding them is dropped (the services keep their own
/// derived keys).
impl Drop for Keys {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.encryption);
        zeroize::Zeroize::zeroize(&mut self.audit);
    }
}

pub fn load(data_dir: &Path, encryption_env: Option<&str>, audit_env: Option<&str>) -> Result<Keys, String> {
    let dir = data_dir.join("secrets");
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot restrict {}: {e}", dir.display()))?;
    Ok(Keys {
        encryption: key(&dir, "encryption.key", "PINCER_ENCRYPTION_KEY", encryption_env)?,
        audit: key(&dir, "audit.key", "PINCER_AUDIT_KEY", audit_env)?,
    })
}

fn key(dir: &Path, file: &str, env_name: &str, from_env: Option<&str>) -> Result<[u8; 32], String> {
    if let Some(hex) = from_env {
        return key_from_env(hex, env_name);
    }
    let path = dir.join(file);
    if let Some(key) = read_key(&path)? {
        return Ok(key);
    }
    let key = random_bytes::<32>();
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(hex::encode(key).as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tracing::info!(file = %path.display(), "generated a new key");
    Ok(key)
}

fn key_from_env(hex: &str, env_name: &str) -> Result<[u8; 32], String> {
    parse_key_hex(hex).ok_or_else(|| format!("{env_name} must be 64 hex characters"))
}

/// The key in `path`; `None` when there is no such file yet.
fn read_key(path: &Path) -> Result<Option<[u8; 32]>, String> {
    match fs::read_to_string(path) {
        Ok(contents) => parse_key_hex(&contents)
            .map(Some)
            .ok_or_else(|| format!("{} is not a 64-hex-character key", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// What [`load`] would find, creating nothing: for each key where it comes from, or why the
/// server would refuse to start with it.
pub fn inspect(data_dir: &Path, encryption_env: Option<&str>, audit_env: Option<&str>) -> Vec<Result<String, String>> {
    let dir = data_dir.join("secrets");
    [("encryption.key", "PINCER_ENCRYPTION_KEY", encryption_env), ("audit.key", "PINCER_AUDIT_KEY", audit_env)]
        .into_iter()
        .map(|(file, env_name, from_env)| {
            if let Some(hex) = from_env {
                return key_from_env(hex, env_name).map(|_| format!("{env_name} holds the key"));
            }
            let path = dir.join(file);
            Ok(match read_key(&path)? {
                Some(_) => format!("{} holds the key", path.display()),
                None => format!("{} does not exist yet: a new key is generated at first start", path.display()),
            })
        })
        .collect()
}

/// The licence the environment manages: `PINCER_LICENSE`, or the file `PINCER_LICENSE_FILE` names.
/// Read from the environment only, never from a flag (argv is world-readable in `ps`).
pub fn licence_from_env() -> Result<Option<String>, String> {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("PINCER_LICENSE") && set("PINCER_LICENSE_FILE") {
        return Err("set PINCER_LICENSE or PINCER_LICENSE_FILE, not both".into());
    }
    if let Some(token) = std::env::var("PINCER_LICENSE").ok().filter(|t| !t.trim().is_empty()) {
        return Ok(Some(token.trim().to_string()));
    }
    match std::env::var("PINCER_LICENSE_FILE").ok().filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(path) => fs::read_to_string(&path)
            .map(|t| Some(t.trim().to_string()))
            .map_err(|e| format!("cannot read PINCER_LICENSE_FILE {path}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_with_private_permissions_then_reuses() {
        let dir = std::env::temp_dir().join(format!("pincer-keys-{}", hex::encode(random_bytes::<8>())));
        let first = load(&dir, None, None).unwrap();
        let again = load(&dir, None, None).unwrap();
        assert_eq!(first.encryption, again.encryption);
        assert_ne!(first.encryption, first.audit);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("secrets")), 0o700);
        assert_eq!(mode(&dir.join("secrets/encryption.key")), 0o600);
        let from_env = load(&dir, Some(&"ab".repeat(32)), None).unwrap();
        assert_eq!(from_env.encryption, [0xab; 32]);
        assert!(load(&dir, Some("short"), None).is_err());
        fs::remove_dir_all(dir).unwrap();
    }
}
