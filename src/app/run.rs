//! The event loop: owns the state, turns terminal events and background messages into `update` calls,
//! executes effects, and redraws when something changed (at most ~30 times a second; idle means
//! asleep). The terminal is restored on every exit path, panics and SIGTERM included.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::prelude::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::mpsc::UnboundedSender;

use super::keymap::KeyMap;
use super::state::{AppState, GraphData, StatusInfo};
use super::update::{update, Effect, Msg};
use crate::build_log::source::{stream, Feed, Source};
use crate::build_log::{parse_line, LineSplitter};
use crate::nixpkgs::search::Searchable;
use crate::views::theme::Theme;
use crate::workspace::{self, Workspace};

const FRAME: Duration = Duration::from_millis(33);
const SEARCH_LIMIT: usize = 500;

pub struct RunOptions {
    pub workspace: Workspace,
    pub keymap: KeyMap,
    pub theme: Theme,
    pub log_lines: usize,
    /// Builds to show live (`nixbench build`, `nixbench watch`, several for several watched logs);
    /// without any the demo replays its recorded build.
    pub build_sources: Vec<Source>,
    /// The tab to open on (`nixbench tour` opens the Tour).
    pub start_tab: super::state::Tab,
    pub dirs: crate::config::Dirs,
}

/// What the session leaves behind for the command that started it.
#[derive(Debug, Default)]
pub struct Outcome {
    pub build_exit: Option<i32>,
    pub build_success: bool,
    /// What `nix build` printed on stdout, to print once the screen is restored.
    pub build_stdout: Vec<u8>,
    /// Frames drawn, and the most drawn within any one second (the cap is ~30).
    pub frames: usize,
    pub busiest_second: usize,
}

/// Puts the terminal back: cooked mode, main screen, no mouse capture, visible cursor. Safe to call
/// more than once.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
    let _ = out.flush();
}

/// Restores the terminal before the default panic message is printed, so the message is readable
/// and the shell usable.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> io::Result<Self> {
        enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

pub fn status_info(workspace: &Workspace) -> StatusInfo {
    StatusInfo {
        project_dir: workspace.root.display().to_string(),
        nix: match &workspace.nix {
            Ok(info) => info.to_string(),
            Err(_) => "no nix".to_string(),
        },
        nixpkgs: workspace
            .nixpkgs
            .found
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "nixpkgs not found".to_string()),
        nixpkgs_root: workspace
            .nixpkgs
            .found
            .as_ref()
            .and_then(|s| s.path())
            .map(PathBuf::from),
        demo: match &workspace.mode {
            workspace::Mode::Demo { reason } => Some(reason.clone()),
            workspace::Mode::Project => None,
        },
    }
}

pub fn run_tui(options: RunOptions) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(event_loop(options));
    // Quitting waits briefly for quick background writes (a confirmed flake.nix edit, tour
    // progress), but not for slow work: a nix evaluation retrying an unreachable server can take
    // minutes. Such processes are asked to stop first.
    crate::nix::stop_running();
    runtime.shutdown_timeout(Duration::from_secs(2));
    outcome
}

