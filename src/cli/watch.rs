//! `nixbench build ARGS...` and `nixbench watch SOURCE...`: a build shown live, in the TUI's Build
//! tab on a terminal, as line output (and a JSON summary) otherwise.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{tui, Context, Failure};
use crate::app::Tab;
use crate::build_log::plain::Outcome as FollowOutcome;
use crate::build_log::source::{parse_source, Source};

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
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
}

#[derive(clap::Args, Debug)]
pub struct WatchArgs {
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
}

/// How a build is shown: the TUI unless line output or a summary is asked for (or there is no
/// terminal).
#[derive(Clone, Copy)]
struct Shown {
    plain: bool,
    json_summary: bool,
}

impl Shown {
    fn in_tui(self) -> bool {
        !self.plain && !self.json_summary && std::io::stdout().is_terminal()
    }
}

/// `nixbench build ARGS...`: runs `nix build` with the log flags it needs; exits with nix's code.
pub(super) fn build(context: &Context, args: BuildArgs) -> Result<ExitCode, Failure> {
    let nix = crate::nix::detect().map_err(Failure::nix_unusable)?;
    let source = Source::Command {
        program: nix.program.clone(),
        args: nix.build_args(&args.args),
        cwd: Some(context.options.directory.clone()),
    };
    let shown = Shown {
        plain: args.plain,
        json_summary: args.json_summary,
    };
    follow_one(context, source, shown)
}

/// `nixbench watch SOURCE...`: follows one log, or several at once.
pub(super) fn watch(context: &Context, args: WatchArgs) -> Result<ExitCode, Failure> {
    let mut sources = args
        .sources
        .iter()
        .map(|text| parse_source(text, !args.no_follow))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let shown = Shown {
        plain: args.plain,
        json_summary: args.json_summary,
    };
    if sources.len() == 1 {
        return follow_one(context, sources.remove(0), shown);
    }
    follow_many(context, sources, shown)
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::environment(e.to_string()))
}

/// Follows several build sources at once: in the TUI on a terminal (`s` shows the next one),
/// otherwise as line output, each line prefixed with its source's label. Exit code: 2 when a
/// source could not be read (unreachable host, missing file), else 1 when a build failed, else 0.
fn follow_many(context: &Context, sources: Vec<Source>, shown: Shown) -> Result<ExitCode, Failure> {
    let stdin_sources = sources.iter().filter(|s| matches!(s, Source::Stdin));
    if stdin_sources.count() > 1 {
        return Err(Failure::usage(
            "standard input (`-`) can be only one of the sources",
        ));
    }
    if shown.in_tui() {
        let outcome = tui::with(context, sources, Tab::Build)?;
        return Ok(ExitCode::from(u8::from(!outcome.build_success)));
    }
    // Labels name the sources in the output; the same host twice gets #2, #3, ...
    let labelled: Vec<(String, Source)> =
        Source::labels(&sources).into_iter().zip(sources).collect();
    let config = tui::load_config(context)?;
    let durations = crate::build_log::history::Durations::load(&context.dirs.durations_file());
    let outcomes = runtime()?.block_on(crate::build_log::plain::follow_many(
        labelled,
        config.build.log_lines,
        &durations,
        shown.json_summary,
    ));
    if shown.json_summary {
        print_summaries(&outcomes);
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

/// The JSON summary of several sources: each one's label, error and summary.
fn print_summaries(outcomes: &[(String, FollowOutcome)]) {
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

/// Shows a build from any source: the TUI's Build tab on a terminal, line output otherwise.
fn follow_one(context: &Context, source: Source, shown: Shown) -> Result<ExitCode, Failure> {
    let is_command = matches!(source, Source::Command { .. });
    if shown.in_tui() {
        let outcome = tui::with(context, vec![source], Tab::Build)?;
        let _ = std::io::stdout().write_all(&outcome.build_stdout);
        let code = match (is_command, outcome.build_exit) {
            (true, Some(code)) => code.clamp(0, 255) as u8,
            (true, None) => 1,
            (false, _) => u8::from(!outcome.build_success),
        };
        return Ok(ExitCode::from(code));
    }
    let config = tui::load_config(context)?;
    runtime()?.block_on(plain_build(
        source,
        shown.json_summary,
        config.build.log_lines,
        is_command,
        context.dirs.durations_file(),
    ))
}

async fn plain_build(
    source: Source,
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
        // The source could not be read (missing file, unreachable host): exit code 2.
        return Err(Failure::environment(text));
    }
    Ok(match (is_command, outcome.code) {
        (true, Some(code)) => ExitCode::from(code.clamp(0, 255) as u8),
        (true, None) => ExitCode::from(1),
        (false, _) if outcome.success => ExitCode::SUCCESS,
        (false, _) => ExitCode::from(1),
    })
}
