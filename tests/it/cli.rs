//! Subcommands and their exit codes, through the real binary.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::{fixture, stdout_json};

fn nixbench() -> Command {
    nixbench_at(&tempfile::tempdir().unwrap().keep())
}

/// nixbench with `home` as its home, cache and config, run from `home`.
fn nixbench_at(home: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("nixbench").unwrap();
    cmd.current_dir(home)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"));
    cmd
}

#[test]
fn version_names_the_nix_it_found() {
    nixbench()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
    nixbench()
        .arg("--version")
        .env("NIXBENCH_NIX", "")
        .assert()
        .success()
        .stdout(predicate::str::contains("nix not found"));
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        nixbench()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("nixbench"));
    }
    nixbench().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    nixbench().arg("--frobnicate").assert().code(2);
}

#[test]
fn search_ranks_like_a_nix_user_expects() {
    let nixpkgs = fixture("nixpkgs-mini");
    let out = nixbench()
        .args(["search", "rg", "--nixpkgs"])
        .arg(&nixpkgs)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.lines().take(3).any(|l| l.contains("ripgrep")),
        "{text}"
    );
    let json = stdout_json(
        nixbench()
            .args(["search", "python", "requests", "--json", "--nixpkgs"])
            .arg(&nixpkgs),
    );
    assert_eq!(json[0]["name"], "python3Packages.requests");
    nixbench()
        .args(["search", "zzzzqqqq", "--nixpkgs"])
        .arg(&nixpkgs)
        .assert()
        .code(1);
}

#[test]
fn doc_resolves_reexports_and_suggests_near_names() {
    let nixpkgs = fixture("nixpkgs-mini");
    let json = stdout_json(
        nixbench()
            .args(["doc", "lib.concatStringsSep", "--json", "--nixpkgs"])
            .arg(&nixpkgs),
    );
    assert_eq!(json["canonical"], "lib.strings.concatStringsSep");
    assert_eq!(json["file"], "lib/strings.nix");
    assert_eq!(
        json["type"],
        "concatStringsSep :: string -> [string] -> string"
    );
    nixbench()
        .args(["doc", "lib.concatStrigsSep", "--nixpkgs"])
        .arg(&nixpkgs)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("concatStringsSep"));
}

#[test]
fn missing_nixpkgs_says_where_it_looked() {
    nixbench()
        .args(["search", "hello", "--nixpkgs", "/nonexistent/nixpkgs"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("Looked in")
                .and(predicate::str::contains("/nonexistent/nixpkgs")),
        );
}

#[test]
fn why_from_recorded_closure() {
    let closure = fixture("golden/nix-2.8.0/path-info-greeter.json");
    let json = stdout_json(
        nixbench()
            .args(["why", "zlib-mini", "--json", "--from-json"])
            .arg(&closure),
    );
    let chain = json["chains"][0].as_array().unwrap();
    assert!(chain[0].as_str().unwrap().ends_with("greeter-1.0.0"));
    assert!(chain
        .last()
        .unwrap()
        .as_str()
        .unwrap()
        .ends_with("zlib-mini-1.3.1"));
    nixbench()
        .args(["why", "zlob", "--from-json"])
        .arg(&closure)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("zlib-mini"));
}