/// Starts the background loaders; each reports over the channel when done.
fn start_loaders(workspace: &Workspace, tx: &UnboundedSender<Msg>, build_sources: Vec<Source>) {
    let ws = workspace.clone();
    let sender = tx.clone();
    tokio::task::spawn_blocking(move || {
        if let Some(missing) = &ws.nixpkgs.missing {
            // The pinned nixpkgs is not here: say so, and search what is.
            let fallback = workspace::load_fallback(&ws);
            let _ = sender.send(Msg::PinnedMissing(super::state::PinnedMissing {
                headline: missing.headline(),
                fetch_command: missing.fetch_command(),
                sources: fallback.sources,
                fetching: None,
            }));
            let _ = sender.send(Msg::IndexLoaded(Ok(Arc::new(fallback.searchable))));
            return;
        }
        let result = workspace::load_searchable(&ws).map(Arc::new);
        let _ = sender.send(Msg::IndexLoaded(result));
    });
    for build_time in [false, true] {
        let ws = workspace.clone();
        let sender = tx.clone();
        tokio::task::spawn_blocking(move || {
            let result = workspace::load_graph(&ws, build_time).map(|(graph, source)| {
                let sizes = crate::graph::algo::sizes(&graph);
                GraphData {
                    graph: Arc::new(graph),
                    sizes: Arc::new(sizes),
                    source,
                }
            });
            let _ = sender.send(Msg::GraphLoaded { build_time, result });
        });
    }
    if let Some(path) = workspace.flake_nix() {
        tokio::spawn(watch_flake(path, tx.clone()));
    }
    if build_sources.is_empty() {
        if let Some(log) = workspace::demo_build_log(workspace) {
            tokio::spawn(replay_log(log, tx.clone()));
        }
    }
    // With several sources, their notices (reconnecting, unreachable) say whose they are.
    let labels = Source::labels(&build_sources);
    let several = build_sources.len() > 1;
    for (index, (source, label)) in build_sources.into_iter().zip(labels).enumerate() {
        let prefix = if several {
            format!("[{label}] ")
        } else {
            String::new()
        };
        tokio::spawn(forward_build(index, prefix, source, tx.clone()));
    }
}

/// Runs build source number `index` and turns what it reports into messages for the loop; its
/// notices start with `prefix`.
async fn forward_build(index: usize, prefix: String, source: Source, tx: UnboundedSender<Msg>) {
    let (feed_tx, mut feed_rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(stream(source, feed_tx));
    let started = Instant::now();
    while let Some(feed) = feed_rx.recv().await {
        let now = started.elapsed().as_secs_f64();
        let msg = match feed {
            Feed::Events(events) => Msg::BuildEvents {
                source: index,
                events: events.into_iter().map(|e| (e, now)).collect(),
            },
            Feed::Status(text) => Msg::Notice {
                text: format!("{prefix}{text}"),
                is_error: false,
            },
            Feed::Error(text) => Msg::BuildSourceFailed {
                source: index,
                text: format!("{prefix}{text}"),
            },
            Feed::Stdout(bytes) => Msg::BuildStdout {
                source: index,
                bytes,
            },
            Feed::Ended { code } => Msg::BuildEnded {
                source: index,
                code,
                now,
            },
        };
        if tx.send(msg).is_err() {
            break;
        }
    }
    task.abort();
}

fn read_flake_msg(path: &std::path::Path) -> Msg {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("could not read {}: {e}", path.display()));
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

/// Loads flake.nix, then reloads it (and flake.lock) whenever they change on disk, so an edit
/// made elsewhere is shown, never overwritten.
async fn watch_flake(path: PathBuf, tx: UnboundedSender<Msg>) {
    use notify::Watcher;
    if tx.send(read_flake_msg(&path)).is_err() {
        return;
    }
    let (wake_tx, mut wake_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let names = [
        std::ffi::OsString::from("flake.nix"),
        std::ffi::OsString::from("flake.lock"),
    ];
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let ours = event
            .map(|e| {
                e.paths
                    .iter()
                    .any(|p| p.file_name().is_some_and(|n| names.iter().any(|x| x == n)))
            })
            .unwrap_or(false);
        if ours {
            let _ = wake_tx.send(());
        }
    });
    let Ok(mut watcher) = watcher else { return };
    let Some(dir) = path.parent() else { return };
    if watcher
        .watch(dir, notify::RecursiveMode::NonRecursive)
        .is_err()
    {
        return;
    }
    while wake_rx.recv().await.is_some() {
        // Let a burst of events (write, rename) settle before reading.
        tokio::time::sleep(Duration::from_millis(50)).await;
        while wake_rx.try_recv().is_ok() {}
        if tx.send(read_flake_msg(&path)).is_err() {
            return;
        }
    }
}

