//! Keys and text input: which command a key means, and what typing, Enter and Esc do in the input
//! that has the keyboard (one `match` on its target each).

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use super::*;
use crate::app::keymap::{Context, Key};

pub(super) fn on_key_event(state: &mut AppState, key: KeyEvent, effects: &mut Vec<Effect>) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    if state.debug_panic {
        panic!("NIXBENCH_DEBUG_PANIC: deliberate panic to test terminal restoration");
    }
    on_key(state, key, effects);
}

fn on_key(state: &mut AppState, key: KeyEvent, effects: &mut Vec<Effect>) {
    let mut k = Key::from_event(&key);
    // The confirm dialog answers through its own bindings (y / Enter, n / Esc by default).
    if matches!(state.overlay, Overlay::Confirm(_)) {
        if let Some(command) = state.keymap.lookup(Context::Confirm, k) {
            run(state, command, effects);
        }
        return;
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
            KeyCode::Backspace => return edit_input(state, effects, TextInput::backspace),
            KeyCode::Enter => return submit_input(state, effects),
            KeyCode::Esc => return leave_input(state),
            _ => {}
        }
    }
    if let Some(command) = state.keymap.lookup(state.tab.context(), k) {
        run(state, command, effects);
    } else if k.alt && matches!(key.code, KeyCode::Char(_)) {
        // An unbound Alt+key is Esc and a key typed quickly (terminals send both as one): do both.
        on_key(state, KeyEvent::from(KeyCode::Esc), effects);
        let plain = KeyEvent::new(key.code, key.modifiers - KeyModifiers::ALT);
        on_key(state, plain, effects);
    }
}

/// Gives the keyboard to a new, empty input.
pub(super) fn start_input(state: &mut AppState, target: InputTarget) {
    state.focus = Focus::Input(target, TextInput::default());
}

/// Esc: the input lets go of the keyboard; what was typed stays only where it was used.
pub(super) fn leave_input(state: &mut AppState) {
    let Focus::Input(target, _) = &state.focus else {
        return;
    };
    match target {
        InputTarget::Palette => close_palette(state),
        // The log search is about the log: the log keeps the keyboard.
        InputTarget::LogSearch => state.focus = Focus::Detail,
        InputTarget::PackageQuery | InputTarget::GraphSearch | InputTarget::GraphCompare => {
            state.focus = Focus::List
        }
    }
    state.graph.search_best = None;
}

/// Enter: the input lets go of the keyboard and its text is acted on.
fn submit_input(state: &mut AppState, effects: &mut Vec<Effect>) {
    let Focus::Input(target, input) = &state.focus else {
        return;
    };
    let target = *target;
    let chosen = match &state.overlay {
        Overlay::Palette { selected, .. } => palette_matches(input.text()).get(*selected).copied(),
        _ => None,
    };
    let text = input.text().trim().to_string();
    let best = state.graph.search_best;
    leave_input(state);
    match target {
        InputTarget::Palette => {
            if let Some(command) = chosen {
                run(state, command, effects);
            }
        }
        InputTarget::PackageQuery => {}
        InputTarget::GraphSearch => jump_to_node(state, best),
        InputTarget::GraphCompare => {
            if !text.is_empty() {
                state.graph.comparison = None;
                state.notify(format!("loading {text}…"));
                effects.push(Effect::Compare { other: text });
            }
        }
        InputTarget::LogSearch => jump_to_log_match(state, &text),
    }
}

/// Opens the command palette; the focus it interrupts comes back when it closes.
pub(super) fn open_palette(state: &mut AppState) {
    let resume = std::mem::take(&mut state.focus);
    state.overlay = Overlay::Palette {
        selected: 0,
        resume: Box::new(resume),
    };
    start_input(state, InputTarget::Palette);
}

pub(super) fn close_palette(state: &mut AppState) {
    if let Overlay::Palette { resume, .. } = std::mem::take(&mut state.overlay) {
        state.focus = *resume;
    }
}

pub(super) fn type_char(state: &mut AppState, c: char, effects: &mut Vec<Effect>) {
    // Typing (or pasting) in the Packages tab goes to its search box.
    if !state.typing() && state.tab == Tab::Packages && state.overlay == Overlay::None {
        state.focus = Focus::Input(
            InputTarget::PackageQuery,
            TextInput::new(state.packages.query.clone()),
        );
    }
    edit_input(state, effects, |input| input.push(c));
}

