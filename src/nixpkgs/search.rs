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

/// A span of the key arena.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

/// Lower-cased search keys of one entry, as spans of one shared string: one allocation for the whole
/// index instead of several per entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keys {
    pub name: Span,
    pub short_start: u32,
    pub pname: Option<Span>,
    pub main_program: Option<Span>,
    pub description: Option<Span>,
    pub kind: EntryKind,
    pub masks: Masks,
}

/// Which bytes an entry's keys hold, so that a search passes over most entries without comparing
/// any text. A word can match a name (exactly, by prefix, or fuzzily as a subsequence) only if
/// every byte of it is in `names`, and a one-byte word only if it also starts a name or a part of
/// one (`starts`); it can match a description word only if every pair of adjacent bytes of it is
/// in `description`. Any byte-to-bit mapping keeps this sound; the mapping only decides how many
/// entries pass for nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Masks {
    pub names: u64,
    pub starts: u64,
    pub description: [u64; 2],
}

fn byte_bit(b: u8) -> u64 {
    let n = match b {
        b'a'..=b'z' => b - b'a',
        b'0'..=b'9' => 26 + b - b'0',
        b'-' => 36,
        b'_' => 37,
        b'.' => 38,
        other => 39 + other % 25,
    };
    1 << n
}

fn bytes_mask(text: &str) -> u64 {
    text.bytes().fold(0, |mask, b| mask | byte_bit(b))
}

/// One bit of 128 for each pair of adjacent bytes.
fn pairs_mask(text: &str) -> [u64; 2] {
    let mut mask = [0u64; 2];
    for pair in text.as_bytes().windows(2) {
        let h = ((u32::from(pair[0]) << 8) | u32::from(pair[1])).wrapping_mul(0x9E37_79B1) >> 25;
        mask[(h >> 6) as usize] |= 1 << (h & 63);
    }
    mask
}

impl Masks {
    fn of(text: &KeyText) -> Self {
        let names = [Some(text.name), text.pname, text.main_program];
        let mut starts = 0;
        for name in names.into_iter().flatten() {
            starts |= name.bytes().next().map_or(0, byte_bit);
        }
        for part in text.name.split('.') {
            starts |= part.bytes().next().map_or(0, byte_bit);
        }
        Self {
            names: names
                .into_iter()
                .flatten()
                .map(bytes_mask)
                .fold(0, |a, b| a | b),
            starts,
            description: text.description.map(pairs_mask).unwrap_or_default(),
        }
    }
}

/// A query word's side of [`Masks`].
struct WordMasks {
    bytes: u64,
    first: u64,
    pairs: [u64; 2],
    len: usize,
}

impl WordMasks {
    fn new(word: &str) -> Self {
        Self {
            bytes: bytes_mask(word),
            first: word.bytes().next().map_or(0, byte_bit),
            pairs: pairs_mask(word),
            len: word.len(),
        }
    }

    /// False when the entry surely does not match this word; true when it may.
    fn may_match(&self, masks: &Masks) -> bool {
        let name = masks.names & self.bytes == self.bytes
            && (self.len >= 2 || masks.starts & self.first != 0);
        name || (self.len >= 3
            && masks.description[0] & self.pairs[0] == self.pairs[0]
            && masks.description[1] & self.pairs[1] == self.pairs[1])
    }
}

/// The lower-cased text of one entry's keys, borrowed from the arena.
struct KeyText<'a> {
    name: &'a str,
    short: &'a str,
    pname: Option<&'a str>,
    main_program: Option<&'a str>,
    description: Option<&'a str>,
    /// [`Masks::starts`].
    starts: u64,
}

/// Where the entries behind the keys live.
enum Store {
    /// Decoded, in memory.
    Memory(Arc<Index>),
    /// Encoded in a cache file, decoded one entry at a time when shown: a search over 150k entries
    /// touches only the few it displays.
    Cache {
        bytes: Arc<super::encoding::CacheBytes>,
        offsets: Vec<u32>,
        problems: Vec<String>,
    },
}

