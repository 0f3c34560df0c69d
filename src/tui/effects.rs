//! What an `update` asks for and the loop carries out: one small function per effect, each doing
//! its work off the loop (a blocking task) and ending in a message back to it. The domain work
//! itself lives with its owner (`graph::compare`, `nixpkgs::evaluated`, `nixpkgs::excerpt`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use crate::app::state::{AppState, PendingWrite};
use crate::app::{Effect, Msg};
use crate::nixpkgs::search::Query;
use crate::workspace::{self, LoadError, Workspace};

const SEARCH_LIMIT: usize = 500;

/// What effects need from outside the state, and the count of jobs still running.
#[derive(Clone)]
pub struct Context {
    pub workspace: Workspace,
    pub dirs: crate::config::Dirs,
    pub tx: UnboundedSender<Msg>,
    latest_search: Arc<AtomicU64>,
    evaluating: Arc<AtomicBool>,
    pending: Arc<AtomicUsize>,
}

impl Context {
    pub fn new(workspace: Workspace, dirs: crate::config::Dirs, tx: UnboundedSender<Msg>) -> Self {
        Context {
            workspace,
            dirs,
            tx,
            latest_search: Default::default(),
            evaluating: Default::default(),
            pending: Default::default(),
        }
    }

    /// Background jobs that have not reported yet (a test waits for none).
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Runs `job` on the blocking pool, counted as pending until it returns.
    pub fn spawn_blocking(&self, job: impl FnOnce(&UnboundedSender<Msg>) + Send + 'static) {
        let tx = self.tx.clone();
        let pending = self.pending.clone();
        pending.fetch_add(1, Ordering::SeqCst);
        tokio::task::spawn_blocking(move || {
            job(&tx);
            pending.fetch_sub(1, Ordering::SeqCst);
        });
    }

