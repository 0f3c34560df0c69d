//! Packages from evaluation: the JSON printed by `nix-env -f PATH -qaP --json --meta` (also the shape
//! of a channel's packages.json, which wraps it in `{ "packages": ... }`).

use std::path::Path;

use thiserror::Error;

use super::{json_import, Entry};

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{path}: not the JSON of `nix-env -qaP --json --meta` ({source}). Produce it with `nix-env -f <nixpkgs> -qaP --json --meta > FILE`")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("could not read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Reads the file in one streaming pass (see [`super::json_import`]); `root` (the nixpkgs
/// directory) makes positions relative. Entries come back sorted by name, one per attribute (the
/// last of duplicates).
pub fn import_file(path: &Path, root: Option<&Path>) -> Result<Vec<Entry>, ImportError> {
    let read_error = |source| ImportError::Read {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    // Mapped privately, not read: the file's pages stay in the page cache instead of a copy on the
    // heap, and the few bytes `parse_parallel` cuts at are copied on write, never written back.
    // SAFETY: the map lives only during this call; a file truncated meanwhile by another process
    // is the one hazard, which every mmap reader shares.
    let mapped = unsafe { memmap2::MmapOptions::new().map_copy(&file) };
    let parsed = match mapped {
        Ok(mut bytes) => json_import::parse_parallel(&mut bytes, root),
        // Not mappable (a pipe, /dev/stdin): read it.
        Err(_) => {
            let mut bytes = std::fs::read(path).map_err(read_error)?;
            json_import::parse_parallel(&mut bytes, root)
        }
    };
    parsed
        .map(sorted_unique)
        .map_err(|source| ImportError::Json {
            path: path.display().to_string(),
            source,
        })
}

pub fn import_reader(
    mut reader: impl std::io::Read,
    root: Option<&Path>,
) -> Result<Vec<Entry>, serde_json::Error> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(serde_json::Error::io)?;
    json_import::parse(&bytes, root).map(sorted_unique)
}

/// Sorts by name (a no-op check for nix-env's output, which is sorted) and keeps the last of
/// duplicate names, as reading the JSON object into a map would.
fn sorted_unique(mut entries: Vec<Entry>) -> Vec<Entry> {
    if !entries.is_sorted_by(|a, b| a.name < b.name) {
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let mut unique: Vec<Entry> = Vec::with_capacity(entries.len());
        for entry in entries {
            match unique.last_mut() {
                Some(last) if last.name == entry.name => *last = entry,
                _ => unique.push(entry),
            }
        }
        entries = unique;
    }
    entries
}

/// Why `nix-env -qaP --json --meta` gave no packages.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// It could not be started or waited for.
    #[error(transparent)]
    Nix(#[from] crate::nix::NixError),
    #[error("nix-env gave no output pipe")]
    NoOutput,
    #[error("reading nix-env's output: {0}")]
    Read(#[source] std::io::Error),
    /// It ran and failed; Nix's own message.
    #[error("nix-env failed: {0}")]
    Failed(String),
    /// It printed what is not its JSON.
    #[error("nix-env output: {0}")]
    Output(#[from] serde_json::Error),
}

/// Runs `nix-env -f ROOT -qaP --json --meta` and parses what it prints, calling `progress(seen)`
/// as packages stream in (each top-level attribute starts a line with two spaces and a quote).
pub fn evaluate(
    nix: &crate::nix::NixInfo,
    root: &Path,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Entry>, EvalError> {
    use std::io::Read;
    let mut child = crate::nix::NixCommand::new(nix.nix_env_program())
        .args(nix.query_packages_args(root))
        .spawn()?;
    let mut stdout = child.take_stdout().ok_or(EvalError::NoOutput)?;
    let stderr = child.take_stderr();
    // Read stderr on a thread so a chatty evaluation cannot fill its pipe and stall.
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stderr) = stderr {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    });
    let mut json = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut seen = 0;
    loop {
        let n = stdout.read(&mut buf).map_err(EvalError::Read)?;
        if n == 0 {
            break;
        }
        let start = json.len();
        json.extend_from_slice(&buf[..n]);
        // Count new top-level keys: `\n  "` at the start of a line.
        let from = start.saturating_sub(3);
        seen += json[from..].windows(4).filter(|w| w == b"\n  \"").count();
        progress(seen);
    }
    let status = child.wait()?;
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(EvalError::Failed(crate::nix::error_message(&errors)));
    }
    Ok(import_reader(&json[..], Some(root))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_recorded_nix_env_output() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/golden/nix-2.8.0/nix-env-qaP.json");
        let entries = import_file(&path, None).unwrap();
        let rg = entries.iter().find(|e| e.name == "ripgrep").unwrap();
        assert_eq!(rg.main_program.as_deref(), Some("rg"));
        assert_eq!(
            rg.file.as_deref(),
            Some("pkgs/by-name/ri/ripgrep/package.nix")
        );
        assert_eq!(rg.line, Some(3));
        assert!(entries.iter().any(|e| e.name == "python3Packages.requests"));
    }

    #[test]
    fn channel_shape_and_license_objects() {
        let json = r#"{"version":2,"packages":{"jq":{"name":"jq-1.7.1","meta":{"license":[{"spdxId":"MIT"},{"shortName":"cc-by-30"}],"homepage":["https://jqlang.github.io/jq/"]}}}}"#;
        let entries = import_reader(json.as_bytes(), None).unwrap();
        assert_eq!(entries[0].pname.as_deref(), Some("jq"));
        assert_eq!(entries[0].version.as_deref(), Some("1.7.1"));
        assert_eq!(entries[0].license.as_deref(), Some("MIT, cc-by-30"));
        assert_eq!(
            entries[0].homepage.as_deref(),
            Some("https://jqlang.github.io/jq/")
        );
    }
}