#[test]
fn watch_summarises_a_recorded_failure() {
    let log = fixture("golden/nix-2.8.0/build-failure-keep-going.internal-json");
    let out = nixbench()
        .args(["watch", "--json-summary"])
        .arg(&log)
        .assert()
        .code(1)
        .get_output()
        .clone();
    // stdout is the JSON summary alone; the lines and the text summary go to stderr.
    let text = String::from_utf8(out.stderr).unwrap();
    assert!(
        text.contains("broken-build-0.1 failed in buildPhase"),
        "{text}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["dependents_not_built"].as_array().unwrap().len(), 1);
    let bytes = std::fs::read(&log).unwrap();
    nixbench()
        .args(["watch", "-"])
        .write_stdin(bytes)
        .assert()
        .code(1);
}

#[test]
fn watch_follows_several_sources_with_prefixed_lines() {
    let failure = fixture("golden/nix-2.8.0/build-failure-keep-going.internal-json");
    let success = fixture("golden/nix-2.8.0/build-success.internal-json");
    let output = nixbench()
        .args(["watch", "--no-follow"])
        .arg(&failure)
        .arg(&success)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let text = String::from_utf8(output.stdout).unwrap();
    for line in text.lines() {
        assert!(
            line.starts_with("[build-failure-keep-going.internal-json]")
                || line.starts_with("[build-success.internal-json]"),
            "every line names its source: {line}"
        );
    }
    // Each source's lines are what following it alone gives, in the same order.
    for (log, label) in [
        (&failure, "[build-failure-keep-going.internal-json] "),
        (&success, "[build-success.internal-json] "),
    ] {
        let alone = nixbench()
            .args(["watch", "--no-follow"])
            .arg(log)
            .output()
            .unwrap();
        let alone: Vec<String> = String::from_utf8(alone.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let together: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix(label))
            .map(str::to_string)
            .collect();
        assert_eq!(together, alone);
    }
    // The same file twice: labels stay apart; the JSON summary lists both.
    let json = nixbench()
        .args(["watch", "--no-follow", "--json-summary"])
        .arg(&success)
        .arg(&success)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(json).unwrap();
    let start = text
        .find("{\n  \"sources\"")
        .expect("a JSON summary at the end");
    let value: serde_json::Value = serde_json::from_str(&text[start..]).unwrap();
    let sources = value["sources"].as_array().unwrap();
    assert_eq!(sources[0]["source"], "build-success.internal-json");
    assert_eq!(sources[1]["source"], "build-success.internal-json#2");
    assert_eq!(sources[1]["summary"]["success"], true);
    // A source that cannot be read is named, and the exit code says so.
    nixbench()
        .args(["watch", "--no-follow"])
        .arg(&success)
        .arg("/nonexistent/build.log")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "[build.log] /nonexistent/build.log",
        ));
    nixbench()
        .args(["watch", "-", "-"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only one of the sources"));
}

#[test]
fn tui_refuses_a_non_terminal_with_advice() {
    nixbench()
        .arg("--demo")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a terminal"));
}

#[test]
fn bad_config_names_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config/nixbench");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "theme = \"dark\"\nkeys = 3\n").unwrap();
    Command::cargo_bin("nixbench")
        .unwrap()
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .arg("--demo")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("config.toml:2:"));
}

