//! The error explainer against messages produced by the installed Nix in the test itself (not typed
//! by hand), one per kind that Nix 2.8 can produce.

use std::path::Path;
use std::process::Command;

use crate::{fixture, require, stdout_json};

/// Runs a command and returns what it printed on stderr; it must fail.
fn nix_error(program: &str, args: &[&str], dir: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("NIX_CONFIG", "substituters =")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "{program} {args:?} was expected to fail"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn explain(input: &str) -> serde_json::Value {
    stdout_json(
        assert_cmd::Command::cargo_bin("nixbench")
            .unwrap()
            .args(["explain", "--json", "--nixpkgs"])
            .arg(fixture("nixpkgs-mini"))
            .write_stdin(input.to_string()),
    )
}

#[test]
fn explains_errors_from_real_nix() {
    if !require("nix") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fx = fixture("nixpkgs-mini");

    let missing = nix_error(
        "nix-instantiate",
        &[
            "--eval",
            "-E",
            &format!("(import {} {{ }}).ripgrp", fx.display()),
        ],
        d,
    );
    let e = explain(&missing);
    assert_eq!(e[0]["kind"], "attribute-missing", "{missing}");
    assert!(
        e[0]["meaning"].as_str().unwrap().contains("ripgrep"),
        "near names: {e}"
    );

    let recursion = nix_error(
        "nix-instantiate",
        &["--eval", "-E", "let x = x + 1; in x"],
        d,
    );
    assert_eq!(
        explain(&recursion)[0]["kind"],
        "infinite-recursion",
        "{recursion}"
    );

    let undefined = nix_error(
        "nix-instantiate",
        &["--eval", "-E", "{ a = pkgz.hello; }.a"],
        d,
    );
    let e = explain(&undefined);
    assert_eq!(e[0]["kind"], "undefined-variable", "{undefined}");
    assert!(e[0]["title"].as_str().unwrap().contains("pkgz"));

    let fod = r#"derivation { name = "fod"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo hi > $out" ]; outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "0000000000000000000000000000000000000000000000000000"; }"#;
    let mismatch = nix_error("nix-build", &["--no-out-link", "-E", fod], d);
    let e = explain(&mismatch);
    assert_eq!(e[0]["kind"], "hash-mismatch", "{mismatch}");
    let got = mismatch
        .lines()
        .find_map(|l| l.trim().strip_prefix("got:"))
        .unwrap()
        .trim();
    assert!(
        e[0]["fix"].as_str().unwrap().contains(got),
        "the fix names the new hash: {e}"
    );

    let disabled = nix_error(
        "nix",
        &["--experimental-features", "", "eval", "--expr", "1"],
        d,
    );
    assert_eq!(
        explain(&disabled)[0]["kind"],
        "experimental-feature-disabled",
        "{disabled}"
    );

    // Two packages with the same file in one profile.
    std::fs::write(
        d.join("collide.nix"),
        r#"let mk = name: derivation { inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "/bin/mkdir -p $out/bin && echo x > $out/bin/tool" ]; }; in { a = mk "tool-a"; b = mk "tool-b"; }"#,
    )
    .unwrap();
    let profile = d.join("profile");
    let collision = nix_error(
        "nix-env",
        &[
            "-p",
            profile.to_str().unwrap(),
            "-f",
            "collide.nix",
            "-iA",
            "a",
            "b",
        ],
        d,
    );
    assert_eq!(
        explain(&collision)[0]["kind"],
        "file-collision",
        "{collision}"
    );

    // A flake that imports a file git does not track.
    if require("git") {
        let flake = d.join("flake");
        std::fs::create_dir(&flake).unwrap();
        std::fs::write(
            flake.join("flake.nix"),
            "{ outputs = { self }: { value = import ./other.nix; }; }\n",
        )
        .unwrap();
        std::fs::write(flake.join("other.nix"), "42\n").unwrap();
        for args in [&["init", "-q"][..], &["add", "flake.nix"][..]] {
            assert!(Command::new("git")
                .args(args)
                .current_dir(&flake)
                .status()
                .unwrap()
                .success());
        }
        let untracked = nix_error(
            "nix",
            &[
                "--extra-experimental-features",
                "nix-command flakes",
                "eval",
                ".#value",
            ],
            &flake,
        );
        let e = explain(&untracked);
        assert_eq!(e[0]["kind"], "untracked-file", "{untracked}");
        assert!(
            e[0]["fix"].as_str().unwrap().contains("git add other.nix"),
            "{e}"
        );
    }
}

#[test]
fn unknown_input_is_exit_1() {
    assert_cmd::Command::cargo_bin("nixbench")
        .unwrap()
        .arg("explain")
        .write_stdin("everything is fine\n")
        .assert()
        .code(1);
}