/// Applies `edit` to the input that has the keyboard, then does what that input needs after a
/// change.
fn edit_input(state: &mut AppState, effects: &mut Vec<Effect>, edit: impl FnOnce(&mut TextInput)) {
    let Focus::Input(target, input) = &mut state.focus else {
        return;
    };
    edit(input);
    let (target, text) = (*target, input.text().to_string());
    match target {
        InputTarget::Palette => {
            if let Overlay::Palette { selected, .. } = &mut state.overlay {
                *selected = 0;
            }
        }
        InputTarget::PackageQuery => {
            state.packages.query = text;
            request_search(state, effects);
        }
        InputTarget::GraphSearch => {
            state.graph.search_best = state.graph.search_matches(&text, 1).first().copied();
        }
        InputTarget::GraphCompare | InputTarget::LogSearch => {}
    }
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

/// The palette's text while it is open.
pub fn palette_query_of(focus: &Focus) -> &str {
    match focus {
        Focus::Input(InputTarget::Palette, input) => input.text(),
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ratatui::crossterm::event::KeyEvent;

    use super::*;
    use crate::app::keymap::KeyMap;

    fn state_with(keymap: KeyMap) -> AppState {
        AppState::new(Startup::new(keymap, StatusInfo::default(), (100, 30)))
    }

    fn press(state: &mut AppState, code: KeyCode) -> Vec<Effect> {
        update(state, Msg::Key(KeyEvent::from(code)))
    }

    fn pending() -> Overlay {
        Overlay::Confirm(Box::new(PendingWrite::new(
            "Add?".into(),
            "/tmp/flake.nix".into(),
            "a\n".into(),
            "b\n".into(),
        )))
    }

    #[test]
    fn the_confirm_dialog_answers_through_the_key_map() {
        let mut state = state_with(KeyMap::defaults());
        state.overlay = pending();
        assert!(press(&mut state, KeyCode::Char('n')).is_empty());
        assert_eq!(state.overlay, Overlay::None);

        // Rebound: `Y` applies, `y` no longer does.
        let mut overrides = BTreeMap::new();
        overrides.insert("Y".to_string(), "confirm".to_string());
        overrides.insert("y".to_string(), "none".to_string());
        let mut state = state_with(KeyMap::with_overrides(&overrides).unwrap());
        state.overlay = pending();
        assert!(press(&mut state, KeyCode::Char('y')).is_empty());
        let effects = press(&mut state, KeyCode::Char('Y'));
        assert!(matches!(effects[..], [Effect::WriteFile(_)]));
        assert_eq!(state.overlay, Overlay::None);
    }

    #[test]
    fn an_unbound_alt_key_is_esc_then_the_key() {
        let mut state = state_with(KeyMap::defaults());
        state.focus = Focus::Detail;
        let alt_4 = KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT);
        update(&mut state, Msg::Key(alt_4));
        assert_eq!(state.tab, Tab::Flake);
        assert_eq!(state.focus, Focus::List);
    }

    #[test]
    fn one_focus_owns_the_keyboard() {
        let mut state = state_with(KeyMap::defaults());
        press(&mut state, KeyCode::Char('/'));
        assert!(state.typing());
        press(&mut state, KeyCode::Char('q'));
        assert!(!state.quit, "q is typed, not a command");
        assert_eq!(
            state.input(InputTarget::PackageQuery).map(TextInput::text),
            Some("q")
        );
        assert_eq!(state.packages.query, "q");
        press(&mut state, KeyCode::Esc);
        assert_eq!(state.focus, Focus::List);

        // The palette remembers the focus it interrupted.
        state.show_tab(Tab::Build);
        state.focus = Focus::Detail;
        press(&mut state, KeyCode::Char(':'));
        assert_eq!(
            state.input(InputTarget::Palette).map(TextInput::text),
            Some("")
        );
        press(&mut state, KeyCode::Esc);
        assert_eq!(
            (&state.overlay, &state.focus),
            (&Overlay::None, &Focus::Detail)
        );
        // Changing tabs gives the new tab's list the keyboard.
        press(&mut state, KeyCode::Tab);
        assert_eq!(state.focus, Focus::List);
    }
}
