//! `update(state, msg) -> effects`: the only place state changes. Pure apart from the state it is
//! given, so tests drive it directly.

use std::path::PathBuf;
use std::sync::Arc;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};

use crate::build_log::{DrvStatus, Event as LogEvent};
use crate::graph::algo;
use crate::nixpkgs::search::{Query, Results, Searchable};

use super::command::Command;
use super::keymap::Key;
use super::layout;
use super::state::*;

/// Everything that can happen to the app.
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Paste(String),
    IndexLoaded(Result<Arc<Searchable>, String>),
    SearchDone {
        generation: u64,
        results: Results,
    },
    /// A graph finished loading; `build_time` tells which one.
    GraphLoaded {
        build_time: bool,
        result: Result<GraphData, String>,
    },
    FlakeLoaded {
        path: PathBuf,
        text: Result<String, String>,
        lock: Option<String>,
        /// When it was read (Unix seconds), for the lock inputs' ages.
        read_at: i64,
    },
    BuildEvents(Vec<(LogEvent, f64)>),
    BuildEnded {
        code: Option<i32>,
        now: f64,
    },
    /// What the build process printed on stdout.
    BuildStdout(Vec<u8>),
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
    Compared(Result<crate::graph::report::ClosureDiff, String>),
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
    /// Save tour progress to the state directory.
    SaveTour(super::tour::Progress),
    /// Write the build-duration history to the state directory.
    SaveDurations(crate::build_log::history::Durations),
    OpenEditor {
        path: PathBuf,
        line: u32,
    },
    Quit,
}

pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    let step_before = state.tour.step;
    let mut effects = handle(state, msg);
    let newly = super::tour::observe(state);
    if let Some(&last) = newly.last() {
        let title = state.tour.lessons[last].title.clone();
        state.notice = Some(Notice {
            text: format!("Tour: \"{title}\" done ✓ (5 for the tour, n for the next lesson)"),
            is_error: false,
        });
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
        Msg::Key(key) => {
            if key.kind == KeyEventKind::Release {
                return effects;
            }
            if state.debug_panic {
                panic!("NIXBENCH_DEBUG_PANIC: deliberate panic to test terminal restoration");
            }
            on_key(state, key, &mut effects);
        }
        Msg::Mouse(mouse) => on_mouse(state, mouse, &mut effects),
        Msg::Resize(w, h) => state.size = (w, h),
        Msg::Paste(text) => {
            for c in text.chars().filter(|c| !c.is_control()) {
                type_char(state, c, &mut effects);
            }
        }
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
        } => {
            if generation == state.packages.generation {
                state.packages.results = results;
                state.packages.searching = false;
                state.packages.selected = 0;
                state.packages.detail_scroll = 0;
                request_excerpt(state, &mut effects);
            }
        }
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
            }
            update_explanation(state);
        }
        Msg::BuildEvents(events) => {
            state.build.running = true;
            for (event, now) in events {
                state.build.state.apply(event, now);
            }
            if state.build.follow {
                follow_running(&mut state.build);
            }
        }
        Msg::BuildEnded { code, now } => {
            state.build.running = false;
            state.build.exit_code = code;
            state.build.state.finish(now);
            state.build.explanations =
                crate::explain::explain(&state.build.state.error_text(), &|_| Vec::new());
            if state.build.record_history {
                state.build.durations.record(&state.build.state);
                effects.push(Effect::SaveDurations(state.build.durations.clone()));
            }
        }
        Msg::BuildStdout(bytes) => state.build.stdout = bytes,
        Msg::Compared(result) => state.graph.comparison = Some(result),
        Msg::Excerpt {
            name,
            first_line,
            lines,
        } => state.packages.excerpt = Some((name, first_line, lines)),
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
            state.notice = Some(Notice {
                text: format!(
                    "{} {}{backup}; u in the Flake tab undoes",
                    if is_undo { "restored" } else { "updated" },
                    path.display()
                ),
                is_error: false,
            });
        }
        Msg::Run(command) => run(state, command, &mut effects),
    }
    effects
}

