//! The files the agents' file tools read, on the local filesystem (the `DocumentReader` port).
//! Every call runs in `spawn_blocking`. Which folder a path belongs to is the domain's decision;
//! this adapter enforces it: it opens the granted folder and then the path *beneath* it
//! (capability-based, `cap-std`), so no symlink — one swapped in after the check included — and
//! no `..` can lead the open out of the folder.

use std::io::{ErrorKind, Read};
use std::path::{Component, Path, PathBuf};

use async_trait::async_trait;
use cap_std::fs::Dir;
use pincer_agents::tools::{DocumentReader, FolderEntry};
use pincer_core::StoreError;

#[derive(Clone, Copy, Debug, Default)]
pub struct LocalDocuments;

/// Runs blocking filesystem work off the async executor.
async fn blocking<T: Send + 'static>(
    op: &'static str,
    job: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(job).await {
        Ok(result) => result,
        Err(e) => {
            tracing::error!(op, error = %e, "a file task did not finish");
            Err(StoreError::Unavailable)
        }
    }
}

/// Not found (and "not a directory" on the way) are the caller's business, and so is an open
/// that would have left the folder (cap-std reports it as `PermissionDenied`, which a tool call
/// treats like a path that is not there); anything else is logged.
fn io_error(op: &'static str, e: std::io::Error) -> StoreError {
    match e.kind() {
        ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::PermissionDenied => StoreError::NotFound,
        _ => {
            tracing::warn!(op, error = %e, "file access failed");
            StoreError::Unavailable
        }
    }
}

/// The granted folder, opened with the process's authority (the domain chose it).
fn open_root(op: &'static str, root: &Path) -> Result<Dir, StoreError> {
    Dir::open_ambient_dir(root, cap_std::ambient_authority()).map_err(|e| io_error(op, e))
}

/// `relative` as cap-std takes it: `.` for the folder itself. Anything absolute is refused here
/// too (cap-std would refuse it as an escape).
fn beneath(relative: &Path) -> Result<PathBuf, StoreError> {
    if relative.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(StoreError::NotFound);
    }
    Ok(if relative.as_os_str().is_empty() { PathBuf::from(".") } else { relative.to_path_buf() })
}

#[async_trait]
impl DocumentReader for LocalDocuments {
    async fn resolve(&self, path: &Path) -> Result<PathBuf, StoreError> {
        let path = path.to_path_buf();
        blocking("files.resolve", move || std::fs::canonicalize(&path).map_err(|e| io_error("files.resolve", e))).await
    }

    async fn list(&self, root: &Path, relative: &Path) -> Result<Vec<FolderEntry>, StoreError> {
        let (root, relative) = (root.to_path_buf(), beneath(relative)?);
        blocking("files.list", move || {
            let root = open_root("files.list", &root)?;
            let meta = root.metadata(&relative).map_err(|e| io_error("files.list", e))?;
            if !meta.is_dir() {
                return Err(StoreError::Conflict(pincer_core::Rule::NotAFolder));
            }
            let dir = root.open_dir(&relative).map_err(|e| io_error("files.list", e))?;
            let mut entries = Vec::new();
            for entry in dir.entries().map_err(|e| io_error("files.list", e))? {
                let entry = entry.map_err(|e| io_error("files.list", e))?;
                // The entry as it is: a symlink is reported by its own metadata, not followed.
                let Ok(meta) = entry.metadata() else { continue };
                let Ok(name) = entry.file_name().into_string() else { continue };
                entries.push(FolderEntry {
                    name,
                    is_dir: meta.is_dir(),
                    size: if meta.is_file() { meta.len() } else { 0 },
                });
            }
            Ok(entries)
        })
        .await
    }

    async fn read(&self, root: &Path, relative: &Path, max_bytes: usize) -> Result<(Vec<u8>, bool), StoreError> {
        let (root, relative) = (root.to_path_buf(), beneath(relative)?);
        blocking("files.read", move || {
            let root = open_root("files.read", &root)?;
            let handle = root.open(&relative).map_err(|e| io_error("files.read", e))?;
            let meta = handle.metadata().map_err(|e| io_error("files.read", e))?;
            if meta.is_dir() {
                return Err(StoreError::Conflict(pincer_core::Rule::IsAFolder));
            }
            if !meta.is_file() {
                return Err(StoreError::Conflict(pincer_core::Rule::NotAFile));
            }
            // One byte more than allowed tells whether the file was cut.
            let limit = u64::try_from(max_bytes).unwrap_or(u64::MAX).saturating_add(1);
            let mut bytes = Vec::with_capacity(usize::try_from(meta.len().min(limit)).unwrap_or(max_bytes));
            handle.take(limit).read_to_end(&mut bytes).map_err(|e| io_error("files.read", e))?;
            let cut = bytes.len() > max_bytes;
            bytes.truncate(max_bytes);
            Ok((bytes, cut))
        })
        .await
    }
}
