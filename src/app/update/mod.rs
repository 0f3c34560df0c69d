//! `update(state, msg) -> effects`: the only place state changes. Pure apart from the state it is
//! given, so tests drive it directly.

use std::path::PathBuf;
use std::sync::Arc;

use ratatui::crossterm::event::{KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};

use crate::build_log::{DrvStatus, Event as LogEvent};
use crate::graph::algo;
use crate::nixpkgs::search::{Query, Results, Searchable};

use super::command::Command;
use super::layout;
use super::state::*;

mod build;
mod flake;
mod graph;
mod input;
mod packages;
pub mod tour;

use build::*;
use flake::*;
use graph::*;
use input::*;
use packages::*;

pub use input::{palette_matches, palette_query_of};

/// Everything that can happen to the app.
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Paste(String),
    IndexLoaded(Result<Arc<Searchable>, LoadError>),
    /// The project's pinned nixpkgs is missing; what is searched instead.
    PinnedMissing(PinnedMissing),
    /// A line of the running nixpkgs fetch's output.
    FetchProgress(String),
    /// The fetch ended: the fetched tree's root, or what went wrong.
    FetchDone(Result<Option<std::path::PathBuf>, LoadError>),
    SearchDone {
        generation: u64,
        results: Results,
        /// The results' rows (see [`crate::app::state::result_rows`]).
        rows: Vec<crate::app::state::ResultRow>,
    },
    /// A graph finished loading; `build_time` tells which one.
    GraphLoaded {
        build_time: bool,
        result: Result<GraphData, LoadError>,
    },
    FlakeLoaded {
        path: PathBuf,
        text: Result<String, LoadError>,
        lock: Option<String>,
        /// When it was read (Unix seconds), for the lock inputs' ages.
        read_at: i64,
    },
    /// Events from build source number `source` (see [`AppState::build_mut`]).
    BuildEvents {
        source: usize,
        events: Vec<(LogEvent, f64)>,
    },
    BuildEnded {
        source: usize,
        code: Option<i32>,
        now: f64,
    },
    /// What the build process printed on stdout.
    BuildStdout {
        source: usize,
        bytes: Vec<u8>,
    },
    /// Build source number `source` could not be read.
    BuildSourceFailed {
        source: usize,
        text: String,
    },
    /// A message for the status line.
    Notice {
        text: String,
        is_error: bool,
    },
    /// A confirmed change was written.
    FlakeWritten {
        change: Box<PendingWrite>,
        backup: Option<PathBuf>,
    },
    /// The comparison asked for with `c`.
    Compared(Result<crate::graph::report::ClosureDiff, LoadError>),
    /// Source lines for the details pane.
    Excerpt {
        name: String,
        first_line: u32,
        lines: Vec<String>,
    },
    /// A command chosen by other means (palette, tests).
    Run(Command),
}

/// Work for the loop to do outside `update`.
#[derive(Debug, PartialEq)]
pub enum Effect {
    Search {
        generation: u64,
        query: Query,
    },
    /// Write a confirmed change to flake.nix safely (checked, backed up, atomic).
    WriteFile(Box<PendingWrite>),
    /// Load another closure and compare the current graph with it.
    Compare {
        other: String,
    },
    /// Read a few lines of source around a definition, for the details pane.
    LoadExcerpt {
        name: String,
        path: PathBuf,
        line: u32,
    },
    /// Evaluate nixpkgs in the background and refine the index.
    EvaluateIndex,
    /// Fetch the pinned nixpkgs (argv after `nix`), then index it.
    FetchNixpkgs,
    /// Save tour progress to the state directory.
    SaveTour(super::tour::Progress),
    /// Write the build-duration history to the state directory.
    SaveDurations(crate::build_log::history::Durations),
    OpenEditor {
        path: PathBuf,
        line: u32,
    },
}

pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    let step_before = state.tour.step;
    let flake_read = matches!(msg, Msg::FlakeLoaded { .. });
    let mut effects = handle(state, msg);
    // What views draw from, made again only when its inputs changed.
    state.graph.refresh_columns();
    state.packages.refresh_selected(state.syntax);
    state.keep_selections_in_view();
    if flake_read {
        state.flake.refresh_highlight(state.syntax);
    }
    let newly = tour::observe(state);
    if let Some(&last) = newly.last() {
        let title = state.tour.lessons[last].title.clone();
        state.notify(format!(
            "Tour: \"{title}\" done ✓ (5 for the tour, n for the next lesson)"
        ));
    }
    if !newly.is_empty() || state.tour.step != step_before {
        effects.push(Effect::SaveTour(super::tour::Progress {
            completed: state.tour.completed.clone(),
            step: state.tour.step,
        }));
    }
    effects
}

fn handle(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    let mut effects = Vec::new();
    match msg {
        Msg::Key(key) => on_key_event(state, key, &mut effects),
        Msg::Mouse(mouse) => on_mouse(state, mouse, &mut effects),
        Msg::Resize(w, h) => state.size = (w, h),
        Msg::Paste(text) => {
            for c in text.chars().filter(|c| !c.is_control()) {
                type_char(state, c, &mut effects);
            }
        }
        Msg::PinnedMissing(missing) => state.packages.pinned_missing = Some(missing),
        Msg::FetchProgress(line) => {
            if let Some(missing) = &mut state.packages.pinned_missing {
                missing.fetching = Some(line);
            }
        }
        Msg::FetchDone(result) => fetch_done(state, result),
        Msg::IndexLoaded(result) => {
            state.packages.index = match result {
                Ok(index) => Load::Ready(index),
                Err(e) => Load::Failed(e),
            };
            request_search(state, &mut effects);
        }
        Msg::SearchDone {
            generation,
            results,
            rows,
        } => search_done(state, generation, results, rows, &mut effects),
        Msg::GraphLoaded { build_time, result } => {
            let loaded = match result {
                Ok(data) => Load::Ready(data),
                Err(e) => Load::Failed(e),
            };
            let g = &mut state.graph;
            if build_time == g.build_time {
                g.data = loaded;
                reset_graph_position(g);
            } else {
                g.other = loaded;
            }
        }
        Msg::FlakeLoaded {
            path,
            text,
            lock,
            read_at,
        } => {
            state.flake.path = Some(path);
            state.flake.read_at = read_at;
            match text {
                Ok(text) => {
                    state.flake.flake = Some(crate::flake::Flake::parse(text));
                    state.flake.error = None;
                }
                Err(e) => state.flake.error = Some(e),
            }
            if let Some(lock) = lock {
                state.flake.lock = crate::flake::lock::locked_nodes(&lock).unwrap_or_default();
                state.flake.lock_duplicates = crate::flake::lock::duplicates(&state.flake.lock);
                state.flake.lock_newer_nix = crate::flake::lock::newer_nix_features(&lock)
                    .map(|what| crate::flake::lock::newer_nix_message(&what, None));
            }
            update_explanation(state);
        }
        Msg::BuildEvents { source, events } => build_events(state, source, events),
        Msg::BuildEnded { source, code, now } => {
            build_ended(state, source, code, now, &mut effects)
        }
        Msg::BuildStdout { source, bytes } => {
            if let Some(build) = state.builds.get_mut(source) {
                build.stdout = bytes;
            }
        }
        Msg::BuildSourceFailed { source, text } => {
            if let Some(build) = state.builds.get_mut(source) {
                build.source_error = Some(text.clone());
            }
            state.fail(text);
        }
        Msg::Compared(result) => state.graph.comparison = Some(result),
        Msg::Excerpt {
            name,
            first_line,
            lines,
        } => {
            state.packages.excerpt = Some(Excerpt {
                name,
                first_line,
                lines,
            })
        }
        Msg::Notice { text, is_error } => state.notice = Some(Notice { text, is_error }),
        Msg::FlakeWritten { change, backup } => {
            let (path, is_undo) = (change.path.clone(), change.is_undo);
            if !is_undo {
                state.flake.undo.push(UndoEntry {
                    path: change.path,
                    before: change.original,
                    after: change.new,
                    added: change.added,
                });
            }
            let backup = backup
                .map(|b| format!(" (backup: {})", b.display()))
                .unwrap_or_default();
            state.notify(format!(
                "{} {}{backup}; u in the Flake tab undoes",
                if is_undo { "restored" } else { "updated" },
                path.display()
            ));
        }
        Msg::Run(command) => run(state, command, &mut effects),
    }
    effects
}

