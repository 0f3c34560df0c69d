//! Command-line interface: clap types, and one small function per subcommand calling the library.
//! Exit codes: 0 ok, 1 the thing asked for failed (not found, build failed), 2 usage or environment.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::config::{Config, Dirs};
use crate::nixpkgs::search::{Query, Scope, Searchable};
use crate::workspace::{OpenOptions, Workspace};

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
        shell: Shell,
    },
    /// Search packages, lib functions and builtins.
    ///
    /// Exit codes: 0 found, 1 nothing found, 2 usage error, 3 the project's flake.lock pins a
    /// nixpkgs that is not in the store (builtins and any cached index were searched instead).
    Search {
        /// Words to search for; `lib:`, `pkg:` and `builtins:` prefixes pick a scope.
        query: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// How many results.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Take packages from this JSON (the output of `nix-env -qaP --json --meta`).
        #[arg(long, value_name = "FILE")]
        from_json: Option<PathBuf>,
    },
    /// Create and change flake.nix safely: init, add, remove, input, check.
    Flake {
        #[command(subcommand)]
        command: crate::flake_cli::FlakeCommand,
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
    Index {
        /// Also evaluate with `nix-env -qaP --json --meta` for exact versions and meta.
        #[arg(long)]
        eval: bool,
        /// Merge packages from this JSON (the output of `nix-env -qaP --json --meta`, or a
        /// channel's packages.json).
        #[arg(long, value_name = "FILE")]
        from_json: Option<PathBuf>,
        /// Re-read the tree even when its identity (store path, git revision and index) says the
        /// cache is current, e.g. to pick up unstaged edits in a git checkout.
        #[arg(long)]
        force: bool,
    },
    /// Show the docs of a lib function, builtin or package attribute.
    ///
    /// Exit codes: 0 found, 1 not found, 2 usage error, 3 the project's flake.lock pins a nixpkgs
    /// that is not in the store (builtins and any cached index were searched instead).
    Doc {
        name: String,
        #[arg(long)]
        json: bool,
        /// Take packages from this JSON (the output of `nix-env -qaP --json --meta`).
        #[arg(long, value_name = "FILE")]
        from_json: Option<PathBuf>,
    },
    /// Explain why a package is in a closure (runtime by default, build time with --derivation).
    Why {
        /// A store path, name or name prefix. Without it: a closure summary.
        package: Option<String>,
        /// The root: `.#foo`, `nixpkgs#hello`, a store path or a `./result` link. Default: this
        /// project's default output (packages.<system>.default, else the default dev shell's inputs,
        /// else default.nix / shell.nix).
        #[arg(long, value_name = "ROOT")]
        from: Option<String>,
        /// Read a saved `nix path-info --json --recursive` closure (or, with --derivation, a saved
        /// `nix derivation show -r`).
        #[arg(long, value_name = "FILE", conflicts_with = "from")]
        from_json: Option<PathBuf>,
        /// Ask the build-time question: why does building the root need PKG.
        #[arg(long)]
        derivation: bool,
        /// Compare the closure with another root (or a saved JSON file).
        #[arg(long, value_name = "ROOT")]
        diff: Option<String>,
        /// Line output for pipes (automatic when stdout is not a terminal).
        #[arg(long)]
        plain: bool,
        /// Print JSON.
        #[arg(long, conflicts_with_all = ["dot", "plain"])]
        json: bool,
        /// Print a graphviz graph of the chains.
        #[arg(long)]
        dot: bool,
        /// Lift the cap on the number of chains (still bounded).
        #[arg(long)]
        all: bool,
    },
    /// Run `nix build ARGS...` and show it live; exits with nix's exit code.
    Build {
        /// Line output for CI (automatic when stdout is not a terminal).
        #[arg(long)]
        plain: bool,
        /// Print a JSON summary at the end.
        #[arg(long)]
        json_summary: bool,
        /// Arguments for `nix build` (installables and flags).
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ARGS"
        )]
        args: Vec<std::ffi::OsString>,
    },
    /// Follow a build log: a file (followed as it grows), `-` for a pipe, or
    /// ssh://[user@]host[:port]/path on a CI host. Several sources (two CI hosts, say) are
    /// followed at once: in the TUI, `s` shows the next; as line output, each line is prefixed
    /// with its source.
    Watch {
        /// FILE, `-`, or ssh://[user@]host[:port]/path/to/log (one or more)
        #[arg(required = true, num_args = 1.., value_name = "SOURCE")]
        sources: Vec<String>,
        /// Line output for CI (automatic when stdout is not a terminal).
        #[arg(long)]
        plain: bool,
        /// Print a JSON summary at the end.
        #[arg(long)]
        json_summary: bool,
        /// Read a file once instead of following it.
        #[arg(long)]
        no_follow: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

fn long_version() -> String {
    let nix = match crate::nix::detect() {
        Ok(info) => format!("{info} ({})", info.program.display()),
        Err(_) => "nix not found".to_string(),
    };
    format!("{}\n{nix}", env!("CARGO_PKG_VERSION"))
}

/// A user-facing failure with its exit code.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
        }
    }
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
    let dirs = Dirs::from_env();
    let directory = match &cli.directory {
        Some(dir) => std::fs::canonicalize(dir)
            .map_err(|e| Failure::usage(format!("-C {}: {e}", dir.display())))?,
        None => std::env::current_dir()
            .map_err(|e| Failure::usage(format!("current directory: {e}")))?,
    };
    let options = OpenOptions {
        demo: cli.demo,
        nixpkgs: cli.nixpkgs.clone(),
        directory,
    };
    match cli.command {
        None => tui(&cli.theme, &options, &dirs),
        Some(Commands::Completions { shell }) => {
            let mut command = Cli::command();
            let mut out = std::io::stdout();
            match shell {
                Shell::Bash => clap_complete::generate(
                    clap_complete::Shell::Bash,
                    &mut command,
                    "nixbench",
                    &mut out,
                ),
                Shell::Zsh => clap_complete::generate(
                    clap_complete::Shell::Zsh,
                    &mut command,
                    "nixbench",
                    &mut out,
                ),
                Shell::Fish => clap_complete::generate(
                    clap_complete::Shell::Fish,
                    &mut command,
                    "nixbench",
                    &mut out,
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Commands::Search {
            query,
            json,
            limit,
            from_json,
        }) => search(&options, &dirs, &query.join(" "), json, limit, from_json),
        Some(Commands::Doc {
            name,
            json,
            from_json,
        }) => doc(&options, &dirs, &name, json, from_json),
        Some(Commands::Index {
            eval,
            from_json,
            force,
        }) => index(&options, &dirs, eval, from_json, force),
        Some(Commands::Flake { command }) => crate::flake_cli::run(command, &options, &dirs),
        Some(Commands::Explain { json }) => explain(&options, &dirs, json),
        Some(Commands::Tour { reset }) => {
            let progress = dirs.tour_file();
            if reset {
                match std::fs::remove_file(&progress) {
                    Ok(()) => eprintln!("tour progress reset"),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Failure::usage(format!("{}: {e}", progress.display()))),
                }
            }
            tui_with(
                &cli.theme,
                &options,
                &dirs,
                Vec::new(),
                crate::app::Tab::Tour,
            )
            .map(|_| ExitCode::SUCCESS)
        }
        Some(Commands::Why {
            package,
            from,
            from_json,
            derivation,
            diff,
            plain,
            json,
            dot,
            all,
        }) => {
            let output = if json {
                WhyOutput::Json
            } else if dot {
                WhyOutput::Dot
            } else if plain || !std::io::stdout().is_terminal() {
                WhyOutput::Plain
            } else {
                WhyOutput::Tree
            };
            why(
                &options,
                WhyArgs {
                    package,
                    from,
                    from_json,
                    derivation,
                    diff,
                    output,
                    all,
                },
            )
        }

        Some(Commands::Build {
            plain,
            json_summary,
            args,
        }) => {
            let nix = crate::nix::detect().map_err(|e| Failure::usage(e.to_string()))?;
            let source = crate::build_log::source::Source::Command {
                program: nix.program.clone(),
                args: nix.build_args(&args),
                cwd: Some(options.directory.clone()),
            };
            follow_build(source, plain, json_summary, &cli.theme, &options, &dirs)
        }
        Some(Commands::Watch {
            sources,
            plain,
            json_summary,
            no_follow,
        }) => {
            let mut sources = sources
                .iter()
                .map(|text| crate::build_log::source::parse_source(text, !no_follow))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Failure::usage(e.to_string()))?;
            if sources.len() == 1 {
                let source = sources.remove(0);
                return follow_build(source, plain, json_summary, &cli.theme, &options, &dirs);
            }
            follow_builds(sources, plain, json_summary, &cli.theme, &options, &dirs)
        }
    }
}

