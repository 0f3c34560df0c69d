//! nixpkgs' real lib (../shared/real/nixpkgs-lib) against real Nix: every function Nix finds in
//! `lib.SET` and in `lib` itself, with the position `builtins.unsafeGetAttrPos` gives it, must be
//! found by `nixbench doc` at the same file and line, with its doc comment. The truth is computed
//! here, by Nix, on every run; nothing of ours decides which functions are checked.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::require;

fn real_lib_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real/nixpkgs-lib")
}

/// Per attribute of a set (`SET` a Nix expression over `lib`): whether it is a function, a set,
/// and its position, from Nix. Nix 2.8 cannot catch every error (a builtin newer than it, read by
/// a lib function, is a missing attribute), so a batch that fails is split in halves until the
/// attributes that fail are found and left out: Nix cannot say what they are.
const PER_ATTR: &str = r#"
root: setExpr: names:
let
  lib = import (root + "/lib");
  set = setExpr lib;
  ok = r: r.success && r.value;
  isFn = v: ok (builtins.tryEval (builtins.isFunction v));
  isSet = v: ok (builtins.tryEval (builtins.isAttrs v && !(v ? type && v.type == "derivation")));
  pos = n: let p = builtins.unsafeGetAttrPos n set; in if p == null then null else { inherit (p) file line; };
in map (n: { name = n; function = isFn set.${n}; set = isSet set.${n}; pos = pos n; }) names
"#;

#[derive(serde::Deserialize, Clone)]
struct Attr {
    name: String,
    function: bool,
    set: bool,
    pos: Option<NixPos>,
}

#[derive(serde::Deserialize, Clone, PartialEq, Debug)]
struct NixPos {
    file: String,
    line: u32,
}

fn nix_json<T: serde::de::DeserializeOwned>(expr: &str) -> Option<T> {
    let out = Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json", "--expr", expr])
        .output()
        .expect("nix-instantiate runs");
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).expect("nix's JSON"))
}

fn attr_names(root: &Path, set_expr: &str) -> Vec<String> {
    nix_json(&format!(
        "builtins.attrNames (({set_expr}) (import {}/lib))",
        root.display()
    ))
    .expect("attribute names")
}

fn attrs(root: &Path, set_expr: &str, names: &[String]) -> Vec<Attr> {
    if names.is_empty() {
        return Vec::new();
    }
    let list = serde_json::to_string(names).expect("names");
    let expr = format!(
        "({PER_ATTR}) {} ({set_expr}) (builtins.fromJSON ''{list}'')",
        root.display()
    );
    if let Some(found) = nix_json(&expr) {
        return found;
    }
    if names.len() == 1 {
        eprintln!("left out (Nix cannot evaluate it): {set_expr} {}", names[0]);
        return Vec::new();
    }
    let (a, b) = names.split_at(names.len() / 2);
    let mut found = attrs(root, set_expr, a);
    found.extend(attrs(root, set_expr, b));
    found
}

/// A doc comment (`/** … */`, or the older `/* … */`) ends on the last non-blank line before the
/// attribute's line.
fn has_doc_comment(file: &Path, line: u32) -> bool {
    let Ok(text) = std::fs::read_to_string(file) else {
        return false;
    };
    let lines: Vec<&str> = text.lines().collect();
    lines[..(line as usize).saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_end().ends_with("*/"))
}

/// `inherit (self.strings) …` or `inherit (builtins) …` above a line of lib/default.nix: the set
/// a top-level attribute is taken from, read from the source Nix points at.
fn inherited_from(file: &Path, line: u32) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    for l in lines[..(line as usize).min(lines.len())].iter().rev() {
        let l = l.trim();
        if let Some(rest) = l.strip_prefix("inherit (") {
            let from = rest.split(')').next()?.trim();
            return Some(from.rsplit('.').next()?.to_string());
        }
        if l.ends_with(';') && !l.starts_with("inherit") && l != ";" {
            return None;
        }
    }
    None
}

struct Doc {
    file: Option<String>,
    line: Option<u32>,
    doc: Option<String>,
    canonical: Option<String>,
}

fn nixbench_doc(name: &str, root: &Path, cache: &Path) -> Option<Doc> {
    let out = Command::new(env!("CARGO_BIN_EXE_nixbench"))
        .args(["doc", name, "--json", "--nixpkgs"])
        .arg(root)
        .env("XDG_CACHE_HOME", cache)
        .env("XDG_STATE_HOME", cache)
        .env("XDG_CONFIG_HOME", cache)
        .output()
        .expect("nixbench runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let text = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Some(Doc {
        file: text("file"),
        line: json.get("line").and_then(|v| v.as_u64()).map(|l| l as u32),
        doc: text("doc").filter(|d| !d.trim().is_empty()),
        canonical: text("canonical"),
    })
}

/// What one comparison found: agreeing, and the disagreements (first few kept for the message).
#[derive(Default)]
struct Tally {
    checked: usize,
    agreed: usize,
    misses: Vec<String>,
}

impl Tally {
    fn record(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.checked += 1;
        if ok {
            self.agreed += 1;
        } else {
            self.misses.push(what());
        }
    }

    fn percent(&self) -> f64 {
        100.0 * self.agreed as f64 / self.checked.max(1) as f64
    }

