//! `nixbench flake ...`: the command-line face of the flake editor. Every change is shown as a
//! diff, confirmed (or `--yes`), checked against the file on disk, backed up, and written atomically.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::{leave_to_exit, Context, Failure};
use crate::config::Dirs;
use crate::flake::{diff, edit, shell, templates};
use crate::workspace::{self, Workspace};

mod check;
mod update;

pub use update::lock_changes;

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

/// flake.nix as read from disk.
struct FlakeFile {
    path: PathBuf,
    text: String,
}

fn read_flake(directory: &Path) -> Result<FlakeFile, Failure> {
    let path = find_flake(directory).ok_or_else(|| {
        Failure::environment(format!(
            "no flake.nix in {} or its parents; create one with `nixbench flake init`",
            directory.display()
        ))
    })?;
    let text = std::fs::read_to_string(&path).map_err(|e| Failure::io(&path, e))?;
    Ok(FlakeFile { path, text })
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
        .map_err(|e| Failure::environment(e.to_string()))?;
    match backup {
        Some(backup) => eprintln!("updated {} (backup: {})", path.display(), backup.display()),
        None => eprintln!("created {}", path.display()),
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks a package name against the index. A miss is a warning with the nearest names, not an
/// error: the index may be stale or from another nixpkgs than the flake's.
fn check_package(context: &Context, package: &str) {
    let workspace = Workspace::open_for_index(&context.options, &context.dirs);
    let checked = workspace
        .nixpkgs
        .found
        .as_ref()
        .map(|s| s.to_string())
        .unwrap_or_else(|| "the package index".into());
    match workspace::load_searchable(&workspace) {
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
            leave_to_exit(searchable);
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
    Err(Failure::environment(format!(
        "flake.nix does not parse; fix that first (`nixbench flake check` explains it):\n{}",
        errors.join("\n")
    )))
}

/// The flake and the repository files it imports.
fn sources_for(path: &Path, text: String) -> crate::flake::eval::Sources {
    let root = path.parent().map(Path::to_path_buf);
    crate::flake::eval::Sources::new(path.to_path_buf(), text, root)
}

pub(super) fn run(command: FlakeCommand, context: &Context) -> Result<ExitCode, Failure> {
    let (options, dirs) = (&context.options, &context.dirs);
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
            let FlakeFile { path, text } = read_flake(&options.directory)?;
            parse_first(&path, &text)?;
            if !no_check {
                check_package(context, &package);
            }
            let sources = sources_for(&path, text);
            let plan = shell::plan_add(&sources, &shell, &package)?;
            apply_change(&plan.path, &plan.original, &plan.changed, write, dirs)
        }
        FlakeCommand::Remove {
            package,
            shell,
            write,
        } => {
            let FlakeFile { path, text } = read_flake(&options.directory)?;
            parse_first(&path, &text)?;
            let sources = sources_for(&path, text);
            let plan = shell::plan_remove(&sources, &shell, &package)?;
            apply_change(&plan.path, &plan.original, &plan.changed, write, dirs)
        }
        FlakeCommand::Input { command } => input(command, context),
        FlakeCommand::Check => check::run(context),
        FlakeCommand::Update { input, write } => update::run(context, &input, write),
    }
}

/// `flake input add|remove|follow`: an edit of the inputs, in the file's own style.
fn input(command: InputCommand, context: &Context) -> Result<ExitCode, Failure> {
    let flake = read_flake(&context.options.directory)?;
    let text = &flake.text;
    let (changed, write) = match command {
        InputCommand::Add {
            name,
            url,
            follows,
            write,
        } => (
            edit::add_input(text, &name, &url, follows.as_deref()),
            write,
        ),
        InputCommand::Remove { name, write } => (edit::remove_input(text, &name), write),
        InputCommand::Follow {
            name,
            input,
            to,
            write,
        } => {
            let target = to.unwrap_or_else(|| input.clone());
            (edit::add_follows(text, &name, &input, &target), write)
        }
    };
    apply_change(&flake.path, text, &changed?, write, &context.dirs)
}
