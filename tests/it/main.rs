//! nixbench's integration tests: one crate, one binary.

mod app_loop;
mod build_logs;
mod cli;
mod e2e;
mod explain;
mod flake;
mod real_flakes;
mod real_lib;
mod real_nix;
mod snapshots;
mod ssh;

use std::path::PathBuf;

pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// Runs `command`, expects it to succeed, and reads its stdout as JSON.
pub fn stdout_json(command: &mut assert_cmd::Command) -> serde_json::Value {
    let out = command.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out)
        )
    })
}

/// True when the suite must not skip tests that need outside tools (set by scripts/test and CI).
pub fn strict() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("NIXBENCH_STRICT").is_some()
}

/// Whether a program is on PATH; under CI a missing one fails the test instead of skipping it.
pub fn require(program: &str) -> bool {
    let found = nixbench::nix::find_on_path(program).is_some();
    if !found {
        assert!(
            !strict(),
            "{program} is required under CI but is not installed (scripts/test installs it)"
        );
        eprintln!("skipping: {program} not installed");
    }
    found
}

/// A copy of a fixture tree at `into`, made a git checkout with one commit (as a nixpkgs clone).
pub fn git_checkout_of(fixture_name: &str, into: &std::path::Path) {
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(fixture(fixture_name))
        .arg(into)
        .status()
        .unwrap();
    assert!(copied.success());
    for args in [
        &["init", "-q", "."][..],
        &["add", "-A"],
        &["commit", "-qm", "tree"],
    ] {
        let status = std::process::Command::new("git")
            .current_dir(into)
            .args(["-c", "user.email=t@localhost", "-c", "user.name=t"])
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }
}

/// Bumps greeter's version in a copy of nixpkgs-mini, as an uncommitted edit would.
pub fn edit_greeter_version(tree: &std::path::Path, version: &str) {
    let package = tree.join("pkgs/by-name/gr/greeter/package.nix");
    let text = std::fs::read_to_string(&package).unwrap();
    let edited = text.replace("version = \"1.0.0\";", &format!("version = \"{version}\";"));
    assert_ne!(edited, text);
    std::fs::write(&package, edited).unwrap();
}
