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

/// Every function of `lib.SET` (SET a set of lib) and of `lib`, with its position, from Nix: one
/// evaluation. Attributes that throw when read are left out, as Nix cannot say what they are.
const TRUTH: &str = r#"
root:
let
  lib = import (root + "/lib");
  skip = [ "maintainers" "teams" "licenses" "platforms" "systems" ];
  isFn = v: let r = builtins.tryEval (builtins.isFunction v); in r.success && r.value;
  isSet = v: let r = builtins.tryEval (builtins.isAttrs v && !(v ? type && v.type == "derivation")); in r.success && r.value;
  pos = set: n: let p = builtins.unsafeGetAttrPos n set; in if p == null then null else { inherit (p) file line; };
  fns = prefix: set: builtins.concatMap
    (n: if isFn set.${n} then [ { name = "${prefix}.${n}"; pos = pos set n; } ] else [ ])
    (builtins.attrNames set);
  sets = builtins.filter (n: !(builtins.elem n skip) && isSet lib.${n}) (builtins.attrNames lib);
in {
  inherit sets;
  members = builtins.concatMap (s: fns "lib.${s}" lib.${s}) sets;
  top = fns "lib" lib;
}
"#;

#[derive(serde::Deserialize)]
struct Truth {
    sets: Vec<String>,
    members: Vec<Function>,
    top: Vec<Function>,
}

#[derive(serde::Deserialize, Clone)]
struct Function {
    name: String,
    pos: Option<NixPos>,
}

#[derive(serde::Deserialize, Clone, PartialEq, Debug)]
struct NixPos {
    file: String,
    line: u32,
}

fn truth(root: &Path) -> Truth {
    let out = Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json", "--expr"])
        .arg(format!("({TRUTH}) {}", root.display()))
        .output()
        .expect("nix-instantiate runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("nix's JSON")
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
    let truth = truth(&root);
    assert!(
        truth.sets.iter().any(|s| s == "strings"),
        "{:?}",
        truth.sets
    );
    let cache = tempfile::tempdir().unwrap();
    let relative = |p: &NixPos| {
        Path::new(&p.file)
            .strip_prefix(&root)
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_else(|_| p.file.clone())
    };
    let mut by_name: HashMap<String, NixPos> = HashMap::new();
    let (mut documented, mut positions) = (Tally::default(), Tally::default());
    for function in &truth.members {
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
    for function in &truth.top {
        let Some(pos) = &function.pos else { continue };
        let short = function.name.trim_start_matches("lib.");
        let ours = nixbench_doc(&function.name, &root, cache.path());
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
                    || {
                        format!(
                            "{} should be an alias of {expected} with its docs",
                            function.name
                        )
                    },
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
                            function.name,
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
                    || format!("{} at {}:{}", function.name, relative(pos), pos.line),
                );
            }
        }
    }
    eprintln!("top-level functions by kind: {kinds:?}");
    positions.assert_at_least("lib.SET.NAME positions", 99.0);
    documented.assert_at_least("documented lib.SET.NAME (position and doc)", 99.0);
    aliases.assert_at_least("lib.NAME re-exports", 99.0);
}
