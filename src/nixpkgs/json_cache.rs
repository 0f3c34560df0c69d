//! The index of an evaluated-packages JSON file (`--from-json FILE`), cached on disk beside a
//! record of the file it came from, so every later `search`/`doc` on the same file opens the cache
//! after one `stat` instead of importing the file again.

use std::path::{Path, PathBuf};

use super::evaluated::{self, ImportError};
use super::search::Searchable;
use super::source_key::{self, FileStamp, Freshness, SourceRecord};
use super::Index;

/// Where the index of one JSON file lives, and the record that says whether it is current.
pub struct JsonSource {
    /// The JSON file, canonical.
    pub file: PathBuf,
    pub cache: PathBuf,
    record: PathBuf,
}

impl JsonSource {
    /// `base_key` names whatever else goes into the index (a nixpkgs tree's identity, or nothing).
    pub fn new(file: &Path, cache_dir: &Path, base_key: &str) -> Result<Self, ImportError> {
        let file = std::fs::canonicalize(file).map_err(|source| ImportError::Read {
            path: file.display().to_string(),
            source,
        })?;
        let key = format!(
            "json:{}|{base_key}|nixbench-{}",
            file.display(),
            env!("CARGO_PKG_VERSION")
        );
        let cache = super::cache::path_for_key(cache_dir, &key);
        let record = cache.with_extension("source");
        Ok(Self {
            file,
            cache,
            record,
        })
    }

    /// The cached index when the file has not changed since it was built.
    pub fn open_current(&self) -> Option<(Searchable, Freshness)> {
        match source_key::check(&self.file, &self.record) {
            Freshness::Changed => None,
            fresh => super::cache::open(&self.cache).map(|searchable| (searchable, fresh)),
        }
    }

    /// Imports the file into `base` (positions made relative to `root`), saves the cache and its
    /// record, and returns the index. The file is hashed on another core while it is parsed.
    pub fn build(&self, mut base: Index, root: Option<&Path>) -> Result<Index, ImportError> {
        let stamp = FileStamp::of(&self.file).map_err(|source| ImportError::Read {
            path: self.file.display().to_string(),
            source,
        })?;
        let started = std::time::Instant::now();
        let (entries, hash) = std::thread::scope(|scope| {
            let hash = scope.spawn(|| source_key::content_hash(&self.file));
            let entries = evaluated::import_file(&self.file, root);
            let hash = super::parallel::join(hash);
            (entries, hash)
        });
        phase("import", started);
        let started = std::time::Instant::now();
        base.merge(entries?);
        base.sort();
        phase("merge", started);
        let started = std::time::Instant::now();
        // A cache that cannot be written only costs the next command a re-import.
        let saved = super::cache::save(&self.cache, &base);
        phase("cache write", started);
        if saved.is_ok() {
            if let Ok(hash) = hash {
                let _ = SourceRecord { stamp, hash }.save(&self.record);
            }
        }
        Ok(base)
    }
}

/// `NIXBENCH_TIMINGS=1` prints each phase's time on stderr (for scripts/bench).
pub(crate) fn phase(label: &str, since: std::time::Instant) {
    if std::env::var_os("NIXBENCH_TIMINGS").is_some() {
        eprintln!(
            "timing {label}: {:.2} ms",
            since.elapsed().as_secs_f64() * 1000.0
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_once_then_opens_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("packages.json");
        std::fs::write(
            &json,
            r#"{"hello":{"name":"hello-2.12","meta":{"description":"Says hello"}}}"#,
        )
        .unwrap();
        let source = JsonSource::new(&json, &dir.path().join("cache"), "").unwrap();
        assert!(source.open_current().is_none());
        let index = source.build(Index::default(), None).unwrap();
        assert_eq!(index.entries.len(), 1);
        let (searchable, fresh) = source.open_current().unwrap();
        assert_eq!(fresh, Freshness::Unchanged);
        assert_eq!(
            searchable.get("hello").unwrap().version.as_deref(),
            Some("2.12")
        );
        std::fs::write(&json, r#"{"hello":{"name":"hello-2.13"}}"#).unwrap();
        assert!(source.open_current().is_none());
    }
}