/// An index prepared for searching.
pub struct Searchable {
    store: Store,
    keys: Vec<Keys>,
    arena: String,
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
        let (keys, arena) = build_keys(&index.entries);
        Self {
            store: Store::Memory(index),
            keys,
            arena,
        }
    }

    /// A searchable index over a cache file's bytes (see `cache::open`).
    pub(crate) fn from_parts(
        bytes: Arc<super::encoding::CacheBytes>,
        offsets: Vec<u32>,
        problems: Vec<String>,
        keys: Vec<Keys>,
        arena: String,
    ) -> Self {
        Self {
            store: Store::Cache {
                bytes,
                offsets,
                problems,
            },
            keys,
            arena,
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn count(&self, kind: EntryKind) -> usize {
        self.keys.iter().filter(|k| k.kind == kind).count()
    }

    /// The entry at a position; entries from a cache are decoded here.
    pub fn entry_at(&self, position: usize) -> Entry {
        match &self.store {
            Store::Memory(index) => index.entries[position].clone(),
            Store::Cache { bytes, offsets, .. } => {
                super::encoding::decode_entry_at(bytes, offsets[position]).unwrap_or_default()
            }
        }
    }

    /// Files that could not be parsed when the index was built.
    pub fn problems(&self) -> Vec<String> {
        match &self.store {
            Store::Memory(index) => index.problems.clone(),
            Store::Cache { problems, .. } => problems.clone(),
        }
    }

    /// The entry with exactly this attribute name. Entries are sorted by name, so this is a binary
    /// search that decodes only the names it compares.
    pub fn get(&self, name: &str) -> Option<Entry> {
        match &self.store {
            Store::Memory(index) => index.get(name).cloned(),
            Store::Cache { bytes, offsets, .. } => {
                let position = offsets
                    .binary_search_by(|&offset| {
                        super::encoding::decode_name_at(bytes, offset)
                            .unwrap_or_default()
                            .as_str()
                            .cmp(name)
                    })
                    .ok()?;
                super::encoding::decode_entry_at(bytes, offsets[position])
            }
        }
    }

    /// Every entry, decoded (for merging more entries into a cached index).
    pub fn to_index(&self) -> Index {
        Index {
            entries: (0..self.len()).map(|i| self.entry_at(i)).collect(),
            problems: self.problems(),
        }
    }

    fn text(&self, keys: &Keys) -> KeyText<'_> {
        text_in(&self.arena, keys)
    }

    pub fn entry(&self, hit: Hit) -> Entry {
        self.entry_at(hit.entry as usize)
    }

    /// Scores `keys` (which start at position `first`); `None` when cancelled. With a `limit`, an
    /// entry that cannot rank among the part's `limit` best is kept with a lower bound of its
    /// score, which spares the optimal fuzzy match (the costliest step) for most of the entries
    /// a one- or two-letter word matches.
    fn scan(
        &self,
        query: &Query,
        limit: usize,
        first: usize,
        keys: &[Keys],
        cancelled: &dyn Fn() -> bool,
    ) -> Option<Vec<Hit>> {
        use std::cmp::Reverse;
        let mut matcher = Matcher::new(Config::DEFAULT);
        let words: Vec<Word> = query.words.iter().map(|w| Word::new(w)).collect();
        let mut hits: Vec<Hit> = Vec::new();
        let mut buf = Vec::new();
        let mut scores: Vec<WordScore> = Vec::with_capacity(words.len());
        // The best `limit` scores (or lower bounds of them) met so far in this part: the overall
        // `limit` best are at least as good.
        let mut best: std::collections::BinaryHeap<Reverse<u32>> = Default::default();
        // Above this part's floor, an entry with one fuzzy word cannot rank whatever the others
        // score: (every other word exact, the fuzzy one at its best) * 4 + the largest length bonus.
        let lazy_floor =
            (words.len().saturating_sub(1) as u32 * EXACT_ATTR + FUZZY + MAX_FUZZY) * 4 + 200;
        for (offset, keys) in keys.iter().enumerate() {
            let i = first + offset;
            if offset % 8192 == 0 && cancelled() {
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
            if !words.iter().all(|w| w.masks.may_match(&keys.masks)) {
                continue;
            }
            let text = self.text(keys);
            scores.clear();
            let floor = match best.peek() {
                Some(Reverse(floor)) if limit > 0 && best.len() == limit => *floor,
                _ => 0,
            };
            // Whether a fuzzy word's greedy score may do: only when the entry could not rank
            // however well it scored (otherwise the optimal match is made at once).
            let lazy = floor > lazy_floor;
            for word in &words {
                match score_word(&text, word, lazy, &mut matcher, &mut buf) {
                    Some(score) => scores.push(score),
                    None => break,
                }
            }
            if scores.len() < words.len() {
                continue;
            }
            // Shorter names first among equals: `hello` before `hello-wayland`.
            let length_bonus = 200u32.saturating_sub(keys.name.end - keys.name.start);
            let total = |scores: &[WordScore], bound: fn(&WordScore) -> u32| {
                scores.iter().map(bound).sum::<u32>() * 4 + length_bonus
            };
            let (lower, upper) = (
                total(&scores, |s| s.score),
                total(&scores, WordScore::upper),
            );
            // An entry below the floor keeps its lower bound: it is counted, never shown.
            let score = if lower == upper || upper < floor {
                lower
            } else {
                for (score, word) in scores.iter_mut().zip(&words) {
                    if !score.settled {
                        *score = settle(&text, word, &mut matcher, &mut buf);
                    }
                }
                total(&scores, |s| s.score)
            };
            if limit > 0 && score > floor {
                if best.len() == limit {
                    best.pop();
                }
                best.push(Reverse(score));
            }
            hits.push(Hit {
                entry: i as u32,
                score,
            });
        }
        Some(hits)
    }

    /// Finds the `limit` best entries. `cancelled` is polled now and then; when it returns true the
    /// search stops and returns `None` (a newer query has replaced this one).
    pub fn search(
        &self,
        query: &Query,
        limit: usize,
        cancelled: &dyn Fn() -> bool,
    ) -> Option<Results> {
        // Large indexes are scanned on every core; each part keeps its own matcher.
        let threads = if self.keys.len() >= 20_000 {
            super::parallel::workers(1, 8)
        } else {
            1
        };
        let chunk = self.keys.len().div_ceil(threads).max(1);
        let parts: Vec<Option<Vec<Hit>>> = if threads == 1 {
            vec![self.scan(query, limit, 0, &self.keys, cancelled)]
        } else {
            let stop = std::sync::atomic::AtomicBool::new(false);
            let stop = &stop;
            // `cancelled` may not be Sync; the first part polls it and tells the others.
            let first = self.keys.chunks(chunk).next().unwrap_or(&[]);
            std::thread::scope(|scope| {
                let others: Vec<_> = self
                    .keys
                    .chunks(chunk)
                    .enumerate()
                    .skip(1)
                    .map(|(n, keys)| {
                        scope.spawn(move || {
                            self.scan(query, limit, n * chunk, keys, &|| {
                                stop.load(std::sync::atomic::Ordering::Relaxed)
                            })
                        })
                    })
                    .collect();
                let mine = self.scan(query, limit, 0, first, &|| {
                    let gone = cancelled();
                    if gone {
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    gone
                });
                std::iter::once(mine)
                    .chain(others.into_iter().map(super::parallel::join))
                    .collect()
            })
        };
        let mut hits: Vec<Hit> = Vec::new();
        for part in parts {
            hits.extend(part?);
        }
        let matched = hits.len();
        // Ties by name, then by position (names repeat only in hand-made indexes).
        let by_rank = |a: &Hit, b: &Hit| {
            b.score
                .cmp(&a.score)
                .then_with(|| {
                    self.text(&self.keys[a.entry as usize])
                        .name
                        .cmp(self.text(&self.keys[b.entry as usize]).name)
                })
                .then(a.entry.cmp(&b.entry))
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

/// The text of `keys` in `arena`.
fn text_in<'a>(arena: &'a str, keys: &Keys) -> KeyText<'a> {
    let get = |span: Span| &arena[span.start as usize..span.end as usize];
    let name = get(keys.name);
    KeyText {
        name,
        short: &name[keys.short_start as usize..],
        pname: keys.pname.map(get),
        main_program: keys.main_program.map(get),
        description: keys.description.map(get),
        starts: keys.masks.starts,
    }
}

/// Appends `text` lower-cased to the arena and returns its span.
fn push_lower(arena: &mut String, text: &str) -> Span {
    let start = arena.len() as u32;
    if text.is_ascii() {
        arena.push_str(text);
        arena[start as usize..].make_ascii_lowercase();
    } else {
        arena.push_str(&text.to_lowercase());
    }
    Span {
        start,
        end: arena.len() as u32,
    }
}

/// Search keys for entries, in one arena.
pub fn build_keys(entries: &[Entry]) -> (Vec<Keys>, String) {
    let mut arena = String::with_capacity(entries.len() * 96);
    let keys = entries.iter().map(|e| keys_of(e, &mut arena)).collect();
    (keys, arena)
}

fn keys_of(entry: &Entry, arena: &mut String) -> Keys {
    let name = push_lower(arena, &entry.name);
    let lowered = &arena[name.start as usize..name.end as usize];
    let short_start = (lowered.len() - super::last_segment(lowered).len()) as u32;
    let mut keys = Keys {
        name,
        short_start,
        pname: entry.pname.as_deref().map(|p| push_lower(arena, p)),
        main_program: entry.main_program.as_deref().map(|p| push_lower(arena, p)),
        description: entry.description.as_deref().map(|d| push_lower(arena, d)),
        kind: entry.kind(),
        masks: Masks::default(),
    };
    keys.masks = Masks::of(&text_in(arena, &keys));
    keys
}

/// True when the bytes of `needle` occur in `haystack` in order: a cheap test that rejects most
/// entries before the fuzzy matcher runs.
fn is_subsequence(needle: &[u8], haystack: &[u8]) -> bool {
    let mut rest = haystack;
    for &b in needle {
        match rest.iter().position(|&h| h == b) {
            Some(i) => rest = &rest[i + 1..],
            None => return false,
        }
    }
    true
}

/// A query word with its substring finder, built once per search instead of once per entry.
struct Word<'a> {
    text: &'a str,
    finder: memchr::memmem::Finder<'a>,
    masks: WordMasks,
    /// The least fuzzy score that counts: nucleo scores ~16 per matched character.
    threshold: u32,
}

impl<'a> Word<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            finder: memchr::memmem::Finder::new(text.as_bytes()),
            masks: WordMasks::new(text),
            threshold: 12 * text.chars().count() as u32,
        }
    }
}

