//! Files nixbench writes for itself and for the user: atomic replacement and small JSON records;
//! and which file-watch events mean a file changed.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Reads a JSON file nixbench keeps for itself (history, progress, caches). Missing or unreadable
/// means "nothing yet": these files are conveniences, never worth an error.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
}

/// Writes a value as pretty JSON, atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    write_atomic(path, &json)
}

/// Writes `contents` to `path` so that a crash leaves either the old file or the new one: a temporary
/// file in the same directory, fsync, rename, then fsync of the directory.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, contents, true)
}

/// Like [`write_atomic`] without waiting for the disk: for caches, which must never be seen half
/// written (the rename sees to that) but may be lost in a crash and are then rebuilt.
pub fn write_atomic_cache(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, contents, false)
}

/// The temporary file gets a fresh random name, so two saves of one file (two tasks, two processes)
/// never write into the same temporary; it is removed when anything fails before the rename.
fn write_atomic_with(path: &Path, contents: &[u8], durable: bool) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let prefix = match path.file_name() {
        Some(name) => format!(".{}.", name.to_string_lossy()),
        None => ".file.".into(),
    };
    // 0o666 before the umask, as `File::create` would give a new file; an existing file's mode is
    // copied exactly below.
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".nixbench.tmp")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    temp.write_all(contents)?;
    if durable {
        temp.as_file().sync_all()?;
    }
    if let Ok(meta) = std::fs::metadata(path) {
        temp.as_file().set_permissions(meta.permissions())?;
    }
    temp.persist(path)?;
    if durable {
        if let Ok(dir_handle) = std::fs::File::open(dir) {
            let _ = dir_handle.sync_all();
        }
    }
    Ok(())
}

/// True when a watch event can mean a file's contents or name changed. Opening, reading and closing
/// a file are events too (`Access`); a watcher that reads the file on every event would wake itself
/// for ever.
pub fn is_change(event: &notify::Event) -> bool {
    !matches!(event.kind, notify::EventKind::Access(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn atomic_write_keeps_the_mode_of_the_file_it_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("script.sh");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o751)).unwrap();
        write_atomic_cache(&path, b"new").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o751);
    }

    #[test]
    fn new_file_gets_the_mode_file_create_would_give() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let path = dir.path().join("new.json");
        write_json(&path, &vec![1, 2]).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&plain));
        assert_eq!(read_json::<Vec<u32>>(&path), Some(vec![1, 2]));
    }

    #[test]
    fn concurrent_saves_of_one_file_never_share_a_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::thread::scope(|scope| {
            for round in 0..8u32 {
                let path = &path;
                scope.spawn(move || {
                    for i in 0..20u32 {
                        write_json(path, &vec![round; (i % 7) as usize * 100]).unwrap();
                    }
                });
            }
        });
        let saved: Vec<u32> = read_json(&path).expect("a whole JSON file");
        assert!(saved.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn reading_a_watched_file_is_not_a_change() {
        use notify::Watcher;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("flake.nix");
        std::fs::write(&file, "{ }\n").unwrap();
        let changes = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&changes);
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if event.is_ok_and(|e| is_change(&e)) {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            })
            .unwrap();
        watcher
            .watch(dir.path(), notify::RecursiveMode::NonRecursive)
            .unwrap();
        for _ in 0..5 {
            std::fs::read(&file).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(changes.load(Ordering::SeqCst), 0, "reads woke the watcher");
        std::fs::write(&file, "{ x = 1; }\n").unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while changes.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(changes.load(Ordering::SeqCst) > 0, "a write was not seen");
    }
}
