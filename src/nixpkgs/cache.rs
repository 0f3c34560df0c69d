//! The on-disk index cache, keyed by the identity of the nixpkgs tree: its store path (immutable), its
//! git revision plus the git index's mtime, or a fingerprint of every file's size and mtime. The format
//! is a small hand-written binary encoding: fast to read, and independent of the JSON shape.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::encoding::{
    encode_entry, kind_code, kind_of, put_header, put_str, put_u32, CacheBytes, Reader,
};
use super::search::{build_keys, Keys, Masks, Searchable, Span};
use super::{EntryKind, Index};

/// Bumped whenever the encoding or the indexer's output changes.
const FORMAT: u32 = 5;
const MAGIC: &[u8; 8] = b"NBINDEX\0";

/// A stable name for what a nixpkgs tree contains, and how it was determined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub key: String,
    pub how: &'static str,
}

impl Identity {
    /// Known by a git revision (and staged state): uncommitted edits do not change it.
    pub fn is_git_checkout(&self) -> bool {
        self.key.starts_with("git:")
    }
}

/// Works out the identity of a tree without reading its files' contents.
pub fn identity(root: &Path) -> Identity {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let text = root.display().to_string();
    if text.starts_with("/nix/store/") {
        return Identity {
            key: format!("store:{text}"),
            how: "store path",
        };
    }
    if let Some(rev) = git_revision(&root) {
        let index_mtime = mtime_nanos(&root.join(".git/index"));
        return Identity {
            key: format!("git:{text}:{rev}:{index_mtime}"),
            how: "git revision",
        };
    }
    Identity {
        key: format!("tree:{text}:{:016x}", tree_fingerprint(&root)),
        how: "file sizes and times",
    }
}

fn mtime_nanos(path: &Path) -> u128 {
    path.metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// HEAD's commit, read from the .git directory (no git process).
fn git_revision(root: &Path) -> Option<String> {
    let git = root.join(".git");
    let head = std::fs::read_to_string(git.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref: ") else {
        return Some(head.to_string());
    };
    if let Ok(rev) = std::fs::read_to_string(git.join(reference)) {
        return Some(rev.trim().to_string());
    }
    let packed = std::fs::read_to_string(git.join("packed-refs")).ok()?;
    packed
        .lines()
        .find(|line| line.ends_with(reference))
        .and_then(|line| line.split_whitespace().next())
        .map(str::to_string)
}

/// Hash of every `.nix` file's path, size and mtime under lib/ and pkgs/: one pass over the
/// directories' metadata (file types come with the listing; one `stat` per `.nix` file, none per
/// directory), no file read, the subtrees spread over the cores.
fn tree_fingerprint(root: &Path) -> u64 {
    use std::sync::atomic::{AtomicUsize, Ordering};
    // Units: lib/, and each directory directly under pkgs/ (by-name, development, tools, ...).
    let mut units = vec![root.join("lib")];
    let mut files: Vec<(PathBuf, u64, i64, i64)> = Vec::new();
    match std::fs::read_dir(root.join("pkgs")) {
        Ok(entries) => {
            for entry in entries.flatten() {
                match entry.file_type() {
                    Ok(kind) if kind.is_dir() => units.push(entry.path()),
                    _ => stat_nix_file(&entry, &mut files),
                }
            }
        }
        Err(_) => units.push(root.join("pkgs")),
    }
    let next = AtomicUsize::new(0);
    let parts = super::parallel::run_each(super::parallel::workers(2, 8), |_| {
        let mut found = Vec::new();
        while let Some(unit) = units.get(next.fetch_add(1, Ordering::Relaxed)) {
            let mut stack = vec![unit.clone()];
            while let Some(dir) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    match entry.file_type() {
                        Ok(kind) if kind.is_dir() => stack.push(entry.path()),
                        _ => stat_nix_file(&entry, &mut found),
                    }
                }
            }
        }
        found
    });
    files.extend(parts.into_iter().flatten());
    files.sort_unstable();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    files.hash(&mut hasher);
    hasher.finish()
}