fn tui(theme: &Option<String>, options: &OpenOptions, dirs: &Dirs) -> Result<ExitCode, Failure> {
    tui_with(theme, options, dirs, Vec::new(), crate::app::Tab::Packages).map(|_| ExitCode::SUCCESS)
}

fn tui_with(
    theme: &Option<String>,
    options: &OpenOptions,
    dirs: &Dirs,
    build_sources: Vec<crate::build_log::source::Source>,
    start_tab: crate::app::Tab,
) -> Result<crate::tui::Outcome, Failure> {
    let config = Config::load(&dirs.config_file()).map_err(|e| Failure::usage(e.to_string()))?;
    let keymap = crate::app::keymap::KeyMap::with_overrides(&config.keys)
        .map_err(|e| Failure::usage(format!("{}: {e}", dirs.config_file().display())))?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme_name = theme
        .clone()
        .or(config.theme.clone())
        .unwrap_or_else(|| "dark".into());
    let theme = crate::views::theme::Theme::named(&theme_name, no_color)
        .map_err(|e| Failure::usage(e.to_string()))?;
    if !std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "the TUI needs a terminal; for scripts use the subcommands (`nixbench --help`)",
        ));
    }
    let workspace = Workspace::open(options, dirs);
    std::thread::spawn(crate::views::highlight::warm);
    crate::tui::install_panic_hook();
    crate::tui::run_tui(crate::tui::RunOptions {
        workspace,
        keymap,
        theme,
        log_lines: config.build.log_lines,
        build_sources,
        start_tab,
        dirs: dirs.clone(),
    })
    .map_err(|e| Failure::usage(format!("terminal error: {e}")))
    .inspect(|outcome| {
        if std::env::var_os("NIXBENCH_TIMINGS").is_some() {
            eprintln!(
                "frames: {} drawn, at most {} in one second",
                outcome.frames, outcome.busiest_second
            );
        }
    })
}

