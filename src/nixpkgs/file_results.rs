//! What the last index of a tree read from each package file, kept so that a re-index (after a
//! `git pull`, or any change to the tree) reads and parses only the files whose size, time or
//! inode changed; the others cost one `stat` each. Keyed by the tree's path, not its identity,
//! because the identity is exactly what changes between the two indexes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

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

/// Records by the path the file was read from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileResults {
    pub records: HashMap<PathBuf, Record>,
}

impl FileResults {
    /// The saved results, or none when there are none or they cannot be read.
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| decode(&bytes))
            .unwrap_or_default()
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        crate::fsutil::write_atomic_cache(path, &self.encode())
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.records.len() * 256);
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, FORMAT);
        put_u32(&mut out, self.records.len() as u32);
        for (path, record) in &self.records {
            put_str(&mut out, &path.to_string_lossy());
            let s = &record.stamp;
            out.extend_from_slice(&s.size.to_le_bytes());
            out.extend_from_slice(&s.mtime_nanos.to_le_bytes());
            out.extend_from_slice(&s.inode.to_le_bytes());
            out.extend_from_slice(&s.device.to_le_bytes());
            for list in [&record.passed, &record.problems] {
                put_u32(&mut out, list.len() as u32);
                for item in list {
                    put_str(&mut out, item);
                }
            }
            encode_entry(&mut out, &record.entry);
        }
        out
    }
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
        let path = PathBuf::from(r.string()?);
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
        let mut results = FileResults::default();
        results.records.insert(
            file.clone(),
            Record {
                stamp: FileStamp::of(&file).unwrap(),
                passed: vec!["version".into()],
                entry: Entry {
                    name: "a".into(),
                    pname: Some("a".into()),
                    ..Entry::default()
                },
                problems: vec!["a.nix:1:1: odd".into()],
            },
        );
        let saved = dir.path().join("files.bin");
        results.save(&saved).unwrap();
        assert_eq!(FileResults::load(&saved), results);
        std::fs::write(&saved, "damaged").unwrap();
        assert!(FileResults::load(&saved).records.is_empty());
    }
}
