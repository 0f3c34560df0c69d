//! Packages from evaluation: the JSON printed by `nix-env -f PATH -qaP --json --meta` (also the shape
//! of a channel's packages.json, which wraps it in `{ "packages": ... }`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use thiserror::Error;

use super::{Entry, EntryKind};

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

#[derive(Deserialize)]
#[serde(untagged)]
enum Document {
    Channel {
        packages: BTreeMap<String, RawPackage>,
    },
    Plain(BTreeMap<String, RawPackage>),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawPackage {
    name: Option<String>,
    pname: Option<String>,
    version: Option<String>,
    meta: RawMeta,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawMeta {
    description: Option<String>,
    long_description: Option<String>,
    homepage: Option<serde_json::Value>,
    license: Option<serde_json::Value>,
    main_program: Option<String>,
    platforms: Option<serde_json::Value>,
    position: Option<String>,
}

/// Reads the file; `root` (the nixpkgs directory) makes positions relative.
pub fn import_file(path: &Path, root: Option<&Path>) -> Result<Vec<Entry>, ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Read {
        path: path.display().to_string(),
        source,
    })?;
    import_reader(std::io::BufReader::new(file), root).map_err(|source| ImportError::Json {
        path: path.display().to_string(),
        source,
    })
}

pub fn import_reader(
    reader: impl std::io::Read,
    root: Option<&Path>,
) -> Result<Vec<Entry>, serde_json::Error> {
    let document: Document = serde_json::from_reader(reader)?;
    let packages = match document {
        Document::Channel { packages } | Document::Plain(packages) => packages,
    };
    Ok(packages
        .into_iter()
        .map(|(attr, raw)| to_entry(attr, raw, root))
        .collect())
}

fn to_entry(attr: String, raw: RawPackage, root: Option<&Path>) -> Entry {
    let (pname, version) = match (raw.pname, raw.version) {
        (Some(p), Some(v)) => (Some(p), Some(v)),
        (p, v) => {
            // Older nix-env prints only `name`: split at the first dash followed by a digit.
            let name = raw.name.unwrap_or_default();
            let split = name.char_indices().find(|&(i, c)| {
                c == '-' && name[i + 1..].starts_with(|d: char| d.is_ascii_digit())
            });
            match split {
                Some((i, _)) => (
                    p.or(Some(name[..i].to_string())),
                    v.or(Some(name[i + 1..].to_string())),
                ),
                None => (p.or(Some(name)), v),
            }
        }
    };
    let (file, line) = raw
        .meta
        .position
        .as_deref()
        .and_then(|pos| pos.rsplit_once(':'))
        .map(|(file, line)| {
            let file = root
                .and_then(|root| Path::new(file).strip_prefix(root).ok())
                .map(|rel| rel.display().to_string())
                .unwrap_or_else(|| file.to_string());
            (Some(file), line.parse().ok())
        })
        .unwrap_or((None, None));
    Entry {
        name: attr,
        kind: Some(EntryKind::Package),
        pname,
        version: version.filter(|v| !v.is_empty()),
        description: raw.meta.description,
        long_description: raw.meta.long_description.map(|s| s.trim().to_string()),
        homepage: raw.meta.homepage.as_ref().and_then(first_string),
        license: raw.meta.license.as_ref().and_then(license_text),
        main_program: raw.meta.main_program,
        platforms: raw
            .meta
            .platforms
            .map(|p| match p {
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            })
            .unwrap_or_default(),
        file,
        line,
        ..Entry::default()
    }
}

fn first_string(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(items) => items.iter().find_map(first_string),
        _ => None,
    }
}

/// Licenses come as a string, an object with `spdxId`/`shortName`, or a list of either.
fn license_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(map) => ["spdxId", "shortName", "fullName"]
            .iter()
            .find_map(|key| map.get(*key).and_then(|v| v.as_str()).map(str::to_string)),
        serde_json::Value::Array(items) => {
            let names: Vec<String> = items.iter().filter_map(license_text).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        _ => None,
    }
}

/// Runs `nix-env -f ROOT -qaP --json --meta` and parses what it prints, calling `progress(seen)`
/// as packages stream in (each top-level attribute starts a line with two spaces and a quote).
pub fn evaluate(
    nix: &crate::nix::NixInfo,
    root: &Path,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Entry>, String> {
    use std::io::Read;
    let program = nix.program.with_file_name("nix-env");
    let mut child = std::process::Command::new(&program)
        .arg("-f")
        .arg(root)
        .args(["-qaP", "--json", "--meta"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run {}: {e}", program.display()))?;
    let _tracked = crate::nix::Tracked::new(&child);
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let stderr = child.stderr.take();
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
        let n = stdout.read(&mut buf).map_err(|e| e.to_string())?;
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
    let status = child.wait().map_err(|e| e.to_string())?;
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(format!(
            "nix-env failed: {}",
            crate::nix::error_message(&errors)
        ));
    }
    import_reader(&json[..], Some(root)).map_err(|e| format!("nix-env output: {e}"))
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
