//! The full-screen app: `nixbench` alone, `nixbench tour`, and the Build tab of `build`/`watch`.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::{Context, Failure};
use crate::app::Tab;
use crate::build_log::source::Source;
use crate::config::Config;
use crate::workspace::Workspace;

/// `nixbench`: the TUI on the Packages tab.
pub(super) fn open(context: &Context) -> Result<ExitCode, Failure> {
    with(context, Vec::new(), Tab::Packages).map(|_| ExitCode::SUCCESS)
}

/// `nixbench tour [--reset]`: the TUI on the Tour tab, its progress forgotten first when asked.
pub(super) fn tour(context: &Context, reset: bool) -> Result<ExitCode, Failure> {
    let progress = context.dirs.tour_file();
    if reset {
        match std::fs::remove_file(&progress) {
            Ok(()) => eprintln!("tour progress reset"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Failure::io(&progress, e)),
        }
    }
    with(context, Vec::new(), Tab::Tour).map(|_| ExitCode::SUCCESS)
}

/// Runs the TUI on `start_tab`, following `build_sources` in the Build tab.
pub(super) fn with(
    context: &Context,
    build_sources: Vec<Source>,
    start_tab: Tab,
) -> Result<crate::tui::Outcome, Failure> {
    let dirs = &context.dirs;
    let config = load_config(context)?;
    let keymap = crate::app::keymap::KeyMap::with_overrides(&config.keys)
        .map_err(|e| Failure::usage(format!("{}: {e}", dirs.config_file().display())))?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme_name = context
        .theme
        .clone()
        .or(config.theme.clone())
        .unwrap_or_else(|| "dark".into());
    let theme = crate::views::theme::Theme::named(&theme_name, no_color)
        .map_err(|e| Failure::usage(e.to_string()))?;
    if !std::io::stdout().is_terminal() {
        return Err(Failure::environment(
            "the TUI needs a terminal; for scripts use the subcommands (`nixbench --help`)",
        ));
    }
    let workspace = Workspace::open(&context.options, dirs);
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
    .map_err(|e| Failure::environment(format!("terminal error: {e}")))
    .inspect(|outcome| {
        if std::env::var_os("NIXBENCH_TIMINGS").is_some() {
            eprintln!(
                "frames: {} drawn, at most {} in one second",
                outcome.frames, outcome.busiest_second
            );
        }
    })
}

/// The user's config file; a broken one is a usage error that names it.
pub(super) fn load_config(context: &Context) -> Result<Config, Failure> {
    Config::load(&context.dirs.config_file()).map_err(|e| Failure::usage(e.to_string()))
}
