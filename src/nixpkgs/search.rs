//! Ranked search over the index. Every word of the query must match; each match falls in a tier a Nix
//! user expects (exact attribute, exact pname or mainProgram, attribute prefix, fuzzy attribute,
//! description words), and nucleo's fuzzy score orders matches inside the fuzzy tier.

use std::sync::Arc;

use nucleo_matcher::{Config, Matcher, Utf32Str};
use serde::Serialize;

use super::{Entry, EntryKind, Index};

/// Which kinds of entry a query looks at: `lib:`, `pkg:` and `builtins:` prefixes select one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    All,
    Packages,
    Functions,
    Builtins,
}

impl Scope {
    pub fn next(self) -> Self {
        match self {
            Scope::All => Scope::Packages,
            Scope::Packages => Scope::Functions,
            Scope::Functions => Scope::Builtins,
            Scope::Builtins => Scope::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Packages => "pkg",
            Scope::Functions => "lib",
            Scope::Builtins => "builtins",
        }
    }

    fn admits(self, kind: EntryKind) -> bool {
        match self {
            Scope::All => true,
            Scope::Packages => kind == EntryKind::Package,
            Scope::Functions => kind == EntryKind::Function,
            Scope::Builtins => kind == EntryKind::Builtin,
        }
    }
}

/// A parsed query: an optional scope prefix and lower-cased words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub scope: Scope,
    pub words: Vec<String>,
}

impl Query {
    /// `lib:concat sep` -> scope lib, words [concat, sep]. A scope given explicitly overrides
    /// `default_scope`.
    pub fn parse(text: &str, default_scope: Scope) -> Self {
        let mut scope = default_scope;
        let mut rest = text.trim_start();
        for (prefix, s) in [
            ("lib:", Scope::Functions),
            ("pkg:", Scope::Packages),
            ("pkgs:", Scope::Packages),
            ("builtins:", Scope::Builtins),
        ] {
            if let Some(after) = rest.strip_prefix(prefix) {
                scope = s;
                rest = after;
                break;
            }
        }
        // Cap the work a pathological query can cause: 16 words of 256 characters.
        let words = rest
            .split_whitespace()
            .take(16)
            .map(|w| w.chars().take(256).collect::<String>().to_lowercase())
            .collect();
        Self { scope, words }
    }
}

/// Lower-cased search keys of one entry, computed once when the index loads.
struct Keys {
    name: Box<str>,
    short_start: u32,
    pname: Option<Box<str>>,
    main_program: Option<Box<str>>,
    description: Option<Box<str>>,
    kind: EntryKind,
}

/// An index prepared for searching.
pub struct Searchable {
    pub index: Arc<Index>,
    keys: Vec<Keys>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// Position of the entry in `Index::entries`.
    pub entry: u32,
    pub score: u32,
}

/// Results of one search: the best hits, and how many entries matched in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Results {
    pub hits: Vec<Hit>,
    pub matched: usize,
}

const EXACT_ATTR: u32 = 10_000;
const EXACT_PNAME: u32 = 9_000;
const EXACT_PROGRAM: u32 = 8_500;
const ATTR_PREFIX: u32 = 7_000;
const PATH_PREFIX: u32 = 6_000;
const PNAME_PREFIX: u32 = 5_500;
const FUZZY: u32 = 3_000;
const DESCRIPTION: u32 = 1_000;

impl Searchable {
    pub fn new(index: Arc<Index>) -> Self {
        let keys = index.entries.iter().map(keys_of).collect();
        Self { index, keys }
    }

    pub fn entry(&self, hit: Hit) -> &Entry {
        &self.index.entries[hit.entry as usize]
    }

    /// Finds the `limit` best entries. `cancelled` is polled now and then; when it returns true the
    /// search stops and returns `None` (a newer query has replaced this one).
    pub fn search(
        &self,
        query: &Query,
        limit: usize,
        cancelled: &dyn Fn() -> bool,
    ) -> Option<Results> {
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut hits: Vec<Hit> = Vec::new();
        let mut buf = Vec::new();
        for (i, keys) in self.keys.iter().enumerate() {
            if i % 8192 == 0 && cancelled() {
                return None;
            }
            if !query.scope.admits(keys.kind) {
                continue;
            }
            if query.words.is_empty() {
                hits.push(Hit {
                    entry: i as u32,
                    score: 0,
                });
                continue;
            }
            let mut total = 0u32;
            let mut all = true;
            for word in &query.words {
                match score_word(keys, word, &mut matcher, &mut buf) {
                    Some(score) => total += score,
                    None => {
                        all = false;
                        break;
                    }
                }
            }
            if all {
                // Shorter names first among equals: `hello` before `hello-wayland`.
                let length_bonus = 200u32.saturating_sub(keys.name.len() as u32);
                hits.push(Hit {
                    entry: i as u32,
                    score: total * 4 + length_bonus,
                });
            }
        }
        let matched = hits.len();
        let by_rank = |a: &Hit, b: &Hit| {
            b.score.cmp(&a.score).then_with(|| {
                self.keys[a.entry as usize]
                    .name
                    .cmp(&self.keys[b.entry as usize].name)
            })
        };
        if hits.len() > limit && limit > 0 {
            hits.select_nth_unstable_by(limit - 1, by_rank);
            hits.truncate(limit);
        }
        hits.sort_unstable_by(by_rank);
        hits.truncate(limit);
        Some(Results { hits, matched })
    }

