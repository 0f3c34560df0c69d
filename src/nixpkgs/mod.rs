//! The package and function index: what nixpkgs, lib and builtins contain, with docs and positions.
//! No terminal code here: the CLI (`nixbench search`, `nixbench doc`) and the Packages tab share it.

pub mod builtins;
pub mod cache;
pub mod docs;
mod encoding;
pub mod evaluated;
mod excerpt;
pub mod fast_package;
pub mod file_results;
pub mod json_cache;
pub mod json_import;
pub mod lib_index;
pub mod package_set_scan;
mod parallel;
pub mod refine;
pub mod search;
pub mod source_key;
pub mod static_eval;
pub mod static_index;
pub mod syntax;

pub use excerpt::{excerpt, Excerpt};

use serde::{Deserialize, Serialize};

/// What an index entry describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Package,
    Function,
    Builtin,
}

impl EntryKind {
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Package => "pkg",
            EntryKind::Function => "lib",
            EntryKind::Builtin => "builtin",
        }
    }
}

/// One searchable thing: a package attribute, a lib function or a builtin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Full attribute path: `ripgrep`, `python3Packages.requests`, `lib.strings.concatStringsSep`,
    /// `builtins.map`.
    pub name: String,
    pub kind: Option<EntryKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_program: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub platforms: Vec<String>,
    /// File relative to the nixpkgs root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Type signature from the doc comment's `# Type` section.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_sig: Option<String>,
    /// The doc comment as markdown, without its `# Type` and `# Examples` sections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub examples: Vec<String>,
    /// For re-exports (`lib.concatStringsSep`): the name of the definition (`lib.strings.concatStringsSep`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// For builtins: how many arguments it takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arity: Option<u32>,
}

impl Entry {
    pub fn kind(&self) -> EntryKind {
        self.kind.unwrap_or(EntryKind::Package)
    }

    /// The last attribute-path component: `requests` for `python3Packages.requests`.
    pub fn short_name(&self) -> &str {
        last_segment(&self.name)
    }
}

/// The last component of a dotted attribute path, treating quoted components as one.
pub fn last_segment(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Everything searchable, with where it came from.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Index {
    pub entries: Vec<Entry>,
    /// Files that could not be parsed, with the reason; the rest was indexed.
    #[serde(default)]
    pub problems: Vec<String>,
}

impl Index {
    pub fn count(&self, kind: EntryKind) -> usize {
        self.entries.iter().filter(|e| e.kind() == kind).count()
    }

    /// Adds entries, replacing any with the same name (later sources refine earlier ones, field by
    /// field: an evaluated version beats a static one, a static doc comment is kept). An entry
    /// already there is refined in place (found by binary search); new ones go after the others,
    /// and one stable sort merges the two sorted runs. Adding a few entries (the builtins) to 100k
    /// moves the 100k once at most, and not at all when every name is already there.
    pub fn merge(&mut self, mut incoming: Vec<Entry>) {
        if incoming.is_empty() {
            return;
        }
        self.sort();
        // Stable, so refinements among duplicates in `incoming` apply in the order given.
        if !incoming.is_sorted_by(|a, b| a.name <= b.name) {
            incoming.sort_by(|a, b| a.name.cmp(&b.name));
        }
        let before = self.entries.len();
        for entry in incoming {
            match self.entries[..before].binary_search_by(|e| e.name.cmp(&entry.name)) {
                Ok(i) => refine(&mut self.entries[i], entry),
                Err(_) => match self.entries[before..].last_mut() {
                    Some(last) if last.name == entry.name => refine(last, entry),
                    _ => self.entries.push(entry),
                },
            }
        }
        if self.entries.len() > before {
            self.entries.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }

    /// Sorts by name (a no-op when already sorted, which is checked in one pass).
    pub fn sort(&mut self) {
        if !self.entries.is_sorted_by(|a, b| a.name <= b.name) {
            self.entries.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        if self.entries.is_sorted_by(|a, b| a.name <= b.name) {
            self.entries
                .binary_search_by(|e| e.name.as_str().cmp(name))
                .ok()
        } else {
            self.entries.iter().position(|e| e.name == name)
        }
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.position(name).map(|i| &self.entries[i])
    }
}

fn refine(old: &mut Entry, new: Entry) {
    macro_rules! take {
        ($($field:ident),*) => {$(
            if new.$field.is_some() { old.$field = new.$field; }
        )*};
    }
    take!(
        kind,
        pname,
        version,
        description,
        long_description,
        homepage,
        license,
        main_program
    );
    take!(type_sig, doc, canonical, arity);
    if old.file.is_none() {
        old.file = new.file;
        old.line = new.line;
    }
    if !new.platforms.is_empty() {
        old.platforms = new.platforms;
    }
    if !new.examples.is_empty() {
        old.examples = new.examples;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The same as refining one name at a time in a map: later entries refine earlier ones,
        /// new names are added, the result is sorted.
        #[test]
        fn merge_refines_and_adds_like_a_map(
            existing in proptest::collection::btree_map("[a-e]{1,3}", "[0-9]", 0..30),
            incoming in proptest::collection::vec(("[a-e]{1,3}", proptest::option::of("[0-9]"), proptest::option::of("[x-z]")), 0..30),
        ) {
            let entry = |name: &str, version: Option<String>, description: Option<String>| Entry {
                name: name.to_string(),
                version,
                description,
                ..Entry::default()
            };
            let mut index = Index {
                entries: existing.iter().map(|(n, v)| entry(n, Some(v.clone()), None)).collect(),
                problems: vec![],
            };
            let mut expected: std::collections::BTreeMap<String, Entry> = index
                .entries
                .iter()
                .map(|e| (e.name.clone(), e.clone()))
                .collect();
            let mut sorted = incoming.clone();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            for (name, version, description) in sorted {
                let new = entry(&name, version, description);
                match expected.get_mut(&name) {
                    Some(old) => refine(old, new),
                    None => {
                        expected.insert(name, new);
                    }
                }
            }
            index.merge(
                incoming
                    .into_iter()
                    .map(|(n, v, d)| entry(&n, v, d))
                    .collect(),
            );
            let expected: Vec<Entry> = expected.into_values().collect();
            proptest::prop_assert_eq!(index.entries, expected);
        }
    }
}
