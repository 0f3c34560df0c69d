//! Against the installed Nix: our parsers and indexes agree with what Nix itself reports.

use std::process::Command;

use crate::{fixture, require, stdout_json};
use predicates::prelude::*;

fn nix(args: &[&str]) -> Vec<u8> {
    let out = Command::new("nix")
        .args([
            "--extra-experimental-features",
            "nix-command",
            "--option",
            "substituters",
            "",
        ])
        .args(args)
        .output()
        .expect("nix runs");
    assert!(
        out.status.success(),
        "nix {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn version_detection_matches_nix() {
    if !require("nix") {
        return;
    }
    let info = nixbench::nix::detect().unwrap();
    let banner = String::from_utf8(
        Command::new("nix")
            .arg("--version")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        banner.contains(&info.version.to_string()),
        "{banner} vs {info}"
    );
}

#[test]
fn static_index_finds_every_evaluated_package() {
    if !require("nix-env") {
        return;
    }
    let tree = fixture("nixpkgs-mini");
    let out = Command::new("nix-env")
        .arg("-f")
        .arg(&tree)
        .args(["-qaP", "--json", "--meta"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let evaluated =
        nixbench::nixpkgs::evaluated::import_reader(&out.stdout[..], Some(&tree)).unwrap();
    let index = nixbench::nixpkgs::static_index::index_tree(&tree);
    for entry in &evaluated {
        let ours = index
            .get(&entry.name)
            .unwrap_or_else(|| panic!("static index lacks {}", entry.name));
        assert_eq!(ours.version, entry.version, "{}", entry.name);
        assert_eq!(ours.file, entry.file, "{}", entry.name);
        assert_eq!(ours.main_program, entry.main_program, "{}", entry.name);
    }
}

#[test]
fn runtime_graph_matches_nix_store_references() {
    if !require("nix") {
        return;
    }
    let tree = fixture("nixpkgs-mini");
    // `nix build --print-out-paths` is newer than Nix 2.8; nix-build prints the path everywhere.
    let out = Command::new("nix-build")
        .args(["--no-out-link", "--option", "substituters", ""])
        .arg(&tree)
        .args(["-A", "greeter"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let greeter = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let json = nix(&["path-info", "--json", "--recursive", "-S", &greeter]);
    let graph = nixbench::graph::load::runtime_graph(&json).unwrap();
    for node in &graph.nodes {
        let refs = Command::new("nix-store")
            .args(["-q", "--references", &node.path])
            .output()
            .unwrap();
        let mut expected: Vec<String> = String::from_utf8(refs.stdout)
            .unwrap()
            .lines()
            .filter(|l| *l != &*node.path)
            .map(str::to_string)
            .collect();
        expected.sort();
        let id = graph.find_path(&node.path).unwrap();
        let mut ours: Vec<String> = graph
            .references
            .of(id)
            .iter()
            .map(|r| graph.node(*r).path.to_string())
            .collect();
        ours.sort();
        assert_eq!(ours, expected, "references of {}", node.path);
    }
    // Our why-chain to zlib-mini agrees with `nix why-depends`.
    let target = graph.resolve("zlib-mini")[0];
    let chains = nixbench::graph::algo::why_chains(&graph, graph.roots[0], target, 10);
    let why = String::from_utf8(nix(&["why-depends", &greeter, &graph.node(target).path])).unwrap();
    for id in &chains[0] {
        assert!(
            why.contains(graph.node(*id).name()),
            "why-depends lacks {}:\n{why}",
            graph.node(*id).name()
        );
    }
}

#[test]
fn live_build_log_parses_like_the_recording() {
    if !require("nix") {
        return;
    }
    let tree = fixture("nixpkgs-mini");
    let out = Command::new("nix")
        .args([
            "--extra-experimental-features",
            "nix-command",
            "--option",
            "substituters",
            "",
        ])
        .args([
            "build",
            "--no-link",
            "--rebuild",
            "--log-format",
            "internal-json",
            "-v",
            "-f",
        ])
        .arg(&tree)
        .arg("chatty")
        .output()
        .unwrap();
    let mut state = nixbench::build_log::BuildState::new(10_000);
    let mut splitter = nixbench::build_log::LineSplitter::default();
    splitter.feed(&out.stderr, |line| {
        state.apply(nixbench::build_log::parse_line(line), 0.0);
    });
    let chatty = state
        .derivations
        .iter()
        .find(|d| d.name == "chatty-0.9")
        .expect("chatty was built");
    assert!(chatty
        .log
        .iter()
        .any(|l| l == "compiling unit 400 of 400: src/module_400.c"));
    assert_eq!(chatty.phase.as_deref(), Some("fixupPhase"));
}

fn nixbench() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("nixbench").unwrap();
    cmd.env("NIX_CONFIG", "substituters =");
    cmd
}

/// A project whose default.nix is the fixture's greeter.
fn greeter_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let default = format!(
        "(import {} {{ }}).greeter\n",
        fixture("nixpkgs-mini").display()
    );
    std::fs::write(dir.path().join("default.nix"), default).unwrap();
    dir
}

#[test]
fn why_on_the_project_default_output_agrees_with_why_depends() {
    if !require("nix") {
        return;
    }
    let project = greeter_project();
    let json =
        stdout_json(
            nixbench()
                .current_dir(project.path())
                .args(["why", "zlib-mini", "--json"]),
        );
    let chain: Vec<String> = json["chains"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let root = &chain[0];
    let target = chain.last().unwrap();
    let why = String::from_utf8(nix(&["why-depends", root, target])).unwrap();
    for path in &chain {
        assert!(
            why.contains(path.as_str()),
            "nix why-depends lacks {path}:\n{why}"
        );
    }
    // The same through a ./result link, and the build-time question.
    let status = Command::new("nix-build")
        .current_dir(project.path())
        .args(["--option", "substituters", ""])
        .status()
        .unwrap();
    assert!(status.success());
    nixbench()
        .current_dir(project.path())
        .args(["why", "zlib-mini", "--from", "./result", "--plain"])
        .assert()
        .success();
    let out = nixbench()
        .current_dir(project.path())
        .args(["why", "jq-mini", "--derivation", "--plain"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("jq-mini-1.7.1.drv"));
    nixbench()
        .current_dir(project.path())
        .args(["why", "jq-mini"])
        .assert()
        .code(1);
    // An attribute of the project: `.#NAME` in a default.nix project.
    let mini = fixture("nixpkgs-mini").display().to_string();
    std::fs::write(
        project.path().join("default.nix"),
        format!(
            "{{ greeter = (import {mini} {{ }}).greeter; hello = (import {mini} {{ }}).hello; }}\n"
        ),
    )
    .unwrap();
    let out = nixbench()
        .current_dir(project.path())
        .args(["why", "--from", ".#greeter", "zlib-mini", "--plain"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("-libgreet-0.4.0 -> "));
    nixbench()
        .current_dir(project.path())
        .args(["why", "--from", ".#hello", "zlib-mini"])
        .assert()
        .code(1);
}

#[test]
fn why_reports_nix_errors_with_nix_message() {
    if !require("nix") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("default.nix"), "{ broken = ; }\n").unwrap();
    nixbench()
        .current_dir(dir.path())
        .args(["why", "x"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("error:"));
}

#[test]
fn build_passes_through_nix_exit_code_and_prints_lines() {
    if !require("nix") {
        return;
    }
    let tree = fixture("nixpkgs-mini");
    let out = nixbench()
        .args(["build", "--plain", "--json-summary", "-f"])
        .arg(&tree)
        .args([
            "broken-app",
            "chatty",
            "--keep-going",
            "--option",
            "substituters",
            "",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    // With --json-summary, stdout is the JSON alone; the lines go to stderr.
    let text = String::from_utf8(out.stderr).unwrap();
    assert!(
        text.contains("broken-build-0.1> make: *** [Makefile:8: main.o] Error 1"),
        "{text}"
    );
    assert!(
        text.contains("not built because a dependency failed:\n  broken-app-0.1"),
        "{text}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["failed"], 1);
    nixbench()
        .args(["build", "--plain", "-f"])
        .arg(&tree)
        .args(["hello", "--option", "substituters", ""])
        .assert()
        .success();
    nixbench()
        .args(["build", "--plain", "-f"])
        .arg(&tree)
        .arg("no-such-attribute")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error:"));
}