/// Records a `.nix` file's path, size and modification time (one `stat`).
fn stat_nix_file(entry: &std::fs::DirEntry, files: &mut Vec<(PathBuf, u64, i64, i64)>) {
    use std::os::unix::fs::MetadataExt;
    if !entry.file_name().as_encoded_bytes().ends_with(b".nix") {
        return;
    }
    if let Ok(meta) = entry.metadata() {
        files.push((entry.path(), meta.len(), meta.mtime(), meta.mtime_nsec()));
    }
}

/// Where the cache for a key (a tree's identity plus anything else the index depends on) lives.
pub fn path_for_key(cache_dir: &Path, key: &str) -> PathBuf {
    let digest = Sha256::digest(key.as_bytes());
    let name: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    cache_dir.join(format!("index-{name}.bin"))
}

/// Opens a cache as a searchable index without decoding its entries.
pub fn open(path: &Path) -> Option<Searchable> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: read-only. nixbench replaces a cache by renaming a new file over it, never by writing
    // into it, so the mapped file does not change while it is open; every field read from it is
    // bounds-checked, so even a file damaged by someone else is a miss, not a wrong read.
    let bytes = match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => CacheBytes::Mapped(map),
        Err(_) => CacheBytes::Owned(std::fs::read(path).ok()?),
    };
    open_cache_bytes(bytes)
}

/// Writes atomically, so nobody ever reads half a cache; a cache lost in a crash is rebuilt, and
/// one damaged on disk fails [`open`]'s checks.
pub fn save(path: &Path, index: &Index) -> std::io::Result<()> {
    crate::fsutil::write_atomic_cache(path, &encode(index))
}

fn put_span(out: &mut Vec<u8>, span: Option<Span>) {
    let span = span.unwrap_or(Span {
        start: u32::MAX,
        end: u32::MAX,
    });
    put_u32(out, span.start);
    put_u32(out, span.end);
}