/// Exit code of `search` and `doc` when the project's flake.lock pins a nixpkgs that is not in
/// the store: what else could be searched (builtins, a cached index) was, and its results printed.
pub const EXIT_NIXPKGS_MISSING: u8 = 3;

/// What `search` and `doc` look in; `partial` when the project's own nixpkgs is missing.
struct Loaded {
    searchable: Searchable,
    partial: bool,
}

impl Loaded {
    /// Success, unless the project's nixpkgs was missing (then [`EXIT_NIXPKGS_MISSING`]).
    fn exit(&self, found: bool) -> ExitCode {
        match (self.partial, found) {
            (true, _) => ExitCode::from(EXIT_NIXPKGS_MISSING),
            (false, true) => ExitCode::SUCCESS,
            (false, false) => ExitCode::from(1),
        }
    }
}

fn load_searchable(
    options: &OpenOptions,
    dirs: &Dirs,
    from_json: Option<PathBuf>,
) -> Result<Loaded, Failure> {
    // --from-json stands alone: it needs no project and no nixpkgs.
    if let Some(file) = from_json {
        return json_searchable(options, dirs, &file).map(|searchable| Loaded {
            searchable,
            partial: false,
        });
    }
    let workspace = Workspace::open_for_index(options, dirs);
    if let Some(missing) = &workspace.nixpkgs.missing {
        let fallback = crate::workspace::load_fallback(&workspace);
        eprintln!("nixbench: {}.", missing.headline());
        if let Some(command) = missing.fetch_command() {
            eprintln!("nixbench: fetch it with: {command}");
        }
        eprintln!("nixbench: searching instead (not the pinned revision):");
        for source in &fallback.sources {
            eprintln!("nixbench:   - {source}");
        }
        return Ok(Loaded {
            searchable: fallback.searchable,
            partial: true,
        });
    }
    let searchable = match crate::workspace::load_searchable(&workspace) {
        Ok(searchable) => searchable,
        // An explicit --nixpkgs that points nowhere is a mistake to report.
        Err(message) if options.nixpkgs.is_some() => return Err(Failure::usage(message)),
        // Otherwise builtins still answer; say what is missing.
        Err(message) => {
            eprintln!("nixbench: {message}\nnixbench: searching builtins only");
            let mut index = crate::nixpkgs::Index::default();
            index.merge(crate::nixpkgs::builtins::embedded());
            Searchable::new(Arc::new(index))
        }
    };
    Ok(Loaded {
        searchable,
        partial: false,
    })
}

