//! The tour: lessons written in assets/tour.md (`## Title`, the body, a `Goal:` and a `Hint:` line),
//! completion judged from what the user did in the real views, and progress kept in the state
//! directory.

use super::state::{AppState, Lesson, Overlay, Tab};

const TOUR: &str = include_str!("../../assets/tour.md");

pub fn lessons() -> Vec<Lesson> {
    parse(TOUR)
}

pub fn parse(text: &str) -> Vec<Lesson> {
    let mut lessons = Vec::new();
    for section in text.split("\n## ").map(|s| s.trim_start_matches("## ")) {
        let mut lines = section.lines();
        let Some(title) = lines.next().map(str::trim).filter(|t| !t.is_empty()) else {
            continue;
        };
        let mut body = Vec::new();
        let (mut hint, mut goal) = (String::new(), String::new());
        for line in lines {
            if let Some(h) = line.strip_prefix("Hint:") {
                hint = h.trim().to_string();
            } else if let Some(g) = line.strip_prefix("Goal:") {
                goal = g.trim().to_string();
            } else {
                body.push(line);
            }
        }
        lessons.push(Lesson {
            title: title.to_string(),
            body: body.join("\n").trim().to_string(),
            goal,
            hint,
        });
    }
    lessons
}

/// Whether the user has done lesson `index`'s action, judged from the state of the real views.
pub fn done(state: &AppState, index: usize) -> bool {
    use crate::build_log::DrvStatus;
    let b = &state.build;
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
                && state.flake.explanation.as_ref().is_some_and(|(title, _)| {
                    [
                        "mkShell",
                        "packages",
                        "nativeBuildInputs",
                        "buildInputs",
                        "devShells",
                    ]
                    .iter()
                    .any(|w| title.contains(w))
                })
        }
        // Saw the diff that adds a package.
        3 => {
            matches!(&state.overlay, Overlay::Confirm(p) if p.added.is_some())
                || !state.flake.undo.is_empty()
        }
        // Jumped to the first error of a failed build, or asked why.
        4 => (on_failure && b.focus_log && b.scroll_from_end > 0) || state.graph.why.is_some(),
        // Opened a failure's log and reached its end, where the explanation is.
        5 => {
            state.tab == Tab::Build
                && on_failure
                && b.focus_log
                && !b.explanations.is_empty()
                && b.scroll_from_end == 0
        }
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

/// Progress as saved in the state directory.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    pub completed: Vec<bool>,
    pub step: usize,
}

impl Progress {
    /// A missing or unreadable file is a fresh start.
    pub fn load(path: &std::path::Path) -> Self {
        crate::config::read_json(path).unwrap_or_default()
    }

    pub fn save(&self, path: &std::path::Path) -> std::io::Result<()> {
        crate::config::write_json(path, self)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn six_lessons_with_goals_and_hints() {
        let lessons = super::lessons();
        assert_eq!(lessons.len(), 6);
        assert!(lessons
            .iter()
            .all(|l| !l.hint.is_empty() && !l.body.is_empty() && !l.goal.is_empty()));
    }
}
