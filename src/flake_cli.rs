//! `nixbench flake ...`: the command-line face of the flake editor. Every change is shown as a
//! diff, confirmed (or `--yes`), checked against the file on disk, backed up, and written atomically.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::Failure;
use crate::config::Dirs;
use crate::flake::{diff, edit, shell, templates};
use crate::workspace::{OpenOptions, Workspace};

#[derive(Subcommand, Debug)]
pub enum FlakeCommand {
    /// Create flake.nix with a dev shell for a stack: plain, rust, python, node, go, c.
    Init {
        #[arg(long, default_value = "plain")]
        template: String,
        #[command(flatten)]
        write: WriteFlags,
    },
    /// Add a package to a dev shell.
    Add {
        package: String,
        /// The dev shell (`devShells.<system>.NAME`).
        #[arg(long, default_value = "default")]
        shell: String,
        /// Skip checking the name against the package index (a name missing there is only a warning).
        #[arg(long)]
        no_check: bool,
        #[command(flatten)]
        write: WriteFlags,
    },
    /// Remove a package from a dev shell.
    Remove {
        package: String,
        #[arg(long, default_value = "default")]
        shell: String,
        #[command(flatten)]
        write: WriteFlags,
    },
    /// Add or remove a flake input.
    Input {
        #[command(subcommand)]
        command: InputCommand,
    },
    /// Parse flake.nix and explain problems, then run `nix flake check` and `nix flake show`.
    Check,
    /// Update one input in flake.lock, showing what changes first.
    Update {
        input: String,
        #[command(flatten)]
        write: WriteFlags,
    },
}

#[derive(Subcommand, Debug)]
pub enum InputCommand {
    /// Add an input: `nixbench flake input add NAME URL [--follows nixpkgs]`.
    Add {
        name: String,
        url: String,
        /// Make the input's own nixpkgs follow yours.
        #[arg(long, value_name = "INPUT")]
        follows: Option<String>,
        #[command(flatten)]
        write: WriteFlags,
    },
    /// Remove an input.
    Remove {
        name: String,
        #[command(flatten)]
        write: WriteFlags,
    },
    /// Make an input's own input follow one of yours: `nixbench flake input follow NAME`
    /// writes `NAME.inputs.nixpkgs.follows = "nixpkgs";`.
    Follow {
        name: String,
        /// The input of NAME to replace.
        #[arg(long, default_value = "nixpkgs")]
        input: String,
        /// Your input it follows (default: the same name as --input).
        #[arg(long, value_name = "INPUT")]
        to: Option<String>,
        #[command(flatten)]
        write: WriteFlags,
    },
}

#[derive(clap::Args, Debug, Clone, Copy)]
pub struct WriteFlags {
    /// Print the diff and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply without asking (for scripts).
    #[arg(long)]
    pub yes: bool,
}

fn find_flake(directory: &Path) -> Option<PathBuf> {
    directory
        .ancestors()
        .map(|d| d.join("flake.nix"))
        .find(|p| p.is_file())
}

fn read_flake(directory: &Path) -> Result<(PathBuf, String), Failure> {
    let path = find_flake(directory).ok_or_else(|| {
        Failure::usage(format!(
            "no flake.nix in {} or its parents; create one with `nixbench flake init`",
            directory.display()
        ))
    })?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    Ok((path, text))
}

fn edit_failure(err: edit::EditError) -> Failure {
    let code = match err {
        edit::EditError::AlreadyPresent { .. }
        | edit::EditError::NotPresent { .. }
        | edit::EditError::InputExists(_)
        | edit::EditError::FollowsExists { .. }
        | edit::EditError::NoInput(_) => 1,
        _ => 2,
    };
    Failure {
        code,
        message: err.to_string(),
    }
}

