//! The Build tab: following the build, logs and their search, failures explained.

use super::*;

/// Selects the derivation that is building now (or the last one that started).
pub(super) fn follow_running(build: &mut BuildView) {
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

/// Events from build source number `source`.
pub(super) fn build_events(state: &mut AppState, source: usize, events: Vec<(LogEvent, f64)>) {
    let Some(build) = state.builds.get_mut(source) else {
        return;
    };
    build.running = true;
    for (event, now) in events {
        build.state.apply(event, now);
    }
    if build.follow {
        follow_running(build);
    }
}

/// Build source number `source` ended: its errors explained, its durations remembered.
pub(super) fn build_ended(
    state: &mut AppState,
    source: usize,
    code: Option<i32>,
    now: f64,
    effects: &mut Vec<Effect>,
) {
    let Some(build) = state.builds.get_mut(source) else {
        return;
    };
    build.running = false;
    build.exit_code = code;
    build.state.finish(now);
    build.explanations = crate::explain::explain(&build.state.error_text(), &|_| Vec::new());
    if build.record_history {
        state.build_history.record(&build.state);
        effects.push(Effect::SaveDurations(state.build_history.clone()));
    }
}

/// Scrolls the selected log so the nearest line above the current view that contains the search
/// text becomes the bottom line; wraps around to the end.
pub(super) fn jump_to_log_match(state: &mut AppState, query: &str) {
    if query.is_empty() {
        return;
    }
    let query = query.to_lowercase();
    let b = state.shown_build_mut();
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
            state.focus = Focus::Detail;
        }
        None => state.notify(format!("`{query}` is not in this log")),
    }
}

/// Opens the selected derivation in the Graph tab: the build-time graph holds .drv paths.
pub(super) fn show_in_graph(state: &mut AppState) {
    let b = state.shown_build();
    let Some(drv) = b.state.derivations.get(b.selected) else {
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
    state.show_tab(Tab::Graph);
    let g = &mut state.graph;
    match node {
        Some(node) => {
            g.current = node;
            g.selected_reference = 0;
            g.selected_referrer = 0;
            g.why = None;
        }
        None => state.notify(format!(
            "{} is not in the loaded build-time graph",
            crate::build_log::drv_name(&drv_path)
        )),
    }
}

pub(super) fn build_command(state: &mut AppState, command: Command) {
    if command == Command::ShowInGraph {
        return show_in_graph(state);
    }
    if command == Command::NextSource {
        return state.show_next_build();
    }
    if command == Command::Search {
        return start_input(state, InputTarget::LogSearch);
    }
    let focus = &mut state.focus;
    let b = &mut state.builds[state.shown];
    match command {
        Command::Follow => {
            b.follow = !b.follow;
            if b.follow {
                follow_running(b);
            }
        }
        Command::Right | Command::Open => *focus = Focus::Detail,
        Command::Left | Command::Back => *focus = Focus::List,
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
                *focus = Focus::Detail;
                b.follow = false;
            } else {
                state.notify("no failed derivation");
            }
        }
        _ => {}
    }
}

pub(super) fn update_explanation(state: &mut AppState) {
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
