//! Whether a cached index still matches the file it was built from, decided cheaply: the file's
//! size, modification time and inode (one `stat`), and only when those changed, a hash of its
//! contents (so a file touched or copied back unchanged does not cost a re-import).

use std::path::Path;

/// What one `stat` says about a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    pub size: u64,
    pub mtime_nanos: i128,
    pub inode: u64,
    pub device: u64,
}

impl FileStamp {
    pub fn of(path: &Path) -> std::io::Result<Self> {
        Ok(Self::from_metadata(&std::fs::metadata(path)?))
    }

    /// The stamp of a file already open (one `fstat`).
    pub fn of_file(file: &std::fs::File) -> std::io::Result<Self> {
        Ok(Self::from_metadata(&file.metadata()?))
    }

    fn from_metadata(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            size: meta.len(),
            mtime_nanos: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
        }
    }
}

/// A hash of a file's contents, read through a memory map. SipHash, not SHA-256: it tells a cache
/// whether its source changed (nobody gains by forging a collision with their own file), at several
/// times SHA-256's speed on 200 MB of JSON. A toolchain that changes the algorithm only causes one
/// re-import.
pub fn content_hash(path: &Path) -> std::io::Result<String> {
    use std::hash::Hasher;
    let file = std::fs::File::open(path)?;
    let mut hasher = std::hash::DefaultHasher::new();
    // SAFETY: read-only and dropped before returning; see `evaluated::import_file`.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(bytes) => hasher.write(&bytes),
        Err(_) => hasher.write(&std::fs::read(path)?),
    }
    Ok(format!(
        "{:016x}-{}",
        hasher.finish(),
        file.metadata()?.len()
    ))
}

/// The record kept beside a cache: the source's stamp and content hash when the cache was built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRecord {
    pub stamp: FileStamp,
    pub hash: String,
}

impl SourceRecord {
    fn encode(&self) -> String {
        let s = &self.stamp;
        format!(
            "{} {} {} {} {}\n",
            s.size, s.mtime_nanos, s.inode, s.device, self.hash
        )
    }

    fn decode(text: &str) -> Option<Self> {
        let mut fields = text.split_whitespace();
        let stamp = FileStamp {
            size: fields.next()?.parse().ok()?,
            mtime_nanos: fields.next()?.parse().ok()?,
            inode: fields.next()?.parse().ok()?,
            device: fields.next()?.parse().ok()?,
        };
        let hash = fields.next()?.to_string();
        Some(Self { stamp, hash })
    }

    pub fn load(record: &Path) -> Option<Self> {
        Self::decode(&std::fs::read_to_string(record).ok()?)
    }

    pub fn save(&self, record: &Path) -> std::io::Result<()> {
        crate::fsutil::write_atomic_cache(record, self.encode().as_bytes())
    }
}

/// How a source compared with its record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// Same size, time and inode: one `stat`.
    Unchanged,
    /// The stamp changed but the contents did not; the record was updated.
    SameContents,
    /// Different contents, no record, or the source cannot be read.
    Changed,
}

/// Compares `source` with the record at `record`, hashing the contents only when the stamp differs.
pub fn check(source: &Path, record: &Path) -> Freshness {
    let (Some(recorded), Ok(stamp)) = (SourceRecord::load(record), FileStamp::of(source)) else {
        return Freshness::Changed;
    };
    if recorded.stamp == stamp {
        return Freshness::Unchanged;
    }
    match content_hash(source) {
        Ok(hash) if hash == recorded.hash => {
            let _ = SourceRecord { stamp, hash }.save(record);
            Freshness::SameContents
        }
        _ => Freshness::Changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_then_hash() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("packages.json");
        let record = dir.path().join("index.source");
        std::fs::write(&source, "{}").unwrap();
        assert_eq!(check(&source, &record), Freshness::Changed);
        SourceRecord {
            stamp: FileStamp::of(&source).unwrap(),
            hash: content_hash(&source).unwrap(),
        }
        .save(&record)
        .unwrap();
        assert_eq!(check(&source, &record), Freshness::Unchanged);
        // Rewritten with the same bytes: a new inode or time, the same contents.
        std::fs::remove_file(&source).unwrap();
        std::fs::write(&source, "{}").unwrap();
        std::fs::write(dir.path().join("other"), "x").unwrap();
        let expected =
            if FileStamp::of(&source).unwrap() == SourceRecord::load(&record).unwrap().stamp {
                Freshness::Unchanged
            } else {
                Freshness::SameContents
            };
        assert_eq!(check(&source, &record), expected);
        std::fs::write(&source, "{\"a\":{}}").unwrap();
        assert_eq!(check(&source, &record), Freshness::Changed);
    }
}
