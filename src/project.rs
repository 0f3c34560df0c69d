//! Finding the project (flake.nix / default.nix / shell.nix) and where its nixpkgs comes from.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The kind of Nix entry point a project directory has, in the order we prefer them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    Flake,
    DefaultNix,
    ShellNix,
}

impl EntryKind {
    pub const ALL: [EntryKind; 3] = [EntryKind::Flake, EntryKind::DefaultNix, EntryKind::ShellNix];

    pub fn file_name(self) -> &'static str {
        match self {
            EntryKind::Flake => "flake.nix",
            EntryKind::DefaultNix => "default.nix",
            EntryKind::ShellNix => "shell.nix",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Project {
    pub root: PathBuf,
    pub entry: EntryKind,
}

impl Project {
    pub fn entry_file(&self) -> PathBuf {
        self.root.join(self.entry.file_name())
    }

    pub fn flake_nix(&self) -> Option<PathBuf> {
        let path = self.root.join("flake.nix");
        path.is_file().then_some(path)
    }
}

/// Walks up from `start` to the first directory holding flake.nix, default.nix or shell.nix.
pub fn find_project(start: &Path) -> Option<Project> {
    start.ancestors().find_map(|dir| {
        EntryKind::ALL.iter().find_map(|&entry| {
            dir.join(entry.file_name()).is_file().then(|| Project {
                root: dir.to_path_buf(),
                entry,
            })
        })
    })
}

/// Where the nixpkgs we index and search comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NixpkgsSource {
    /// `--nixpkgs PATH` on the command line.
    Flag { path: PathBuf },
    /// The flake.lock `nixpkgs` input; `path` is its store path when it is present locally.
    FlakeLock {
        lock_file: PathBuf,
        description: String,
        rev: Option<String>,
        /// The revision's commit time (`lastModified`, seconds since the epoch), when recorded.
        last_modified: Option<i64>,
        path: Option<PathBuf>,
    },
    /// `<nixpkgs>` from `NIX_PATH`.
    NixPath { path: PathBuf },
    /// A channel in the user's or root's profile.
    Channel { path: PathBuf },
    /// The small nixpkgs-shaped tree of the embedded demo workspace.
    Demo { path: PathBuf },
}

impl NixpkgsSource {
    /// The local directory to index, when there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            NixpkgsSource::Flag { path }
            | NixpkgsSource::NixPath { path }
            | NixpkgsSource::Channel { path }
            | NixpkgsSource::Demo { path } => Some(path),
            NixpkgsSource::FlakeLock { path, .. } => path.as_deref(),
        }
    }
}

impl fmt::Display for NixpkgsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NixpkgsSource::Flag { path } => write!(f, "--nixpkgs {}", path.display()),
            NixpkgsSource::FlakeLock {
                description, path, ..
            } => {
                write!(f, "flake.lock {description}")?;
                if path.is_none() {
                    write!(f, " (not in local store)")?;
                }
                Ok(())
            }
            NixpkgsSource::NixPath { path } => write!(f, "NIX_PATH {}", path.display()),
            NixpkgsSource::Channel { path } => write!(f, "channel {}", path.display()),
            NixpkgsSource::Demo { .. } => write!(f, "demo nixpkgs-mini"),
        }
    }
}

/// The outcome of looking for nixpkgs: what was found and every place that was tried, so a miss can
/// say where we looked.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NixpkgsSearch {
    pub found: Option<NixpkgsSource>,
    pub looked: Vec<String>,
    /// The project's flake.lock pins a nixpkgs that is not in the store (then `found`, if
    /// anything, is another nixpkgs: a different revision).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<MissingNixpkgs>,
}

/// A nixpkgs flake.lock pins but the store does not hold, and how to fetch it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingNixpkgs {
    pub lock_file: PathBuf,
    /// The flake input's name in flake.nix.
    pub input: String,
    /// `github:NixOS/nixpkgs/0123456789ab`.
    pub description: String,
    pub rev: Option<String>,
    /// The flake reference that fetches exactly the locked revision, when flake.lock has one.
    pub flake_ref: Option<String>,
}

