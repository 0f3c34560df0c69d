//! Build logs as real Nix writes them: the logs nix-output-monitor's authors recorded
//! (`../shared/real/buildlogs`), recordings of the installed Nix, and the same assertions on a live
//! build and on its recording, for both log formats.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::{fixture, require, strict};

fn nixbench() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("nixbench").unwrap();
    let state = tempfile::tempdir().unwrap().keep();
    cmd.env("NO_COLOR", "1")
        .env("XDG_STATE_HOME", state.join("state"))
        .env("XDG_CACHE_HOME", state.join("cache"))
        .env("XDG_CONFIG_HOME", state.join("config"));
    cmd
}

fn real_logs() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real/buildlogs");
    if dir.join("expected.json").exists() {
        return Some(dir);
    }
    assert!(!strict(), "{} is missing", dir.display());
    eprintln!("skipping: {} is missing", dir.display());
    None
}

/// `watch LOG --json-summary`: stdout is exactly one JSON object.
fn summary_of(log: &Path, plain: bool) -> (i32, Value) {
    let mut cmd = nixbench();
    cmd.args(["watch", "--no-follow", "--json-summary"]);
    if plain {
        cmd.arg("--plain");
    }
    let out = cmd.arg(log).output().unwrap();
    let summary = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout of watch {} --json-summary is not one JSON object ({e}):\n{}",
            log.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), summary)
}

fn status_of<'a>(summary: &'a Value, drv: &str) -> &'a str {
    summary["derivations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["drv_path"] == drv)
        .and_then(|d| d["status"].as_str())
        .unwrap_or("absent")
}

/// Every fact `expected.json` reads off each log, for every log in the corpus.
#[test]
fn real_logs_summarise_as_nix_ran_them() {
    let Some(dir) = real_logs() else { return };
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    for (name, entry) in expected.as_object().unwrap() {
        let e = &entry["expected"];
        let (code, s) = summary_of(&dir.join(name), true);
        assert_eq!(s["version"], 1, "{name}");
        assert_eq!(code as i64, e["exit"].as_i64().unwrap(), "{name}: {s:#}");
        for key in ["success", "built", "failed", "substituted"] {
            assert_eq!(s[key], e[key], "{name}: {key}");
        }
        let mut failed: Vec<&str> = s["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["drv_path"].as_str().unwrap())
            .collect();
        failed.sort();
        assert_eq!(serde_json::json!(failed), e["failed_drvs"], "{name}");
        for drv in e["built_drvs"].as_array().unwrap() {
            assert_eq!(
                status_of(&s, drv.as_str().unwrap()),
                "built",
                "{name}: {drv}"
            );
        }
        for drv in e["interrupted_drvs"].as_array().unwrap() {
            assert_eq!(
                status_of(&s, drv.as_str().unwrap()),
                "cancelled",
                "{name}: {drv}"
            );
        }
        for drv in e["planned_never_started"].as_array().unwrap() {
            assert_eq!(
                status_of(&s, drv.as_str().unwrap()),
                "planned-not-started",
                "{name}"
            );
            assert!(s["dependents_not_built"].as_array().unwrap().contains(drv));
        }
        for (drv_name, host) in e["hosts"].as_object().unwrap() {
            let drv = s["derivations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["name"] == drv_name.as_str())
                .unwrap();
            assert_eq!(drv["host"], *host, "{name}");
        }
    }
}

/// Level-0 `linking ... to /nix/store/.links` lines of auto-optimise-store (recorded by
/// nix-output-monitor's authors) are shown, not counted as errors.
#[test]
fn store_optimisation_messages_are_not_errors() {
    let Some(dir) = real_logs() else { return };
    let log = dir.join("standard-json-cc59a45.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let linking = text
        .lines()
        .find(|l| l.contains("\"level\":0") && l.contains("/nix/store/.links"))
        .expect("the recording has level-0 linking lines");
    let mut state = nixbench::build_log::BuildState::new(10);
    state.apply(nixbench::build_log::parse_line(linking), 0.0);
    assert!(state.errors.is_empty());
    assert!(state.is_success());
    let (code, s) = summary_of(&log, true);
    assert_eq!(code, 0);
    assert_eq!(s["errors"], serde_json::json!([]));
}

/// Nix 2.8 retrying an unreachable substituter (`warning: error: unable to download ...`), recorded
/// by scripts/record-fixtures, in both formats: a warning, and the build succeeds.
#[test]
fn substituter_errors_nix_recovers_from_are_warnings() {
    for (file, plain) in [
        (
            "golden/nix-2.8.0/build-unreachable-substituter.internal-json",
            false,
        ),
        ("golden/nix-2.8.0/build-unreachable-substituter.plain", true),
    ] {
        let log = fixture(file);
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.contains("warning: error: unable to download")
                || text.contains("\\u001b[35;1mwarning:\\u001b[0m \\u001b[31;1merror:")
        );
        let (code, s) = summary_of(&log, plain);
        assert_eq!(code, 0, "{file}: {s:#}");
        assert_eq!(s["success"], true);
        assert_eq!(s["built"], 1, "{file}");
        assert_eq!(s["errors"], serde_json::json!([]));
        assert!(!s["warnings"].as_array().unwrap().is_empty());
    }
}

/// SQLite busy retries, as quoted from a real Nix session in NixOS/nix#1203, are warnings; the
/// same text at error level without `error:` (older Nix) is a notice.
#[test]
fn sqlite_busy_retries_are_not_errors() {
    let quoted = "warning: SQLite database '/nix/var/nix/db/db.sqlite' is busy (SQLITE_PROTOCOL)";
    let mut state = nixbench::build_log::BuildState::new(10);
    state.apply(nixbench::build_log::parse_line(quoted), 0.0);
    let line = format!(
        "@nix {}",
        serde_json::json!({"action": "msg", "level": 0, "msg": quoted.trim_start_matches("warning: ")})
    );
    state.apply(nixbench::build_log::parse_line(&line), 0.0);
    assert!(state.errors.is_empty());
    assert_eq!(state.warnings.len(), 1);
    state.finish(1.0);
    assert!(state.summary().success);
}

/// nix-output-monitor's own fail scenario, recorded as plain Nix 2.3 output: the builder failure,
/// the killed build and the waiting one; `error: build of ...` names goals, not culprits.
#[test]
fn old_style_failure_names_goals_not_culprits() {
    let lines = [
        "these 3 derivations will be built:",
        "  /nix/store/ngp61r4mb986d14cmnlz4ln9yyyk76sr-build-long.drv",
        "  /nix/store/ppv7ng39r8bxfdh9m3xsw3qf8s58pkfg-build-fail.drv",
        "  /nix/store/nynf9h9crljsyh1z98bmq6m0vz65x82q-build-waiting.drv",
        "building '/nix/store/ppv7ng39r8bxfdh9m3xsw3qf8s58pkfg-build-fail.drv'...",
        "building '/nix/store/ngp61r4mb986d14cmnlz4ln9yyyk76sr-build-long.drv'...",
        "error: builder for '/nix/store/ppv7ng39r8bxfdh9m3xsw3qf8s58pkfg-build-fail.drv' failed with exit code 1",
        "error: build of '/nix/store/ngp61r4mb986d14cmnlz4ln9yyyk76sr-build-long.drv', '/nix/store/nynf9h9crljsyh1z98bmq6m0vz65x82q-build-waiting.drv', '/nix/store/ppv7ng39r8bxfdh9m3xsw3qf8s58pkfg-build-fail.drv' failed",
    ];
    let mut state = nixbench::build_log::BuildState::new(10);
    for line in lines {
        state.apply(nixbench::build_log::parse_line(line), 0.0);
    }
    state.finish(1.0);
    let s = state.summary();
    assert_eq!((s.built, s.failed, s.cancelled), (0, 1, 1));
    assert!(!s.success);
    assert_eq!(s.dependents_not_built.len(), 1);
    assert!(s.dependents_not_built[0].ends_with("build-waiting.drv"));
}

/// `--json-summary` writes only JSON to stdout, for every log the suite uses.
#[test]
fn json_summary_is_the_whole_stdout() {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(fixture("golden/nix-2.8.0"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".internal-json") || name.ends_with(".plain")
        })
        .collect();
    if let Some(dir) = real_logs() {
        logs.extend(
            std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "log")),
        );
    }
    for log in &logs {
        for plain in [false, true] {
            let (code, s) = summary_of(log, plain);
            assert!(code == 0 || code == 1, "{}", log.display());
            assert_eq!(s["version"], 1);
        }
        let piped = python_json_tool(log);
        assert!(piped, "python3 -m json.tool rejects {}", log.display());
    }
}

