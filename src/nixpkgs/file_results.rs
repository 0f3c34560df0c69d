//! What the last index of a tree read from each package file, kept so that a re-index (after a
//! `git pull`, or any change to the tree) reads and parses only the files whose size, time or
//! inode changed; the others cost one `stat` each. Keyed by the tree's path, not its identity,
//! because the identity is exactly what changes between the two indexes.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;

use super::encoding::{encode_entry, put_str, put_u32, Reader};
use super::source_key::FileStamp;
use super::Entry;

const MAGIC: &[u8; 8] = b"NBFILES\0";
/// Bumped with the indexer's output or this encoding, like the index cache's format.
const FORMAT: u32 = 1;

/// One file's result: what it said when it had this stamp, given these passed arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub stamp: FileStamp,
    pub passed: Vec<String>,
    pub entry: Entry,
    pub problems: Vec<String>,
}

/// The previous index's records by the path the file was read from (the path's bytes: hashing
/// them is cheaper than hashing a `Path` component by component).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileResults {
    pub records: HashMap<OsString, Record>,
}

impl FileResults {
    /// The saved results, or none when there are none or they cannot be read.
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| decode(&bytes))
            .unwrap_or_default()
    }

    pub fn get(&self, path: &Path) -> Option<&Record> {
        self.records.get(path.as_os_str())
    }
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
        self.count += 1;
    }

    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Saves the parts' records as one results file.
pub fn save(path: &Path, parts: &[Encoded]) -> std::io::Result<()> {
    let count: u32 = parts.iter().map(|p| p.count).sum();
    let mut out = Vec::with_capacity(16 + parts.iter().map(|p| p.bytes.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, FORMAT);
    put_u32(&mut out, count);
    for part in parts {
        out.extend_from_slice(&part.bytes);
    }
    crate::fsutil::write_atomic_cache(path, &out)
}

fn decode(bytes: &[u8]) -> Option<FileResults> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(8)? != MAGIC || r.u32()? != FORMAT {
        return None;
    }
    let count = r.u32()? as usize;
    let mut records = HashMap::with_capacity(count.min(1 << 20));
    let u64_of = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
    for _ in 0..count {
        let path = OsString::from(r.string()?);
        let stamp = FileStamp {
            size: u64_of(r.take(8)?),
            mtime_nanos: i128::from_le_bytes(r.take(16)?.try_into().ok()?),
            inode: u64_of(r.take(8)?),
            device: u64_of(r.take(8)?),
        };
        let mut lists = [Vec::new(), Vec::new()];
        for list in &mut lists {
            for _ in 0..r.u32()? {
                list.push(r.string()?);
            }
        }
        let [passed, problems] = lists;
        let entry = super::encoding::decode_entry_from(&mut r)?;
        records.insert(
            path,
            Record {
                stamp,
                passed,
                entry,
                problems,
            },
        );
    }
    Some(FileResults { records })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.nix");
        std::fs::write(&file, "{ }").unwrap();
        let record = Record {
            stamp: FileStamp::of(&file).unwrap(),
            passed: vec!["version".into()],
            entry: Entry {
                name: "a".into(),
                pname: Some("a".into()),
                ..Entry::default()
            },
            problems: vec!["a.nix:1:1: odd".into()],
        };
        let mut parts = [Encoded::default(), Encoded::default()];
        let r = &record;
        parts[1].push(&file, &r.stamp, &r.passed, &r.entry, &r.problems);
        let saved = dir.path().join("files.bin");
        save(&saved, &parts).unwrap();
        let loaded = FileResults::load(&saved);
        assert_eq!(loaded.records.len(), 1);
        assert_eq!(loaded.get(&file), Some(&record));
        std::fs::write(&saved, "damaged").unwrap();
        assert!(FileResults::load(&saved).records.is_empty());
    }
}