fn on_key(state: &mut AppState, key: KeyEvent, effects: &mut Vec<Effect>) {
    let mut k = Key::from_event(&key);
    if let Overlay::Confirm(pending) = &state.overlay {
        match key.code {
            KeyCode::Char('y') | KeyCode::Enter => {
                effects.push(Effect::WriteFile(pending.clone()));
                state.overlay = Overlay::None;
                return;
            }
            KeyCode::Char('n') | KeyCode::Esc => {
                state.overlay = Overlay::None;
                state.notice = Some(Notice {
                    text: "nothing changed".into(),
                    is_error: false,
                });
                return;
            }
            _ => {}
        }
    }
    if state.typing() {
        if k.alt && matches!(key.code, KeyCode::Char(_)) {
            // Esc followed quickly by a key reaches us as Alt+key: leave the input, then act on it.
            leave_input(state);
            k.alt = false;
            if let Some(command) = state.keymap.lookup(state.tab.context(), k) {
                run(state, command, effects);
            }
            return;
        }
        match key.code {
            KeyCode::Char(c) if !k.ctrl && !k.alt => return type_char(state, c, effects),
            KeyCode::Backspace => return backspace(state, effects),
            KeyCode::Enter => {
                if let Overlay::Palette { query, selected } = &state.overlay {
                    let chosen = palette_matches(query).get(*selected).copied();
                    state.overlay = Overlay::None;
                    if let Some(command) = chosen {
                        run(state, command, effects);
                    }
                } else if state.tab == Tab::Graph && state.graph.compare_input.is_some() {
                    let other = state.graph.compare_input.take().unwrap_or_default();
                    if !other.trim().is_empty() {
                        state.graph.comparison = None;
                        state.notice = Some(Notice {
                            text: format!("loading {other}…"),
                            is_error: false,
                        });
                        effects.push(Effect::Compare {
                            other: other.trim().to_string(),
                        });
                    }
                } else if state.tab == Tab::Graph {
                    jump_to_search_match(state);
                } else if state.tab == Tab::Build {
                    jump_to_log_match(state);
                } else {
                    state.packages.editing = false;
                }
                return;
            }
            KeyCode::Esc => return leave_input(state),
            _ => {}
        }
    }
    if let Some(command) = state.keymap.lookup(state.tab.context(), k) {
        run(state, command, effects);
    }
}

fn leave_input(state: &mut AppState) {
    if matches!(state.overlay, Overlay::Palette { .. }) {
        state.overlay = Overlay::None;
    } else if state.tab == Tab::Graph {
        state.graph.search = None;
        state.graph.compare_input = None;
    } else if state.tab == Tab::Build {
        state.build.search = None;
    } else {
        state.packages.editing = false;
    }
}

fn type_char(state: &mut AppState, c: char, effects: &mut Vec<Effect>) {
    edit_input(state, effects, |text| text.push(c));
}

fn backspace(state: &mut AppState, effects: &mut Vec<Effect>) {
    edit_input(state, effects, |text| {
        text.pop();
    });
}