impl MissingNixpkgs {
    /// The one command that puts the locked nixpkgs in the store (as the `source` path
    /// flake.lock's narHash names), as argv after `nix`.
    pub fn fetch_args(&self) -> Option<Vec<std::ffi::OsString>> {
        let flake_ref = self.flake_ref.as_ref()?;
        Some(crate::nix::flake_prefetch_args(flake_ref))
    }

    /// The fetch command as a user types it.
    pub fn fetch_command(&self) -> Option<String> {
        let flake_ref = self.flake_ref.as_ref()?;
        Some(format!(
            "nix --extra-experimental-features 'nix-command flakes' flake prefetch '{flake_ref}'"
        ))
    }

    /// One plain sentence: which input, which revision, not in the store.
    pub fn headline(&self) -> String {
        format!(
            "flake.lock pins input `{}` to {}{}, which is not in the Nix store",
            self.input,
            self.description,
            self.rev
                .as_deref()
                .map(|rev| format!(" (revision {rev})"))
                .unwrap_or_default()
        )
    }
}

impl NixpkgsSearch {
    pub fn explain_missing(&self) -> String {
        let mut text = String::from("no nixpkgs found. Looked in:\n");
        for place in &self.looked {
            text.push_str("  - ");
            text.push_str(place);
            text.push('\n');
        }
        text.push_str(
            "Point at one with `--nixpkgs PATH` (a nixpkgs checkout or a tree holding lib/), \
             set NIX_PATH=nixpkgs=PATH, or try `nixbench --demo`.",
        );
        text
    }
}

/// Environment facts the search depends on, gathered once so the search itself is pure and testable.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub nix_path: Option<String>,
    pub home: Option<PathBuf>,
    pub store_dir: PathBuf,
}

impl Environment {
    pub fn from_process() -> Self {
        Self {
            nix_path: std::env::var("NIX_PATH").ok(),
            home: std::env::var_os("HOME").map(PathBuf::from),
            store_dir: std::env::var_os("NIX_STORE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/nix/store")),
        }
    }
}

/// Finds nixpkgs in the documented order: flag, flake.lock, NIX_PATH, channels.
pub fn find_nixpkgs(
    flag: Option<&Path>,
    project: Option<&Project>,
    env: &Environment,
) -> NixpkgsSearch {
    let mut search = NixpkgsSearch::default();
    if let Some(path) = flag {
        search.looked.push(format!("--nixpkgs {}", path.display()));
        if path.is_dir() {
            search.found = Some(NixpkgsSource::Flag {
                path: path.to_path_buf(),
            });
        }
        // An explicit flag that points nowhere is an answer too: do not silently use something else.
        return search;
    }
    if let Some(project) = project {
        let lock_file = project.root.join("flake.lock");
        search.looked.push(lock_file.display().to_string());
        if let Ok(text) = std::fs::read_to_string(&lock_file) {
            if let Some(locked) = locked_nixpkgs(&text) {
                let path = locked
                    .nar_hash
                    .as_deref()
                    .and_then(|hash| fixed_output_source_path(&env.store_dir, hash))
                    .filter(|path| path.is_dir());
                if path.is_none() {
                    search.missing = Some(MissingNixpkgs {
                        lock_file: lock_file.clone(),
                        input: "nixpkgs".into(),
                        description: locked.description.clone(),
                        rev: locked.rev.clone(),
                        flake_ref: locked.flake_ref.clone(),
                    });
                }
                search.found = Some(NixpkgsSource::FlakeLock {
                    lock_file,
                    description: locked.description,
                    rev: locked.rev,
                    last_modified: locked.last_modified,
                    path: path.clone(),
                });
                if path.is_some() {
                    return search;
                }
            }
        }
    }
    match &env.nix_path {
        Some(nix_path) => {
            search.looked.push(format!("NIX_PATH={nix_path}"));
            if let Some(path) = nixpkgs_from_nix_path(nix_path).filter(|path| path.is_dir()) {
                search.found = Some(NixpkgsSource::NixPath { path });
                return search;
            }
        }
        None => search.looked.push("NIX_PATH (not set)".to_string()),
    }
    let mut channels = Vec::new();
    if let Some(home) = &env.home {
        channels.push(home.join(".nix-defexpr/channels/nixpkgs"));
        channels.push(home.join(".local/state/nix/profiles/channels/nixpkgs"));
    }
    channels.push(PathBuf::from(
        "/nix/var/nix/profiles/per-user/root/channels/nixpkgs",
    ));
    for channel in channels {
        search.looked.push(channel.display().to_string());
        if channel.is_dir() {
            search.found = Some(NixpkgsSource::Channel { path: channel });
            return search;
        }
    }
    search
}

