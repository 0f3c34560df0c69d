//! Command-line interface: the clap types, the dispatch, and [`Failure`]. Each subcommand lives in
//! its own file with its text and JSON printers.
//! Exit codes: 0 ok, 1 the thing asked for failed (not found, build failed), 2 usage or environment.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::config::Dirs;
use crate::workspace::OpenOptions;

mod doc;
mod explain;
mod failure;
mod flake;
mod index;
mod search;
mod searchable;
mod tui;
mod watch;
mod why;

pub use failure::Failure;
pub use flake::lock_changes;
pub use searchable::EXIT_NIXPKGS_MISSING;

#[derive(Parser, Debug)]
#[command(
    name = "nixbench",
    about = "A terminal workbench for Nix projects: packages, dependency graphs, live builds, flakes"
)]
pub struct Cli {
    /// Open the embedded demo workspace instead of the project.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Colour theme: dark, light, high-contrast, mono.
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// The nixpkgs tree to index and search.
    #[arg(long, global = true, value_name = "PATH")]
    pub nixpkgs: Option<PathBuf>,
    /// Run as if started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Commands>,
}

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Search packages, lib functions and builtins.
    ///
    /// Exit codes: 0 found, 1 nothing found, 2 usage error, 3 the project's flake.lock pins a
    /// nixpkgs that is not in the store (builtins and any cached index were searched instead).
    Search(search::SearchArgs),
    /// Create and change flake.nix safely: init, add, remove, input, check.
    Flake {
        #[command(subcommand)]
        command: flake::FlakeCommand,
    },
    /// Learn Nix by doing: a walkthrough in the real views (demo workspace without a project).
    Tour {
        /// Forget progress and start over.
        #[arg(long)]
        reset: bool,
    },
    /// Explain a Nix error read from standard input: `nix build 2>&1 | nixbench explain`.
    Explain {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Build (or rebuild) the package index and its cache; progress on stderr.
    Index(index::IndexArgs),
    /// Show the docs of a lib function, builtin or package attribute.
    ///
    /// Exit codes: 0 found, 1 not found, 2 usage error, 3 the project's flake.lock pins a nixpkgs
    /// that is not in the store (builtins and any cached index were searched instead).
    Doc(doc::DocArgs),
    /// Explain why a package is in a closure (runtime by default, build time with --derivation).
    Why(why::WhyArgs),
    /// Run `nix build ARGS...` and show it live; exits with nix's exit code.
    Build(watch::BuildArgs),
    /// Follow a build log: a file (followed as it grows), `-` for a pipe, or
    /// ssh://[user@]host[:port]/path on a CI host. Several sources (two CI hosts, say) are
    /// followed at once: in the TUI, `s` shows the next; as line output, each line is prefixed
    /// with its source.
    Watch(watch::WatchArgs),
}

/// What every subcommand starts from: where it runs, the user's directories and the theme asked for.
pub(crate) struct Context {
    pub options: OpenOptions,
    pub dirs: Dirs,
    pub theme: Option<String>,
}

fn long_version() -> String {
    let nix = match crate::nix::detect() {
        Ok(info) => format!("{info} ({})", info.program.display()),
        Err(_) => "nix not found".to_string(),
    };
    format!("{}\n{nix}", env!("CARGO_PKG_VERSION"))
}

pub fn main() -> ExitCode {
    use clap::FromArgMatches;
    // Asking Nix for its version costs a process spawn: only pay it when --version is asked for.
    let wants_version = std::env::args().any(|arg| arg == "--version" || arg == "-V");
    let version: &'static str = if wants_version {
        Box::leak(long_version().into_boxed_str())
    } else {
        env!("CARGO_PKG_VERSION")
    };
    let matches = Cli::command().version(version).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    match run(cli) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("nixbench: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let directory = match &cli.directory {
        Some(dir) => std::fs::canonicalize(dir)
            .map_err(|e| Failure::usage(format!("-C {}: {e}", dir.display())))?,
        None => std::env::current_dir()
            .map_err(|e| Failure::environment(format!("current directory: {e}")))?,
    };
    let context = Context {
        options: OpenOptions {
            demo: cli.demo,
            nixpkgs: cli.nixpkgs.clone(),
            directory,
        },
        dirs: Dirs::from_env(),
        theme: cli.theme.clone(),
    };
    match cli.command {
        None => tui::open(&context),
        Some(Commands::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "nixbench",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Commands::Search(args)) => search::run(&context, args),
        Some(Commands::Doc(args)) => doc::run(&context, args),
        Some(Commands::Index(args)) => index::run(&context, args),
        Some(Commands::Flake { command }) => flake::run(command, &context),
        Some(Commands::Explain { json }) => explain::run(&context, json),
        Some(Commands::Tour { reset }) => tui::tour(&context, reset),
        Some(Commands::Why(args)) => why::run(&context, args),
        Some(Commands::Build(args)) => watch::build(&context, args),
        Some(Commands::Watch(args)) => watch::watch(&context, args),
    }
}

/// `NIXBENCH_TIMINGS=1` prints how long each phase took to stderr (for scripts/bench).
fn timing(label: &str, since: std::time::Instant) {
    if std::env::var_os("NIXBENCH_TIMINGS").is_some() {
        eprintln!(
            "timing {label}: {:.2} ms",
            since.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// Leaves `value` to the end of the process: the CLI exits right after, and freeing an index of
/// 100k entries one by one would only delay the exit.
fn leave_to_exit<T>(value: T) {
    std::mem::forget(value);
}