/// The nixpkgs tree named by an explicit `--nixpkgs`, with its workspace and the key of its cache.
fn explicit_tree(
    options: &OpenOptions,
    dirs: &Dirs,
) -> Result<Option<(Workspace, PathBuf, String)>, Failure> {
    if options.nixpkgs.is_none() {
        return Ok(None);
    }
    let workspace = Workspace::open_for_index(options, dirs);
    let root = workspace
        .nixpkgs
        .found
        .as_ref()
        .and_then(|s| s.path())
        .map(PathBuf::from)
        .ok_or_else(|| Failure::usage(workspace.nixpkgs.explain_missing()))?;
    let key = crate::workspace::index_cache_path(&workspace, &root)
        .display()
        .to_string();
    Ok(Some((workspace, root, key)))
}

/// `--from-json FILE`: the file's packages and the builtins, plus an explicit `--nixpkgs` tree's
/// lib and packages. It needs no project and no nixpkgs, and imports the file only when it changed
/// since the last import (its cache is checked with one `stat`).
fn json_searchable(
    options: &OpenOptions,
    dirs: &Dirs,
    file: &std::path::Path,
) -> Result<Searchable, Failure> {
    use crate::nixpkgs::json_cache::JsonSource;
    let tree = explicit_tree(options, dirs)?;
    let base_key = tree.as_ref().map_or("builtins", |(_, _, key)| key.as_str());
    let source =
        JsonSource::new(file, &dirs.cache, base_key).map_err(|e| Failure::usage(e.to_string()))?;
    if let Some((searchable, _)) = source.open_current() {
        return Ok(searchable);
    }
    let (base, root) = match &tree {
        Some((workspace, root, _)) => (
            crate::workspace::load_searchable(workspace)
                .map_err(Failure::usage)?
                .to_index(),
            Some(root.as_path()),
        ),
        None => (builtins_only(), None),
    };
    let index = source
        .build(base, root)
        .map_err(|e| Failure::usage(e.to_string()))?;
    Ok(Searchable::new(Arc::new(index)))
}

fn builtins_only() -> crate::nixpkgs::Index {
    let mut index = crate::nixpkgs::Index::default();
    index.merge(crate::nixpkgs::builtins::embedded());
    index
}

/// `index --from-json FILE` without `--nixpkgs`: imports the file into the cache that
/// `search`/`doc --from-json FILE` open.
fn index_json(dirs: &Dirs, file: &std::path::Path) -> Result<ExitCode, Failure> {
    use crate::nixpkgs::{json_cache::JsonSource, EntryKind};
    let started = std::time::Instant::now();
    let source = JsonSource::new(file, &dirs.cache, "builtins")
        .map_err(|e| Failure::usage(e.to_string()))?;
    let index = source
        .build(builtins_only(), None)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} packages, {} builtins from {} in {:.2}s",
        index.count(EntryKind::Package),
        index.count(EntryKind::Builtin),
        source.file.display(),
        started.elapsed().as_secs_f64()
    );
    let _ = writeln!(
        out,
        "cache: {} (identity: the file's size, time and inode, then its contents' hash)",
        source.cache.display()
    );
    // The process ends here: freeing 150k entries one by one would only delay the exit.
    std::mem::forget(index);
    Ok(ExitCode::SUCCESS)
}