/// One word's score for one entry. A fuzzy match's score is first the greedy match's, a lower
/// bound of the optimal one (the same alignment or a worse one), and `settled` once the optimal
/// match has been made.
#[derive(Clone, Copy, Debug)]
struct WordScore {
    score: u32,
    settled: bool,
}

impl WordScore {
    fn settled(score: u32) -> Self {
        Self {
            score,
            settled: true,
        }
    }

    /// The most this word can score once settled.
    fn upper(&self) -> u32 {
        if self.settled {
            self.score
        } else {
            FUZZY + MAX_FUZZY
        }
    }
}

/// Fuzzy scores above this count as this.
const MAX_FUZZY: u32 = 1_999;

fn score_word(
    keys: &KeyText,
    word: &Word,
    lazy: bool,
    matcher: &mut Matcher,
    buf: &mut Vec<char>,
) -> Option<WordScore> {
    let (finder, threshold) = (&word.finder, word.threshold);
    let tier = |score| Some(WordScore::settled(score));
    // Every exact and prefix tier starts the word where a name or a part of one starts.
    if keys.starts & word.masks.first != 0 {
        if let Some(score) = exact_or_prefix(keys, word.text) {
            return tier(score);
        }
    }
    let word = word.text;
    if word.len() >= 2 && is_subsequence(word.as_bytes(), keys.name.as_bytes()) {
        // In ASCII the greedy match finds a match exactly when the optimal one does, and scores
        // no more than it: when it already clears the threshold, the optimal match waits until
        // the entry may rank (see `Searchable::scan`).
        if lazy && word.is_ascii() && keys.name.is_ascii() {
            let greedy = fuzzy(keys, word, buf, |hay, needle| {
                matcher.fuzzy_match_greedy(hay, needle)
            });
            if let Some(score) = greedy.map(u32::from).filter(|&s| s >= threshold) {
                return Some(WordScore {
                    score: FUZZY + score.min(MAX_FUZZY),
                    settled: false,
                });
            }
        }
        let optimal = fuzzy(keys, word, buf, |hay, needle| {
            matcher.fuzzy_match(hay, needle)
        });
        if let Some(score) = optimal.map(u32::from).filter(|&s| s >= threshold) {
            return tier(FUZZY + score.min(MAX_FUZZY));
        }
    }
    if let Some(description) = keys.description {
        if word.len() >= 3 && contains_word_prefix(description, finder) {
            return tier(DESCRIPTION);
        }
    }
    None
}

