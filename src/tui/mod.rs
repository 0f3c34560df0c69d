//! The terminal front end: the terminal guard, the event loop, the session it drives, the effects
//! it carries out and the loaders it starts. Above `views` and `app`; nothing below imports it.

pub mod effects;
pub mod loaders;
pub mod run;
pub mod session;
pub mod terminal;

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use ratatui::crossterm::event::EventStream;
use ratatui::prelude::CrosstermBackend;
use ratatui::Terminal;

use crate::app::keymap::KeyMap;
use crate::app::state::{Startup, StatusInfo, Tab};
use crate::app::AppState;
use crate::build_log::source::Source;
use crate::views::theme::Theme;
use crate::workspace::{self, Workspace};
pub use run::{run, FrameStats, Input};
pub use session::Session;
pub use terminal::{install_panic_hook, restore_terminal, Headless, Host, Tui};

pub struct RunOptions {
    pub workspace: Workspace,
    pub keymap: KeyMap,
    pub theme: Theme,
    pub log_lines: usize,
    /// Builds to show live (`nixbench build`, `nixbench watch`, several for several watched logs);
    /// without any the demo replays its recorded build.
    pub build_sources: Vec<Source>,
    /// The tab to open on (`nixbench tour` opens the Tour).
    pub start_tab: Tab,
    pub dirs: crate::config::Dirs,
}

/// What the session leaves behind for the command that started it.
#[derive(Debug, Default)]
pub struct Outcome {
    pub build_exit: Option<i32>,
    pub build_success: bool,
    /// What `nix build` printed on stdout, to print once the screen is restored.
    pub build_stdout: Vec<u8>,
    pub frames: usize,
    pub busiest_second: usize,
}

/// Runs the full-screen app on this terminal until the user quits (or SIGTERM/SIGHUP).
pub fn run_tui(options: RunOptions) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(run_on_terminal(options));
    // Quitting waits briefly for quick background writes (a confirmed flake.nix edit, tour
    // progress), but not for slow work: a nix evaluation retrying an unreachable server can take
    // minutes. Such processes are asked to stop first.
    crate::nix::stop_running();
    runtime.shutdown_timeout(Duration::from_secs(2));
    outcome
}

async fn run_on_terminal(options: RunOptions) -> anyhow::Result<Outcome> {
    let mut tui = Tui::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let size = terminal.size()?;
    let sources = options.build_sources;
    let startup = startup(
        &options.workspace,
        options.keymap,
        options.log_lines,
        &sources,
        options.start_tab,
        &options.dirs,
        (size.width, size.height),
    );
    let mut session = Session::new(
        AppState::new(startup),
        options.theme,
        options.workspace,
        options.dirs,
    );
    session.state.debug_panic = std::env::var_os("NIXBENCH_DEBUG_PANIC").is_some();
    session.start(sources);
    // The terminal's events, then a stop when they end (the terminal went away), merged with the
    // stop signals.
    let events = EventStream::new()
        .map(|event| event.map(Input::Event))
        .chain(futures_util::stream::iter([Ok(Input::Stop)]));
    let input = futures_util::stream::select(events, stop_signals()?);
    let stats = run(&mut session, &mut terminal, input, &mut tui).await?;
    drop(terminal);
    drop(tui);
    let mut state = session.state;
    let build_success = state.builds.iter().all(|b| b.state.is_success());
    // `nixbench build` runs one build: the first source.
    let first = &mut state.builds[0];
    Ok(Outcome {
        build_exit: first.exit_code,
        build_success,
        build_stdout: std::mem::take(&mut first.stdout),
        frames: stats.frames,
        busiest_second: stats.busiest_second,
    })
}

/// SIGTERM and SIGHUP as `Input::Stop`, so the loop ends and the terminal is restored.
fn stop_signals() -> io::Result<impl futures_util::Stream<Item = io::Result<Input>> + Unpin> {
    use tokio::signal::unix::{signal, SignalKind};
    let signals = (
        signal(SignalKind::terminate())?,
        signal(SignalKind::hangup())?,
    );
    Ok(Box::pin(futures_util::stream::unfold(
        signals,
        |(mut terminate, mut hangup)| async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = hangup.recv() => {}
            }
            Some((Ok(Input::Stop), (terminate, hangup)))
        },
    )))
}