/// Shows the diff, asks, and writes safely.
fn apply_change(
    path: &Path,
    original: &str,
    changed: &str,
    flags: WriteFlags,
    dirs: &Dirs,
) -> Result<ExitCode, Failure> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "flake.nix".into());
    let patch = diff::unified(
        original,
        changed,
        &format!("a/{name}"),
        &format!("b/{name}"),
        3,
    );
    print!("{patch}");
    if flags.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    if !flags.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::usage("not applied: pass --yes to apply without asking, or --dry-run to only show the diff"));
        }
        eprint!("Apply this change to {}? [y/N] ", path.display());
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("nothing changed");
            return Ok(ExitCode::from(1));
        }
    }
    let backup = crate::flake::write::safe_write(path, original, changed, &dirs.backups())
        .map_err(|e| Failure::usage(e.to_string()))?;
    match backup {
        Some(backup) => eprintln!("updated {} (backup: {})", path.display(), backup.display()),
        None => eprintln!("created {}", path.display()),
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks a package name against the index. A miss is a warning with the nearest names, not an
/// error: the index may be stale or from another nixpkgs than the flake's.
fn check_package(options: &OpenOptions, dirs: &Dirs, package: &str) {
    let workspace = Workspace::open_for_index(options, dirs);
    let checked = workspace
        .nixpkgs
        .found
        .as_ref()
        .map(|s| s.to_string())
        .unwrap_or_else(|| "the package index".into());
    match crate::workspace::load_searchable(&workspace) {
        Ok(searchable) => {
            if searchable.get(package).is_none() {
                let near = searchable.nearest(package, 5);
                eprintln!(
                    "nixbench: warning: `{package}` is not a package in {checked}{}; adding it anyway \
                     (the index may be stale, or the flake may use another nixpkgs)",
                    if near.is_empty() {
                        String::new()
                    } else {
                        format!(". Nearest: {}", near.join(", "))
                    }
                );
            }
            std::mem::forget(searchable);
        }
        Err(_) => eprintln!("nixbench: could not check `{package}` against nixpkgs (none found here; pass --nixpkgs PATH to check)"),
    }
}

/// flake.nix's parse errors with file:line:col, before anything else is looked at.
fn parse_first(path: &Path, text: &str) -> Result<(), Failure> {
    let flake = crate::flake::Flake::parse(text.to_string());
    let errors: Vec<String> = flake
        .diagnostics
        .iter()
        .filter(|d| {
            !d.message.contains("has no `outputs`")
                && !d.message.contains("must be an attribute set")
        })
        .map(|d| format!("{}:{}:{}: {}", path.display(), d.line, d.column, d.message))
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "flake.nix does not parse; fix that first (`nixbench flake check` explains it):\n{}",
        errors.join("\n")
    )))
}

/// The flake and the repository files it imports.
fn sources_for(path: &Path, text: String) -> crate::flake::eval::Sources {
    let root = path.parent().map(Path::to_path_buf);
    crate::flake::eval::Sources::new(path.to_path_buf(), text, root)
}

pub fn run(command: FlakeCommand, options: &OpenOptions, dirs: &Dirs) -> Result<ExitCode, Failure> {
    match command {
        FlakeCommand::Init { template, write } => {
            let text = templates::get(&template).ok_or_else(|| {
                Failure::usage(format!(
                    "unknown template `{template}`; templates: {}",
                    templates::names().join(", ")
                ))
            })?;
            let path = options.directory.join("flake.nix");
            if path.exists() {
                return Err(Failure::usage(format!("{} already exists; change it with `nixbench flake add` and `nixbench flake input add`", path.display())));
            }
            apply_change(&path, "", text, write, dirs)
        }
        FlakeCommand::Add {
            package,
            shell,
            no_check,
            write,
        } => {
            let (path, text) = read_flake(&options.directory)?;
            parse_first(&path, &text)?;
            if !no_check {
                check_package(options, dirs, &package);
            }
            let sources = sources_for(&path, text);
            let plan = shell::plan_add(&sources, &shell, &package).map_err(edit_failure)?;
            apply_change(&plan.path, &plan.original, &plan.changed, write, dirs)
        }
        FlakeCommand::Remove {
            package,
            shell,
            write,
        } => {
            let (path, text) = read_flake(&options.directory)?;
            parse_first(&path, &text)?;
            let sources = sources_for(&path, text);
            let plan = shell::plan_remove(&sources, &shell, &package).map_err(edit_failure)?;
            apply_change(&plan.path, &plan.original, &plan.changed, write, dirs)
        }
        FlakeCommand::Input { command } => {
            let (path, text) = read_flake(&options.directory)?;
            let (changed, write) = match command {
                InputCommand::Add {
                    name,
                    url,
                    follows,
                    write,
                } => (
                    edit::add_input(&text, &name, &url, follows.as_deref()),
                    write,
                ),
                InputCommand::Remove { name, write } => (edit::remove_input(&text, &name), write),
                InputCommand::Follow {
                    name,
                    input,
                    to,
                    write,
                } => {
                    let target = to.unwrap_or_else(|| input.clone());
                    (edit::add_follows(&text, &name, &input, &target), write)
                }
            };
            apply_change(&path, &text, &changed.map_err(edit_failure)?, write, dirs)
        }
        FlakeCommand::Check => check(options),
        FlakeCommand::Update { input, write } => update(options, dirs, &input, write),
    }
}

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
fn update(
    options: &OpenOptions,
    dirs: &Dirs,
    input: &str,
    write: WriteFlags,
) -> Result<ExitCode, Failure> {
    let (flake_path, _) = read_flake(&options.directory)?;
    let dir = flake_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let lock_path = dir.join("flake.lock");
    let old = std::fs::read_to_string(&lock_path).map_err(|_| {
        Failure::usage(format!(
            "no flake.lock in {}: create it with `nix flake lock`",
            dir.display()
        ))
    })?;
    let inputs: Vec<String> = serde_json::from_str::<serde_json::Value>(&old)
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
        .unwrap_or_default();
    if !inputs.iter().any(|i| i == input) {
        return Err(Failure::not_found(format!(
            "flake.lock has no input `{input}`; inputs: {}",
            inputs.join(", ")
        )));
    }
    let nix = crate::nix::detect().map_err(|e| Failure::usage(e.to_string()))?;
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
    let json = crate::nix::run_blocking(&nix.program, &args, Some(&dir)).map_err(|e| {
        let words = match &e {
            crate::nix::NixError::Failed { stderr, .. } => {
                crate::flake::lock::explain_newer_lock(stderr)
            }
            _ => None,
        };
        Failure {
            code: 1,
            message: match words {
                Some(words) => format!("{words}\n{e}"),
                None => e.to_string(),
            },
        }
    })?;
    let metadata: serde_json::Value = serde_json::from_slice(&json)
        .map_err(|e| Failure::usage(format!("nix flake metadata: {e}")))?;
    let locks = metadata
        .get("locks")
        .ok_or_else(|| Failure::usage("nix flake metadata printed no lock"))?;
    let new =
        serde_json::to_string_pretty(locks).map_err(|e| Failure::usage(e.to_string()))? + "\n";
    let changes = lock_changes(&old, &new);
    if changes.is_empty() {
        println!("{input} is already up to date");
        return Ok(ExitCode::SUCCESS);
    }
    for change in &changes {
        println!("{change}");
    }
    println!();
    apply_change(&lock_path, &old, &new, write, dirs)
}