/// The exact and prefix tiers, best first.
fn exact_or_prefix(keys: &KeyText, word: &str) -> Option<u32> {
    let short = keys.short;
    if short == word || keys.name == word {
        Some(EXACT_ATTR)
    } else if keys.pname == Some(word) {
        Some(EXACT_PNAME)
    } else if keys.main_program == Some(word) {
        Some(EXACT_PROGRAM)
    } else if short.starts_with(word) {
        Some(ATTR_PREFIX)
    } else if keys.name.starts_with(word) || keys.name.split('.').any(|part| part.starts_with(word))
    {
        Some(PATH_PREFIX)
    } else if keys.pname.is_some_and(|p| p.starts_with(word)) {
        Some(PNAME_PREFIX)
    } else {
        None
    }
}

/// A fuzzy match of `word` in the entry's short name, else (when the short name holds no match)
/// in its whole name.
fn fuzzy(
    keys: &KeyText,
    word: &str,
    buf: &mut Vec<char>,
    mut matcher: impl FnMut(Utf32Str, Utf32Str) -> Option<u16>,
) -> Option<u16> {
    // Keep the needle's ASCII form: nucleo never matches a Unicode needle in an ASCII haystack.
    let needle = Utf32Str::new(word, buf);
    let mut hay_buf = Vec::new();
    matcher(Utf32Str::new(keys.short, &mut hay_buf), needle).or_else(|| {
        // A top-level name is its own short name: no second try on the same text.
        (keys.short.len() < keys.name.len())
            .then(|| matcher(Utf32Str::new(keys.name, &mut hay_buf), needle))
            .flatten()
    })
}