/// Layout: magic, format, entry count, where the problems and the keys start, one offset per entry,
/// the entry records, the problems, then the search keys (an arena of lower-cased text and spans).
pub fn encode(index: &Index) -> Vec<u8> {
    let count = index.entries.len();
    let mut out = Vec::with_capacity(count * 200);
    put_header(&mut out, MAGIC, FORMAT);
    put_u32(&mut out, count as u32);
    let sections_at = out.len();
    put_u32(&mut out, 0);
    put_u32(&mut out, 0);
    let offsets_at = out.len();
    out.resize(offsets_at + count * 4, 0);
    // The search keys are built on another core while the entries are encoded.
    let (keys, arena) = std::thread::scope(|scope| {
        let keys = scope.spawn(|| build_keys(&index.entries));
        for (i, e) in index.entries.iter().enumerate() {
            let offset = (out.len() as u32).to_le_bytes();
            out[offsets_at + i * 4..offsets_at + i * 4 + 4].copy_from_slice(&offset);
            encode_entry(&mut out, e);
        }
        super::parallel::join(keys)
    });
    let problems_at = out.len() as u32;
    put_u32(&mut out, index.problems.len() as u32);
    for problem in &index.problems {
        put_str(&mut out, problem);
    }
    let keys_at = out.len() as u32;
    put_str(&mut out, &arena);
    for k in &keys {
        put_span(&mut out, Some(k.name));
        put_u32(&mut out, k.short_start);
        put_span(&mut out, k.pname);
        put_span(&mut out, k.main_program);
        put_span(&mut out, k.description);
        out.push(kind_code(Some(k.kind)));
        let m = &k.masks;
        for word in [m.names, m.starts, m.description[0], m.description[1]] {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }
    out[sections_at..sections_at + 4].copy_from_slice(&problems_at.to_le_bytes());
    out[sections_at + 4..sections_at + 8].copy_from_slice(&keys_at.to_le_bytes());
    out
}

/// Reads the header, offsets and keys; entries stay encoded. Anything unexpected (an old format, a
/// truncated file) is a miss, not an error.
pub fn open_bytes(bytes: Vec<u8>) -> Option<Searchable> {
    open_cache_bytes(CacheBytes::Owned(bytes))
}

fn open_cache_bytes(bytes: CacheBytes) -> Option<Searchable> {
    let mut r = Reader {
        bytes: &bytes,
        at: 0,
    };
    r.header(MAGIC, FORMAT)?;
    let count = r.u32()? as usize;
    let problems_at = r.u32()? as usize;
    let keys_at = r.u32()? as usize;
    let offsets_bytes = r.take(count.checked_mul(4)?)?;
    let offsets: Vec<u32> = offsets_bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if offsets.iter().any(|&o| o as usize >= problems_at) {
        return None;
    }
    r.at = problems_at;
    let problem_count = r.u32()? as usize;
    let mut problems = Vec::new();
    for _ in 0..problem_count {
        problems.push(r.string()?);
    }
    r.at = keys_at;
    let arena = r.string()?;
    // Fixed-size key records: nine u32 fields, a kind byte and four u64 masks.
    const RECORD: usize = 9 * 4 + 1 + 4 * 8;
    let records = r.take(count.checked_mul(RECORD)?)?;
    let mut keys = Vec::with_capacity(count);
    let valid = |span: Span| {
        span.start <= span.end
            && (span.end as usize) <= arena.len()
            && arena.is_char_boundary(span.start as usize)
            && arena.is_char_boundary(span.end as usize)
    };
    for record in records.chunks_exact(RECORD) {
        let field = |i: usize| {
            u32::from_le_bytes([
                record[i * 4],
                record[i * 4 + 1],
                record[i * 4 + 2],
                record[i * 4 + 3],
            ])
        };
        let span = |i: usize| {
            let (start, end) = (field(i), field(i + 1));
            (start != u32::MAX).then_some(Span { start, end })
        };
        let key = Keys {
            name: span(0)?,
            short_start: field(2),
            pname: span(3),
            main_program: span(5),
            description: span(7),
            kind: kind_of(record[36]).unwrap_or(EntryKind::Package),
            masks: {
                let word = |i: usize| {
                    let at = 37 + i * 8;
                    u64::from_le_bytes(record[at..at + 8].try_into().unwrap_or_default())
                };
                Masks {
                    names: word(0),
                    starts: word(1),
                    description: [word(2), word(3)],
                }
            },
        };
        let spans = [Some(key.name), key.pname, key.main_program, key.description];
        if !spans.into_iter().flatten().all(valid)
            || key.short_start > key.name.end - key.name.start
        {
            return None;
        }
        keys.push(key);
    }
    Some(Searchable::from_parts(
        std::sync::Arc::new(bytes),
        offsets,
        problems,
        keys,
        arena,
    ))
}

/// Decodes a whole cache into an index.
pub fn decode(bytes: &[u8]) -> Option<Index> {
    open_bytes(bytes.to_vec()).map(|searchable| searchable.to_index())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_field() {
        let mut index = crate::nixpkgs::static_index::index_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nixpkgs-mini"),
        );
        index.merge(crate::nixpkgs::builtins::embedded());
        index.problems.push("x.nix:1:1: broken".into());
        let bytes = encode(&index);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.entries, index.entries);
        assert_eq!(back.problems, index.problems);
        // Truncation and foreign data are misses.
        assert!(decode(&bytes[..bytes.len() / 2]).is_none());
        assert!(decode(b"not a cache").is_none());
    }

    #[test]
    fn identity_changes_when_a_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("lib/default.nix"), "{ }").unwrap();
        let before = identity(dir.path());
        assert_eq!(before.how, "file sizes and times");
        std::fs::write(dir.path().join("lib/default.nix"), "{ x = 1; }").unwrap();
        assert_ne!(identity(dir.path()), before);
        let cache = path_for_key(&dir.path().join("cache"), &before.key);
        assert!(open(&cache).is_none());
        save(&cache, &Index::default()).unwrap();
        assert!(open(&cache).is_some());
    }
}
