//! The Flake tab: explanations, adding packages through a confirmed diff, the init wizard.

use super::*;

/// Why an undo is refused.
#[derive(Debug, thiserror::Error)]
enum UndoRefused {
    /// Our edit cannot be taken back alone.
    #[error(transparent)]
    Edit(#[from] crate::flake::edit::EditError),
    /// The file changed since, and the change was not one that can be taken back alone.
    #[error("flake.nix changed since nixbench edited it; undo would discard those changes")]
    ChangedSince,
}

/// Shows the diff of adding a package to the default dev shell, for confirmation.
pub(super) fn propose_add_to_flake(state: &mut AppState, entry: &crate::nixpkgs::Entry) {
    if entry.kind() != crate::nixpkgs::EntryKind::Package {
        return state.fail(format!(
            "{} is not a package; only packages go into a dev shell",
            entry.name
        ));
    }
    let (Some(path), Some(flake)) = (state.flake.path.clone(), state.flake.flake.as_ref()) else {
        return state.fail("this project has no flake.nix: create one with `nixbench flake init`");
    };
    let original = flake.text().to_string();
    match crate::flake::shell::add_package(&original, "default", &entry.name) {
        Ok(new) => {
            let mut pending = PendingWrite::new(
                format!("Add {} to the default dev shell?", entry.name),
                path,
                original,
                new,
            );
            // Undo can then take back just this package, even if the file changed since.
            pending.added = Some(AddedPackage {
                shell: "default".into(),
                package: entry.name.clone(),
            });
            state.overlay = Overlay::Confirm(Box::new(pending));
        }
        Err(err) => state.fail(
            err.to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        ),
    }
}

/// The init wizard: the chosen template as a new flake.nix, shown as a diff to confirm.
pub(super) fn propose_init(state: &mut AppState) {
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

pub(super) fn flake_command(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
    if state.flake.flake.is_none() && command == Command::Open {
        return propose_init(state);
    }
    if matches!(command, Command::Left | Command::Right) {
        return scroll_sideways(state, command == Command::Right);
    }
    if command == Command::Docs {
        // Look the construct under the cursor up in the Packages & functions browser.
        let Some(crate::flake::explain::Explanation { title, .. }) = &state.flake.explanation
        else {
            state.notify("move to a line nixbench explains first (x)");
            return;
        };
        let word = title.rsplit('.').next().unwrap_or(title).to_string();
        state.packages.query = word;
        state.show_tab(Tab::Packages);
        request_search(state, effects);
        return;
    }
    if command == Command::Undo {
        let Some(entry) = state.flake.undo.pop() else {
            state.notify("nothing to undo");
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
        } else if let Some(AddedPackage { shell, package }) = &entry.added {
            crate::flake::shell::remove_package(&current, shell, package).map_err(UndoRefused::from)
        } else {
            Err(UndoRefused::ChangedSince)
        };
        let previous = match restored {
            Ok(text) => text,
            Err(why) => {
                state.fail(format!("cannot undo: {why}"));
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
            state.notify("nothing to explain on this line; move to a binding such as inputs, mkShell or packages");
        }
    }
}

/// Long flake.nix lines scroll sideways, a few columns a key press, never past the longest line.
fn scroll_sideways(state: &mut AppState, right: bool) {
    const STEP: usize = 8;
    let widest = state
        .flake
        .flake
        .as_ref()
        .map(|f| {
            f.text()
                .lines()
                .map(unicode_width::UnicodeWidthStr::width)
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    let scroll = &mut state.flake.hscroll;
    *scroll = if right {
        (*scroll + STEP).min(widest.saturating_sub(STEP))
    } else {
        scroll.saturating_sub(STEP)
    };
}
