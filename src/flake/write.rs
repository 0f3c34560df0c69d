//! Writing flake.nix safely: only if the file still holds what the edit started from, after a
//! backup, atomically. Shared by `nixbench flake ...` and the TUI.

use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum WriteError {
    #[error("{0} changed on disk since it was read; nothing was written (it has been reloaded)")]
    ChangedOnDisk(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `new` to `path` if the file still contains `original` (or is absent and `original` is
/// empty). The old content is kept in `backup_dir` first; returns the backup's path.
pub fn safe_write(
    path: &Path,
    original: &str,
    new: &str,
    backup_dir: &Path,
) -> Result<Option<PathBuf>, WriteError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| WriteError::Io { path, source }
    };
    let current = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(io(path)(err)),
    };
    if current.as_deref().unwrap_or("") != original {
        return Err(WriteError::ChangedOnDisk(path.display().to_string()));
    }
    let backup = match current {
        Some(text) => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let backup = backup_dir.join(format!("{stamp}-{name}"));
            crate::fsutil::write_atomic(&backup, text.as_bytes()).map_err(io(&backup))?;
            Some(backup)
        }
        None => None,
    };
    crate::fsutil::write_atomic(path, new.as_bytes()).map_err(io(path))?;
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_file_changed_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flake.nix");
        std::fs::write(&path, "{ a = 1; }").unwrap();
        let backups = dir.path().join("backups");
        let err = safe_write(&path, "{ }", "{ b = 2; }", &backups).unwrap_err();
        assert!(matches!(err, WriteError::ChangedOnDisk(_)));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ a = 1; }");
        let backup = safe_write(&path, "{ a = 1; }", "{ b = 2; }", &backups)
            .unwrap()
            .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ b = 2; }");
        assert_eq!(std::fs::read_to_string(backup).unwrap(), "{ a = 1; }");
        let created = dir.path().join("new.nix");
        assert_eq!(safe_write(&created, "", "{ }", &backups).unwrap(), None);
    }
}
