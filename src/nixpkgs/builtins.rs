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

/// Entries for builtin names reported by the installed Nix that the embedded set lacks.
pub fn from_names(names: &[String]) -> Vec<Entry> {
    names
        .iter()
        .filter(|name| !name.starts_with("__"))
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
