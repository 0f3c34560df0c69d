//! A few source lines around a definition, for the details pane.

use std::path::Path;

/// Lines of a file, numbered from `first_line`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    pub first_line: u32,
    pub lines: Vec<String>,
}

/// Two lines before `line` (the end of its doc comment) and more after; `None` when the file
/// cannot be read.
pub fn excerpt(path: &Path, line: u32) -> Option<Excerpt> {
    let text = std::fs::read_to_string(path).ok()?;
    let first_line = line.saturating_sub(2).max(1);
    let lines = text
        .lines()
        .skip(first_line as usize - 1)
        .take(16)
        .map(str::to_string)
        .collect();
    Some(Excerpt { first_line, lines })
}
