//! Nix build logs: parsing `--log-format internal-json` and plain `nix build -L` output into a tree
//! of activities and per-derivation state with bounded logs. No terminal code: `nixbench watch
//! --plain` and the Build tab share it.

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
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

/// `/nix/store/<hash>-hello-2.12.1.drv` -> `hello-2.12.1`.
pub fn drv_name(drv_path: &str) -> &str {
    let name = crate::graph::store_path_name(drv_path);
    name.strip_suffix(".drv").unwrap_or(name)
}
