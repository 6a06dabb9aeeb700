//! Folders an agent may be granted (`pluginConfig.allowed_paths`): lexically normalised and
//! confined to the documents root. This is the grant-time check; the tools re-check at use time
//! after resolving symlinks on the real filesystem.

use std::path::{Component, Path, PathBuf};

/// Why a folder cannot be granted.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Not an absolute path.
    #[error("path must be absolute")]
    NotAbsolute,
    /// It contains `..`.
    #[error("path must not contain '..'")]
    Traversal,
    /// Not strictly inside the documents root.
    #[error("path must be a folder under the documents root")]
    OutsideRoot,
    /// A hidden segment below the root.
    #[error("hidden folders cannot be granted")]
    Hidden,
}

/// Normalises `raw` (drops `.` and duplicate separators) and checks that it names a folder strictly
/// inside `root`, with no `..` and no hidden segment below the root (the root itself is the
/// operator's choice and may live anywhere).
pub fn grantable_folder(root: &Path, raw: &str) -> Result<PathBuf, PathError> {
    let path = Path::new(raw.trim());
    if !path.is_absolute() {
        return Err(PathError::NotAbsolute);
    }
    let mut normal = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir => return Err(PathError::Traversal),
            Component::Normal(segment) => normal.push(segment),
            Component::Prefix(_) => return Err(PathError::OutsideRoot),
        }
    }
    // `strip_prefix` compares whole components, so /data/hr2 is not inside /data/hr.
    let below = match normal.strip_prefix(root) {
        Ok(below) if below.components().next().is_some() => below,
        _ => return Err(PathError::OutsideRoot),
    };
    if below.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.')) {
        return Err(PathError::Hidden);
    }
    Ok(normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confined_to_the_root() {
        let root = Path::new("/data");
        assert_eq!(grantable_folder(root, "/data/hr-policies"), Ok(PathBuf::from("/data/hr-policies")));
        assert_eq!(grantable_folder(root, "/data//hr/./2025/"), Ok(PathBuf::from("/data/hr/2025")));
        assert_eq!(grantable_folder(root, "/data/hr/../../etc"), Err(PathError::Traversal));
        assert_eq!(grantable_folder(root, "/etc"), Err(PathError::OutsideRoot));
        assert_eq!(grantable_folder(root, "/data"), Err(PathError::OutsideRoot));
        assert_eq!(grantable_folder(root, "/database"), Err(PathError::OutsideRoot));
        assert_eq!(grantable_folder(root, "data/hr"), Err(PathError::NotAbsolute));
        assert_eq!(grantable_folder(root, "/data/.git"), Err(PathError::Hidden));
        assert_eq!(grantable_folder(Path::new("/data/hr"), "/data/hr2/x"), Err(PathError::OutsideRoot));
        assert_eq!(grantable_folder(root, "/data/hr/.ssh/keys"), Err(PathError::Hidden));
        // Only segments below the root count: a root inside a hidden folder is the operator's call.
        let hidden_root = Path::new("/tmp/.tmpAbC");
        assert_eq!(grantable_folder(hidden_root, "/tmp/.tmpAbC/hr"), Ok(PathBuf::from("/tmp/.tmpAbC/hr")));
    }
}
