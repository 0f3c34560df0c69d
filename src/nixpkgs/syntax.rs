//! Small readers over rnix's syntax tree shared by the static index, the lib reader and the
//! static evaluator: a parsed file with its line table, attribute names, literal strings, the
//! comment before a node, and path normalisation.

use std::path::{Path, PathBuf};

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};

/// A parsed file with a line table, so positions are cheap.
pub struct SourceFile {
    pub text: String,
    pub root: ast::Root,
    line_starts: Vec<usize>,
    pub errors: Vec<String>,
}

impl SourceFile {
    pub fn parse(text: String) -> Self {
        let parse = ast::Root::parse(&text);
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut file = Self {
            root: parse.tree(),
            errors: Vec::new(),
            line_starts,
            text: String::new(),
        };
        file.errors = parse
            .errors()
            .iter()
            .map(|err| {
                let offset = parse_error_offset(err);
                let (line, col) = file.line_col_in(&text, offset);
                format!("{line}:{col}: {err}")
            })
            .collect();
        file.text = text;
        file
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        (self.line_starts.partition_point(|&start| start <= offset)) as u32
    }

    fn line_col_in(&self, text: &str, offset: usize) -> (u32, usize) {
        let line = self.line_of(offset);
        let start = self.line_starts[(line as usize).saturating_sub(1)];
        let col = text
            .get(start..offset.min(text.len()))
            .map_or(0, |s| s.chars().count())
            + 1;
        (line, col)
    }
}

/// Dotted text of an attrpath, with quoted components kept quoted only when they need it.
pub fn attrpath_text(kv: &ast::AttrpathValue) -> Option<String> {
    let path = kv.attrpath()?;
    let parts: Option<Vec<String>> = path.attrs().map(|attr| attr_name(&attr)).collect();
    Some(parts?.join("."))
}

pub fn attr_name(attr: &ast::Attr) -> Option<String> {
    match attr {
        ast::Attr::Ident(ident) => Some(ident.ident_token()?.text().to_string()),
        ast::Attr::Str(s) => literal_string(s),
        ast::Attr::Dynamic(_) => None,
    }
}

/// The value of a string without interpolation (both `"..."` and `''...''` forms).
pub fn literal_string(s: &ast::Str) -> Option<String> {
    let mut out = String::new();
    for part in s.normalized_parts() {
        match part {
            ast::InterpolPart::Literal(text) => out.push_str(&text),
            ast::InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(out)
}

/// The nearest comment before a node, skipping whitespace only. Consecutive `#` lines are joined.
pub fn leading_comment(node: &SyntaxNode) -> Option<String> {
    let mut comments: Vec<String> = Vec::new();
    let mut current = node.prev_sibling_or_token();
    while let Some(element) = current {
        match element.kind() {
            SyntaxKind::TOKEN_WHITESPACE => {
                let text = element
                    .as_token()
                    .map(|t| t.text().to_string())
                    .unwrap_or_default();
                // A blank line ends a run of line comments.
                if text.matches('\n').count() > 1 && !comments.is_empty() {
                    break;
                }
            }
            SyntaxKind::TOKEN_COMMENT => {
                let text = element.as_token()?.text().to_string();
                let is_block = text.starts_with("/*");
                if is_block && !comments.is_empty() {
                    break;
                }
                comments.push(text);
                if is_block {
                    break;
                }
            }
            _ => break,
        }
        current = element.prev_sibling_or_token();
    }
    if comments.is_empty() {
        return None;
    }
    comments.reverse();
    Some(comments.join("\n"))
}

/// Removes `.` and `..` components without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn parse_error_offset(err: &rnix::ParseError) -> usize {
    use rnix::ParseError::*;
    match err {
        Unexpected(range)
        | UnexpectedExtra(range)
        | UnexpectedWanted(_, range, _)
        | UnexpectedDoubleBind(range)
        | DuplicatedArgs(range, _) => usize::from(range.start()),
        UnexpectedEOF | UnexpectedEOFWanted(_) | RecursionLimitExceeded => usize::MAX,
        _ => 0,
    }
}