    fn assert_at_least(&self, what: &str, percent: f64) {
        eprintln!(
            "{what}: {}/{} agree ({:.1}%)",
            self.agreed,
            self.checked,
            self.percent()
        );
        assert!(
            self.percent() >= percent,
            "{what}: {}/{} ({:.1}%), first misses:\n{}",
            self.agreed,
            self.checked,
            self.percent(),
            self.misses
                .iter()
                .take(25)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn real_lib_docs_agree_with_nix_positions() {
    if !require("nix-instantiate") {
        return;
    }
    let root = real_lib_root()
        .canonicalize()
        .expect("../shared/real/nixpkgs-lib");
    // Data, not functions: thousands of people, licenses and platforms.
    let skip = ["maintainers", "teams", "licenses", "platforms", "systems"];
    let top = attrs(&root, "lib: lib", &attr_names(&root, "lib: lib"));
    // The sub-libraries: sets lib/default.nix binds itself, not those it re-exports.
    let sets: Vec<&Attr> = top
        .iter()
        .filter(|a| a.set && !skip.contains(&a.name.as_str()))
        .filter(|a| {
            a.pos
                .as_ref()
                .is_some_and(|p| inherited_from(Path::new(&p.file), p.line).is_none())
        })
        .collect();
    assert!(sets.iter().any(|s| s.name == "strings"));
    let mut members: Vec<Attr> = Vec::new();
    for set in &sets {
        let set_expr = format!("lib: lib.{}", set.name);
        for mut attr in attrs(&root, &set_expr, &attr_names(&root, &set_expr)) {
            attr.name = format!("lib.{}.{}", set.name, attr.name);
            members.push(attr);
        }
    }
    let cache = tempfile::tempdir().unwrap();
    let relative = |p: &NixPos| {
        Path::new(&p.file)
            .strip_prefix(&root)
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_else(|_| p.file.clone())
    };
    let mut by_name: HashMap<String, NixPos> = HashMap::new();
    let (mut documented, mut positions) = (Tally::default(), Tally::default());
    for function in members.iter().filter(|a| a.function) {
        let Some(pos) = &function.pos else { continue };
        by_name.insert(function.name.clone(), pos.clone());
        let ours = nixbench_doc(&function.name, &root, cache.path());
        let at_place = ours.as_ref().is_some_and(|d| {
            d.file.as_deref() == Some(relative(pos).as_str()) && d.line == Some(pos.line)
        });
        positions.record(at_place, || {
            format!("{} at {}:{}", function.name, relative(pos), pos.line)
        });
        if has_doc_comment(Path::new(&pos.file), pos.line) {
            let with_doc = at_place && ours.as_ref().is_some_and(|d| d.doc.is_some());
            documented.record(with_doc, || {
                format!(
                    "{} (documented) at {}:{}",
                    function.name,
                    relative(pos),
                    pos.line
                )
            });
        }
    }
    // `lib.NAME`: Nix puts a re-export at its `inherit` in lib/default.nix; nixbench gives the
    // function it re-exports, so the truth is that function's own position.
    let mut aliases = Tally::default();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for function in top.iter().filter(|a| a.function) {
        let Some(pos) = &function.pos else { continue };
        let short = function.name.as_str();
        let name = format!("lib.{short}");
        let ours = nixbench_doc(&name, &root, cache.path());
        let from = inherited_from(Path::new(&pos.file), pos.line)
            .filter(|_| relative(pos) == "lib/default.nix");
        match from.as_deref() {
            Some("builtins") => {
                *kinds.entry("builtin").or_default() += 1;
                let expected = format!("builtins.{short}");
                aliases.record(
                    ours.as_ref().is_some_and(|d| {
                        d.canonical.as_deref() == Some(expected.as_str()) && d.doc.is_some()
                    }),
                    || format!("{} should be an alias of {expected} with its docs", name),
                );
            }
            Some(set) => {
                let Some(target) = by_name.get(&format!("lib.{set}.{short}")) else {
                    continue;
                };
                *kinds.entry("re-export").or_default() += 1;
                let documented = has_doc_comment(Path::new(&target.file), target.line);
                aliases.record(
                    ours.as_ref().is_some_and(|d| {
                        d.file.as_deref() == Some(relative(target).as_str())
                            && d.line == Some(target.line)
                            && (!documented || d.doc.is_some())
                    }),
                    || {
                        format!(
                            "{} should be lib.{set}.{short} at {}:{}",
                            name,
                            relative(target),
                            target.line
                        )
                    },
                );
            }
            None => {
                *kinds.entry("defined in place").or_default() += 1;
                aliases.record(
                    ours.as_ref().is_some_and(|d| {
                        d.file.as_deref() == Some(relative(pos).as_str())
                            && d.line == Some(pos.line)
                    }),
                    || format!("{} at {}:{}", name, relative(pos), pos.line),
                );
            }
        }
    }
    eprintln!("top-level functions by kind: {kinds:?}");
    positions.assert_at_least("lib.SET.NAME positions", 99.0);
    documented.assert_at_least("documented lib.SET.NAME (position and doc)", 99.0);
    aliases.assert_at_least("lib.NAME re-exports", 99.0);
}