/// Starts a search for the current query; the newest generation wins.
fn request_search(state: &mut AppState, effects: &mut Vec<Effect>) {
    if state.packages.index.ready().is_none() {
        return;
    }
    state.packages.generation += 1;
    state.packages.searching = true;
    effects.push(Effect::Search {
        generation: state.packages.generation,
        query: Query::parse(&state.packages.query, state.packages.scope),
    });
}

fn page(state: &AppState) -> usize {
    (state.size.1 as usize).saturating_sub(6).max(1)
}

pub fn run(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
    run_command(state, command, effects);
    if state.tab == Tab::Packages && state.overlay == Overlay::None {
        request_excerpt(state, effects);
    }
}

fn run_command(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
    // Overlays take navigation first.
    match &mut state.overlay {
        Overlay::Help { scroll } => {
            match command {
                Command::Up => *scroll = scroll.saturating_sub(1),
                Command::Down => *scroll += 1,
                Command::Help | Command::Back | Command::Quit => state.overlay = Overlay::None,
                _ => {}
            }
            return;
        }
        Overlay::Confirm(pending) => {
            match command {
                Command::Up => pending.scroll = pending.scroll.saturating_sub(1),
                Command::Down => pending.scroll += 1,
                Command::Confirm => {
                    effects.push(Effect::WriteFile(pending.clone()));
                    state.overlay = Overlay::None;
                }
                Command::Cancel | Command::Back | Command::Quit => {
                    state.overlay = Overlay::None;
                    state.notify("nothing changed");
                }
                _ => {}
            }
            return;
        }
        Overlay::Palette { selected, .. } => {
            let count = palette_matches(palette_query_of(&state.focus)).len();
            match command {
                Command::Up => *selected = selected.saturating_sub(1),
                Command::Down => *selected = (*selected + 1).min(count.saturating_sub(1)),
                Command::Back | Command::Palette => close_palette(state),
                _ => {}
            }
            return;
        }
        Overlay::None => {}
    }
    state.notice = None;
    match command {
        Command::Quit => state.quit = true,
        Command::Help => state.overlay = Overlay::Help { scroll: 0 },
        Command::Palette => open_palette(state),
        Command::NextTab => state.show_tab(Tab::ALL[(state.tab.index() + 1) % Tab::ALL.len()]),
        Command::PrevTab => {
            state.show_tab(Tab::ALL[(state.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()])
        }
        Command::TabPackages => state.show_tab(Tab::Packages),
        Command::TabGraph => state.show_tab(Tab::Graph),
        Command::TabBuild => state.show_tab(Tab::Build),
        Command::TabFlake => state.show_tab(Tab::Flake),
        Command::TabTour => state.show_tab(Tab::Tour),
        Command::Up => move_selection(state, -1),
        Command::Down => move_selection(state, 1),
        Command::PageUp => move_selection(state, -(page(state) as isize)),
        Command::PageDown => move_selection(state, page(state) as isize),
        Command::Top => move_selection(state, isize::MIN / 2),
        Command::Bottom => move_selection(state, isize::MAX / 2),
        _ => match state.tab {
            Tab::Packages => packages_command(state, command, effects),
            Tab::Graph => graph_command(state, command, effects),
            Tab::Build => build_command(state, command),
            Tab::Flake => flake_command(state, command, effects),
            Tab::Tour => tour_command(state, command),
        },
    }
}

fn clamp_add(value: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (value as isize)
        .saturating_add(delta)
        .clamp(0, len as isize - 1) as usize
}

fn move_selection(state: &mut AppState, delta: isize) {
    match state.tab {
        Tab::Packages => {
            let p = &mut state.packages;
            if state.focus == Focus::Detail {
                p.detail_scroll = clamp_add(p.detail_scroll, delta, 10_000);
            } else {
                p.selected = clamp_add(p.selected, delta, p.results.hits.len());
                p.detail_scroll = 0;
            }
        }
        Tab::Graph => {
            let column = state.graph.column;
            let len = state.graph.column_items(column).len();
            let g = &mut state.graph;
            match column {
                GraphColumn::References => {
                    g.selected_reference = clamp_add(g.selected_reference, delta, len)
                }
                GraphColumn::Referrers => {
                    g.selected_referrer = clamp_add(g.selected_referrer, delta, len)
                }
            }
        }
        Tab::Build => {
            let b = &mut state.builds[state.shown];
            if state.focus == Focus::Detail {
                let len = b
                    .state
                    .derivations
                    .get(b.selected)
                    .map_or(0, |d| d.log.len());
                b.scroll_from_end = clamp_add(b.scroll_from_end, -delta, len.max(1));
                b.follow = b.scroll_from_end == 0;
            } else {
                b.selected = clamp_add(b.selected, delta, b.state.derivations.len());
                b.scroll_from_end = 0;
                b.follow = false;
            }
        }
        Tab::Flake => {
            match state.flake.flake.as_ref().map(|f| f.text().lines().count()) {
                Some(lines) => {
                    state.flake.cursor_line = clamp_add(state.flake.cursor_line, delta, lines);
                    update_explanation(state);
                }
                // No flake.nix yet: the init wizard's template list.
                None => {
                    let count = crate::flake::templates::names().len();
                    state.flake.template = clamp_add(state.flake.template, delta, count);
                }
            }
        }
        Tab::Tour => {
            let t = &mut state.tour;
            t.step = clamp_add(t.step, delta.signum(), t.lessons.len());
            t.show_hint = false;
        }
    }
}

fn tour_command(state: &mut AppState, command: Command) {
    let t = &mut state.tour;
    match command {
        Command::NextStep | Command::Right | Command::Open => {
            t.step = (t.step + 1).min(t.lessons.len().saturating_sub(1));
            t.show_hint = false;
        }
        Command::PrevStep | Command::Left => {
            t.step = t.step.saturating_sub(1);
            t.show_hint = false;
        }
        Command::Hint => t.show_hint = !t.show_hint,
        _ => {}
    }
}

fn on_mouse(state: &mut AppState, mouse: MouseEvent, effects: &mut Vec<Effect>) {
    match mouse.kind {
        MouseEventKind::ScrollUp => run(state, Command::Up, effects),
        MouseEventKind::ScrollDown => run(state, Command::Down, effects),
        MouseEventKind::Down(_) => {
            let areas = layout::areas(state.size);
            if let Some(tab) = layout::tab_at(&areas, mouse.column, mouse.row) {
                state.overlay = Overlay::None;
                state.show_tab(tab);
                return;
            }
            // On a narrow terminal the detail covers the list while it has the focus.
            let list_shown = !(areas.narrow && state.focus == Focus::Detail);
            if let Some(row) =
                layout::list_row_at(&areas, mouse.column, mouse.row).filter(|_| list_shown)
            {
                match state.tab {
                    Tab::Packages => {
                        let offset = state.packages.offset;
                        let target = offset + row;
                        if target < state.packages.results.hits.len() {
                            state.packages.selected = target;
                            if state.focus == Focus::Detail {
                                state.focus = Focus::List;
                            }
                        }
                    }
                    Tab::Build => {
                        let b = state.shown_build_mut();
                        let offset = b.offset;
                        let target = offset + row;
                        if target < b.state.derivations.len() {
                            b.selected = target;
                            b.follow = false;
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}
