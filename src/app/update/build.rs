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

/// Scrolls the selected log so the nearest line above the current view that contains the search
/// text becomes the bottom line; wraps around to the end.
pub(super) fn jump_to_log_match(state: &mut AppState) {
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
        None => state.notify(format!("`{query}` is not in this log")),
    }
}

/// Opens the selected derivation in the Graph tab: the build-time graph holds .drv paths.
pub(super) fn show_in_graph(state: &mut AppState) {
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
