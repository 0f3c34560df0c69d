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
    /// field: an evaluated version beats a static one, a static doc comment is kept). Linear in
    /// both sides after sorting `incoming`: the two sorted lists are merged in one pass.
    pub fn merge(&mut self, mut incoming: Vec<Entry>) {
        if incoming.is_empty() {
            return;
        }
        self.sort();
        // Stable, so refinements among duplicates in `incoming` apply in the order given.
        if !incoming.is_sorted_by(|a, b| a.name <= b.name) {
            incoming.sort_by(|a, b| a.name.cmp(&b.name));
        }
        let existing = std::mem::take(&mut self.entries);
        let mut merged: Vec<Entry> = Vec::with_capacity(existing.len() + incoming.len());
        let mut existing = existing.into_iter().peekable();
        for entry in incoming {
            while let Some(old) = existing.next_if(|old| old.name < entry.name) {
                merged.push(old);
            }
            match merged.last_mut() {
                Some(last) if last.name == entry.name => refine(last, entry),
                _ => match existing.next_if(|old| old.name == entry.name) {
                    Some(mut old) => {
                        refine(&mut old, entry);
                        merged.push(old);
                    }
                    None => merged.push(entry),
                },
            }
        }
        merged.extend(existing);
        self.entries = merged;
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