#[test]
fn why_gives_the_same_answer_for_both_path_info_shapes() {
    let mut outputs = Vec::new();
    for file in [
        "golden/nix-2.8.0/path-info-greeter.json",
        "golden/path-info-greeter.object-shape-from-2.8.json",
    ] {
        let out = nixbench()
            .args(["why", "zlib-mini", "--json", "--from-json"])
            .arg(fixture(file))
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        outputs.push(String::from_utf8(out).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
    let json: serde_json::Value = serde_json::from_str(&outputs[0]).unwrap();
    assert_eq!(
        json["added_size"], json["nar_size"],
        "zlib-mini is reached only through libgreet"
    );
}

#[test]
fn why_formats_tree_plain_dot_and_summary() {
    let closure = fixture("golden/nix-2.8.0/path-info-greeter.json");
    let plain = nixbench()
        .args(["why", "zlib-mini", "--from-json"])
        .arg(&closure)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plain = String::from_utf8(plain).unwrap();
    assert!(
        plain.lines().next().unwrap().contains("-greeter-1.0.0 -> "),
        "not a TTY, so plain: {plain}"
    );
    let dot = nixbench()
        .args(["why", "zlib-mini", "--dot", "--from-json"])
        .arg(&closure)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(dot)
        .unwrap()
        .contains("\"libgreet-0.4.0\" -> \"zlib-mini-1.3.1\""));
    let summary = nixbench()
        .args(["why", "--from-json"])
        .arg(&closure)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let summary = String::from_utf8(summary).unwrap();
    assert!(
        summary.contains("4 paths") && summary.contains("libgreet-0.4.0"),
        "{summary}"
    );
    let derivations = fixture("golden/nix-2.8.0/show-derivation-greeter.json");
    let json = stdout_json(
        nixbench()
            .args(["why", "jq-mini", "--derivation", "--json", "--from-json"])
            .arg(&derivations),
    );
    assert!(json["target"]
        .as_str()
        .unwrap()
        .ends_with("jq-mini-1.7.1.drv"));
    nixbench()
        .args(["why", "jq-mini", "--from-json"])
        .arg(&closure)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--derivation"));
}

#[test]
fn why_diff_of_two_saved_closures() {
    let a = fixture("golden/nix-2.8.0/path-info-greeter.json");
    let dir = tempfile::tempdir().unwrap();
    let mut closure: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&a).unwrap()).unwrap();
    // A second closure: the same, with hello bumped to 2.13.
    for item in closure.as_array_mut().unwrap() {
        let path = item["path"]
            .as_str()
            .unwrap()
            .replace("hello-2.12.1", "hello-2.13");
        item["path"] = path.into();
        let refs: Vec<String> = item["references"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().replace("hello-2.12.1", "hello-2.13"))
            .collect();
        item["references"] = refs.into();
    }
    let b = dir.path().join("after.json");
    std::fs::write(&b, serde_json::to_vec(&closure).unwrap()).unwrap();
    let json = stdout_json(
        nixbench()
            .args(["why", "--json", "--from-json"])
            .arg(&a)
            .arg("--diff")
            .arg(&b),
    );
    assert_eq!(json["changed"][0]["name"], "hello");
    assert_eq!(json["changed"][0]["after"][0], "2.13");
}

