//! The Graph tab: walking the closure, searching it, why-chains and comparisons.

use super::*;

/// Switches to the Packages tab searching for the current node's package name.
pub(super) fn show_docs_for_current(state: &mut AppState, effects: &mut Vec<Effect>) {
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
    state.show_tab(Tab::Packages);
    request_search(state, effects);
}

pub(super) fn reset_graph_position(g: &mut GraphState) {
    g.current = g
        .data
        .ready()
        .and_then(|d| d.graph.roots.first().copied())
        .unwrap_or(0);
    g.selected_reference = 0;
    g.selected_referrer = 0;
    g.why = None;
}

/// Walks to the graph search's best match, if there was one.
pub(super) fn jump_to_node(state: &mut AppState, best: Option<crate::graph::NodeId>) {
    let g = &mut state.graph;
    match best {
        Some(node) => {
            g.history.push(g.current);
            g.current = node;
            g.selected_reference = 0;
            g.selected_referrer = 0;
            g.why = None;
        }
        None => state.notify("no path in this graph matches"),
    }
}

pub(super) fn graph_command(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
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
            let next = g
                .column_items(g.column)
                .get(g.selected_in(g.column))
                .copied();
            if let Some(next) = next {
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
        Command::Search => {
            g.search_best = None;
            start_input(state, InputTarget::GraphSearch);
        }
        Command::Compare => start_input(state, InputTarget::GraphCompare),
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
