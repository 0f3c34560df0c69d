//! `nixbench index`: (re)builds the package index and its cache; progress on stderr, the summary
//! on stdout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{leave_to_exit, searchable::builtins_only, Context, Failure};
use crate::nixpkgs::cache::{self, Identity};
use crate::nixpkgs::json_cache::JsonSource;
use crate::nixpkgs::{evaluated, EntryKind, Index};
use crate::workspace::{self, Workspace};

#[derive(clap::Args, Debug)]
pub struct IndexArgs {
    /// Also evaluate with `nix-env -qaP --json --meta` for exact versions and meta.
    #[arg(long)]
    eval: bool,
    /// Merge packages from this JSON (the output of `nix-env -qaP --json --meta`, or a
    /// channel's packages.json).
    #[arg(long, value_name = "FILE")]
    from_json: Option<PathBuf>,
    /// Re-read every file of the tree, even when its identity (store path, git revision and
    /// index) says the cache is current.
    #[arg(long)]
    force: bool,
    /// Check every package file's size, time and inode against the last index even when the
    /// tree's identity says the cache is current, and read again only the files that changed
    /// (picks up uncommitted edits in a git checkout).
    #[arg(long, conflicts_with = "force")]
    check_files: bool,
}

/// A progress bar on stderr. indicatif draws nothing when stderr is not a terminal, so logs and
/// pipes get only the summary lines.
struct Progress(ProgressBar);

impl Progress {
    fn new(label: &'static str) -> Self {
        let style = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
            .expect("a valid template")
            .progress_chars("= ");
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(label);
        Self(bar)
    }

    fn update(&self, done: usize, total: usize) {
        if total == 0 {
            return;
        }
        self.0.set_length(total as u64);
        self.0.set_position(done.min(total) as u64);
    }

    /// Leaves the last state of a bar that was drawn on its line.
    fn finish(self) {
        if self.0.length().is_some() {
            self.0.finish();
        } else {
            self.0.finish_and_clear();
        }
    }
}

pub(super) fn run(context: &Context, args: IndexArgs) -> Result<ExitCode, Failure> {
    if let (Some(file), None) = (&args.from_json, &context.options.nixpkgs) {
        return index_json(context, file);
    }
    let started = Instant::now();
    let workspace = Workspace::open_for_indexing(&context.options, &context.dirs);
    let Some(root) = workspace.nixpkgs_root() else {
        return Err(Failure::environment(workspace.nixpkgs.explain_missing()));
    };
    let found = workspace.nixpkgs.found.as_ref();
    let source = found.map(|s| s.to_string()).unwrap_or_default();
    eprintln!("indexing {} ({source})", root.display());
    // Worked out before reading, so a file changed while indexing makes the next command re-index.
    let identity = cache::identity(&root);
    let path = workspace::index_cache_path_for(&workspace, &identity);
    if !args.force && !args.check_files && !args.eval && args.from_json.is_none() {
        if let Some(entries) = cache::open(&path) {
            print_unchanged(entries.len(), &identity, started.elapsed(), &path);
            leave_to_exit(entries);
            return Ok(ExitCode::SUCCESS);
        }
    }
    if args.force {
        // --force re-reads every file, not only those changed since the last index.
        let _ = std::fs::remove_file(workspace::file_results_path(&workspace, &root));
    }
    let progress = Progress::new("parsing");
    let built = workspace::build_index(&workspace, &root, &|done, total| {
        progress.update(done, total)
    });
    let mut index = built.index;
    progress.finish();
    let static_time = started.elapsed();
    if let Some(file) = &args.from_json {
        merge_json(context, &mut index, file, &path, &root)?;
    }
    if args.eval {
        evaluate(&workspace, &mut index, &root)?;
    }
    index.sort();
    // The cache holds what every later command starts from: the static index, refined by
    // evaluation when asked for.
    std::fs::create_dir_all(&workspace.cache_dir)
        .map_err(|e| Failure::io(&workspace.cache_dir, e))?;
    cache::save(&path, &index).map_err(|e| Failure::io(&path, e))?;
    workspace::record_cache_source(&workspace, &root, &path);
    let times = (started.elapsed(), static_time);
    print_summary(&index, times, built.files_read, &path, &identity);
    leave_to_exit(index);
    Ok(ExitCode::SUCCESS)
}

fn print_unchanged(entries: usize, identity: &Identity, checked: Duration, path: &Path) {
    let _ = writeln!(
        std::io::stdout(),
        "{entries} entries, unchanged (identity: {}; checked in {:.1} ms; --check-files looks for uncommitted edits, --force re-reads the tree)\ncache: {}",
        identity.how,
        checked.as_secs_f64() * 1000.0,
        path.display()
    );
}

/// `--from-json FILE` with `--nixpkgs`: the file's packages merged into the tree's index. The
/// import is also saved as the cache `search --from-json FILE --nixpkgs TREE` opens.
fn merge_json(
    context: &Context,
    index: &mut Index,
    file: &Path,
    cache_path: &Path,
    root: &Path,
) -> Result<(), Failure> {
    let tree_key = cache_path.display().to_string();
    let source = JsonSource::new(file, &context.dirs.cache, &tree_key)?;
    let before = index.entries.len();
    *index = source.build(std::mem::take(index), Some(root))?;
    eprintln!(
        "merged packages from {} ({} new entries)",
        file.display(),
        index.entries.len() - before
    );
    Ok(())
}

/// `--eval`: refines the index with what `nix-env -qaP --json --meta` says.
fn evaluate(workspace: &Workspace, index: &mut Index, root: &Path) -> Result<(), Failure> {
    let nix = workspace.nix.require().map_err(Failure::nix_unusable)?;
    eprintln!("evaluating with nix-env -qaP --json --meta (minutes on a full nixpkgs)…");
    let expected = index.count(EntryKind::Package);
    let progress = Progress::new("evaluating");
    let entries = evaluated::evaluate(&nix, root, &mut |seen| {
        progress.update(seen.min(expected), expected)
    });
    progress.finish();
    let entries = entries.map_err(|e| Failure::failed(e.to_string()))?;
    eprintln!("evaluated {} packages", entries.len());
    index.merge(entries);
    Ok(())
}

/// `times`: the whole command's and the static parse's.
fn print_summary(
    index: &Index,
    (total, parse): (Duration, Duration),
    files_read: usize,
    path: &Path,
    id: &Identity,
) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} packages, {} lib functions, {} builtins in {:.2}s (static parse {:.2}s, {files_read} package {} read, unchanged ones taken from the last index)",
        index.count(EntryKind::Package),
        index.count(EntryKind::Function),
        index.count(EntryKind::Builtin),
        total.as_secs_f64(),
        parse.as_secs_f64(),
        if files_read == 1 { "file" } else { "files" },
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
    let _ = writeln!(out, "cache: {} (identity: {})", path.display(), id.how);
}

/// `index --from-json FILE` without `--nixpkgs`: imports the file into the cache that
/// `search`/`doc --from-json FILE` open.
fn index_json(context: &Context, file: &Path) -> Result<ExitCode, Failure> {
    let started = Instant::now();
    let source = JsonSource::new(file, &context.dirs.cache, "builtins")?;
    let index = source.build(builtins_only(), None)?;
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
    leave_to_exit(index);
    Ok(ExitCode::SUCCESS)
}