fn search(
    options: &OpenOptions,
    dirs: &Dirs,
    query: &str,
    json: bool,
    limit: usize,
    from_json: Option<PathBuf>,
) -> Result<ExitCode, Failure> {
    let started = std::time::Instant::now();
    let loaded = load_searchable(options, dirs, from_json)?;
    let searchable = &loaded.searchable;
    timing("index", started);
    let started = std::time::Instant::now();
    let results = searchable
        .search(&Query::parse(query, Scope::All), limit, &|| false)
        .unwrap_or_default();
    timing("search", started);
    let mut out = std::io::stdout().lock();
    if json {
        let entries: Vec<crate::nixpkgs::Entry> =
            results.hits.iter().map(|h| searchable.entry(*h)).collect();
        let _ = serde_json::to_writer_pretty(&mut out, &entries);
        let _ = writeln!(out);
    } else {
        for hit in &results.hits {
            let entry = searchable.entry(*hit);
            let _ = writeln!(
                out,
                "{:<7} {:<40} {:<12} {}",
                entry.kind().label(),
                entry.name,
                entry.version.as_deref().unwrap_or(""),
                entry
                    .description
                    .as_deref()
                    .or(entry.type_sig.as_deref())
                    .unwrap_or("")
            );
        }
    }
    // The process ends here: freeing 150k entries one by one would cost more than the search.
    let found = !results.hits.is_empty();
    let code = loaded.exit(found);
    std::mem::forget(loaded);
    Ok(code)
}