    /// Runs `task` on the runtime, counted as pending until it ends.
    pub fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let pending = self.pending.clone();
        pending.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            task.await;
            pending.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// Starts the effect's work; `OpenEditor` needs the terminal and is the loop's own.
pub fn run(effect: Effect, state: &AppState, ctx: &Context) {
    match effect {
        Effect::Search { generation, query } => search(state, ctx, generation, query),
        Effect::WriteFile(pending) => write_file(ctx, *pending),
        Effect::Compare { other } => compare(state, ctx, other),
        Effect::LoadExcerpt { name, path, line } => load_excerpt(ctx, name, path, line),
        Effect::EvaluateIndex => evaluate_index(state, ctx),
        Effect::FetchNixpkgs => {
            let workspace = ctx.workspace.clone();
            ctx.spawn_blocking(move |tx| fetch_pinned_nixpkgs(&workspace, tx));
        }
        Effect::SaveTour(progress) => {
            let path = ctx.dirs.tour_file();
            ctx.spawn_blocking(move |tx| report_save(tx, "tour progress", progress.save(&path)));
        }
        Effect::SaveDurations(durations) => {
            let path = ctx.dirs.durations_file();
            ctx.spawn_blocking(move |tx| report_save(tx, "build durations", durations.save(&path)));
        }
        Effect::OpenEditor { .. } => {}
    }
}

fn report_save(tx: &UnboundedSender<Msg>, what: &str, result: std::io::Result<()>) {
    if let Err(err) = result {
        let _ = tx.send(Msg::Notice {
            text: format!("could not save {what}: {err}"),
            is_error: true,
        });
    }
}

/// Latest wins: a search that a newer one overtook stops early and reports nothing.
fn search(state: &AppState, ctx: &Context, generation: u64, query: Query) {
    ctx.latest_search.store(generation, Ordering::SeqCst);
    let Some(searchable) = state.packages.index.ready().cloned() else {
        return;
    };
    let latest = ctx.latest_search.clone();
    ctx.spawn_blocking(move |tx| {
        let cancelled = || latest.load(Ordering::Relaxed) != generation;
        if let Some(results) = searchable.search(&query, SEARCH_LIMIT, &cancelled) {
            let rows = crate::app::state::result_rows(&searchable, &results);
            let _ = tx.send(Msg::SearchDone {
                generation,
                results,
                rows,
            });
        }
    });
}

fn write_file(ctx: &Context, pending: PendingWrite) {
    let backups = ctx.dirs.backups();
    ctx.spawn_blocking(move |tx| {
        let result = crate::flake::write::safe_write(
            &pending.path,
            &pending.original,
            &pending.new,
            &backups,
        );
        let msg = match result {
            Ok(backup) => Msg::FlakeWritten {
                change: Box::new(pending.clone()),
                backup,
            },
            Err(err) => Msg::Notice {
                text: err.to_string(),
                is_error: true,
            },
        };
        let _ = tx.send(msg);
        // Either way, show what is on disk now.
        let _ = tx.send(read_flake_msg(&pending.path));
    });
}

fn compare(state: &AppState, ctx: &Context, other: String) {
    let Some(current) = state.graph.data.ready().map(|d| d.graph.clone()) else {
        return;
    };
    let derivation = state.graph.build_time;
    let (nix, root_dir) = (ctx.workspace.nix.clone(), ctx.workspace.root.clone());
    ctx.spawn_blocking(move |tx| {
        let result = crate::graph::compare(&nix, &root_dir, &other, &current, derivation);
        let _ = tx.send(Msg::Compared(result.map_err(Into::into)));
    });
}

fn load_excerpt(ctx: &Context, name: String, path: PathBuf, line: u32) {
    ctx.spawn_blocking(move |tx| {
        if let Some(excerpt) = crate::nixpkgs::excerpt(&path, line) {
            let _ = tx.send(Msg::Excerpt {
                name,
                first_line: excerpt.first_line,
                lines: excerpt.lines,
            });
        }
    });
}

/// Evaluates nixpkgs with Nix to refine the static index; one evaluation at a time.
fn evaluate_index(state: &AppState, ctx: &Context) {
    if ctx.evaluating.load(Ordering::SeqCst) {
        return;
    }
    let (Some(searchable), Some(nix), Some(root)) = (
        state.packages.index.ready().cloned(),
        ctx.workspace.nix.info().cloned(),
        ctx.workspace.nixpkgs_root(),
    ) else {
        let _ = ctx.tx.send(Msg::Notice {
            text: "evaluation needs Nix and a nixpkgs tree (the demo ships its evaluation already)"
                .into(),
            is_error: true,
        });
        return;
    };
    ctx.evaluating.store(true, Ordering::SeqCst);
    let running = ctx.evaluating.clone();
    let cache_path = workspace::index_cache_path(&ctx.workspace, &root);
    ctx.spawn_blocking(move |tx| {
        let expected = searchable.count(crate::nixpkgs::EntryKind::Package);
        let mut last = Instant::now();
        let mut progress = |seen: usize| {
            if last.elapsed() > Duration::from_millis(500) {
                last = Instant::now();
                let _ = tx.send(Msg::Notice {
                    text: format!("evaluating nixpkgs: {seen} of ~{expected} packages"),
                    is_error: false,
                });
            }
        };
        let outcome =
            crate::nixpkgs::refine::refine(&searchable, &nix, &root, &cache_path, &mut progress);
        match outcome {
            Ok(refined) => {
                let _ = tx.send(Msg::IndexLoaded(Ok(Arc::new(refined.searchable))));
                let _ = tx.send(Msg::Notice {
                    text: format!(
                        "evaluated {} packages; the index now has exact versions and meta",
                        refined.evaluated
                    ),
                    is_error: false,
                });
            }
            Err(err) => {
                let _ = tx.send(Msg::Notice {
                    text: err.to_string(),
                    is_error: true,
                });
            }
        }
        running.store(false, Ordering::SeqCst);
    });
}

/// Fetches the nixpkgs flake.lock pins (its one fetch command), passing its output on as
/// progress; once it is in the store, indexes it and hands the index to the tab.
fn fetch_pinned_nixpkgs(workspace: &Workspace, sender: &UnboundedSender<Msg>) {
    use std::io::BufRead;
    let done = |result| {
        let _ = sender.send(Msg::FetchDone(result));
    };
    let Some(args) = workspace
        .nixpkgs
        .missing
        .as_ref()
        .and_then(|m| m.fetch_args())
    else {
        return done(Err(LoadError::NoFetchCommand));
    };
    let program = match workspace.nix.info() {
        Some(nix) => nix.program.clone(),
        None => PathBuf::from("nix"),
    };
    let mut child = match crate::nix::NixCommand::new(&program)
        .args(args)
        .cwd(&workspace.root)
        .discard_stdout()
        .spawn()
    {
        Ok(child) => child,
        Err(err) => return done(Err(err.into())),
    };
    let mut last = String::new();
    if let Some(stderr) = child.take_stderr() {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let line = line.trim().to_string();
            if !line.is_empty() {
                let _ = sender.send(Msg::FetchProgress(line.clone()));
                last = line;
            }
        }
    }
    let status = child.wait();
    if !status.is_ok_and(|s| s.success()) {
        return done(Err(LoadError::Fetch {
            message: crate::nix::error_message(&last),
        }));
    }
    let mut fetched = workspace.clone();
    fetched.nixpkgs = crate::project::find_nixpkgs(
        None,
        workspace.project.as_ref(),
        &crate::project::Environment::from_process(),
    );
    if fetched.nixpkgs.missing.is_some() {
        return done(Err(LoadError::StillMissing));
    }
    done(Ok(fetched.nixpkgs_root()));
    let result = workspace::load_searchable(&fetched).map(Arc::new);
    let _ = sender.send(Msg::IndexLoaded(result));
}

/// Reads flake.nix and its flake.lock into the message the Flake tab loads from.
pub fn read_flake_msg(path: &std::path::Path) -> Msg {
    let text = std::fs::read_to_string(path).map_err(|source| workspace::LoadError::Io {
        path: path.to_path_buf(),
        source,
    });
    let lock = std::fs::read_to_string(path.with_file_name("flake.lock")).ok();
    let read_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Msg::FlakeLoaded {
        path: path.to_path_buf(),
        text,
        lock,
        read_at,
    }
}
