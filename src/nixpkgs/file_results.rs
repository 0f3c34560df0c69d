//! What the last index of a tree read from each package file, kept so that a re-index (after a
//! `git pull`, or any change to the tree) reads and parses only the files whose size, time or
//! inode changed; the others cost one `stat` each. Keyed by the tree's path, not its identity,
//! because the identity is exactly what changes between the two indexes.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::Path;

use super::encoding::{decode_entry_from, encode_entry, put_header, put_str, put_u32, Reader};
use super::source_key::FileStamp;
use super::Entry;

const MAGIC: &[u8; 8] = b"NBFILES\0";
/// Bumped with the indexer's output or this encoding, like the index cache's format.
const FORMAT: u32 = 2;

/// The previous index's records, as saved: each is decoded only when its file is looked up,
/// and kept for the next index byte for byte when its file has not changed.
#[derive(Debug, Default)]
pub struct FileResults {
    bytes: Vec<u8>,
    /// Where each record starts, by a hash of its path and passed names (the record's own are
    /// compared on lookup, so a collision is a miss: the file is read again).
    by_path: HashMap<u64, u32>,
}

/// A previous record whose file has the same stamp and was passed the same names.
pub struct Unchanged<'a> {
    pub entry: Entry,
    pub problems: Vec<String>,
    /// The record as saved, to keep as it is.
    pub record: &'a [u8],
}

/// Records are found by their file and the names it was passed: a file called twice with
/// other names (`hello` and `hello-static = callPackage ./hello { openssl = ...; }`) keeps both.
fn key_hash<'a>(path: &[u8], passed: impl Iterator<Item = &'a str>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hasher);
    for name in passed {
        name.hash(&mut hasher);
    }
    hasher.finish()
}

impl FileResults {
    /// The saved results, or none when there are none or they cannot be read.
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(index_records)
            .unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }

    /// The record of the file at `path` when it has this stamp and these passed names; `None`
    /// when there is none or it is out of date.
    pub fn unchanged(
        &self,
        path: &Path,
        stamp: &FileStamp,
        passed: &[String],
    ) -> Option<Unchanged<'_>> {
        let wanted = path.as_os_str().as_encoded_bytes();
        let key = key_hash(wanted, passed.iter().map(String::as_str));
        let at = *self.by_path.get(&key)? as usize;
        let mut r = Reader {
            bytes: &self.bytes,
            at,
        };
        let length = r.u32()? as usize;
        let record = self.bytes.get(at..at + 4 + length)?;
        if r.str()?.as_bytes() != wanted || read_stamp(&mut r)? != *stamp {
            return None;
        }
        let count = r.u32()? as usize;
        if count != passed.len() {
            return None;
        }
        for name in passed {
            if r.str()? != name {
                return None;
            }
        }
        let problems = (0..r.u32()?)
            .map(|_| r.string())
            .collect::<Option<Vec<_>>>()?;
        let entry = decode_entry_from(&mut r)?;
        Some(Unchanged {
            entry,
            problems,
            record,
        })
    }
}

/// Size, time (16 bytes), inode and device.
const STAMP_BYTES: usize = 8 + 16 + 8 + 8;

fn read_stamp(r: &mut Reader) -> Option<FileStamp> {
    Some(FileStamp {
        size: r.u64()?,
        mtime_nanos: i128::from_le_bytes(r.take(16)?.try_into().ok()?),
        inode: r.u64()?,
        device: r.u64()?,
    })
}

/// Finds where each record starts (each is prefixed by its length), decoding only its path.
fn index_records(bytes: Vec<u8>) -> Option<FileResults> {
    let mut r = Reader {
        bytes: &bytes,
        at: 0,
    };
    r.header(MAGIC, FORMAT)?;
    let count = r.u32()? as usize;
    let mut by_path = HashMap::with_capacity(count.min(1 << 20));
    for _ in 0..count {
        let at = r.at;
        let length = r.u32()? as usize;
        let path = r.str()?;
        r.take(STAMP_BYTES)?;
        let passed = (0..r.u32()?).map(|_| r.str()).collect::<Option<Vec<_>>>()?;
        by_path.insert(key_hash(path.as_bytes(), passed.into_iter()), at as u32);
        r.at = at + 4;
        r.take(length)?;
    }
    Some(FileResults { bytes, by_path })
}