fn explain(options: &OpenOptions, dirs: &Dirs, json: bool) -> Result<ExitCode, Failure> {
    use std::io::Read;
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| Failure::usage(format!("reading standard input: {e}")))?;
    let input = String::from_utf8_lossy(&input);
    // Near names for missing attributes come from the index, when there is one.
    let searchable =
        crate::workspace::load_searchable(&Workspace::open_for_index(options, dirs)).ok();
    let near = |name: &str| {
        searchable
            .as_ref()
            .map(|s| s.nearest(name, 5))
            .unwrap_or_default()
    };
    let explanations = crate::explain::explain(&input, &near);
    let mut out = std::io::stdout().lock();
    if json {
        let _ = serde_json::to_writer_pretty(&mut out, &explanations);
        let _ = writeln!(out);
    } else {
        let _ = write!(out, "{}", crate::explain::render(&explanations));
    }
    if let Some(s) = searchable {
        std::mem::forget(s);
    }
    if explanations.is_empty() {
        return Err(Failure::not_found(
            "no known Nix error in the input. nixbench explains: hash mismatches, missing attributes, infinite recursion, undefined variables, file collisions, unfree/insecure/broken packages, disabled experimental features, files not tracked by git in a flake, failed downloads",
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Draws a progress bar on stderr (only when stderr is a terminal; otherwise one line at the end).
fn progress(label: &str, done: usize, total: usize) {
    if !std::io::stderr().is_terminal() || total == 0 {
        return;
    }
    let width = 30;
    let filled = (done * width / total).min(width);
    eprint!(
        "\r{label} [{}{}] {done}/{total}",
        "=".repeat(filled),
        " ".repeat(width - filled)
    );
    let _ = std::io::stderr().flush();
}

fn index(
    options: &OpenOptions,
    dirs: &Dirs,
    eval: bool,
    from_json: Option<PathBuf>,
    force: bool,
) -> Result<ExitCode, Failure> {
    use crate::nixpkgs::{cache, evaluated, EntryKind};
    if let (Some(file), None) = (&from_json, &options.nixpkgs) {
        return index_json(dirs, file);
    }
    let started = std::time::Instant::now();
    let workspace = Workspace::open_for_indexing(options, dirs);
    let Some(root) = workspace
        .nixpkgs
        .found
        .as_ref()
        .and_then(|s| s.path())
        .map(PathBuf::from)
    else {
        return Err(Failure::usage(workspace.nixpkgs.explain_missing()));
    };
    eprintln!(
        "indexing {} ({})",
        root.display(),
        workspace
            .nixpkgs
            .found
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default()
    );
    // Worked out before reading, so a file changed while indexing makes the next command re-index.
    let identity = cache::identity(&root);
    let path = crate::workspace::index_cache_path_for(&workspace, &identity);
    if !force && !eval && from_json.is_none() {
        if let Some(current) = cache::open(&path) {
            let _ = writeln!(
                std::io::stdout(),
                "{} entries, unchanged (identity: {}; checked in {:.1} ms; --force re-reads the tree)\ncache: {}",
                current.len(),
                identity.how,
                started.elapsed().as_secs_f64() * 1000.0,
                path.display()
            );
            std::mem::forget(current);
            return Ok(ExitCode::SUCCESS);
        }
    }
    if force {
        // --force re-reads every file, not only those changed since the last index.
        let _ = std::fs::remove_file(crate::workspace::file_results_path(&workspace, &root));
    }
    let mut index = crate::workspace::build_index(&workspace, &root, &|done, total| {
        progress("parsing", done, total)
    });
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    let static_time = started.elapsed();
    if let Some(file) = &from_json {
        // Also saved as the cache `search --from-json FILE --nixpkgs TREE` opens.
        let tree_key = path.display().to_string();
        let source = crate::nixpkgs::json_cache::JsonSource::new(file, &dirs.cache, &tree_key)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let before = index.entries.len();
        index = source
            .build(index, Some(&root))
            .map_err(|e| Failure::usage(e.to_string()))?;
        eprintln!(
            "merged packages from {} ({} new entries)",
            file.display(),
            index.entries.len() - before
        );
    }
    if eval {
        let nix = workspace
            .nix
            .as_ref()
            .map_err(|e| Failure::usage(e.clone()))?;
        eprintln!("evaluating with nix-env -qaP --json --meta (minutes on a full nixpkgs)…");
        let expected = index.count(EntryKind::Package);
        let entries = evaluated::evaluate(nix, &root, &mut |seen| {
            progress("evaluating", seen.min(expected), expected)
        })
        .map_err(|message| Failure { code: 1, message })?;
        if std::io::stderr().is_terminal() {
            eprintln!();
        }
        eprintln!("evaluated {} packages", entries.len());
        index.merge(entries);
    }
    index.sort();
    // The cache holds what every later command starts from: the static index, refined by
    // evaluation when asked for.
    std::fs::create_dir_all(&workspace.cache_dir)
        .map_err(|e| Failure::usage(format!("{}: {e}", workspace.cache_dir.display())))?;
    cache::save(&path, &index).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    crate::workspace::record_cache_source(&workspace, &root, &path);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} packages, {} lib functions, {} builtins in {:.2}s (static parse {:.2}s)",
        index.count(EntryKind::Package),
        index.count(EntryKind::Function),
        index.count(EntryKind::Builtin),
        started.elapsed().as_secs_f64(),
        static_time.as_secs_f64()
    );
    if !index.problems.is_empty() {
        let _ = writeln!(
            out,
            "{} files could not be read completely (the rest was indexed):",
            index.problems.len()
        );
        for problem in index.problems.iter().take(10) {
            let _ = writeln!(out, "  {problem}");
        }
    }
    let _ = writeln!(
        out,
        "cache: {} (identity: {})",
        path.display(),
        identity.how
    );
    // The process ends here: freeing 100k entries one by one would only delay the exit.
    std::mem::forget(index);
    Ok(ExitCode::SUCCESS)
}

fn doc(
    options: &OpenOptions,
    dirs: &Dirs,
    name: &str,
    json: bool,
    from_json: Option<PathBuf>,
) -> Result<ExitCode, Failure> {
    let loaded = load_searchable(options, dirs, from_json)?;
    let searchable = &loaded.searchable;
    // `concatStringsSep` means `lib.concatStringsSep` unless it is an attribute of its own.
    let entry = searchable
        .get(name)
        .or_else(|| searchable.get(&format!("lib.{name}")));
    let Some(entry) = entry else {
        let near = searchable.nearest(name, 5);
        let message = format!("no `{name}` in the index. Nearest: {}", near.join(", "));
        if loaded.partial {
            return Err(Failure {
                code: EXIT_NIXPKGS_MISSING,
                message,
            });
        }
        return Err(Failure::not_found(message));
    };
    let mut out = std::io::stdout().lock();
    if json {
        let _ = serde_json::to_writer_pretty(&mut out, &entry);
        let _ = writeln!(out);
        return Ok(loaded.exit(true));
    }
    let _ = writeln!(out, "{}", entry.name);
    if let Some(c) = &entry.canonical {
        let _ = writeln!(out, "  alias of {c}");
    }
    if let Some(t) = &entry.type_sig {
        let _ = writeln!(out, "\n  {t}");
    }
    for text in [&entry.description, &entry.doc].into_iter().flatten() {
        let _ = writeln!(out, "\n{text}");
    }
    for example in &entry.examples {
        let _ = writeln!(
            out,
            "\nExample:\n{}",
            example
                .lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    if let Some(file) = &entry.file {
        let _ = writeln!(out, "\nDefined at {file}:{}", entry.line.unwrap_or(1));
    }
    Ok(loaded.exit(true))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum WhyOutput {
    Tree,
    Plain,
    Json,
    Dot,
}

struct WhyArgs {
    package: Option<String>,
    from: Option<String>,
    from_json: Option<PathBuf>,
    derivation: bool,
    diff: Option<String>,
    output: WhyOutput,
    all: bool,
}

/// Loads the graph for `--from ROOT` / `--from-json FILE` / the project's default output.
fn load_why_graph(
    options: &OpenOptions,
    from: Option<&str>,
    from_json: Option<&std::path::Path>,
    derivation: bool,
) -> Result<crate::graph::Graph, Failure> {
    use crate::graph::source::{self, Root};
    let fail = |e: source::SourceError| Failure {
        code: e.exit_code(),
        message: e.to_string(),
    };
    if let Some(file) = from_json {
        return source::from_file(file, derivation).map_err(fail);
    }
    // A saved JSON file given where a root is expected is read as a file.
    if let Some(text) = from {
        let path = options.directory.join(text);
        if text.ends_with(".json") && path.is_file() {
            return source::from_file(&path, derivation).map_err(fail);
        }
    }
    let nix = crate::nix::detect().map_err(|e| Failure::usage(e.to_string()))?;
    match from {
        Some(text) => {
            let project = crate::project::find_project(&options.directory);
            let root = Root::from_user_in(text, &options.directory, project.as_ref());
            source::from_nix(&nix, &root, derivation, &options.directory).map_err(fail)
        }
        None => {
            let project = crate::project::find_project(&options.directory);
            if std::io::stderr().is_terminal() {
                eprintln!("nixbench: reading the closure of this project's default output (Nix builds it first if needed)…");
            }
            source::project_default(&nix, project.as_ref(), derivation)
                .map(|(graph, _)| graph)
                .map_err(fail)
        }
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

fn why(options: &OpenOptions, args: WhyArgs) -> Result<ExitCode, Failure> {
    use crate::graph::{algo, report, source::root_node};
    let started = std::time::Instant::now();
    let graph = load_why_graph(
        options,
        args.from.as_deref(),
        args.from_json.as_deref(),
        args.derivation,
    )?;
    timing("load", started);
    let root = root_node(&graph)
        .ok_or_else(|| Failure::usage("the graph has no root (every path is referenced)"))?;
    let mut out = std::io::stdout().lock();
    if let Some(other) = &args.diff {
        let after = load_why_graph(options, Some(other), None, args.derivation)?;
        let after_root = root_node(&after)
            .ok_or_else(|| Failure::usage(format!("{other}: the graph has no root")))?;
        let diff = report::closure_diff(&graph, root, &after, after_root);
        let text = match args.output {
            WhyOutput::Json => serde_json::to_string_pretty(&diff).unwrap_or_default() + "\n",
            _ => report::closure_diff_text(&diff),
        };
        let _ = write!(out, "{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(package) = args.package else {
        let summary = report::closure_summary(&graph, root, 15);
        let text = match args.output {
            WhyOutput::Json => serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n",
            _ => report::closure_summary_text(&summary),
        };
        let _ = write!(out, "{text}");
        return Ok(ExitCode::SUCCESS);
    };
    let Some(&target) = graph.resolve(&package).first() else {
        let near = graph.nearest_names(&package, 5);
        let mut hint = if near.is_empty() {
            String::new()
        } else {
            format!(" Nearest names: {}", near.join(", "))
        };
        if !args.derivation {
            hint.push_str(". If it is needed only while building, ask with --derivation");
        }
        return Err(Failure::not_found(format!(
            "`{package}` is not in the {} of {}.{hint}",
            if args.derivation {
                "build-time graph"
            } else {
                "runtime closure"
            },
            graph.node(root).name()
        )));
    };
    let cap = if args.all {
        algo::WHY_CHAINS_ALL
    } else {
        algo::WHY_CHAINS_DEFAULT
    };
    let query = std::time::Instant::now();
    let why = report::why(&graph, root, target, cap);
    timing("why", query);
    let text = match args.output {
        WhyOutput::Json => serde_json::to_string_pretty(&why).unwrap_or_default() + "\n",
        WhyOutput::Dot => report::dot(&graph, &why),
        WhyOutput::Plain => report::plain(&why),
        WhyOutput::Tree => report::tree(&graph, &why),
    };
    let _ = write!(out, "{text}");
    Ok(ExitCode::SUCCESS)
}

/// Follows several build sources at once: in the TUI on a terminal (`s` shows the next one),
/// otherwise as line output, each line prefixed with its source's label. Exit code: 2 when a
/// source could not be read (unreachable host, missing file), else 1 when a build failed, else 0.
fn follow_builds(
    sources: Vec<crate::build_log::source::Source>,
    plain: bool,
    json_summary: bool,
    theme: &Option<String>,
    options: &OpenOptions,
    dirs: &Dirs,
) -> Result<ExitCode, Failure> {
    use crate::build_log::source::Source;
    if sources
        .iter()
        .filter(|s| matches!(s, Source::Stdin))
        .count()
        > 1
    {
        return Err(Failure::usage(
            "standard input (`-`) can be only one of the sources".to_string(),
        ));
    }
    if !plain && !json_summary && std::io::stdout().is_terminal() {
        let outcome = tui_with(theme, options, dirs, sources, crate::app::Tab::Build)?;
        return Ok(ExitCode::from(u8::from(!outcome.build_success)));
    }
    // Labels name the sources in the output; the same host twice gets #2, #3, ...
    let labelled: Vec<(String, Source)> =
        Source::labels(&sources).into_iter().zip(sources).collect();
    let config = Config::load(&dirs.config_file()).map_err(|e| Failure::usage(e.to_string()))?;
    let durations = crate::build_log::history::Durations::load(&dirs.durations_file());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let outcomes = runtime.block_on(crate::build_log::plain::follow_many(
        labelled,
        config.build.log_lines,
        &durations,
        json_summary,
    ));
    if json_summary {
        let sources: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|(label, outcome)| {
                serde_json::json!({
                    "source": label,
                    "error": outcome.error,
                    "summary": outcome.report,
                })
            })
            .collect();
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "sources": sources }));
        let _ = writeln!(out);
    }
    let mut code = 0;
    for (label, outcome) in &outcomes {
        if let Some(error) = &outcome.error {
            eprintln!("nixbench: [{label}] {error}");
            code = 2;
        } else if !outcome.success && code == 0 {
            code = 1;
        }
    }
    Ok(ExitCode::from(code))
}

/// Shows a build from any source: the TUI's Build tab on a terminal, line output otherwise.
fn follow_build(
    source: crate::build_log::source::Source,
    plain: bool,
    json_summary: bool,
    theme: &Option<String>,
    options: &OpenOptions,
    dirs: &Dirs,
) -> Result<ExitCode, Failure> {
    let is_command = matches!(source, crate::build_log::source::Source::Command { .. });
    if !plain && !json_summary && std::io::stdout().is_terminal() {
        let outcome = tui_with(theme, options, dirs, vec![source], crate::app::Tab::Build)?;
        let _ = std::io::stdout().write_all(&outcome.build_stdout);
        let code = match (is_command, outcome.build_exit) {
            (true, Some(code)) => code.clamp(0, 255) as u8,
            (true, None) => 1,
            (false, _) => u8::from(!outcome.build_success),
        };
        return Ok(ExitCode::from(code));
    }
    let config = Config::load(&dirs.config_file()).map_err(|e| Failure::usage(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(e.to_string()))?;
    runtime.block_on(plain_build(
        source,
        json_summary,
        config.build.log_lines,
        is_command,
        dirs.durations_file(),
    ))
}

async fn plain_build(
    source: crate::build_log::source::Source,
    json_summary: bool,
    log_lines: usize,
    is_command: bool,
    history: PathBuf,
) -> Result<ExitCode, Failure> {
    let mut durations = crate::build_log::history::Durations::load(&history);
    // Buffered: a big log is hundreds of thousands of lines; `follow` flushes after each batch.
    let outcome = crate::build_log::plain::follow(
        source,
        &mut std::io::BufWriter::new(std::io::stdout().lock()),
        &mut std::io::BufWriter::new(std::io::stderr()),
        json_summary,
        log_lines,
        &mut durations,
    )
    .await;
    if is_command {
        let _ = durations.save(&history);
    }
    if let Some(text) = outcome.error {
        return Err(Failure::usage(text));
    }
    Ok(match (is_command, outcome.code) {
        (true, Some(code)) => ExitCode::from(code.clamp(0, 255) as u8),
        (true, None) => ExitCode::from(1),
        (false, _) if outcome.success => ExitCode::SUCCESS,
        (false, _) => ExitCode::from(1),
    })
}