/// `nixpkgs=/some/path:other=...` or a bare directory holding `nixpkgs/`.
pub fn nixpkgs_from_nix_path(nix_path: &str) -> Option<PathBuf> {
    for entry in nix_path.split(':').filter(|entry| !entry.is_empty()) {
        if let Some(path) = entry.strip_prefix("nixpkgs=") {
            if path.starts_with('/') {
                return Some(PathBuf::from(path));
            }
        } else if entry.starts_with('/') {
            let candidate = Path::new(entry).join("nixpkgs");
            if candidate.exists() {
                return Some(candidate);
            }
        }
    }
    None
}

/// The locked `nixpkgs` input of a flake.lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedInput {
    pub description: String,
    pub rev: Option<String>,
    pub nar_hash: Option<String>,
    /// `lastModified`: the locked revision's commit time, seconds since the epoch.
    pub last_modified: Option<i64>,
    /// A flake reference to exactly this revision (`github:NixOS/nixpkgs/REV`).
    pub flake_ref: Option<String>,
}

/// Reads the node the root's `nixpkgs` input points at (following a `follows` list one level).
pub fn locked_nixpkgs(lock_text: &str) -> Option<LockedInput> {
    let lock: serde_json::Value = serde_json::from_str(lock_text).ok()?;
    let nodes = lock.get("nodes")?;
    let root_name = lock.get("root")?.as_str()?;
    let target = nodes.get(root_name)?.get("inputs")?.get("nixpkgs")?;
    let node_name = match target {
        serde_json::Value::String(name) => name.clone(),
        serde_json::Value::Array(path) => {
            // `follows`: a path of input names from the root.
            let mut current = root_name.to_string();
            for step in path {
                let next = nodes.get(&current)?.get("inputs")?.get(step.as_str()?)?;
                current = next.as_str()?.to_string();
            }
            current
        }
        _ => return None,
    };
    let locked = nodes.get(&node_name)?.get("locked")?;
    let field = |name: &str| {
        locked
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let description = match field("type").as_deref() {
        Some("github") | Some("gitlab") | Some("sourcehut") => format!(
            "{}:{}/{}{}",
            field("type").unwrap_or_default(),
            field("owner").unwrap_or_default(),
            field("repo").unwrap_or_default(),
            field("rev")
                .map(|rev| format!("/{}", &rev[..rev.len().min(12)]))
                .unwrap_or_default()
        ),
        Some("path") => format!("path:{}", field("path").unwrap_or_default()),
        Some(other) => format!("{other}:{}", field("url").unwrap_or_default()),
        None => node_name.clone(),
    };
    let flake_ref = match (field("type").as_deref(), field("rev")) {
        (Some(kind @ ("github" | "gitlab" | "sourcehut")), Some(rev)) => Some(format!(
            "{kind}:{}/{}/{rev}",
            field("owner").unwrap_or_default(),
            field("repo").unwrap_or_default()
        )),
        (Some("git"), Some(rev)) => field("url").map(|url| format!("git+{url}?rev={rev}")),
        (Some("tarball" | "file"), _) => field("url"),
        (Some("path"), _) => field("path").map(|path| format!("path:{path}")),
        _ => None,
    };
    Some(LockedInput {
        description,
        rev: field("rev"),
        nar_hash: field("narHash"),
        last_modified: locked.get("lastModified").and_then(|v| v.as_i64()),
        flake_ref,
    })
}

/// The store path Nix gives a locked flake input: a recursive (NAR) sha256 fixed-output path named
/// `source`, computed from the SRI `narHash` in flake.lock without asking Nix.
pub fn fixed_output_source_path(store_dir: &Path, sri_nar_hash: &str) -> Option<PathBuf> {
    let digest = decode_base64(sri_nar_hash.strip_prefix("sha256-")?)?;
    if digest.len() != 32 {
        return None;
    }
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    let fingerprint = format!("source:sha256:{hex}:{}:source", store_dir.display());
    let hash = Sha256::digest(fingerprint.as_bytes());
    let mut compressed = [0u8; 20];
    for (i, byte) in hash.iter().enumerate() {
        compressed[i % 20] ^= byte;
    }
    Some(store_dir.join(format!("{}-source", nix_base32(&compressed))))
}

/// Nix's base-32 encoding (its own alphabet, least significant bits first).
pub fn nix_base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";
    let len = (bytes.len() * 8 - 1) / 5 + 1;
    (0..len)
        .rev()
        .map(|n| {
            let bit = n * 5;
            let (i, j) = (bit / 8, bit % 8);
            let low = bytes[i] >> j;
            let high = if i + 1 < bytes.len() {
                bytes[i + 1].checked_shl(8 - j as u32).unwrap_or(0)
            } else {
                0
            };
            ALPHABET[((low | high) & 0x1f) as usize] as char
        })
        .collect()
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let clean: Vec<u8> = text.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut acc = 0u32;
        for (k, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * k);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_path_of_locked_source_matches_real_nix() {
        // Recorded with Nix 2.8: `nix-store --add-fixed --recursive sha256 source` and
        // `nix hash path --sri source` on the same two-file directory.
        let path = fixed_output_source_path(
            Path::new("/nix/store"),
            "sha256-T5rhsVpW3AXougdNvVTNcizDeSpSQBpSaPWtwkxG5Xg=",
        )
        .unwrap();
        assert_eq!(
            path,
            Path::new("/nix/store/546v8g41kmcqn9wsl8pv6l9537zaplks-source")
        );
    }

    #[test]
    fn reads_nix_path_entries() {
        let dir = tempfile::tempdir().unwrap();
        let nixpkgs = dir.path().join("nixpkgs");
        std::fs::create_dir(&nixpkgs).unwrap();
        let text = format!("foo=/x:nixpkgs={}", nixpkgs.display());
        assert_eq!(nixpkgs_from_nix_path(&text), Some(nixpkgs.clone()));
        assert_eq!(
            nixpkgs_from_nix_path(&dir.path().display().to_string()),
            Some(nixpkgs)
        );
        assert_eq!(nixpkgs_from_nix_path("nixpkgs=channel:nixos-24.05"), None);
    }

    #[test]
    fn follows_lock_inputs() {
        let lock = r#"{"nodes":{
            "root":{"inputs":{"nixpkgs":["utils","nixpkgs"],"utils":"utils"}},
            "utils":{"inputs":{"nixpkgs":"nixpkgs_2"}},
            "nixpkgs_2":{"locked":{"type":"github","owner":"NixOS","repo":"nixpkgs","rev":"0123456789abcdef0123","narHash":"sha256-AAAA"}}
        },"root":"root","version":7}"#;
        let locked = locked_nixpkgs(lock).unwrap();
        assert_eq!(locked.description, "github:NixOS/nixpkgs/0123456789ab");
        assert_eq!(locked.rev.as_deref(), Some("0123456789abcdef0123"));
    }

    #[test]
    fn missing_nixpkgs_says_where_it_looked() {
        let env = Environment {
            nix_path: None,
            home: Some(PathBuf::from("/nonexistent-home")),
            store_dir: PathBuf::from("/nix/store"),
        };
        let search = find_nixpkgs(None, None, &env);
        assert!(search.found.is_none());
        let text = search.explain_missing();
        assert!(text.contains("NIX_PATH (not set)"));
        assert!(text.contains("/nonexistent-home/.nix-defexpr/channels/nixpkgs"));
        assert!(text.contains("--nixpkgs PATH"));
    }
}
