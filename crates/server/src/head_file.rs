//! The audit chain's head kept outside the database: `<data dir>/secrets/audit-head` (0600), so
//! a database restored from an older copy, or emptied together with its head row, is noticed
//! (docs/SECURITY.md, "Audit log"). Read once at start; after each append the newest head is
//! handed to a writer thread that coalesces bursts and replaces the file atomically (temporary
//! file, fsync, rename), so no append waits for the disk and the file is never half written.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use pincer_audit::{AuditHead, HeadAnchor};

pub const FILE: &str = "audit-head";

pub struct HeadFile {
    state: Arc<Shared>,
    path: PathBuf,
}

struct Shared {
    /// The newest head known, and whether it still has to be written. Held only for moments:
    /// appends note a newer head here from the async executor.
    latest: Mutex<(Option<AuditHead>, bool)>,
    wake: Condvar,
    /// The id in the file; held while writing, so writes never interleave or go backwards.
    written: Mutex<i64>,
}

impl HeadFile {
    /// Reads the file in `secrets_dir` (absent: no anchor yet) and starts the writer thread.
    pub fn open(secrets_dir: &Path) -> Result<HeadFile, String> {
        let path = secrets_dir.join(FILE);
        let known = read(&path)?;
        let written = Mutex::new(known.as_ref().map_or(0, |h| h.last_id));
        let state = Arc::new(Shared { latest: Mutex::new((known, false)), wake: Condvar::new(), written });
        let (writer, file) = (state.clone(), path.clone());
        std::thread::Builder::new()
            .name("audit-head".into())
            .spawn(move || write_loop(&writer, &file))
            .map_err(|e| format!("cannot start the audit head writer: {e}"))?;
        Ok(HeadFile { state, path })
    }
}

impl HeadFile {
    /// Writes the newest head now if the writer has not yet (at shutdown).
    pub fn flush(&self) {
        let newest = self.state.latest.lock().unwrap_or_else(PoisonError::into_inner).0.clone();
        if let Some(head) = newest {
            write_newer(&self.state, &self.path, &head);
        }
    }
}

impl HeadAnchor for HeadFile {
    fn remember(&self, head: &AuditHead) {
        let mut latest = self.state.latest.lock().unwrap_or_else(PoisonError::into_inner);
        // Appends may finish out of order; the file only moves forward.
        if latest.0.as_ref().is_none_or(|known| known.last_id < head.last_id) {
            *latest = (Some(head.clone()), true);
            self.state.wake.notify_one();
        }
    }

    fn recall(&self) -> Option<AuditHead> {
        self.state.latest.lock().unwrap_or_else(PoisonError::into_inner).0.clone()
    }
}

fn write_loop(shared: &Shared, path: &Path) {
    loop {
        let head = {
            let mut latest = shared.latest.lock().unwrap_or_else(PoisonError::into_inner);
            while !latest.1 {
                latest = shared.wake.wait(latest).unwrap_or_else(PoisonError::into_inner);
            }
            latest.1 = false;
            latest.0.clone()
        };
        // Heads noted during the write go out in the next one: bursts coalesce.
        if let Some(head) = head {
            write_newer(shared, path, &head);
        }
    }
}

/// Replaces the file with `head` unless the file already names it or a newer one.
fn write_newer(shared: &Shared, path: &Path, head: &AuditHead) {
    let mut written = shared.written.lock().unwrap_or_else(PoisonError::into_inner);
    if head.last_id <= *written {
        return;
    }
    match write(path, head) {
        Ok(()) => *written = head.last_id,
        Err(e) => tracing::error!(file = %path.display(), error = %e, "cannot write the audit head file"),
    }
}

/// `<id> <row MAC> <head MAC>`, one line.
fn encode(head: &AuditHead) -> String {
    format!("{} {} {}\n", head.last_id, head.last_hmac, head.mac)
}

fn decode(text: &str) -> Option<AuditHead> {
    let mut parts = text.split_ascii_whitespace();
    let head = AuditHead {
        last_id: parts.next()?.parse().ok()?,
        last_hmac: parts.next()?.to_string(),
        mac: parts.next()?.to_string(),
    };
    parts.next().is_none().then_some(head)
}

fn read(path: &Path) -> Result<Option<AuditHead>, String> {
    match fs::read_to_string(path) {
        // A damaged file is kept as it is: the check reports it (its MAC cannot verify).
        Ok(text) => {
            Ok(Some(decode(&text).unwrap_or(AuditHead { last_id: 0, last_hmac: String::new(), mac: String::new() })))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn write(path: &Path, head: &AuditHead) -> std::io::Result<()> {
    let temporary: PathBuf = path.with_extension("tmp");
    let mut file = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temporary)?;
    file.write_all(encode(head).as_bytes())?;
    file.sync_all()?;
    fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(id: i64) -> AuditHead {
        AuditHead { last_id: id, last_hmac: format!("row{id}"), mac: format!("mac{id}") }
    }

    #[test]
    fn the_file_round_trips_and_only_moves_forward() {
        let dir = tempfile::tempdir().unwrap();
        let file = HeadFile::open(dir.path()).unwrap();
        assert_eq!(file.recall(), None);
        file.remember(&head(3));
        file.remember(&head(2));
        assert_eq!(file.recall(), Some(head(3)), "an append that finished late does not move it back");
        let path = dir.path().join(FILE);
        let mut written = None;
        for _ in 0..200 {
            written = fs::read_to_string(&path).ok().and_then(|t| decode(&t));
            if written.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(written, Some(head(3)));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(HeadFile::open(dir.path()).unwrap().recall(), Some(head(3)), "read back at the next start");
    }

    #[test]
    fn a_damaged_file_is_an_anchor_that_cannot_verify() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE), "not a head").unwrap();
        let recalled = HeadFile::open(dir.path()).unwrap().recall().unwrap();
        assert!(recalled.mac.is_empty());
        assert_eq!(decode("1 a b c"), None);
    }
}
