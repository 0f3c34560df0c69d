//! The embedded demo workspace: a small flake project, a nixpkgs-shaped tree with documented lib
//! functions, and a closure, derivation graph and build log recorded from real Nix.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));
}

/// Every embedded file, by path relative to assets/demo.
pub fn files() -> &'static [(&'static str, &'static [u8])] {
    embedded::FILES
}

pub fn file(path: &str) -> Option<&'static [u8]> {
    files()
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

pub const CLOSURE: &str = "recorded/closure.json";
pub const DERIVATIONS: &str = "recorded/derivations.json";
pub const BUILD_LOG: &str = "recorded/build.internal-json";
pub const PACKAGES: &str = "recorded/packages.json";

/// A short hash of the embedded content, so each version of the demo gets its own directory.
fn content_id() -> String {
    let mut hasher = Sha256::new();
    for (path, bytes) in files() {
        hasher.update(path.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hasher
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes the demo workspace under `parent` (once per content version) and returns its directory.
/// Writing goes to a temporary directory that is renamed into place, so a half-written demo is never
/// used.
pub fn materialize(parent: &Path) -> std::io::Result<PathBuf> {
    let target = parent.join(format!("demo-{}", content_id()));
    if target.join("project/flake.nix").is_file() {
        return Ok(target);
    }
    std::fs::create_dir_all(parent)?;
    let temp = parent.join(format!(".demo-{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);
    for (rel, bytes) in files() {
        let path = temp.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, bytes)?;
    }
    match std::fs::rename(&temp, &target) {
        Ok(()) => Ok(target),
        // Another nixbench got there first.
        Err(_) if target.join("project/flake.nix").is_file() => {
            let _ = std::fs::remove_dir_all(&temp);
            Ok(target)
        }
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_is_complete() {
        for needed in [
            super::CLOSURE,
            super::DERIVATIONS,
            super::BUILD_LOG,
            super::PACKAGES,
            "project/flake.nix",
            "project/flake.lock",
            "nixpkgs/lib/default.nix",
        ] {
            assert!(
                super::file(needed).is_some(),
                "{needed} missing from the demo"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let demo = super::materialize(dir.path()).unwrap();
        assert!(demo
            .join("nixpkgs/pkgs/by-name/ri/ripgrep/package.nix")
            .is_file());
        assert_eq!(super::materialize(dir.path()).unwrap(), demo);
    }
}