fn python_json_tool(log: &Path) -> bool {
    if nixbench::nix::find_on_path("python3").is_none() {
        return true;
    }
    let out = nixbench()
        .args(["watch", "--no-follow", "--json-summary"])
        .arg(log)
        .output()
        .unwrap();
    let mut tool = Command::new("python3")
        .args(["-m", "json.tool"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    tool.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    tool.wait().unwrap().success()
}

/// The fail scenario (tests/fixtures/build-scenarios/fail.nix): one builder fails after a second
/// while another build sleeps; a third needs both. The same assertions hold for a live build and for its recording, in both formats.
fn assert_fail_scenario(s: &Value, what: &str) {
    assert_eq!(s["success"], false, "{what}: {s:#}");
    assert_eq!(s["failed"], 1, "{what}");
    assert_eq!(s["built"], 0, "{what}: {s:#}");
    assert_eq!(
        s["failures"][0]["name"].as_str().unwrap(),
        "nb-fail",
        "{what}"
    );
    let status = |name: &str| {
        s["derivations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"].as_str().unwrap().starts_with(name))
            .map(|d| d["status"].as_str().unwrap().to_string())
    };
    assert_eq!(
        status("nb-long").as_deref(),
        Some("cancelled"),
        "{what}: {s:#}"
    );
    let waiting = status("nb-waiting");
    assert!(
        matches!(
            waiting.as_deref(),
            Some("planned-not-started" | "dependency-failed")
        ),
        "{what}: {waiting:?}"
    );
    assert!(
        s["dependents_not_built"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d.as_str().unwrap().ends_with("nb-waiting.drv")),
        "{what}"
    );
}

#[test]
fn fail_scenario_live_and_recorded() {
    for (format, plain) in [("internal-json", false), ("bar-with-logs", true)] {
        let recorded = fixture(&format!(
            "golden/nix-2.8.0/fail-scenario.{}",
            if plain { "plain" } else { "internal-json" }
        ));
        let (code, s) = summary_of(&recorded, plain);
        assert_eq!(code, 1);
        assert_fail_scenario(&s, &format!("recorded {format}"));
        if !require("nix") {
            continue;
        }
        let file = fixture("build-scenarios/fail.nix");
        let seed = format!("{:?}", std::time::SystemTime::now());
        let out = nixbench()
            .args(["build", "--plain", "--json-summary", "-f"])
            .arg(&file)
            .args(["--argstr", "seed", &seed, "--option", "substituters", ""])
            .args(["--max-jobs", "2", "--log-format", format, "-L"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let s: Value = serde_json::from_slice(&out.stdout).expect("only JSON on stdout");
        assert_fail_scenario(&s, &format!("live {format}"));
    }
}
