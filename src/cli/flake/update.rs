//! `nixbench flake update INPUT`: the lock change in words and as a diff, written when confirmed.

use std::path::Path;
use std::process::ExitCode;

use super::{apply_change, read_flake, WriteFlags};
use crate::cli::{Context, Failure};

/// What changed for each locked node between two lock files, in words.
pub fn lock_changes(old: &str, new: &str) -> Vec<String> {
    let parse =
        |text: &str| -> serde_json::Value { serde_json::from_str(text).unwrap_or_default() };
    let (old, new) = (parse(old), parse(new));
    let empty = serde_json::Map::new();
    let nodes = |v: &serde_json::Value| {
        v.get("nodes")
            .and_then(|n| n.as_object())
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };
    let (old_nodes, new_nodes) = (nodes(&old), nodes(&new));
    let short = |v: Option<&serde_json::Value>, n: usize| -> String {
        v.and_then(|v| {
            v.as_str()
                .map(|s| s.chars().take(n).collect())
                .or_else(|| v.as_i64().map(date))
        })
        .unwrap_or_else(|| "-".into())
    };
    let mut changes = Vec::new();
    for (name, node) in &new_nodes {
        let (Some(new_locked), old_locked) = (
            node.get("locked"),
            old_nodes.get(name).and_then(|n| n.get("locked")),
        ) else {
            continue;
        };
        match old_locked {
            None => changes.push(format!(
                "{name}: added, {}",
                short(new_locked.get("rev").or(new_locked.get("narHash")), 16)
            )),
            Some(old_locked) if old_locked != new_locked => {
                let mut parts = Vec::new();
                for (field, width) in [("rev", 12), ("narHash", 20), ("lastModified", 0)] {
                    let (a, b) = (old_locked.get(field), new_locked.get(field));
                    if a != b {
                        parts.push(format!(
                            "{field} {} -> {}",
                            short(a, width.max(10)),
                            short(b, width.max(10))
                        ));
                    }
                }
                changes.push(format!("{name}: {}", parts.join(", ")));
            }
            _ => {}
        }
    }
    for name in old_nodes.keys().filter(|n| !new_nodes.contains_key(*n)) {
        changes.push(format!("{name}: removed"));
    }
    changes
}

fn date(unix: i64) -> String {
    // Days since the epoch to a calendar date (proleptic Gregorian), no time zone.
    let days = unix.div_euclid(86_400);
    let (z, era_day) = (days + 719_468, 146_097);
    let era = z.div_euclid(era_day);
    let doe = z - era * era_day;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `nixbench flake update INPUT`: asks Nix for the updated lock without writing it, shows the
/// change, and writes flake.lock only when confirmed.
pub(super) fn run(context: &Context, input: &str, write: WriteFlags) -> Result<ExitCode, Failure> {
    let flake_path = read_flake(&context.options.directory)?.path;
    let dir = flake_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let lock_path = dir.join("flake.lock");
    let old = std::fs::read_to_string(&lock_path).map_err(|_| {
        Failure::environment(format!(
            "no flake.lock in {}: create it with `nix flake lock`",
            dir.display()
        ))
    })?;
    let inputs = root_inputs(&old);
    if !inputs.iter().any(|i| i == input) {
        return Err(Failure::not_found(format!(
            "flake.lock has no input `{input}`; inputs: {}",
            inputs.join(", ")
        )));
    }
    let new = updated_lock(&dir, input)?;
    let changes = lock_changes(&old, &new);
    if changes.is_empty() {
        println!("{input} is already up to date");
        return Ok(ExitCode::SUCCESS);
    }
    for change in &changes {
        println!("{change}");
    }
    println!();
    apply_change(&lock_path, &old, &new, write, &context.dirs)
}

/// The names of the root's inputs in a flake.lock.
fn root_inputs(lock: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(lock)
        .ok()
        .and_then(|lock| {
            let root = lock.get("root")?.as_str()?.to_string();
            Some(
                lock.get("nodes")?
                    .get(&root)?
                    .get("inputs")?
                    .as_object()?
                    .keys()
                    .cloned()
                    .collect(),
            )
        })
        .unwrap_or_default()
}

/// The lock Nix would write with `input` updated, asked without writing it.
fn updated_lock(dir: &Path, input: &str) -> Result<String, Failure> {
    let nix = crate::nix::detect().map_err(Failure::nix_unusable)?;
    let mut args: Vec<std::ffi::OsString> = [
        "flake",
        "metadata",
        "--json",
        "--no-write-lock-file",
        "--update-input",
        input,
    ]
    .map(Into::into)
    .to_vec();
    args.extend(nix.common_args());
    let json = crate::nix::run_blocking(&nix.program, &args, Some(dir)).map_err(|e| {
        let words = match &e {
            crate::nix::NixError::Failed { stderr, .. } => {
                crate::flake::lock::explain_newer_lock(stderr)
            }
            _ => None,
        };
        // Whatever stopped Nix, the update asked for failed.
        Failure::failed(match words {
            Some(words) => format!("{words}\n{e}"),
            None => e.to_string(),
        })
    })?;
    let metadata: serde_json::Value = serde_json::from_slice(&json)
        .map_err(|e| Failure::environment(format!("nix flake metadata: {e}")))?;
    let locks = metadata
        .get("locks")
        .ok_or_else(|| Failure::environment("nix flake metadata printed no lock"))?;
    let text =
        serde_json::to_string_pretty(locks).map_err(|e| Failure::environment(e.to_string()))?;
    Ok(text + "\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_and_lock_changes() {
        assert_eq!(super::date(0), "1970-01-01");
        assert_eq!(super::date(1_732_014_248), "2024-11-19");
        let old = r#"{"nodes":{"root":{"inputs":{"nixpkgs":"nixpkgs"}},"nixpkgs":{"locked":{"rev":"23e89b7da85c3640bbc2","lastModified":1732014248,"narHash":"sha256-a"}}},"root":"root","version":7}"#;
        let new = old
            .replace("23e89b7da85c3640bbc2", "a04d33c0c3f1a59a2c1c")
            .replace("1732014248", "1733000000");
        let changes = super::lock_changes(old, &new);
        assert_eq!(
            changes,
            vec![
                "nixpkgs: rev 23e89b7da85c -> a04d33c0c3f1, lastModified 2024-11-19 -> 2024-11-30"
                    .to_string()
            ]
        );
        assert!(super::lock_changes(old, old).is_empty());
    }
}