/// Applies `edit` to the text input that has the keyboard (palette, package search, graph search
/// or compare prompt, log search), then does what that input needs after a change.
fn edit_input(state: &mut AppState, effects: &mut Vec<Effect>, edit: impl FnOnce(&mut String)) {
    if let Overlay::Palette { query, selected } = &mut state.overlay {
        edit(query);
        *selected = 0;
        return;
    }
    match state.tab {
        Tab::Packages => {
            state.packages.editing = true;
            edit(&mut state.packages.query);
            request_search(state, effects);
        }
        Tab::Graph => {
            if let Some(text) = state
                .graph
                .search
                .as_mut()
                .or(state.graph.compare_input.as_mut())
            {
                edit(text);
            }
        }
        Tab::Build => {
            if let Some(text) = state.build.search.as_mut() {
                edit(text);
            }
        }
        Tab::Flake | Tab::Tour => {}
    }
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

/// Commands in the palette matching what was typed, in declaration order.
pub fn palette_matches(query: &str) -> Vec<Command> {
    let query = query.to_lowercase();
    Command::ALL
        .iter()
        .copied()
        .filter(|c| c.name().contains(&query) || c.help().to_lowercase().contains(&query))
        .collect()
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
                Command::Open => {
                    effects.push(Effect::WriteFile(pending.clone()));
                    state.overlay = Overlay::None;
                }
                Command::Back | Command::Quit => state.overlay = Overlay::None,
                _ => {}
            }
            return;
        }
        Overlay::Palette { query, selected } => {
            let count = palette_matches(query).len();
            match command {
                Command::Up => *selected = selected.saturating_sub(1),
                Command::Down => *selected = (*selected + 1).min(count.saturating_sub(1)),
                Command::Back | Command::Palette => state.overlay = Overlay::None,
                _ => {}
            }
            return;
        }
        Overlay::None => {}
    }
    state.notice = None;
    match command {
        Command::Quit => {
            state.quit = true;
            effects.push(Effect::Quit);
        }
        Command::Help => state.overlay = Overlay::Help { scroll: 0 },
        Command::Palette => {
            state.overlay = Overlay::Palette {
                query: String::new(),
                selected: 0,
            }
        }
        Command::NextTab => state.tab = Tab::ALL[(state.tab.index() + 1) % Tab::ALL.len()],
        Command::PrevTab => {
            state.tab = Tab::ALL[(state.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
        }
        Command::TabPackages => state.tab = Tab::Packages,
        Command::TabGraph => state.tab = Tab::Graph,
        Command::TabBuild => state.tab = Tab::Build,
        Command::TabFlake => state.tab = Tab::Flake,
        Command::TabTour => state.tab = Tab::Tour,
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

/// Asks for the source around the selected entry's definition, unless it is already shown.
fn request_excerpt(state: &mut AppState, effects: &mut Vec<Effect>) {
    let p = &state.packages;
    let (Some(searchable), Some(hit), Some(root)) = (
        p.index.ready(),
        p.results.hits.get(p.selected),
        &state.status.nixpkgs_root,
    ) else {
        return;
    };
    let entry = searchable.entry(*hit);
    if p.excerpt
        .as_ref()
        .is_some_and(|(name, ..)| *name == entry.name)
    {
        return;
    }
    if let (Some(file), Some(line)) = (entry.file, entry.line) {
        effects.push(Effect::LoadExcerpt {
            name: entry.name,
            path: root.join(file),
            line,
        });
    }
}

fn move_selection(state: &mut AppState, delta: isize) {
    match state.tab {
        Tab::Packages => {
            let p = &mut state.packages;
            if p.detail_focus {
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
            let b = &mut state.build;
            if b.focus_log {
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

fn packages_command(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
    let p = &mut state.packages;
    match command {
        // `/` starts a new search, as in less and vim.
        Command::Search => {
            p.editing = true;
            if !p.query.is_empty() {
                p.query.clear();
                request_search(state, effects);
            }
        }
        Command::Back => {
            if p.detail_focus {
                p.detail_focus = false;
            } else if !p.query.is_empty() {
                p.query.clear();
                request_search(state, effects);
            }
        }
        Command::EvaluateIndex => {
            if p.index.ready().is_none() {
                return;
            }
            state.notice = Some(Notice {
                text: "evaluating nixpkgs with nix-env in the background…".into(),
                is_error: false,
            });
            effects.push(Effect::EvaluateIndex);
        }
        Command::AddToFlake => {
            let Some(hit) = p.results.hits.get(p.selected).copied() else {
                return;
            };
            let Some(searchable) = p.index.ready().cloned() else {
                return;
            };
            let entry = searchable.entry(hit);
            propose_add_to_flake(state, &entry);
        }
        Command::CycleScope => {
            p.scope = p.scope.next();
            request_search(state, effects);
        }
        Command::Right | Command::Open => p.detail_focus = true,
        Command::Left => p.detail_focus = false,
        Command::Edit => {
            let Some(searchable) = p.index.ready() else {
                return;
            };
            let Some(hit) = p.results.hits.get(p.selected) else {
                return;
            };
            let entry = searchable.entry(*hit);
            let root = state.status.nixpkgs_root.clone();
            match (&entry.file, root) {
                (Some(file), Some(root)) => effects.push(Effect::OpenEditor {
                    path: root.join(file),
                    line: entry.line.unwrap_or(1),
                }),
                _ => {
                    state.notice = Some(Notice {
                        text: format!("{} has no known source position", entry.name),
                        is_error: true,
                    })
                }
            }
        }
        _ => {}
    }
}

/// Switches to the Packages tab searching for the current node's package name.
fn show_docs_for_current(state: &mut AppState, effects: &mut Vec<Effect>) {
    let Some(data) = state.graph.data.ready() else {
        return;
    };
    let name = data.graph.node(state.graph.current).name();
    let name = name.strip_suffix(".drv").unwrap_or(name);
    let pname = crate::graph::split_name_version(name).0;
    // `python3.12-requests` is `requests` in the package set.
    let pname = match pname.split_once('-') {
        Some((prefix, rest)) if prefix.starts_with("python") => rest,
        _ => pname,
    };
    state.packages.query = pname.to_string();
    state.packages.editing = false;
    state.tab = Tab::Packages;
    request_search(state, effects);
}

fn reset_graph_position(g: &mut GraphState) {
    g.current = g
        .data
        .ready()
        .and_then(|d| d.graph.roots.first().copied())
        .unwrap_or(0);
    g.selected_reference = 0;
    g.selected_referrer = 0;
    g.why = None;
}

fn jump_to_search_match(state: &mut AppState) {
    let g = &mut state.graph;
    let best = g.search_matches(1).first().copied();
    g.search = None;
    match best {
        Some(node) => {
            g.history.push(g.current);
            g.current = node;
            g.selected_reference = 0;
            g.selected_referrer = 0;
            g.why = None;
        }
        None => {
            state.notice = Some(Notice {
                text: "no path in this graph matches".into(),
                is_error: false,
            })
        }
    }
}

fn graph_command(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
    if command == Command::ToggleBuildTime {
        let g = &mut state.graph;
        std::mem::swap(&mut g.data, &mut g.other);
        g.build_time = !g.build_time;
        g.history.clear();
        reset_graph_position(g);
        return;
    }
    if command == Command::Docs {
        return show_docs_for_current(state, effects);
    }
    let g = &mut state.graph;
    let Some(data) = g.data.ready() else { return };
    let graph = data.graph.clone();
    match command {
        Command::Left => g.column = GraphColumn::Referrers,
        Command::Right => g.column = GraphColumn::References,
        Command::Open => {
            let items = g.column_items(g.column);
            let index = match g.column {
                GraphColumn::References => g.selected_reference,
                GraphColumn::Referrers => g.selected_referrer,
            };
            if let Some(&next) = items.get(index) {
                g.history.push(g.current);
                g.current = next;
                g.selected_reference = 0;
                g.selected_referrer = 0;
                g.why = None;
            }
        }
        Command::Back => {
            if g.comparison.is_some() {
                g.comparison = None;
            } else if g.why.is_some() {
                g.why = None;
            } else if let Some(previous) = g.history.pop() {
                g.current = previous;
                g.selected_reference = 0;
                g.selected_referrer = 0;
            }
        }
        Command::Sort => g.sort = g.sort.next(),
        Command::Search => g.search = Some(String::new()),
        Command::Compare => g.compare_input = Some(String::new()),
        Command::Why => {
            let root = graph.roots.first().copied().unwrap_or(0);
            g.why = Some(algo::why_chains(
                &graph,
                root,
                g.current,
                algo::WHY_CHAINS_DEFAULT,
            ));
        }
        _ => {}
    }
}

/// Selects the derivation that is building now (or the last one that started).
fn follow_running(build: &mut BuildView) {
    let derivations = &build.state.derivations;
    if let Some(i) = derivations
        .iter()
        .rposition(|d| d.status.is_running())
        .or_else(|| {
            derivations
                .iter()
                .position(|d| d.status == DrvStatus::Failed)
        })
    {
        build.selected = i;
        build.scroll_from_end = 0;
    }
}

/// Scrolls the selected log so the nearest line above the current view that contains the search
/// text becomes the bottom line; wraps around to the end.
fn jump_to_log_match(state: &mut AppState) {
    let b = &mut state.build;
    let Some(query) = b.search.take().filter(|q| !q.is_empty()) else {
        return;
    };
    let query = query.to_lowercase();
    let Some(drv) = b.state.derivations.get(b.selected) else {
        return;
    };
    let lines: Vec<&String> = drv.log.iter().collect();
    let bottom = lines.len().saturating_sub(b.scroll_from_end + 1);
    let found = (0..bottom)
        .rev()
        .chain((bottom..lines.len()).rev())
        .find(|&i| lines[i].to_lowercase().contains(&query));
    match found {
        Some(i) => {
            b.scroll_from_end = lines.len() - 1 - i;
            b.follow = false;
            b.focus_log = true;
        }
        None => {
            state.notice = Some(Notice {
                text: format!("`{query}` is not in this log"),
                is_error: false,
            })
        }
    }
}

/// Opens the selected derivation in the Graph tab: the build-time graph holds .drv paths.
fn show_in_graph(state: &mut AppState) {
    let Some(drv) = state.build.state.derivations.get(state.build.selected) else {
        return;
    };
    let drv_path = drv.drv_path.clone();
    let g = &mut state.graph;
    if !g.build_time {
        std::mem::swap(&mut g.data, &mut g.other);
        g.build_time = true;
        g.history.clear();
    }
    let node = g.data.ready().and_then(|d| d.graph.find_path(&drv_path));
    state.tab = Tab::Graph;
    match node {
        Some(node) => {
            g.current = node;
            g.selected_reference = 0;
            g.selected_referrer = 0;
            g.why = None;
        }
        None => {
            state.notice = Some(Notice {
                text: format!(
                    "{} is not in the loaded build-time graph",
                    crate::build_log::drv_name(&drv_path)
                ),
                is_error: false,
            })
        }
    }
}

fn build_command(state: &mut AppState, command: Command) {
    if command == Command::ShowInGraph {
        return show_in_graph(state);
    }
    let b = &mut state.build;
    match command {
        Command::Search => b.search = Some(String::new()),
        Command::Follow => {
            b.follow = !b.follow;
            if b.follow {
                follow_running(b);
            }
        }
        Command::Right | Command::Open => b.focus_log = true,
        Command::Left | Command::Back => b.focus_log = false,
        Command::FirstError => {
            let failed = b
                .state
                .derivations
                .iter()
                .position(|d| d.status == DrvStatus::Failed);
            if let Some(i) = failed {
                b.selected = i;
                let log = &b.state.derivations[i].log;
                let first_error = log.iter().position(|l| {
                    let l = l.to_lowercase();
                    l.contains("error") || l.contains("failed")
                });
                b.scroll_from_end = first_error.map_or(0, |pos| log.len().saturating_sub(pos + 1));
                b.focus_log = true;
                b.follow = false;
            } else {
                state.notice = Some(Notice {
                    text: "no failed derivation".into(),
                    is_error: false,
                });
            }
        }
        _ => {}
    }
}

fn update_explanation(state: &mut AppState) {
    let Some(flake) = &state.flake.flake else {
        return;
    };
    let text = flake.text();
    let line_start: usize = text
        .split_inclusive('\n')
        .take(state.flake.cursor_line)
        .map(str::len)
        .sum();
    // Explain the first non-blank character of the line.
    let indent = text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .count();
    state.flake.explanation = crate::flake::explain::explain_at(flake, line_start + indent);
}

/// Shows the diff of adding a package to the default dev shell, for confirmation.
fn propose_add_to_flake(state: &mut AppState, entry: &crate::nixpkgs::Entry) {
    let fail = |state: &mut AppState, text: String| {
        state.notice = Some(Notice {
            text,
            is_error: true,
        })
    };
    if entry.kind() != crate::nixpkgs::EntryKind::Package {
        return fail(
            state,
            format!(
                "{} is not a package; only packages go into a dev shell",
                entry.name
            ),
        );
    }
    let (Some(path), Some(flake)) = (state.flake.path.clone(), state.flake.flake.as_ref()) else {
        return fail(
            state,
            "this project has no flake.nix: create one with `nixbench flake init`".into(),
        );
    };
    let original = flake.text().to_string();
    match crate::flake::edit::add_package(&original, "default", &entry.name) {
        Ok(new) => {
            let mut pending = PendingWrite::new(
                format!("Add {} to the default dev shell?", entry.name),
                path,
                original,
                new,
            );
            // Undo can then take back just this package, even if the file changed since.
            pending.added = Some(("default".into(), entry.name.clone()));
            state.overlay = Overlay::Confirm(Box::new(pending));
        }
        Err(err) => fail(
            state,
            err.to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        ),
    }
}

/// The init wizard: the chosen template as a new flake.nix, shown as a diff to confirm.
fn propose_init(state: &mut AppState) {
    let Some(root) = state.flake.project_root.clone() else {
        return;
    };
    let names = crate::flake::templates::names();
    let Some(name) = names.get(state.flake.template) else {
        return;
    };
    let text = crate::flake::templates::get(name)
        .unwrap_or_default()
        .to_string();
    let path = root.join("flake.nix");
    let pending = PendingWrite::new(
        format!("Create flake.nix from the {name} template?"),
        path,
        String::new(),
        text,
    );
    state.overlay = Overlay::Confirm(Box::new(pending));
}

fn flake_command(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
    if state.flake.flake.is_none() && command == Command::Open {
        return propose_init(state);
    }
    if command == Command::Docs {
        // Look the construct under the cursor up in the Packages & functions browser.
        let Some((title, _)) = &state.flake.explanation else {
            state.notice = Some(Notice {
                text: "move to a line nixbench explains first (x)".into(),
                is_error: false,
            });
            return;
        };
        let word = title.rsplit('.').next().unwrap_or(title).to_string();
        state.packages.query = word;
        state.packages.editing = false;
        state.tab = Tab::Packages;
        request_search(state, effects);
        return;
    }
    if command == Command::Undo {
        let Some(entry) = state.flake.undo.pop() else {
            state.notice = Some(Notice {
                text: "nothing to undo".into(),
                is_error: false,
            });
            return;
        };
        let current = state
            .flake
            .flake
            .as_ref()
            .map(|f| f.text().to_string())
            .unwrap_or_default();
        // Unchanged since we wrote it: put the old text back. Changed since: take back only our
        // edit, so the other changes survive; if that is impossible, refuse.
        let restored = if current == entry.after {
            Ok(entry.before.clone())
        } else if let Some((shell, package)) = &entry.added {
            crate::flake::edit::remove_package(&current, shell, package).map_err(|e| e.to_string())
        } else {
            Err(
                "flake.nix changed since nixbench edited it; undo would discard those changes"
                    .into(),
            )
        };
        let previous = match restored {
            Ok(text) => text,
            Err(why) => {
                state.notice = Some(Notice {
                    text: format!("cannot undo: {why}"),
                    is_error: true,
                });
                return;
            }
        };
        let path = entry.path;
        let mut pending = PendingWrite::new(
            "Undo the last change to flake.nix?".into(),
            path,
            current,
            previous,
        );
        pending.is_undo = true;
        state.overlay = Overlay::Confirm(Box::new(pending));
        return;
    }
    if command == Command::Explain {
        update_explanation(state);
        if state.flake.explanation.is_none() {
            state.notice = Some(Notice {
                text: "nothing to explain on this line; move to a binding such as inputs, mkShell or packages".into(),
                is_error: false,
            });
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
                state.tab = tab;
                return;
            }
            if let Some(row) = layout::list_row_at(&areas, mouse.column, mouse.row) {
                match state.tab {
                    Tab::Packages => {
                        let offset =
                            layout::scroll_offset(state.packages.selected, areas.list_rows());
                        let target = offset + row;
                        if target < state.packages.results.hits.len() {
                            state.packages.selected = target;
                            state.packages.detail_focus = false;
                        }
                    }
                    Tab::Build => {
                        let offset = layout::scroll_offset(state.build.selected, areas.list_rows());
                        let target = offset + row;
                        if target < state.build.state.derivations.len() {
                            state.build.selected = target;
                            state.build.follow = false;
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}
