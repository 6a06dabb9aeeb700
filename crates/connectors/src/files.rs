//! The files the agents' file tools read, on the local filesystem (the `DocumentReader` port).
//! Every call runs `std::fs` in `spawn_blocking`. Confinement is the domain's job; this adapter
//! resolves paths truthfully and reads no more than asked.

use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use pincer_agents::chat::{DocumentReader, FolderEntry};
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

/// Not found (and "not a directory" on the way) are the caller's business; anything else is logged.
fn io_error(op: &'static str, e: std::io::Error) -> StoreError {
    match e.kind() {
        ErrorKind::NotFound | ErrorKind::NotADirectory => StoreError::NotFound,
        ErrorKind::PermissionDenied => StoreError::Conflict("permission_denied"),
        _ => {
            tracing::warn!(op, error = %e, "file access failed");
            StoreError::Unavailable
        }
    }
}

#[async_trait]
impl DocumentReader for LocalDocuments {
    async fn resolve(&self, path: &Path) -> Result<PathBuf, StoreError> {
        let path = path.to_path_buf();
        blocking("files.resolve", move || std::fs::canonicalize(&path).map_err(|e| io_error("files.resolve", e))).await
    }

    async fn list(&self, dir: &Path) -> Result<Vec<FolderEntry>, StoreError> {
        let dir = dir.to_path_buf();
        blocking("files.list", move || {
            let meta = std::fs::metadata(&dir).map_err(|e| io_error("files.list", e))?;
            if !meta.is_dir() {
                return Err(StoreError::Conflict("not_a_folder"));
            }
            let mut entries = Vec::new();
            for entry in std::fs::read_dir(&dir).map_err(|e| io_error("files.list", e))? {
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

    async fn read(&self, file: &Path, max_bytes: usize) -> Result<(Vec<u8>, bool), StoreError> {
        let file = file.to_path_buf();
        blocking("files.read", move || {
            let handle = std::fs::File::open(&file).map_err(|e| io_error("files.read", e))?;
            let meta = handle.metadata().map_err(|e| io_error("files.read", e))?;
            if meta.is_dir() {
                return Err(StoreError::Conflict("is_a_folder"));
            }
            if !meta.is_file() {
                return Err(StoreError::Conflict("not_a_file"));
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
