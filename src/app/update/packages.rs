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
        .is_some_and(|excerpt| excerpt.name == entry.name)
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

/// Results arrived: shown if they answer the newest search.
pub(super) fn search_done(
    state: &mut AppState,
    generation: u64,
    results: Results,
    rows: Vec<crate::app::state::ResultRow>,
    effects: &mut Vec<Effect>,
) {
    if generation == state.packages.generation {
        state.packages.results = results;
        state.packages.rows = rows;
        state.packages.searching = false;
        state.packages.selected = 0;
        state.packages.detail_scroll = 0;
        request_excerpt(state, effects);
    }
}

pub(super) fn packages_command(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
    let p = &mut state.packages;
    match command {
        // `/` starts a new search, as in less and vim.
        Command::Search => {
            state.focus = Focus::Input(InputTarget::PackageQuery, TextInput::default());
            if !p.query.is_empty() {
                p.query.clear();
                request_search(state, effects);
            }
        }
        Command::Back => {
            if state.focus == Focus::Detail {
                state.focus = Focus::List;
            } else if !p.query.is_empty() {
                p.query.clear();
                request_search(state, effects);
            }
        }
        Command::EvaluateIndex => {
            if p.index.ready().is_none() {
                return;
            }
            state.notify("evaluating nixpkgs with nix-env in the background…");
            effects.push(Effect::EvaluateIndex);
        }
        Command::FetchNixpkgs => {
            let Some(missing) = &mut p.pinned_missing else {
                return;
            };
            if missing.fetching.is_some() {
                return;
            }
            if missing.fetch_command.is_none() {
                state.fail("flake.lock does not say enough to fetch this nixpkgs: run `nix flake archive` in the project");
                return;
            }
            missing.fetching = Some("starting…".into());
            effects.push(Effect::FetchNixpkgs);
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
        Command::Right | Command::Open => state.focus = Focus::Detail,
        Command::Left => state.focus = Focus::List,
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
                _ => state.fail(format!("{} has no known source position", entry.name)),
            }
        }
        _ => {}
    }
}

/// The pinned nixpkgs fetch ended: on success the tab searches it (its index follows as
/// `IndexLoaded`); on failure the banner stays, with the reason as a notice.
pub(super) fn fetch_done(
    state: &mut AppState,
    result: Result<Option<std::path::PathBuf>, LoadError>,
) {
    match result {
        Ok(root) => {
            state.packages.pinned_missing = None;
            if root.is_some() {
                state.status.nixpkgs_root = root;
            }
            state.notify("fetched the pinned nixpkgs; indexing it");
        }
        Err(message) => {
            if let Some(missing) = &mut state.packages.pinned_missing {
                missing.fetching = None;
            }
            state.fail(format!("fetching nixpkgs failed: {message}"));
        }
    }
}