/// What the Build tab is titled in the demo, which replays a recorded build.
pub const DEMO_BUILD: &str = "recorded build of broken-app and chatty (demo, --keep-going)";

/// What a session in `workspace` starts from: saved tour progress and build durations, and one
/// build view per source.
pub fn startup(
    workspace: &Workspace,
    keymap: KeyMap,
    log_lines: usize,
    sources: &[Source],
    start_tab: Tab,
    dirs: &crate::config::Dirs,
    size: (u16, u16),
) -> Startup {
    let idle_build = if workspace.is_demo() {
        DEMO_BUILD.into()
    } else {
        "no build yet: run `nixbench build` or `nixbench watch FILE`".into()
    };
    Startup {
        keymap,
        status: status_info(workspace),
        size,
        log_lines,
        build_sources: sources.iter().map(Source::describe).collect(),
        idle_build,
        start_tab,
        tour: crate::app::tour::Progress::load(&dirs.tour_file()),
        durations: crate::build_log::history::Durations::load(&dirs.durations_file()),
        project_root: Some(workspace.root.clone()),
        full_logs: Some(dirs.state.join("build-logs")),
    }
}

pub fn status_info(workspace: &Workspace) -> StatusInfo {
    StatusInfo {
        project_dir: match &workspace.mode {
            workspace::Mode::Demo { .. } => "demo project".to_string(),
            workspace::Mode::Project => home_relative(&workspace.root),
        },
        nix: match workspace.nix.info() {
            Some(info) => info.to_string(),
            None => "no nix".to_string(),
        },
        nixpkgs: workspace
            .nixpkgs
            .found
            .as_ref()
            .map(nixpkgs_label)
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

/// A directory as users name it: `~/src/app` under the home directory, else the full path.
fn home_relative(dir: &std::path::Path) -> String {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match home.as_deref().and_then(|home| dir.strip_prefix(home).ok()) {
        Some(rest) if rest.as_os_str().is_empty() => "~".to_string(),
        Some(rest) => format!("~/{}", rest.display()),
        None => dir.display().to_string(),
    }
}

/// The nixpkgs in use, short: a pinned revision as `nixpkgs 1a2b3c4 · 3 days old`, a path as users
/// know it.
fn nixpkgs_label(source: &crate::project::NixpkgsSource) -> String {
    use crate::project::NixpkgsSource;
    match source {
        NixpkgsSource::FlakeLock {
            rev,
            last_modified,
            path,
            ..
        } => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            pinned_label(rev.as_deref(), *last_modified, path.is_some(), now)
        }
        NixpkgsSource::Flag { path } => format!("nixpkgs {}", home_relative(path)),
        NixpkgsSource::NixPath { path } => format!("NIX_PATH {}", home_relative(path)),
        NixpkgsSource::Channel { path } => format!("channel {}", home_relative(path)),
        NixpkgsSource::Demo { .. } => "demo nixpkgs".to_string(),
    }
}

/// `nixpkgs 1a2b3c4 · 3 days old`, with `(not in store)` when the pinned source is absent.
fn pinned_label(rev: Option<&str>, last_modified: Option<i64>, present: bool, now: i64) -> String {
    let mut label = match rev {
        Some(rev) => format!("nixpkgs {}", rev.chars().take(7).collect::<String>()),
        None => "nixpkgs unpinned".to_string(),
    };
    if let Some(time) = last_modified {
        match crate::flake::lock::age(time, now).as_str() {
            "today" => label.push_str(" · from today"),
            age => label.push_str(&format!(" · {age} old")),
        }
    }
    if !present {
        label.push_str(" (not in store)");
    }
    label
}

#[cfg(test)]
mod tests {
    use super::pinned_label;

    #[test]
    fn pinned_nixpkgs_shows_short_revision_and_age() {
        let day = 86_400;
        let now = 1_750_000_000;
        let rev = Some("1a2b3c4d5e6f");
        assert_eq!(
            pinned_label(rev, Some(now - 12 * day), true, now),
            "nixpkgs 1a2b3c4 · 12 days old"
        );
        assert_eq!(
            pinned_label(rev, Some(now - 3600), false, now),
            "nixpkgs 1a2b3c4 · from today (not in store)"
        );
        assert_eq!(pinned_label(None, None, true, now), "nixpkgs unpinned");
    }
}
