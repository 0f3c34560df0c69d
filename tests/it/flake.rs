//! `nixbench flake ...` through the binary: diffs, confirmation, backups, refusals, and real
//! `nix flake check` on a flake whose input is a local path.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::{fixture, require};

struct Project {
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl Project {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            state: tempfile::tempdir().unwrap(),
        }
    }
    fn nixbench(&self) -> Command {
        let mut cmd = Command::cargo_bin("nixbench").unwrap();
        cmd.current_dir(self.dir.path())
            .env("XDG_STATE_HOME", self.state.path())
            .env("XDG_CACHE_HOME", self.state.path().join("cache"))
            .env("NIX_CONFIG", "substituters =");
        cmd
    }
    fn flake(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("flake.nix")).unwrap()
    }
}

#[test]
fn init_add_remove_with_diffs_backups_and_checks() {
    let p = Project::new();
    p.nixbench()
        .args(["flake", "init", "--template", "python", "--yes"])
        .assert()
        .success();
    let created = p.flake();
    assert!(created.contains("python3Packages.pip"));
    p.nixbench()
        .args(["flake", "init", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));

    let mini = fixture("nixpkgs-mini");
    // --dry-run shows the diff and leaves the file alone.
    p.nixbench()
        .args(["flake", "add", "ripgrep", "--dry-run", "--nixpkgs"])
        .arg(&mini)
        .assert()
        .success()
        .stdout(predicate::str::contains("+            ripgrep"));
    assert_eq!(p.flake(), created);
    // Without --yes and without a terminal to ask on, nothing is written.
    p.nixbench()
        .args(["flake", "add", "ripgrep", "--nixpkgs"])
        .arg(&mini)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(p.flake(), created);
    // A name missing from the index is a warning with suggestions, and which nixpkgs was checked;
    // the index may be stale, so the edit still goes ahead.
    p.nixbench()
        .args(["flake", "add", "ripgrp", "--dry-run", "--nixpkgs"])
        .arg(&mini)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("warning: `ripgrp` is not a package in")
                .and(predicate::str::contains("Nearest: ripgrep")),
        )
        .stdout(predicate::str::contains("+            ripgrp"));
    assert_eq!(p.flake(), created);
    // The real thing, with a backup of what was there.
    p.nixbench()
        .args(["flake", "add", "ripgrep", "--yes", "--nixpkgs"])
        .arg(&mini)
        .assert()
        .success();
    let added = p.flake();
    assert!(added.contains("            ripgrep\n          ];"));
    let backups: Vec<_> = std::fs::read_dir(p.state.path().join("nixbench/backups"))
        .unwrap()
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(
        std::fs::read_to_string(backups[0].as_ref().unwrap().path()).unwrap(),
        created
    );
    p.nixbench()
        .args(["flake", "add", "ripgrep", "--yes", "--no-check"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already in"));
    p.nixbench()
        .args(["flake", "remove", "ripgrep", "--yes"])
        .assert()
        .success();
    assert_eq!(p.flake(), created);

    p.nixbench()
        .args([
            "flake",
            "input",
            "add",
            "utils",
            "github:numtide/flake-utils",
            "--yes",
        ])
        .assert()
        .success();
    assert!(p
        .flake()
        .contains("inputs.utils.url = \"github:numtide/flake-utils\";"));
    p.nixbench()
        .args(["flake", "input", "follow", "utils", "--yes"])
        .assert()
        .success();
    assert!(p
        .flake()
        .contains("inputs.utils.url = \"github:numtide/flake-utils\";\n  inputs.utils.inputs.nixpkgs.follows = \"nixpkgs\";"), "{}", p.flake());
    p.nixbench()
        .args(["flake", "input", "follow", "utils", "--yes"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "already has `inputs.nixpkgs.follows",
        ));
    p.nixbench()
        .args(["flake", "input", "remove", "utils", "--yes"])
        .assert()
        .success();
    assert_eq!(p.flake(), created);
}

#[test]
fn broken_flake_is_explained_and_never_edited() {
    let p = Project::new();
    let broken =
        "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\"\n  outputs = { self }: { };\n}\n";
    std::fs::write(p.dir.path().join("flake.nix"), broken).unwrap();
    p.nixbench()
        .args(["flake", "check"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("flake.nix:3:").and(predicate::str::contains("missing `;`")),
        );
    p.nixbench()
        .args(["flake", "add", "git", "--yes", "--no-check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not parse"));
    assert_eq!(p.flake(), broken);
    let empty = Project::new();
    empty
        .nixbench()
        .args(["flake", "add", "git", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nixbench flake init"));
}

#[test]
fn nix_flake_check_on_a_local_path_input() {
    if !require("nix") {
        return;
    }
    let p = Project::new();
    let flake = format!(
        "{{\n  inputs.mini = {{ url = \"path:{}\"; flake = false; }};\n  outputs = {{ self, mini }}: {{\n    packages.x86_64-linux.default = (import mini {{ system = \"x86_64-linux\"; }}).hello;\n  }};\n}}\n",
        fixture("nixpkgs-mini").display()
    );
    std::fs::write(p.dir.path().join("flake.nix"), flake).unwrap();
    p.nixbench()
        .args(["flake", "check"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("nix flake check: ok")
                .and(predicate::str::contains("package 'hello-2.12.1'")),
        );
}

#[test]
fn update_one_input_shows_the_lock_change_then_writes_it() {
    if !require("nix") {
        return;
    }
    let p = Project::new();
    let source = tempfile::tempdir().unwrap();
    std::fs::write(source.path().join("v"), "1\n").unwrap();
    let flake = format!(
        "{{\n  inputs.src = {{ url = \"path:{}\"; flake = false; }};\n  outputs = {{ self, src }}: {{ value = builtins.readFile \"${{src}}/v\"; }};\n}}\n",
        source.path().display()
    );
    std::fs::write(p.dir.path().join("flake.nix"), flake).unwrap();
    let status = std::process::Command::new("nix")
        .args([
            "--extra-experimental-features",
            "nix-command flakes",
            "flake",
            "lock",
        ])
        .current_dir(p.dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let lock = p.dir.path().join("flake.lock");
    let before = std::fs::read_to_string(&lock).unwrap();
    // Freshly locked: nothing to update.
    p.nixbench()
        .args(["flake", "update", "src", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("already up to date"));
    std::fs::write(source.path().join("v"), "2\n").unwrap();
    p.nixbench()
        .args(["flake", "update", "src", "--dry-run"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("src: narHash")
                .and(predicate::str::contains("+        \"narHash\"")),
        );
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap(),
        before,
        "--dry-run writes nothing"
    );
    p.nixbench()
        .args(["flake", "update", "src", "--yes"])
        .assert()
        .success();
    let after = std::fs::read_to_string(&lock).unwrap();
    assert_ne!(after, before);
    p.nixbench()
        .args(["flake", "update", "src", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("already up to date"));
    p.nixbench()
        .args(["flake", "update", "nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("inputs: src"));
}

#[test]
fn a_lock_written_by_a_newer_nix_is_explained_in_words() {
    if !require("nix") {
        return;
    }
    let p = Project::new();
    std::fs::write(
        p.dir.path().join("flake.nix"),
        "{\n  inputs.src = { url = \"https://example.invalid/x.tar.gz\"; flake = false; };\n  outputs = { self, src }: { };\n}\n",
    )
    .unwrap();
    // What Nix 2.17 and later write for a tarball input; Nix 2.8 rejects `lastModified` there.
    std::fs::write(
        p.dir.path().join("flake.lock"),
        r#"{"nodes":{"root":{"inputs":{"src":"src"}},"src":{"flake":false,"locked":{"lastModified":1700000000,"narHash":"sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","type":"tarball","url":"https://example.invalid/x.tar.gz"},"original":{"type":"tarball","url":"https://example.invalid/x.tar.gz"}}},"root":"root","version":7}"#,
    )
    .unwrap();
    let nix = nixbench::nix::detect().unwrap();
    let old_nix = (nix.version.major, nix.version.minor) < (2, 17);
    let out = p.nixbench().args(["flake", "check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if old_nix {
        assert!(
            stdout.contains("this flake.lock was written by a newer Nix than Nix"),
            "{stdout}"
        );
        assert!(stdout.contains("upgrade Nix"), "{stdout}");
    }
}
