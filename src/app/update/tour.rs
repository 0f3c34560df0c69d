//! When a tour lesson counts as done: judged from the state of the real views after each update.

use crate::app::state::{AppState, Focus, Overlay, Tab};

/// Whether the user has done lesson `index`'s action, judged from the state of the real views.
pub fn done(state: &AppState, index: usize) -> bool {
    use crate::build_log::DrvStatus;
    let b = state.shown_build();
    let log_focused = state.tab == Tab::Build && state.focus == Focus::Detail;
    let on_failure = b
        .state
        .derivations
        .get(b.selected)
        .is_some_and(|d| d.status == DrvStatus::Failed);
    match index {
        // Walked into a store path in the graph.
        0 => !state.graph.history.is_empty(),
        // Searched, and the details pane shows a lib function.
        1 => {
            let p = &state.packages;
            !p.query.is_empty()
                && p.index
                    .ready()
                    .zip(p.results.hits.get(p.selected))
                    .is_some_and(|(s, hit)| {
                        s.entry(*hit).kind() == crate::nixpkgs::EntryKind::Function
                    })
        }
        // An explanation of the dev-shell constructs.
        2 => {
            state.tab == Tab::Flake
                && state.flake.explanation.as_ref().is_some_and(|explanation| {
                    [
                        "mkShell",
                        "packages",
                        "nativeBuildInputs",
                        "buildInputs",
                        "devShells",
                    ]
                    .iter()
                    .any(|w| explanation.title.contains(w))
                })
        }
        // Saw the diff that adds a package.
        3 => {
            matches!(&state.overlay, Overlay::Confirm(p) if p.added.is_some())
                || !state.flake.undo.is_empty()
        }
        // Jumped to the first error of a failed build, or asked why.
        4 => (on_failure && log_focused && b.scroll_from_end > 0) || state.graph.why.is_some(),
        // Opened a failure's log and reached its end, where the explanation is.
        5 => on_failure && log_focused && !b.explanations.is_empty() && b.scroll_from_end == 0,
        _ => false,
    }
}

/// Marks lessons whose action was just done; returns their indexes.
pub fn observe(state: &mut AppState) -> Vec<usize> {
    let total = state.tour.lessons.len();
    state.tour.completed.resize(total, false);
    let newly: Vec<usize> = (0..total)
        .filter(|&i| !state.tour.completed[i] && done(state, i))
        .collect();
    for &i in &newly {
        state.tour.completed[i] = true;
    }
    newly
}
