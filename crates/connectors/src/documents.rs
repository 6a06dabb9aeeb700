//! The documents root on the local filesystem: which folders an admin can grant to agents.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use pincer_agents::DocumentFolders;
use pincer_core::StoreError;

/// Lists the folders directly inside the documents root with `std::fs`, off the async executor
/// (`spawn_blocking`).
///
/// - Only real directories: an entry that is a symlink is not followed and not listed, even when
///   it points to a directory (it could lead out of the root). The root itself may be a symlink.
/// - Every directory name is returned, hidden ones (`.git`) too: which names an agent may be
///   granted is the domain's rule, not the filesystem's.
/// - Names that are not valid UTF-8 are skipped (logged): they cannot be granted by name.
/// - Sorted by name (byte order). A root that does not exist gives an empty list; any other I/O
///   failure is logged and reported as `StoreError::Unavailable`, which carries no path.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalDocumentFolders;

impl LocalDocumentFolders {
    pub fn new() -> LocalDocumentFolders {
        LocalDocumentFolders
    }
}

#[async_trait]
impl DocumentFolders for LocalDocumentFolders {
    async fn folder_names(&self, root: &Path) -> Result<Vec<String>, StoreError> {
        let root = root.to_path_buf();
        match tokio::task::spawn_blocking(move || read_folder_names(&root)).await {
            Ok(result) => result,
            Err(e) => {
                tracing::error!(error = %e, "listing the documents root did not finish");
                Err(StoreError::Unavailable)
            }
        }
    }

    async fn leads_outside(&self, root: &Path, folder: &Path) -> Result<bool, StoreError> {
        let (root, folder) = (root.to_path_buf(), folder.to_path_buf());
        let check = move || match (std::fs::canonicalize(&root), std::fs::canonicalize(&folder)) {
            (_, Err(e)) if e.kind() == ErrorKind::NotFound => Ok(false),
            (Ok(root), Ok(folder)) => Ok(!folder.starts_with(&root) || folder == root),
            // A root that cannot be resolved holds nothing that could be granted.
            (Err(_), Ok(_)) => Ok(true),
            (_, Err(e)) => {
                tracing::error!(error = %e, "cannot resolve a folder to grant");
                Err(StoreError::Unavailable)
            }
        };
        tokio::task::spawn_blocking(check).await.unwrap_or(Err(StoreError::Unavailable))
    }
}

fn read_folder_names(root: &Path) -> Result<Vec<String>, StoreError> {
    let failed = |e: std::io::Error| {
        tracing::error!(root = %root.display(), error = %e, "cannot list the documents root");
        StoreError::Unavailable
    };
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(failed(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(failed)?;
        // `DirEntry::file_type` does not follow symlinks: a link to a directory is a symlink.
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            // Removed between listing and looking: it is not there any more.
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(failed(e)),
        };
        if !file_type.is_dir() {
            continue;
        }
        match entry.file_name().into_string() {
            Ok(name) => names.push(name),
            Err(name) => {
                tracing::warn!(root = %root.display(), name = %PathBuf::from(name).display(), "skipping a folder whose name is not UTF-8");
            }
        }
    }
    names.sort();
    Ok(names)
}
