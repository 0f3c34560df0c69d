//! Keys to commands, per context. Defaults follow terminal habits (arrows and hjkl, `/`, `?`, `q`,
//! Enter, Tab, `:` and Ctrl-P); the config file's `[keys]` table overrides them.

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::command::Command;

/// Where a binding applies. Tab contexts are consulted before `Global`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Packages,
    Graph,
    Build,
    Flake,
    Tour,
    /// The dialog that shows a change to a file before it is written.
    Confirm,
}

impl Context {
    pub fn label(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Packages => "Packages",
            Context::Graph => "Graph",
            Context::Build => "Build",
            Context::Flake => "Flake",
            Context::Tour => "Tour",
            Context::Confirm => "Confirm dialog",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn from_event(event: &KeyEvent) -> Self {
        // Shift is folded into the character (`G`, `?`), except for keys without a character.
        let code = match event.code {
            KeyCode::Tab if event.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            other => other,
        };
        Self {
            code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
            alt: event.modifiers.contains(KeyModifiers::ALT),
        }
    }

    /// Parses `q`, `ctrl-p`, `alt-x`, `enter`, `esc`, `tab`, `shift-tab`, `up`, `pgdn`, `f5`, `space`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            if lower.starts_with("ctrl-") || lower.starts_with("ctrl+") {
                ctrl = true;
                rest = &rest[5..];
            } else if lower.starts_with("alt-") || lower.starts_with("alt+") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "shift-tab" | "backtab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            "space" => KeyCode::Char(' '),
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().ok()?)
            }
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
        };
        Some(Self { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            write!(f, "Ctrl-")?;
        }
        if self.alt {
            write!(f, "Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => write!(f, "Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => write!(f, "Enter"),
            KeyCode::Esc => write!(f, "Esc"),
            KeyCode::Tab => write!(f, "Tab"),
            KeyCode::BackTab => write!(f, "Shift-Tab"),
            KeyCode::Up => write!(f, "↑"),
            KeyCode::Down => write!(f, "↓"),
            KeyCode::Left => write!(f, "←"),
            KeyCode::Right => write!(f, "→"),
            KeyCode::PageUp => write!(f, "PgUp"),
            KeyCode::PageDown => write!(f, "PgDn"),
            KeyCode::Home => write!(f, "Home"),
            KeyCode::End => write!(f, "End"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A command and the keys bound to it.
pub type Binding = (Command, Vec<Key>);

#[derive(Clone, Debug)]
pub struct KeyMap {
    bindings: Vec<(Context, Key, Command)>,
}

const DEFAULTS: &[(Context, &str, Command)] = {
    use Command::*;
    use Context::*;
    &[
        (Global, "q", Quit),
        (Global, "ctrl-c", Quit),
        (Global, "?", Help),
        (Global, ":", Palette),
        (Global, "ctrl-p", Palette),
        (Global, "tab", NextTab),
        (Global, "shift-tab", PrevTab),
        (Global, "1", TabPackages),
        (Global, "2", TabGraph),
        (Global, "3", TabBuild),
        (Global, "4", TabFlake),
        (Global, "5", TabTour),
        (Global, "up", Up),
        (Global, "k", Up),
        (Global, "down", Down),
        (Global, "j", Down),
        (Global, "pgup", PageUp),
        (Global, "ctrl-u", PageUp),
        (Global, "pgdn", PageDown),
        (Global, "ctrl-d", PageDown),
        (Global, "home", Top),
        (Global, "g", Top),
        (Global, "end", Bottom),
        (Global, "G", Bottom),
        (Global, "left", Left),
        (Global, "h", Left),
        (Global, "right", Right),
        (Global, "l", Right),
        (Global, "enter", Open),
        (Global, "esc", Back),
        (Global, "/", Search),
        (Packages, "s", CycleScope),
        (Packages, "e", Edit),
        (Packages, "a", AddToFlake),
        (Packages, "E", EvaluateIndex),
        (Packages, "F", FetchNixpkgs),
        (Flake, "u", Undo),
        (Graph, "w", Why),
        (Graph, "s", Sort),
        (Graph, "t", ToggleBuildTime),
        (Graph, "c", Compare),
        (Graph, "d", Docs),
        (Build, "f", Follow),
        (Build, "E", FirstError),
        (Build, "o", ShowInGraph),
        (Build, "s", NextSource),
        (Flake, "x", Explain),
        (Flake, "d", Docs),
        (Tour, "n", NextStep),
        (Tour, "p", PrevStep),
        (Tour, "H", Hint),
        (Context::Confirm, "y", Command::Confirm),
        (Context::Confirm, "enter", Command::Confirm),
        (Context::Confirm, "n", Cancel),
        (Context::Confirm, "esc", Cancel),
    ]
};

/// A key override that could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum KeyMapError {
    #[error("config [keys]: `{0}` is not a key (try `ctrl-f`, `g`, `f5`, `enter`)")]
    BadKey(String),
    #[error("config [keys]: `{0}` is not a command; commands: {1}")]
    BadCommand(String, String),
}

impl KeyMap {
    pub fn defaults() -> Self {
        let bindings = DEFAULTS
            .iter()
            .map(|(ctx, key, cmd)| (*ctx, Key::parse(key).expect("default keys parse"), *cmd))
            .collect();
        Self { bindings }
    }

    /// Defaults plus overrides from the config file (`"ctrl-f" = "search"`; `"q" = "none"` unbinds).
    /// Overrides are global bindings and take precedence over tab bindings of the same key.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Self, KeyMapError> {
        let mut map = Self::defaults();
        for (key_text, command_name) in overrides {
            let key = Key::parse(key_text).ok_or_else(|| KeyMapError::BadKey(key_text.clone()))?;
            map.bindings.retain(|(_, k, _)| *k != key);
            if command_name == "none" {
                continue;
            }
            let command = Command::from_name(command_name).ok_or_else(|| {
                let names: Vec<&str> = Command::ALL.iter().map(|c| c.name()).collect();
                KeyMapError::BadCommand(command_name.clone(), names.join(", "))
            })?;
            map.bindings.insert(0, (Context::Global, key, command));
        }
        Ok(map)
    }

    pub fn lookup(&self, context: Context, key: Key) -> Option<Command> {
        self.bindings
            .iter()
            .find(|(ctx, k, _)| *ctx == context && *k == key)
            .or_else(|| {
                self.bindings
                    .iter()
                    .find(|(ctx, k, _)| *ctx == Context::Global && *k == key)
            })
            .map(|(_, _, command)| *command)
    }

    /// Keys bound to a command in a context (global bindings included), for help and the palette.
    pub fn keys_for(&self, context: Context, command: Command) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|(ctx, _, cmd)| *cmd == command && (*ctx == context || *ctx == Context::Global))
            .map(|(_, key, _)| *key)
            .collect()
    }

    /// Bindings grouped by context, in definition order: the source of the help overlay.
    pub fn groups(&self) -> Vec<(Context, Vec<Binding>)> {
        let mut groups: Vec<(Context, Vec<Binding>)> = Vec::new();
        for (ctx, key, command) in &self.bindings {
            let group = match groups.iter().position(|(c, _)| c == ctx) {
                Some(i) => &mut groups[i].1,
                None => {
                    groups.push((*ctx, Vec::new()));
                    &mut groups.last_mut().expect("just pushed").1
                }
            };
            match group.iter_mut().find(|(c, _)| c == command) {
                Some((_, keys)) => keys.push(*key),
                None => group.push((*command, vec![*key])),
            }
        }
        groups.sort_by_key(|(ctx, _)| *ctx);
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_bound_and_named_uniquely() {
        let map = KeyMap::defaults();
        for command in Command::ALL {
            assert!(
                map.bindings.iter().any(|(_, _, c)| c == command),
                "{command:?} has no key"
            );
            assert_eq!(Command::from_name(command.name()), Some(*command));
            assert!(!command.help().is_empty());
        }
    }

    #[test]
    fn overrides_replace_and_unbind() {
        let mut overrides = BTreeMap::new();
        overrides.insert("ctrl-f".to_string(), "search".to_string());
        overrides.insert("q".to_string(), "none".to_string());
        let map = KeyMap::with_overrides(&overrides).unwrap();
        assert_eq!(
            map.lookup(Context::Packages, Key::parse("ctrl-f").unwrap()),
            Some(Command::Search)
        );
        assert_eq!(
            map.lookup(Context::Packages, Key::parse("q").unwrap()),
            None
        );
        overrides.insert("x".into(), "fly".into());
        assert!(KeyMap::with_overrides(&overrides).is_err());
    }

    #[test]
    fn tab_bindings_shadow_global() {
        let map = KeyMap::defaults();
        assert_eq!(
            map.lookup(Context::Graph, Key::parse("s").unwrap()),
            Some(Command::Sort)
        );
        assert_eq!(
            map.lookup(Context::Packages, Key::parse("s").unwrap()),
            Some(Command::CycleScope)
        );
        assert_eq!(Key::parse("ctrl-p").unwrap().to_string(), "Ctrl-p");
    }
}