/// Says so before running Nix when flake.lock holds what only a newer Nix than the installed one
/// reads (Nix's own error for it names `lastModified` and nothing else).
fn warn_newer_lock(dir: &Path, nix: &crate::nix::NixInfo) {
    let Ok(lock) = std::fs::read_to_string(dir.join("flake.lock")) else {
        return;
    };
    let old_nix =
        (nix.version.major, nix.version.minor) < (2, 17) && nix.flavour == crate::nix::Flavour::Nix;
    if let Some(what) = crate::flake::lock::newer_nix_features(&lock).filter(|_| old_nix) {
        println!(
            "warning: {}",
            crate::flake::lock::newer_nix_message(&what, Some(&nix.to_string()))
        );
    }
}

/// Parse diagnostics in plain words, then Nix's own checks with their output made readable.
fn check(options: &OpenOptions) -> Result<ExitCode, Failure> {
    let (path, text) = read_flake(&options.directory)?;
    let flake = crate::flake::Flake::parse(text);
    if !flake.diagnostics.is_empty() {
        for d in &flake.diagnostics {
            println!("{}:{}:{}: {}", path.display(), d.line, d.column, d.message);
        }
        return Ok(ExitCode::from(1));
    }
    println!(
        "{}: parses; {} inputs ({})",
        path.display(),
        flake.inputs.len(),
        flake
            .inputs
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let nix = crate::nix::detect().map_err(|e| Failure::usage(e.to_string()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    warn_newer_lock(dir, &nix);
    let mut failed = false;
    for sub in [&["flake", "check"][..], &["flake", "show"][..]] {
        let mut args: Vec<std::ffi::OsString> = sub.iter().map(Into::into).collect();
        args.extend(nix.common_args());
        match crate::nix::run_blocking(&nix.program, &args, Some(dir)) {
            Ok(out) => {
                println!("nix {}: ok", sub.join(" "));
                let shown = crate::build_log::strip_ansi(&String::from_utf8_lossy(&out));
                for line in shown.lines() {
                    println!("  {line}");
                }
            }
            Err(crate::nix::NixError::Failed { stderr, .. }) => {
                failed = true;
                println!("nix {}: failed", sub.join(" "));
                // Nix repeats a failing download with "retrying in N ms"; one line says it.
                let text = crate::build_log::strip_ansi(&stderr);
                let retries = text.lines().filter(|l| l.contains("retrying in")).count();
                for line in text
                    .lines()
                    .filter(|l| !l.trim().is_empty() && !l.contains("retrying in"))
                {
                    println!("  {line}");
                }
                if retries > 0 {
                    println!("  ({retries} retries of a download were left out: is the network reachable?)");
                }
                let explanations = crate::explain::explain(&text, &|_| Vec::new());
                if !explanations.is_empty() {
                    print!("{}", crate::explain::render(&explanations));
                }
            }
            Err(err) => return Err(Failure::usage(err.to_string())),
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