/// The optimal fuzzy score of a word whose greedy match cleared the threshold (so the optimal
/// one, no lower, does too).
fn settle(keys: &KeyText, word: &Word, matcher: &mut Matcher, buf: &mut Vec<char>) -> WordScore {
    let optimal = fuzzy(keys, word.text, buf, |hay, needle| {
        matcher.fuzzy_match(hay, needle)
    });
    WordScore::settled(FUZZY + optimal.map_or(0, u32::from).min(MAX_FUZZY))
}

/// True when some word of `text` starts with `word`.
fn contains_word_prefix(text: &str, word: &memchr::memmem::Finder) -> bool {
    // Leftmost, non-overlapping matches, as `str::match_indices`; a match of a whole UTF-8 word
    // starts on a character boundary.
    word.find_iter(text.as_bytes()).any(|i| {
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Neither the byte masks nor the ranking floor change what matches or how it ranks.
        #[test]
        fn masks_and_the_ranking_floor_change_no_result(
            names in proptest::collection::vec("[a-cé][a-cé.-]{0,9}", 1..80),
            descriptions in proptest::collection::vec("[a-cé ]{0,24}", 1..80),
            query in "[a-cé][a-cé .-]{0,6}",
            limit in 1usize..6,
        ) {
            let entries: Vec<Entry> = names
                .iter()
                .zip(descriptions.iter().cycle())
                .map(|(name, description)| Entry {
                    name: name.clone(),
                    pname: Some(name.replace('.', "")),
                    description: Some(description.clone()),
                    kind: Some(EntryKind::Package),
                    ..Entry::default()
                })
                .collect();
            let s = Searchable::new(Arc::new(Index { entries, problems: vec![] }));
            let q = Query::parse(&query, Scope::All);
            let all = s.search(&q, usize::MAX, &|| false).unwrap();
            let limited = s.search(&q, limit, &|| false).unwrap();
            proptest::prop_assert_eq!(limited.matched, all.matched);
            proptest::prop_assert_eq!(&limited.hits[..], &all.hits[..limit.min(all.hits.len())]);
            // Every entry scored without the masks' help.
            let (mut matcher, mut buf) = (Matcher::new(Config::DEFAULT), Vec::new());
            let words: Vec<Word> = q.words.iter().map(|w| Word::new(w)).collect();
            let expected = s.keys.iter().filter(|keys| {
                // Every byte may start a name: the exact and prefix tiers are always tried.
                let text = KeyText { starts: u64::MAX, ..s.text(keys) };
                words.iter().all(|w| score_word(&text, w, false, &mut matcher, &mut buf).is_some())
            }).count();
            proptest::prop_assert_eq!(all.matched, expected);
        }
    }

    #[test]
    fn parallel_scan_equals_single_scan_and_can_be_cancelled() {
        let entries: Vec<Entry> = (0..30_000)
            .map(|i| Entry {
                name: format!("pkg{i}-{}", ["json", "yaml", "http"][i % 3]),
                kind: Some(EntryKind::Package),
                description: Some(format!("tool number {i}")),
                ..Entry::default()
            })
            .collect();
        let s = Searchable::new(Arc::new(Index {
            entries,
            problems: vec![],
        }));
        for q in ["json", "pkg12", "tool 99", "zzz"] {
            let query = Query::parse(q, Scope::All);
            let parallel = s.search(&query, 50, &|| false).unwrap();
            let mut single = s.scan(&query, 0, 0, &s.keys, &|| false).unwrap();
            assert_eq!(parallel.matched, single.len(), "{q}");
            single.sort_by(|a, b| {
                b.score.cmp(&a.score).then(
                    s.text(&s.keys[a.entry as usize])
                        .name
                        .cmp(s.text(&s.keys[b.entry as usize]).name),
                )
            });
            single.truncate(50);
            assert_eq!(parallel.hits, single, "{q}");
        }
        assert!(s
            .search(&Query::parse("json", Scope::All), 10, &|| true)
            .is_none());
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