/// Replays a recorded log at a watchable pace, as if the build were running now.
async fn replay_log(path: PathBuf, tx: UnboundedSender<Msg>) {
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return;
    };
    let mut lines = Vec::new();
    let mut splitter = LineSplitter::default();
    splitter.feed(&bytes, |line| lines.push(parse_line(line)));
    splitter.finish(|line| lines.push(parse_line(line)));
    let started = Instant::now();
    for chunk in lines.chunks(40) {
        let now = started.elapsed().as_secs_f64();
        let batch = chunk.iter().cloned().map(|event| (event, now)).collect();
        if tx
            .send(Msg::BuildEvents {
                source: 0,
                events: batch,
            })
            .is_err()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let _ = tx.send(Msg::BuildEnded {
        source: 0,
        code: Some(1),
        now: started.elapsed().as_secs_f64(),
    });
}

async fn event_loop(options: RunOptions) -> anyhow::Result<Outcome> {
    let RunOptions {
        workspace,
        keymap,
        theme,
        log_lines,
        build_sources,
        start_tab,
        dirs,
    } = options;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    let guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let size = terminal.size()?;
    let mut state = AppState::new(keymap, status_info(&workspace), (size.width, size.height));
    state.build.state = crate::build_log::BuildState::new(log_lines);
    state.build.source = if let Some(source) = build_sources.first() {
        state.tab = super::state::Tab::Build;
        source.describe()
    } else if workspace.is_demo() {
        "recorded build of broken-app and chatty (demo, --keep-going)".into()
    } else {
        "no build yet: run `nixbench build` or `nixbench watch FILE`".into()
    };
    state.debug_panic = std::env::var_os("NIXBENCH_DEBUG_PANIC").is_some();
    let durations_path = dirs.durations_file();
    let tour_path = dirs.tour_file();
    let progress = super::tour::Progress::load(&tour_path);
    state.tour.completed = progress.completed;
    state.tour.completed.resize(state.tour.lessons.len(), false);
    state.tour.step = progress
        .step
        .min(state.tour.lessons.len().saturating_sub(1));
    if start_tab == super::state::Tab::Tour {
        state.tab = super::state::Tab::Tour;
    }
    state.build_history = crate::build_log::history::Durations::load(&durations_path);
    state.build.record_history = !build_sources.is_empty();
    // Several sources: one view each, the first shown, the others parked until `s`; each title
    // says which it is.
    if build_sources.len() > 1 {
        let title = |index: usize, source: &Source| {
            format!(
                "({}/{}, s: next) {}",
                index + 1,
                build_sources.len(),
                source.describe()
            )
        };
        state.build.source = title(0, &build_sources[0]);
        for (index, source) in build_sources.iter().enumerate().skip(1) {
            state.parked_builds.push(Some(super::state::BuildView {
                state: crate::build_log::BuildState::new(log_lines),
                source: title(index, source),
                record_history: true,
                ..Default::default()
            }));
        }
    }
    state.flake.project_root = Some(workspace.root.clone());
    start_loaders(&workspace, &tx, build_sources);
    let evaluating = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let latest_search = Arc::new(AtomicU64::new(0));
    let mut events = EventStream::new();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    let (mut frames, mut busiest_second) = (0usize, 0usize);
    let mut recent: std::collections::VecDeque<Instant> = std::collections::VecDeque::new();
    loop {
        if dirty && last_draw.elapsed() >= FRAME {
            terminal.draw(|frame| crate::views::render(&state, &theme, frame))?;
            dirty = false;
            last_draw = Instant::now();
            frames += 1;
            recent.push_back(last_draw);
            while recent
                .front()
                .is_some_and(|t| last_draw.duration_since(*t) >= Duration::from_secs(1))
            {
                recent.pop_front();
            }
            busiest_second = busiest_second.max(recent.len());
        }
        let wait = if dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else {
            Duration::from_secs(3600)
        };
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => Msg::Key(key),
                Some(Ok(Event::Mouse(mouse))) => Msg::Mouse(mouse),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(Event::Paste(text))) => Msg::Paste(text),
                Some(Ok(_)) => continue,
                Some(Err(err)) => return Err(err.into()),
                None => break,
            },
            Some(msg) = rx.recv() => msg,
            _ = terminate.recv() => break,
            _ = hangup.recv() => break,
            _ = tokio::time::sleep(wait) => continue,
        };
        let effects = update(&mut state, msg);
        dirty = true;
        for effect in effects {
            match effect {
                Effect::Quit => {}
                Effect::Search { generation, query } => {
                    latest_search.store(generation, Ordering::SeqCst);
                    let Some(searchable) = state.packages.index.ready().cloned() else {
                        continue;
                    };
                    let latest = latest_search.clone();
                    let sender = tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let cancelled = || latest.load(Ordering::Relaxed) != generation;
                        if let Some(results) = searchable.search(&query, SEARCH_LIMIT, &cancelled) {
                            let _ = sender.send(Msg::SearchDone {
                                generation,
                                results,
                            });
                        }
                    });
                }
                Effect::WriteFile(pending) => {
                    let backups = dirs.backups();
                    let sender = tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let result = crate::flake::write::safe_write(
                            &pending.path,
                            &pending.original,
                            &pending.new,
                            &backups,
                        );
                        let msg = match result {
                            Ok(backup) => Msg::FlakeWritten {
                                change: pending.clone(),
                                backup,
                            },
                            Err(err) => Msg::Notice {
                                text: err.to_string(),
                                is_error: true,
                            },
                        };
                        let _ = sender.send(msg);
                        // Either way, show what is on disk now.
                        let _ = sender.send(read_flake_msg(&pending.path));
                    });
                }
                Effect::Compare { other } => {
                    let Some(current) = state.graph.data.ready().map(|d| d.graph.clone()) else {
                        continue;
                    };
                    let derivation = state.graph.build_time;
                    let (nix, root_dir) = (workspace.nix.clone(), workspace.root.clone());
                    let sender = tx.clone();
                    tokio::task::spawn_blocking(move || {
                        use crate::graph::source;
                        let path = root_dir.join(&other);
                        let loaded = if other.ends_with(".json") && path.is_file() {
                            source::from_file(&path, derivation).map_err(|e| e.to_string())
                        } else {
                            nix.and_then(|nix| {
                                let root = source::Root::from_user(&other, &root_dir);
                                source::from_nix(&nix, &root, derivation, &root_dir)
                                    .map_err(|e| e.to_string())
                            })
                        };
                        let result = loaded.and_then(|after| {
                            let before_root = source::root_node(&current)
                                .ok_or("the current graph has no root")?;
                            let after_root =
                                source::root_node(&after).ok_or(format!("{other} has no root"))?;
                            Ok(crate::graph::report::closure_diff(
                                &current,
                                before_root,
                                &after,
                                after_root,
                            ))
                        });
                        let _ = sender.send(Msg::Compared(result));
                    });
                }
                Effect::LoadExcerpt { name, path, line } => {
                    let sender = tx.clone();
                    tokio::task::spawn_blocking(move || {
                        // A few lines before the definition for its doc comment's end, more after.
                        let Ok(text) = std::fs::read_to_string(&path) else {
                            return;
                        };
                        let first = line.saturating_sub(2).max(1);
                        let lines: Vec<String> = text
                            .lines()
                            .skip(first as usize - 1)
                            .take(16)
                            .map(str::to_string)
                            .collect();
                        let _ = sender.send(Msg::Excerpt {
                            name,
                            first_line: first,
                            lines,
                        });
                    });
                }
                Effect::FetchNixpkgs => {
                    let ws = workspace.clone();
                    let sender = tx.clone();
                    tokio::task::spawn_blocking(move || fetch_pinned_nixpkgs(&ws, &sender));
                }
                Effect::EvaluateIndex => {
                    if evaluating.load(Ordering::SeqCst) {
                        continue;
                    }
                    let (Some(searchable), Ok(nix), Some(root)) = (
                        state.packages.index.ready().cloned(),
                        workspace.nix.clone(),
                        workspace
                            .nixpkgs
                            .found
                            .as_ref()
                            .and_then(|s| s.path())
                            .map(PathBuf::from),
                    ) else {
                        state.notice = Some(super::state::Notice {
                            text: "evaluation needs Nix and a nixpkgs tree (the demo ships its evaluation already)".into(),
                            is_error: true,
                        });
                        continue;
                    };
                    evaluating.store(true, Ordering::SeqCst);
                    let running = evaluating.clone();
                    let sender = tx.clone();
                    let cache_path = workspace::index_cache_path(&workspace, &root);
                    tokio::task::spawn_blocking(move || {
                        let expected = searchable.count(crate::nixpkgs::EntryKind::Package);
                        let mut last = Instant::now();
                        let result =
                            crate::nixpkgs::evaluated::evaluate(&nix, &root, &mut |seen| {
                                if last.elapsed() > Duration::from_millis(500) {
                                    last = Instant::now();
                                    let _ = sender.send(Msg::Notice {
                                        text: format!(
                                            "evaluating nixpkgs: {seen} of ~{expected} packages"
                                        ),
                                        is_error: false,
                                    });
                                }
                            });
                        match result {
                            Ok(entries) => {
                                let count = entries.len();
                                let mut index = searchable.to_index();
                                index.merge(entries);
                                let _ = crate::nixpkgs::cache::save(&cache_path, &index);
                                let refined = Searchable::new(Arc::new(index));
                                let _ = sender.send(Msg::IndexLoaded(Ok(Arc::new(refined))));
                                let _ = sender.send(Msg::Notice {
                                    text: format!("evaluated {count} packages; the index now has exact versions and meta"),
                                    is_error: false,
                                });
                            }
                            Err(message) => {
                                let _ = sender.send(Msg::Notice {
                                    text: message,
                                    is_error: true,
                                });
                            }
                        }
                        running.store(false, Ordering::SeqCst);
                    });
                }
                Effect::SaveTour(progress) => {
                    let path = tour_path.clone();
                    tokio::task::spawn_blocking(move || progress.save(&path));
                }
                Effect::SaveDurations(durations) => {
                    let path = durations_path.clone();
                    tokio::task::spawn_blocking(move || durations.save(&path));
                }
                Effect::OpenEditor { path, line } => {
                    restore_terminal();
                    let editor = std::env::var("VISUAL")
                        .or_else(|_| std::env::var("EDITOR"))
                        .unwrap_or_else(|_| "vi".into());
                    let status = std::process::Command::new(&editor)
                        .arg(format!("+{line}"))
                        .arg(&path)
                        .status();
                    enable_raw_mode()?;
                    execute!(
                        io::stdout(),
                        EnterAlternateScreen,
                        EnableMouseCapture,
                        EnableBracketedPaste
                    )?;
                    terminal.clear()?;
                    if let Err(err) = status {
                        state.notice = Some(super::state::Notice {
                            text: format!("could not start {editor}: {err}; set $EDITOR"),
                            is_error: true,
                        });
                    }
                }
            }
        }
        if state.quit {
            break;
        }
    }
    drop(terminal);
    drop(guard);
    let build_success = state.builds().all(|b| b.state.is_success());
    Ok(Outcome {
        build_exit: state.build.exit_code,
        build_success,
        build_stdout: std::mem::take(&mut state.build.stdout),
        frames,
        busiest_second,
    })
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
        return done(Err("flake.lock does not say how to fetch it".into()));
    };
    let program = match &workspace.nix {
        Ok(nix) => nix.program.clone(),
        Err(_) => PathBuf::from("nix"),
    };
    let child = std::process::Command::new(&program)
        .args(&args)
        .current_dir(&workspace.root)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) => return done(Err(format!("{}: {err}", program.display()))),
    };
    let tracked = crate::nix::Tracked::new(&child);
    let mut last = String::new();
    if let Some(stderr) = child.stderr.take() {
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
    drop(tracked);
    if !status.is_ok_and(|s| s.success()) {
        return done(Err(crate::nix::error_message(&last)));
    }
    let mut fetched = workspace.clone();
    fetched.nixpkgs = crate::project::find_nixpkgs(
        None,
        workspace.project.as_ref(),
        &crate::project::Environment::from_process(),
    );
    if fetched.nixpkgs.missing.is_some() {
        return done(Err(
            "the fetch finished but the locked revision is still not in the store".into(),
        ));
    }
    let root = fetched
        .nixpkgs
        .found
        .as_ref()
        .and_then(|s| s.path())
        .map(PathBuf::from);
    done(Ok(root));
    let result = workspace::load_searchable(&fetched).map(Arc::new);
    let _ = sender.send(Msg::IndexLoaded(result));
}
