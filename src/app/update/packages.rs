//! The Packages tab: search results, details and their excerpts.

use super::*;

/// Asks for the source around the selected entry's definition, unless it is already shown.
pub(super) fn request_excerpt(state: &mut AppState, effects: &mut Vec<Effect>) {
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

pub(super) fn packages_command(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
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