    /// Entry names closest to `name`, for "did you mean" messages.
    pub fn nearest(&self, name: &str, count: usize) -> Vec<String> {
        let query = Query::parse(name, Scope::All);
        let mut results = self.search(&query, count, &|| false).unwrap_or_default();
        if results.hits.is_empty() {
            // Fall back to the last path component: `lib.strings.concatStrigsSep` -> `concatStrigsSep`.
            let short = super::last_segment(name);
            let query = Query::parse(&short[..short.len().min(6)], Scope::All);
            results = self.search(&query, count, &|| false).unwrap_or_default();
        }
        results
            .hits
            .iter()
            .map(|hit| self.entry(*hit).name.clone())
            .collect()
    }
}

fn keys_of(entry: &Entry) -> Keys {
    let name = entry.name.to_lowercase();
    let short_start = (name.len() - super::last_segment(&name).len()) as u32;
    Keys {
        short_start,
        name: name.into_boxed_str(),
        pname: entry
            .pname
            .as_ref()
            .map(|p| p.to_lowercase().into_boxed_str()),
        main_program: entry
            .main_program
            .as_ref()
            .map(|p| p.to_lowercase().into_boxed_str()),
        description: entry
            .description
            .as_ref()
            .map(|d| d.to_lowercase().into_boxed_str()),
        kind: entry.kind(),
    }
}

fn score_word(keys: &Keys, word: &str, matcher: &mut Matcher, buf: &mut Vec<char>) -> Option<u32> {
    let short = &keys.name[keys.short_start as usize..];
    if short == word || &*keys.name == word {
        return Some(EXACT_ATTR);
    }
    if keys.pname.as_deref() == Some(word) {
        return Some(EXACT_PNAME);
    }
    if keys.main_program.as_deref() == Some(word) {
        return Some(EXACT_PROGRAM);
    }
    if short.starts_with(word) {
        return Some(ATTR_PREFIX);
    }
    if keys.name.starts_with(word) || keys.name.split('.').any(|part| part.starts_with(word)) {
        return Some(PATH_PREFIX);
    }
    if keys.pname.as_deref().is_some_and(|p| p.starts_with(word)) {
        return Some(PNAME_PREFIX);
    }
    if word.len() >= 2 {
        // Keep the needle's ASCII form: nucleo never matches a Unicode needle in an ASCII haystack.
        let needle = Utf32Str::new(word, buf);
        let mut hay_buf = Vec::new();
        let fuzzy = matcher
            .fuzzy_match(Utf32Str::new(short, &mut hay_buf), needle)
            .or_else(|| matcher.fuzzy_match(Utf32Str::new(&keys.name, &mut hay_buf), needle));
        if let Some(score) = fuzzy {
            // Demand a reasonable density: nucleo scores ~16 per matched character.
            if u32::from(score) >= 12 * word.chars().count() as u32 {
                return Some(FUZZY + u32::from(score).min(1_999));
            }
        }
    }
    if let Some(description) = keys.description.as_deref() {
        if word.len() >= 3 && contains_word_prefix(description, word) {
            return Some(DESCRIPTION);
        }
    }
    None
}

/// True when some word of `text` starts with `word`.
fn contains_word_prefix(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        i == 0
            || !text[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixture_index() -> Searchable {
        let mut index = crate::nixpkgs::static_index::index_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nixpkgs-mini"),
        );
        index.merge(crate::nixpkgs::builtins::embedded());
        Searchable::new(Arc::new(index))
    }

    fn top(s: &Searchable, q: &str, n: usize) -> Vec<String> {
        let results = s
            .search(&Query::parse(q, Scope::All), n, &|| false)
            .unwrap();
        results
            .hits
            .iter()
            .map(|h| s.entry(*h).name.clone())
            .collect()
    }

    #[test]
    fn ranking_examples_from_the_issue() {
        let s = fixture_index();
        assert!(
            top(&s, "rg", 3).contains(&"ripgrep".to_string()),
            "{:?}",
            top(&s, "rg", 3)
        );
        assert_eq!(
            top(&s, "python requests", 1),
            vec!["python3Packages.requests"]
        );
        let concat = top(&s, "concatStrSep", 5);
        assert!(
            concat.contains(&"lib.strings.concatStringsSep".to_string()),
            "{concat:?}"
        );
        let map = top(&s, "mapAttrs", 5);
        assert!(
            map.contains(&"lib.attrsets.mapAttrs'".to_string()),
            "{map:?}"
        );
        assert!(map.contains(&"builtins.mapAttrs".to_string()), "{map:?}");
    }

    #[test]
    fn scopes_and_odd_queries() {
        let s = fixture_index();
        assert!(top(&s, "lib:concat", 10)
            .iter()
            .all(|n| n.starts_with("lib.")));
        assert!(top(&s, "builtins:map", 10)
            .iter()
            .all(|n| n.starts_with("builtins.")));
        for q in ["", "   ", "(.*[", "ünïcødé 🎉", &"x".repeat(10_000)] {
            let _ = top(&s, q, 10);
        }
        let cancelled = s.search(&Query::parse("a", Scope::All), 10, &|| true);
        assert!(cancelled.is_none());
    }
}
