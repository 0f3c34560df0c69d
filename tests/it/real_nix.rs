//! Against the installed Nix: our parsers and indexes agree with what Nix itself reports.

use std::process::Command;

use crate::{fixture, require};

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
        state.apply(nixbench::build_log::parse_line(line), 0.0)
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