#[test]
fn watch_follows_a_growing_file_until_the_build_ends() {
    use std::io::Write;
    let full = std::fs::read(fixture("golden/nix-2.8.0/build-success.internal-json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.json");
    let cut = full.len() / 3;
    std::fs::write(&path, &full[..cut]).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_nixbench"))
        .args(["watch", "--plain"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(&full[cut..]).unwrap();
    drop(file);
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("greeter-1.0.0> Running phase: installPhase"),
        "{text}"
    );
    assert!(text.contains("success: "), "{text}");
}

#[test]
fn watch_rejects_a_bad_ssh_url_and_a_missing_file() {
    nixbench()
        .args(["watch", "ssh://host"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ssh://[user@]host[:port]/path"));
    nixbench()
        .args(["watch", "--no-follow", "/nonexistent/build.log"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/build.log"));
}

/// `--from-json` needs no nixpkgs: inside a project whose locked nixpkgs is not in the store, and
/// outside any project, `index`, `search` and `doc` read the file (imported once, then cached).
#[test]
fn from_json_works_where_the_locked_nixpkgs_is_absent() {
    let home = tempfile::tempdir().unwrap();
    let project = home.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("flake.nix"),
        "{ inputs.nixpkgs.url = \"github:NixOS/nixpkgs\"; outputs = { nixpkgs, ... }: { }; }\n",
    )
    .unwrap();
    std::fs::write(
        project.join("flake.lock"),
        r#"{"nodes":{"root":{"inputs":{"nixpkgs":"nixpkgs"}},"nixpkgs":{"locked":{"type":"github","owner":"NixOS","repo":"nixpkgs","rev":"0123456789abcdef0123456789abcdef01234567","narHash":"sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}}},"root":"root","version":7}"#,
    )
    .unwrap();
    let json = fixture("golden/nix-2.8.0/nix-env-qaP.json");
    let run = |dir: &std::path::Path, args: &[&str]| {
        let mut cmd = nixbench_at(home.path());
        cmd.current_dir(dir)
            .env("NIX_PATH", "")
            .args(args)
            .arg("--from-json")
            .arg(&json);
        cmd.assert()
    };
    for dir in [project.as_path(), home.path()] {
        run(dir, &["search", "ripgrep", "--json", "--limit", "5"])
            .success()
            .stdout(predicate::str::contains("\"name\": \"ripgrep\""));
        // The second search opens the cache written by the first.
        run(dir, &["search", "ripgrep", "--json", "--limit", "5"])
            .success()
            .stdout(predicate::str::contains(
                "pkgs/by-name/ri/ripgrep/package.nix",
            ));
        run(dir, &["doc", "ripgrep", "--json"])
            .success()
            .stdout(predicate::str::contains("\"main_program\": \"rg\""));
        run(dir, &["index"])
            .success()
            .stdout(predicate::str::contains("packages"));
    }
}

/// A project whose flake.lock pins a nixpkgs revision that is not in the store: `search` and `doc`
/// name the input and revision, offer the fetch command, still answer from the builtins, and exit
/// 3 (neither "not found" nor a usage error).
#[test]
fn a_missing_pinned_nixpkgs_is_named_and_builtins_still_answer() {
    let project = fixture("pinned-missing");
    let rev = "0123456789abcdef0123456789abcdef01234567";
    for args in [
        vec!["search", "builtins.map", "--limit", "3"],
        vec!["doc", "builtins.map"],
    ] {
        nixbench()
            .arg("-C")
            .arg(&project)
            .args(&args)
            .env("NIX_PATH", "")
            .assert()
            .code(3)
            .stdout(predicate::str::contains("builtins.map"))
            .stderr(predicate::str::contains(format!(
                "pins input `nixpkgs` to github:NixOS/nixpkgs/0123456789ab (revision {rev})"
            )))
            .stderr(predicate::str::contains(format!(
                "flake prefetch 'github:NixOS/nixpkgs/{rev}'"
            )))
            .stderr(predicate::str::contains("builtins from"));
    }
    nixbench()
        .arg("-C")
        .arg(&project)
        .args(["doc", "builtins.map"])
        .env("NIX_PATH", "")
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "Applies a function to every element",
        ));
    nixbench()
        .arg("-C")
        .arg(&project)
        .args(["doc", "noSuchFunctionAnywhere"])
        .env("NIX_PATH", "")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no `noSuchFunctionAnywhere`"));
}

/// A git checkout of nixpkgs is known by its revision: an uncommitted edit leaves the cache
/// current for `search` and a plain `index` (cheap), and `index --check-files` finds it by the
/// files' stamps and reads only that file again.
#[test]
fn check_files_picks_up_an_uncommitted_edit_in_a_git_checkout() {
    if !crate::require("git") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let tree = home.path().join("nixpkgs");
    crate::git_checkout_of("nixpkgs-mini", &tree);
    let run = |args: &[&str]| {
        let mut cmd = nixbench_at(home.path());
        cmd.env("NIX_PATH", "")
            .args(args)
            .arg("--nixpkgs")
            .arg(&tree);
        cmd.assert()
    };
    run(&["index"]).success();
    run(&["index", "--check-files"])
        .success()
        .stdout(predicate::str::contains(" 0 package files read"));
    crate::edit_greeter_version(&tree, "1.0.1-dev");
    run(&["index"])
        .success()
        .stdout(predicate::str::contains(
            "unchanged (identity: git revision",
        ))
        .stdout(predicate::str::contains("--check-files"));
    // The file is read once for greeter and once for greeter-static (all-packages.nix calls it
    // again with another `hello`); the other package files are not read.
    run(&["index", "--check-files"])
        .success()
        .stdout(predicate::str::contains("2 package files read"));
    run(&["doc", "greeter", "--json"])
        .success()
        .stdout(predicate::str::contains("\"version\": \"1.0.1-dev\""));
}