/// Records written as they are made, by each worker into its own part: the index keeps no copy
/// of 100k entries for the next one, and saving is one write of the parts.
#[derive(Debug, Default)]
pub struct Encoded {
    bytes: Vec<u8>,
    count: u32,
}

impl Encoded {
    pub fn push(
        &mut self,
        path: &Path,
        stamp: &FileStamp,
        passed: &[String],
        entry: &Entry,
        problems: &[String],
    ) {
        let out = &mut self.bytes;
        let start = out.len();
        put_u32(out, 0);
        put_str(out, &path.to_string_lossy());
        out.extend_from_slice(&stamp.size.to_le_bytes());
        out.extend_from_slice(&stamp.mtime_nanos.to_le_bytes());
        out.extend_from_slice(&stamp.inode.to_le_bytes());
        out.extend_from_slice(&stamp.device.to_le_bytes());
        for list in [passed, problems] {
            put_u32(out, list.len() as u32);
            for item in list {
                put_str(out, item);
            }
        }
        encode_entry(out, entry);
        let length = (out.len() - start - 4) as u32;
        out[start..start + 4].copy_from_slice(&length.to_le_bytes());
        self.count += 1;
    }

    /// Keeps a previous record as it was saved.
    pub fn push_record(&mut self, record: &[u8]) {
        self.bytes.extend_from_slice(record);
        self.count += 1;
    }
}

/// Saves the parts' records as one results file.
pub fn save(path: &Path, parts: &[Encoded]) -> std::io::Result<()> {
    let count: u32 = parts.iter().map(|p| p.count).sum();
    let mut out = Vec::with_capacity(16 + parts.iter().map(|p| p.bytes.len()).sum::<usize>());
    put_header(&mut out, MAGIC, FORMAT);
    put_u32(&mut out, count);
    for part in parts {
        out.extend_from_slice(&part.bytes);
    }
    crate::fsutil::write_atomic_cache(path, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_records_as_saved() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.nix");
        std::fs::write(&file, "{ }").unwrap();
        let stamp = FileStamp::of(&file).unwrap();
        let passed = vec!["version".to_string()];
        let entry = Entry {
            name: "a".into(),
            pname: Some("a".into()),
            ..Entry::default()
        };
        let problems = vec!["a.nix:1:1: odd".to_string()];
        let mut parts = [Encoded::default(), Encoded::default()];
        parts[1].push(&file, &stamp, &passed, &entry, &problems);
        let saved = dir.path().join("files.bin");
        save(&saved, &parts).unwrap();
        let loaded = FileResults::load(&saved);
        let found = loaded.unchanged(&file, &stamp, &passed).unwrap();
        assert_eq!((&found.entry, &found.problems), (&entry, &problems));
        // Kept byte for byte, the record reads back the same.
        let mut again = Encoded::default();
        again.push_record(found.record);
        save(&saved, &[again]).unwrap();
        let reloaded = FileResults::load(&saved);
        assert_eq!(
            reloaded.unchanged(&file, &stamp, &passed).unwrap().entry,
            entry
        );
        // The same file passed other names is a record of its own.
        let mut two = Encoded::default();
        two.push(&file, &stamp, &passed, &entry, &problems);
        let other_entry = Entry {
            name: "a-static".into(),
            ..entry.clone()
        };
        two.push(&file, &stamp, &["openssl".to_string()], &other_entry, &[]);
        save(&saved, &[two]).unwrap();
        let both = FileResults::load(&saved);
        assert_eq!(both.unchanged(&file, &stamp, &passed).unwrap().entry, entry);
        let other = both
            .unchanged(&file, &stamp, &["openssl".to_string()])
            .unwrap();
        assert_eq!(other.entry, other_entry);
        // Another stamp, other passed names or another path: no record.
        let other = FileStamp { size: 9, ..stamp };
        assert!(reloaded.unchanged(&file, &other, &passed).is_none());
        assert!(reloaded.unchanged(&file, &stamp, &[]).is_none());
        assert!(reloaded
            .unchanged(&dir.path().join("b.nix"), &stamp, &passed)
            .is_none());
        std::fs::write(&saved, "damaged").unwrap();
        assert!(FileResults::load(&saved).is_empty());
    }
}
