//! `flake add` / `flake remove` on the real flakes in ../shared/real/flakes, judged by the expected
//! class of each case (EXPECT.tsv), plus a property test: any add followed by remove gives back
//! the original bytes, a second add answers "already", and every edited file parses with
//! `nix-instantiate --parse`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use nixbench::flake::edit::EditError;
use nixbench::flake::eval::Sources;
use nixbench::flake::shell::{plan_add, plan_remove};
use rnix::ast;
use rowan::ast::AstNode;

use crate::{require, strict};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real/flakes");
    if dir.join("EXPECT.tsv").is_file() {
        return Some(dir);
    }
    assert!(
        !strict(),
        "the real flakes are missing at {}",
        dir.display()
    );
    eprintln!("skipping: no real flakes at {}", dir.display());
    None
}

struct Case {
    dir: String,
    class: String,
    /// `FILE:LINE` of the list (or set) jq belongs in, or `-`.
    place: String,
}

fn cases(corpus: &Path) -> Vec<Case> {
    std::fs::read_to_string(corpus.join("EXPECT.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty() && !l.starts_with("dir\t"))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Case {
                dir: cols[0].into(),
                class: cols[1].into(),
                place: cols[2].into(),
            }
        })
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file of a tree, by relative path.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn nix_parses(path: &Path) -> bool {
    std::process::Command::new("nix-instantiate")
        .arg("--parse")
        .arg(path)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

struct Run {
    code: i32,
    output: String,
}

fn nixbench(dir: &Path, state: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("nixbench")
        .unwrap()
        .arg("-C")
        .arg(dir)
        .args(["flake"])
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env("XDG_CACHE_HOME", state.join("cache"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        output: String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr),
    }
}

/// The range of the list (or set) that opens on line `line` of `text`.
fn bracket_range(text: &str, line: usize, set: bool) -> Option<(usize, usize)> {
    let root = ast::Root::parse(text).tree();
    let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
    root.syntax().descendants().find_map(|node| {
        let range = if set {
            ast::AttrSet::cast(node)?.syntax().text_range()
        } else {
            ast::List::cast(node)?.syntax().text_range()
        };
        let (s, e) = (usize::from(range.start()), usize::from(range.end()));
        (line_of(s) == line).then_some((s, e))
    })
}

/// Checks one edit: only `place`'s file changed, by insertions inside the list at `place`, jq is
/// spelled as an element, the file still parses, and remove gives the original bytes back.
fn judge_edit(case: &Case, work: &Path, state: &Path, before: &Snapshot) -> Result<(), String> {
    let after = snapshot(work);
    let (file, line) = case
        .place
        .rsplit_once(':')
        .ok_or_else(|| format!("an edit, but EXPECT has no place ({})", case.place))?;
    let changed: Vec<&PathBuf> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    if changed != [&PathBuf::from(file)] {
        return Err(format!("changed {changed:?}, expected only {file}"));
    }
    let old = String::from_utf8(before[Path::new(file)].clone()).unwrap();
    let new = String::from_utf8(after[Path::new(file)].clone()).unwrap();
    let prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let last = old.len() - suffix.min(old.len() - prefix);
    let (s, e) = bracket_range(&old, line.parse().unwrap(), case.class == "new-list")
        .ok_or_else(|| format!("no list opens at {}", case.place))?;
    let inside = |at: usize| s < at && at < e;
    // A callPackage-style file may also gain a formal argument.
    let in_formals = |at: usize| {
        let root = ast::Root::parse(&old).tree();
        let Some(ast::Expr::Lambda(lambda)) = root.expr() else {
            return false;
        };
        lambda.param().is_some_and(|p| {
            let r = p.syntax().text_range();
            usize::from(r.start()) < at && at < usize::from(r.end())
        })
    };
    if !inside(last) || !(inside(prefix) || in_formals(prefix)) {
        return Err(format!(
            "the edit at bytes {prefix}..{last} is outside {}",
            case.place
        ));
    }
    if !new.contains("jq") || new.len() <= old.len() {
        return Err("the edit does not add jq".into());
    }
    if require("nix-instantiate") && !nix_parses(&work.join(file)) {
        return Err(format!("{file} no longer parses with nix-instantiate"));
    }
    let again = nixbench(work, state, &["add", "jq", "--yes", "--no-check"]);
    if again.code != 1 || !again.output.contains("already") {
        return Err(format!(
            "a second add did not say already: {}",
            again.output
        ));
    }
    let removed = nixbench(work, state, &["remove", "jq", "--yes"]);
    if removed.code != 0 || snapshot(work) != *before {
        return Err(format!(
            "remove (exit {}) did not restore the original bytes: {}",
            removed.code, removed.output
        ));
    }
    Ok(())
}

type Snapshot = std::collections::BTreeMap<PathBuf, Vec<u8>>;

fn check_case(corpus: &Path, case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("case");
    let state = tmp.path().join("state");
    copy_tree(&corpus.join(&case.dir), &work);
    let before = snapshot(&work);
    let run = nixbench(&work, &state, &["add", "jq", "--yes", "--no-check"]);
    let changed = snapshot(&work) != before;
    let snippet = run
        .output
        .lines()
        .any(|l| l.contains("jq") && l.contains(';'));
    match case.class.as_str() {
        "yes" | "yes-imported" if run.code == 0 && changed => {
            judge_edit(case, &work, &state, &before)
        }
        "yes" | "yes-imported" => Err(format!("not added (exit {}): {}", run.code, run.output)),
        "maybe" | "new-list" if changed => judge_edit(case, &work, &state, &before),
        "maybe" | "new-list" | "no" if !changed && run.code == 2 && snippet => Ok(()),
        "already" if !changed && run.code == 1 && run.output.contains("already") => Ok(()),
        _ => Err(format!(
            "exit {}, files changed: {changed}: {}",
            run.code, run.output
        )),
    }
}

#[test]
fn real_flakes_are_edited_or_refused_as_expected() {
    let Some(corpus) = corpus() else { return };
    let failures: Vec<String> = cases(&corpus)
        .iter()
        .filter_map(|case| {
            check_case(&corpus, case)
                .err()
                .map(|why| format!("{} ({}): {why}", case.dir, case.class))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn broken_flake_gets_the_parse_error_before_the_package_check() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("flake.nix"),
        "{\n  outputs = { self }: {\n    x = [ 1 2;\n  };\n}\n",
    )
    .unwrap();
    let run = nixbench(
        tmp.path(),
        &tmp.path().join("state"),
        &["add", "no-such-package-anywhere", "--yes"],
    );
    assert_eq!(run.code, 2, "{}", run.output);
    assert!(run.output.contains("flake.nix:3:"), "{}", run.output);
    assert!(!run.output.contains("not a package"), "{}", run.output);
}

/// Names that are in no shell of the corpus.
fn fresh_name() -> impl proptest::strategy::Strategy<Value = String> {
    "zz[a-z][a-z0-9-]{0,10}"
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    #[test]
    fn add_then_remove_gives_the_original_bytes(case in 0usize..64, name in fresh_name()) {
        let Some(corpus) = corpus() else { return Ok(()) };
        let all = cases(&corpus);
        let case = &all[case % all.len()];
        let dir = corpus.join(&case.dir);
        let flake = dir.join("flake.nix");
        let text = std::fs::read_to_string(&flake).unwrap();
        let sources = Sources::new(flake.clone(), text.clone(), Some(dir.clone()));
        let Ok(added) = plan_add(&sources, "default", &name) else { return Ok(()) };
        proptest::prop_assert!(added.changed.len() > added.original.len());
        // The edited file, read back from a copy of the case.
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(&dir, tmp.path());
        let edited = tmp.path().join(added.path.strip_prefix(&dir).unwrap());
        std::fs::write(&edited, &added.changed).unwrap();
        if require("nix-instantiate") {
            proptest::prop_assert!(nix_parses(&edited), "{} does not parse:\n{}", edited.display(), added.changed);
        }
        let flake_copy = tmp.path().join("flake.nix");
        let reread = || Sources::new(
            flake_copy.clone(),
            std::fs::read_to_string(&flake_copy).unwrap(),
            Some(tmp.path().to_path_buf()),
        );
        let again = plan_add(&reread(), "default", &name);
        let already = matches!(again, Err(EditError::AlreadyPresent { .. }));
        proptest::prop_assert!(already, "second add: {:?}", again);
        let removed = plan_remove(&reread(), "default", &name).unwrap();
        proptest::prop_assert_eq!(removed.changed, added.original);
    }
}

/// Inputs in every style the real flakes use (one-line `inputs.x.url`, nested sets, old URL
/// literals): add then remove gives back the bytes, a follows lands next to its input, and the
/// edited files parse with Nix.
#[test]
fn inputs_in_the_styles_of_real_flakes() {
    use nixbench::flake::edit::{add_follows, add_input, remove_input};
    use nixbench::flake::Flake;
    let Some(corpus) = corpus() else { return };
    let check_nix = require("nix-instantiate");
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in cases(&corpus) {
        let text = std::fs::read_to_string(corpus.join(&case.dir).join("flake.nix")).unwrap();
        let original = Flake::parse(text.clone());
        let parses = |edited: &str| {
            let file = tmp.path().join("flake.nix");
            std::fs::write(&file, edited).unwrap();
            !check_nix || nix_parses(&file)
        };
        match add_input(&text, "extra-input", "github:owner/repo", Some("nixpkgs")) {
            Ok(added) => {
                let read = Flake::parse(added.clone());
                let extra = read.inputs.iter().find(|i| i.name == "extra-input");
                if extra.and_then(|i| i.url.as_deref()) != Some("github:owner/repo")
                    || !parses(&added)
                {
                    failures.push(format!("{}: add_input gave\n{added}", case.dir));
                }
                // Every other input still reads the same, URL literals included.
                let others: Vec<_> = read
                    .inputs
                    .iter()
                    .filter(|i| i.name != "extra-input")
                    .map(|i| (&i.name, &i.url))
                    .collect();
                let before: Vec<_> = original.inputs.iter().map(|i| (&i.name, &i.url)).collect();
                if others != before {
                    failures.push(format!("{}: other inputs changed", case.dir));
                }
                match remove_input(&added, "extra-input") {
                    Ok(back) if back == text => {}
                    other => failures.push(format!("{}: remove_input: {other:?}", case.dir)),
                }
            }
            Err(e) => failures.push(format!("{}: add_input: {e}", case.dir)),
        }
        // A follows for the first input that does not have one yet.
        let Some(input) = original.inputs.iter().find(|i| {
            i.name != "nixpkgs" && i.url.is_some() && !i.follows.iter().any(|(d, _)| d == "nixpkgs")
        }) else {
            continue;
        };
        match add_follows(&text, &input.name, "nixpkgs", "nixpkgs") {
            Ok(followed) => {
                let read = Flake::parse(followed.clone());
                let got = read.inputs.iter().find(|i| i.name == input.name);
                if !got.is_some_and(|i| i.follows.contains(&("nixpkgs".into(), "nixpkgs".into())))
                    || !parses(&followed)
                {
                    failures.push(format!("{}: add_follows gave\n{followed}", case.dir));
                }
            }
            Err(e) => failures.push(format!("{}: add_follows {}: {e}", case.dir, input.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
