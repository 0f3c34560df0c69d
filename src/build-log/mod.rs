//! Nix build logs: parsing `--log-format internal-json` and plain `nix build -L` output into a tree
//! of activities and per-derivation state with bounded logs. No terminal code: `nixbench watch
//! --plain` and the Build tab share it.

mod counters;
pub mod history;
pub mod messages;
pub mod outcome;
pub mod parse;
pub mod plain;
pub mod source;
pub mod ssh;
pub mod state;

pub use outcome::{Summary, SUMMARY_VERSION};
pub use parse::{parse_line, Event, LineSplitter};
pub use state::{BuildState, Change, DrvStatus};

/// Removes ANSI escape sequences (Nix colours its messages even in JSON).
pub fn strip_ansi(text: &str) -> String {
    without_ansi(text).into_owned()
}

/// [`strip_ansi`] that borrows when there is nothing to remove (most builder output).
pub fn without_ansi(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\u{1b}') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut filter = AnsiFilter::default();
    std::borrow::Cow::Owned(text.chars().filter(|&c| filter.keep(c)).collect())
}

/// A character-at-a-time filter for escape sequences, so the JSON decoder can drop them in the same
/// pass that unescapes: CSI (`ESC [` parameters, then a final byte `@`..`~`, e.g. colours) and OSC
/// (`ESC ]` ... `BEL` or `ESC \`, e.g. the hyperlinks newer Nix puts around store paths). Any other
/// `ESC x` loses only the `ESC`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum AnsiFilter {
    #[default]
    Text,
    Escape,
    Csi,
    Osc,
}

impl AnsiFilter {
    /// Whether `c` is text to keep; advances through any sequence it belongs to.
    pub(crate) fn keep(&mut self, c: char) -> bool {
        let (next, keep) = match (*self, c) {
            (Self::Csi, '@'..='~') => (Self::Text, false),
            (Self::Csi, _) => (Self::Csi, false),
            (Self::Osc, '\u{7}') => (Self::Text, false),
            (Self::Osc, '\u{1b}') => (Self::Escape, false),
            (Self::Osc, _) => (Self::Osc, false),
            (_, '\u{1b}') => (Self::Escape, false),
            (Self::Escape, '[') => (Self::Csi, false),
            (Self::Escape, ']') => (Self::Osc, false),
            (Self::Escape, '\\') => (Self::Text, false),
            _ => (Self::Text, true),
        };
        *self = next;
        keep
    }
}

/// `/nix/store/<hash>-hello-2.12.1.drv` -> `hello-2.12.1`.
pub fn drv_name(drv_path: &str) -> &str {
    let name = crate::graph::store_path_name(drv_path);
    name.strip_suffix(".drv").unwrap_or(name)
}
