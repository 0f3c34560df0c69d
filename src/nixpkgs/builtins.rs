//! `builtins`: a small documented set ships in the binary (so docs work without Nix); with Nix
//! installed, the names come from the installed Nix and are merged with that set.

use super::{Entry, EntryKind};

const EMBEDDED: &str = include_str!("../../assets/builtins.json");

#[derive(serde::Deserialize)]
struct RawBuiltin {
    name: String,
    args: Vec<String>,
    doc: String,
    #[serde(default)]
    example: Option<String>,
}

/// The builtins documented in assets/builtins.json (written for nixbench).
pub fn embedded() -> Vec<Entry> {
    let raw: Vec<RawBuiltin> = serde_json::from_str(EMBEDDED).unwrap_or_default();
    raw.into_iter()
        .map(|b| Entry {
            type_sig: Some(
                format!("builtins.{} {}", b.name, b.args.join(" "))
                    .trim()
                    .to_string(),
            ),
            name: format!("builtins.{}", b.name),
            kind: Some(EntryKind::Builtin),
            arity: Some(b.args.len() as u32),
            doc: Some(b.doc),
            examples: b.example.into_iter().collect(),
            ..Entry::default()
        })
        .collect()
}

/// Why the installed Nix could not list its builtins.
#[derive(Debug, thiserror::Error)]
pub enum BuiltinsError {
    #[error(transparent)]
    Nix(#[from] crate::nix::NixError),
    #[error("builtins.attrNames builtins printed what is not a JSON list of names: {0}")]
    Names(#[from] serde_json::Error),
}

/// What the installed Nix says about its builtins. Releases describe themselves
/// (`nix __dump-language` from 2.24, `nix __dump-builtins` before); where neither answers, only the
/// names come from `builtins.attrNames builtins` and docs from the embedded set.
pub fn from_installed_nix(nix: &crate::nix::NixInfo) -> Result<Vec<Entry>, BuiltinsError> {
    // One process: the command this version has (`__dump-language` from Nix 2.24, Lix 2.90).
    let command = if nix.version >= crate::nix::Version::new(2, 24, 0) {
        "__dump-language"
    } else {
        "__dump-builtins"
    };
    {
        // Nix 2.8 rejects `__dump-builtins` followed by options (`--extra-experimental-features`).
        let mut args: Vec<std::ffi::OsString> = if command == "__dump-language" {
            nix.common_args()
        } else {
            Vec::new()
        };
        args.insert(0, command.into());
        if let Ok(json) = crate::nix::run_blocking(&nix.program, &args, None) {
            if let Some(entries) = parse_dump(&json) {
                return Ok(entries);
            }
        }
    }
    let instantiate = nix.program.with_file_name("nix-instantiate");
    let args: Vec<std::ffi::OsString> = [
        "--eval",
        "--json",
        "--strict",
        "--expr",
        "builtins.attrNames builtins",
    ]
    .map(Into::into)
    .to_vec();
    let json = crate::nix::run_blocking(&instantiate, &args, None)?;
    let names: Vec<String> = serde_json::from_slice(&json)?;
    Ok(from_names(&names))
}

/// `__dump-builtins` prints `{name: {args, doc}}`; `__dump-language` nests that under `builtins`.
fn parse_dump(json: &[u8]) -> Option<Vec<Entry>> {
    let value: serde_json::Value = serde_json::from_slice(json).ok()?;
    let map = value.get("builtins").unwrap_or(&value).as_object()?;
    let entries = map
        .iter()
        .filter(|(name, _)| !name.starts_with("__"))
        .map(|(name, info)| {
            let args: Vec<String> = info
                .get("args")
                .and_then(|a| a.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let arity = info
                .get("arity")
                .and_then(|a| a.as_u64())
                .map(|a| a as u32)
                .or(Some(args.len() as u32));
            Entry {
                name: format!("builtins.{name}"),
                kind: Some(EntryKind::Builtin),
                type_sig: Some(
                    format!("builtins.{name} {}", args.join(" "))
                        .trim()
                        .to_string(),
                ),
                doc: info
                    .get("doc")
                    .and_then(|d| d.as_str())
                    .map(|d| d.trim().to_string())
                    .filter(|d| !d.is_empty()),
                arity,
                ..Entry::default()
            }
        })
        .collect();
    Some(entries)
}

/// The installed Nix's builtins, cached per Nix version (they never change within one).
pub fn cached_from_installed_nix(
    nix: &crate::nix::NixInfo,
    cache_dir: &std::path::Path,
) -> Vec<Entry> {
    let path = cache_dir.join(format!("builtins-{:?}-{}.json", nix.flavour, nix.version));
    if let Some(entries) = crate::fsutil::read_json(&path) {
        return entries;
    }
    let entries = from_installed_nix(nix).unwrap_or_default();
    if !entries.is_empty() {
        let _ = crate::fsutil::write_json(&path, &entries);
    }
    entries
}

/// The embedded entries, minus docs the index already has from the installed Nix (its own docs
/// describe exactly the installed version).
pub fn embedded_without_overriding(index: &super::Index) -> Vec<Entry> {
    let documented: std::collections::HashSet<&str> = index
        .entries
        .iter()
        .filter(|e| e.kind == Some(EntryKind::Builtin) && e.doc.is_some())
        .map(|e| e.name.as_str())
        .collect();
    embedded()
        .into_iter()
        .map(|mut entry| {
            if documented.contains(entry.name.as_str()) {
                entry.doc = None;
                entry.type_sig = None;
            }
            entry
        })
        .collect()
}

/// Entries for builtin names reported by the installed Nix that the embedded set lacks.
pub fn from_names(names: &[String]) -> Vec<Entry> {
    names
        .iter()
        // `builtins.builtins` refers to the set itself.
        .filter(|name| !name.starts_with("__") && *name != "builtins")
        .map(|name| Entry {
            name: format!("builtins.{name}"),
            kind: Some(EntryKind::Builtin),
            ..Entry::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_both_dump_shapes() {
        let old =
            br#"{"map":{"args":["f","list"],"doc":"Apply f."},"__internal":{"args":[],"doc":""}}"#;
        let entries = super::parse_dump(old).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].arity, Some(2));
        let new = br#"{"builtins":{"map":{"args":["f","list"],"arity":2,"doc":"Apply f."}},"constants":{}}"#;
        assert_eq!(
            super::parse_dump(new).unwrap()[0].doc.as_deref(),
            Some("Apply f.")
        );
    }

    #[test]
    fn embedded_set_loads() {
        let entries = super::embedded();
        assert!(entries.len() >= 30);
        let map = entries
            .iter()
            .find(|e| e.name == "builtins.mapAttrs")
            .unwrap();
        assert_eq!(map.arity, Some(2));
    }
}
