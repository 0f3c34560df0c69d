//! Lossless edits of flake.nix. Each edit finds its place in rnix's syntax tree (which keeps every
//! byte, comments and whitespace included) and splices new text into that one region; the rest of
//! the file is untouched byte for byte. A result that does not parse is refused. When an edit cannot
//! be placed safely, the error says why and carries the snippet to paste by hand.

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EditError {
    #[error("flake.nix does not parse ({0}); fix that first (`nixbench flake check` explains it)")]
    Parse(String),
    #[error("no dev shell named `{shell}` made with mkShell in flake.nix (found: {found}). To add it by hand, paste into your dev shell:\n{snippet}")]
    NoShell {
        shell: String,
        found: String,
        snippet: String,
    },
    #[error("`{package}` is already in the `{shell}` dev shell")]
    AlreadyPresent { package: String, shell: String },
    #[error("`{package}` is not in the `{shell}` dev shell (it has: {has})")]
    NotPresent {
        package: String,
        shell: String,
        has: String,
    },
    #[error("cannot place the edit safely: {why}. Add it by hand:\n{snippet}")]
    Unsafe { why: String, snippet: String },
    #[error("input `{0}` already exists")]
    InputExists(String),
    #[error(
        "input `{name}` already has `inputs.{dep}.follows = \"{target}\";` (an existing follows)"
    )]
    FollowsExists {
        name: String,
        dep: String,
        target: String,
    },
    #[error("there is no input `{0}`")]
    NoInput(String),
    #[error("input `{name}` is still used at line {line}; remove those uses first")]
    InputInUse { name: String, line: usize },
    #[error("the edited file would not parse ({0}); nothing was changed")]
    WouldBreak(String),
}

/// Replaces `start..end` with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Splice {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Applies splices (in any order; they must not overlap) and checks that the result parses.
pub fn apply(source: &str, mut splices: Vec<Splice>) -> Result<String, EditError> {
    splices.sort_by_key(|s| std::cmp::Reverse(s.start));
    let mut out = source.to_string();
    for splice in splices {
        out.replace_range(splice.start..splice.end, &splice.text);
    }
    check_parses(&out)?;
    Ok(out)
}

/// An edit that would leave the file unparsable is refused.
fn check_parses(text: &str) -> Result<(), EditError> {
    let parse = ast::Root::parse(text);
    match parse.errors().first() {
        Some(err) => Err(EditError::WouldBreak(err.to_string())),
        None => Ok(()),
    }
}

fn parse(text: &str) -> Result<ast::Root, EditError> {
    let parse = ast::Root::parse(text);
    if let Some(err) = parse.errors().first() {
        return Err(EditError::Parse(err.to_string()));
    }
    Ok(parse.tree())
}

fn start(node: &SyntaxNode) -> usize {
    usize::from(node.text_range().start())
}

fn end(node: &SyntaxNode) -> usize {
    usize::from(node.text_range().end())
}

/// The components of an attrpath, with dynamic ones (`${system}`) as written.
fn path_parts(kv: &ast::AttrpathValue) -> Vec<String> {
    kv.attrpath()
        .map(|path| {
            path.attrs()
                .map(|attr| {
                    crate::nixpkgs::syntax::attr_name(&attr)
                        .unwrap_or_else(|| attr.syntax().text().to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Start of the line holding `offset`, and the whitespace that indents it.
fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

fn indentation(text: &str, offset: usize) -> String {
    let start = line_start(text, offset);
    text[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

/// Whether only whitespace stands between the start of its line and `offset`.
fn starts_line(text: &str, offset: usize) -> bool {
    text[line_start(text, offset)..offset].trim().is_empty()
}

/// A dev shell: a `mkShell { ... }` call and the name it is bound to.
pub struct DevShell {
    pub name: String,
    /// `pkgs` in `pkgs.mkShell`: how packages are spelled when the list has none to copy.
    pub namespace: Option<String>,
    pub set: ast::AttrSet,
}

/// Every `mkShell { ... }` in the file with its shell name: the nearest binding's last component
/// (`devShells.default = ...`, `default = pkgs.mkShell ...` inside `devShells = forAllSystems ...`).
pub fn dev_shells(root: &ast::Root) -> Vec<DevShell> {
    let mut shells = Vec::new();
    for node in root.syntax().descendants() {
        let Some(apply) = ast::Apply::cast(node) else {
            continue;
        };
        let Some(head) = apply.lambda() else { continue };
        let head_text = head.syntax().text().to_string();
        let Some(namespace) = ["mkShell", "mkShellNoCC"]
            .iter()
            .find_map(|f| head_text.strip_suffix(f))
            .map(|ns| ns.trim_end_matches('.').to_string())
        else {
            continue;
        };
        let set = match apply.argument() {
            Some(ast::Expr::AttrSet(set)) => set,
            Some(ast::Expr::Paren(p)) => match p.expr() {
                Some(ast::Expr::AttrSet(set)) => set,
                _ => continue,
            },
            _ => continue,
        };
        let name = apply
            .syntax()
            .ancestors()
            .find_map(ast::AttrpathValue::cast)
            .and_then(|kv| path_parts(&kv).last().cloned())
            .unwrap_or_else(|| "default".to_string());
        shells.push(DevShell {
            name,
            namespace: (!namespace.is_empty()).then_some(namespace),
            set,
        });
    }
    shells
}

/// The insertion of `item` as the last element of `list`, laid out like the list: on a line of its
/// own before a `]` that starts a line, else after the last element.
pub fn list_insertion(source: &str, list: &ast::List, item: &str) -> Option<Splice> {
    let close = usize::from(list.r_brack_token()?.text_range().start());
    let open = usize::from(list.l_brack_token()?.text_range().end());
    let last = list.items().last();
    let multiline = source[open..close].contains('\n');
    Some(match last {
        Some(last) if multiline && starts_line(source, close) => {
            let indent = indentation(source, start(last.syntax()));
            let at = line_start(source, close);
            Splice {
                start: at,
                end: at,
                text: format!("{indent}{item}\n"),
            }
        }
        Some(last) => Splice {
            start: end(last.syntax()),
            end: end(last.syntax()),
            text: format!(" {item}"),
        },
        None => Splice {
            start: open,
            end: open,
            text: format!(" {item}"),
        },
    })
}

/// Inserts a binding as the first entry of a set written over several lines.
pub fn binding_insertion(source: &str, set: &ast::AttrSet, binding: &str) -> Option<Splice> {
    let close = usize::from(set.r_curly_token()?.text_range().start());
    let first = set.entries().next()?;
    let at = start(first.syntax());
    if !starts_line(source, close) || !starts_line(source, at) {
        return None;
    }
    let indent = indentation(source, at);
    Some(Splice {
        start: at,
        end: at,
        text: format!("{binding}\n{indent}"),
    })
}

/// Removes an element; one on a line of its own takes the line along. When it is the only element
/// of `packages = [ X ];` on its own line (what `add` writes into a shell without a list), the whole
/// binding goes, so add then remove gives back the original bytes.
pub fn item_removal(source: &str, list: &ast::List, item: &ast::Expr) -> Splice {
    let binding = list
        .syntax()
        .parent()
        .and_then(ast::AttrpathValue::cast)
        .filter(|kv| path_parts(kv) == ["packages"] && list.items().count() == 1)
        .filter(|kv| {
            // `add` puts a new binding first in the set.
            kv.syntax()
                .parent()
                .and_then(ast::AttrSet::cast)
                .and_then(|set| set.entries().next())
                .is_some_and(|first| first.syntax() == kv.syntax())
        });
    if let Some(kv) = binding {
        let (s, e) = (start(kv.syntax()), end(kv.syntax()));
        let line_end = source[e..].find('\n').map(|i| e + i);
        if let Some(line_end) = line_end {
            if starts_line(source, s) && source[e..line_end].trim().is_empty() {
                return Splice {
                    start: line_start(source, s),
                    end: line_end + 1,
                    text: String::new(),
                };
            }
        }
    }
    let (s, e) = (start(item.syntax()), end(item.syntax()));
    let line_end = source[e..].find('\n').map_or(source.len(), |i| e + i);
    let rest_of_line = source[e..line_end].trim();
    if starts_line(source, s)
        && (rest_of_line.is_empty() || rest_of_line.starts_with('#'))
        && line_end < source.len()
    {
        Splice {
            start: line_start(source, s),
            end: line_end + 1,
            text: String::new(),
        }
    } else {
        let before = source[..s].trim_end_matches([' ', '\t']).len();
        Splice {
            start: before,
            end: e,
            text: String::new(),
        }
    }
}

/// Adds a formal argument `name` to a callPackage-style argument set `{ a, b }:`.
pub fn formal_insertion(source: &str, pattern: &ast::Pattern, name: &str) -> Option<Splice> {
    if let Some(ellipsis) = pattern.ellipsis_token() {
        let at = usize::from(ellipsis.text_range().start());
        let text = if starts_line(source, at) {
            format!("{name},\n{}", indentation(source, at))
        } else {
            format!("{name}, ")
        };
        return Some(Splice {
            start: at,
            end: at,
            text,
        });
    }
    let last = pattern.pat_entries().last()?;
    let last_end = end(last.syntax());
    let close = usize::from(
        pattern
            .syntax()
            .children_with_tokens()
            .filter(|t| t.kind() == SyntaxKind::TOKEN_R_BRACE)
            .last()?
            .text_range()
            .start(),
    );
    let trailing_comma = source[last_end..close].trim_start().starts_with(',');
    if trailing_comma && starts_line(source, close) && starts_line(source, start(last.syntax())) {
        let indent = indentation(source, start(last.syntax()));
        let at = line_start(source, close);
        return Some(Splice {
            start: at,
            end: at,
            text: format!("{indent}{name},\n"),
        });
    }
    if trailing_comma {
        let comma = last_end + source[last_end..].find(',')? + 1;
        return Some(Splice {
            start: comma,
            end: comma,
            text: format!(" {name},"),
        });
    }
    let text = if starts_line(source, start(last.syntax())) && starts_line(source, close) {
        format!(",\n{}{name}", indentation(source, start(last.syntax())))
    } else {
        format!(", {name}")
    };
    Some(Splice {
        start: last_end,
        end: last_end,
        text,
    })
}

/// Takes back a formal `name` that the removed element was the last use of: the inverse of
/// [`formal_insertion`].
pub fn formal_removal(
    source: &str,
    pattern: &ast::Pattern,
    name: &str,
    removed: &ast::Expr,
) -> Option<Splice> {
    let entries: Vec<ast::PatEntry> = pattern.pat_entries().collect();
    let index = entries.iter().position(|e| {
        e.ident()
            .and_then(|i| i.ident_token())
            .is_some_and(|t| t.text() == name)
    })?;
    let entry = &entries[index];
    if entry.default().is_some() {
        return None;
    }
    let lambda = pattern.syntax().parent().and_then(ast::Lambda::cast)?;
    let removed_range = removed.syntax().text_range();
    let still_used = lambda.body()?.syntax().descendants_with_tokens().any(|t| {
        t.kind() == SyntaxKind::TOKEN_IDENT
            && t.as_token().map(|t| t.text()) == Some(name)
            && !removed_range.contains_range(t.text_range())
    });
    if still_used {
        return None;
    }
    let (s, e) = (start(entry.syntax()), end(entry.syntax()));
    let after = &source[e..];
    let comma_after = after.trim_start_matches([' ', '\t']).starts_with(',');
    if !comma_after {
        // The last entry without a comma: take the separator before it.
        let previous = entries.get(index.checked_sub(1)?)?;
        let prev_end = end(previous.syntax());
        return Some(Splice {
            start: prev_end,
            end: e,
            text: String::new(),
        });
    }
    let comma_end = e + after.find(',')? + 1;
    let line_end = source[comma_end..].find('\n').map(|i| comma_end + i);
    if let Some(line_end) = line_end {
        if starts_line(source, s) && source[comma_end..line_end].trim().is_empty() {
            return Some(Splice {
                start: line_start(source, s),
                end: line_end + 1,
                text: String::new(),
            });
        }
    }
    let spaces = source[comma_end..]
        .chars()
        .take_while(|c| *c == ' ')
        .count();
    Some(Splice {
        start: s,
        end: comma_end + spaces,
        text: String::new(),
    })
}

/// The top-level attribute set of flake.nix.
fn top_set(root: &ast::Root) -> Result<ast::AttrSet, EditError> {
    match root.expr() {
        Some(ast::Expr::AttrSet(set)) => Ok(set),
        _ => Err(EditError::Unsafe {
            why: "flake.nix is not a plain attribute set".into(),
            snippet: String::new(),
        }),
    }
}

/// The pattern of `outputs = { self, nixpkgs, ... }: ...`.
fn outputs_pattern(top: &ast::AttrSet) -> Option<ast::Pattern> {
    let kv = top
        .attrpath_values()
        .find(|kv| path_parts(kv) == ["outputs"])?;
    match kv.value()? {
        ast::Expr::Lambda(lambda) => match lambda.param()? {
            ast::Param::Pattern(pattern) => Some(pattern),
            _ => None,
        },
        _ => None,
    }
}

/// Names of the inputs declared in flake.nix.
pub fn input_names(top: &ast::AttrSet) -> Vec<String> {
    let mut names = Vec::new();
    for kv in top.attrpath_values() {
        let parts = path_parts(&kv);
        match parts.as_slice() {
            [first, name, ..] if first == "inputs" => names.push(name.clone()),
            [first] if first == "inputs" => {
                if let Some(ast::Expr::AttrSet(set)) = kv.value() {
                    names.extend(
                        set.attrpath_values()
                            .filter_map(|kv| path_parts(&kv).first().cloned()),
                    );
                }
            }
            _ => {}
        }
    }
    names.dedup();
    names
}

/// Adds an input (`NAME.url = "URL";`, and `NAME.inputs.nixpkgs.follows = "FOLLOWS";` when asked),
/// in the style the file already uses, and names it in the outputs pattern when that has no `...`.
pub fn add_input(
    source: &str,
    name: &str,
    url: &str,
    follows: Option<&str>,
) -> Result<String, EditError> {
    let root = parse(source)?;
    let top = top_set(&root)?;
    if input_names(&top).iter().any(|n| n == name) {
        return Err(EditError::InputExists(name.to_string()));
    }
    let mut lines = vec![format!("{name}.url = \"{url}\";")];
    if let Some(target) = follows {
        lines.push(format!("{name}.inputs.{target}.follows = \"{target}\";"));
    }
    let snippet = lines
        .iter()
        .map(|l| format!("    inputs.{l}"))
        .collect::<Vec<_>>()
        .join("\n");
    let unsafe_here = |why: &str| EditError::Unsafe {
        why: why.into(),
        snippet: snippet.clone(),
    };
    let mut splices = Vec::new();
    let inputs_set = top
        .attrpath_values()
        .find(|kv| path_parts(kv) == ["inputs"]);
    if let Some(kv) = inputs_set {
        let Some(ast::Expr::AttrSet(set)) = kv.value() else {
            return Err(unsafe_here("`inputs` is not a plain attribute set"));
        };
        let close = set
            .r_curly_token()
            .map(|t| usize::from(t.text_range().start()))
            .ok_or_else(|| unsafe_here("`inputs` is not closed"))?;
        let first = set.attrpath_values().next();
        let indent = match &first {
            Some(first) => indentation(source, start(first.syntax())),
            None => format!("{}  ", indentation(source, close)),
        };
        if !starts_line(source, close) {
            return Err(unsafe_here("`inputs` is written on one line"));
        }
        let at = line_start(source, close);
        let text: String = lines.iter().map(|l| format!("{indent}{l}\n")).collect();
        splices.push(Splice {
            start: at,
            end: at,
            text,
        });
    } else {
        // Dotted `inputs.x.url = ...;` bindings (or none yet): add after the last one, or before
        // `outputs`.
        let last_input = top
            .attrpath_values()
            .filter(|kv| path_parts(kv).first().map(String::as_str) == Some("inputs"))
            .last();
        let anchor = match &last_input {
            Some(kv) => end(kv.syntax()),
            None => {
                let outputs = top
                    .attrpath_values()
                    .find(|kv| path_parts(kv) == ["outputs"])
                    .ok_or_else(|| unsafe_here("there is no `outputs`"))?;
                line_start(source, start(outputs.syntax()))
            }
        };
        let reference = last_input
            .as_ref()
            .map(|kv| start(kv.syntax()))
            .unwrap_or(anchor);
        let indent = indentation(source, reference);
        let text: String = match last_input {
            Some(_) => lines
                .iter()
                .map(|l| format!("\n{indent}inputs.{l}"))
                .collect(),
            None => {
                lines
                    .iter()
                    .map(|l| format!("{indent}inputs.{l}\n"))
                    .collect::<String>()
                    + "\n"
            }
        };
        splices.push(Splice {
            start: anchor,
            end: anchor,
            text,
        });
    }
    if let Some(pattern) = outputs_pattern(&top) {
        if pattern.ellipsis_token().is_none() {
            let splice = formal_insertion(source, &pattern, name)
                .ok_or_else(|| unsafe_here("the outputs pattern is empty"))?;
            splices.push(splice);
        }
    }
    apply(source, splices)
}

/// Makes input `name`'s own input `dep` follow `target` (`name.inputs.dep.follows = "target";`),
/// written next to where `name` is declared and in that declaration's style.
pub fn add_follows(source: &str, name: &str, dep: &str, target: &str) -> Result<String, EditError> {
    let root = parse(source)?;
    let top = top_set(&root)?;
    if !input_names(&top).iter().any(|n| n == name) {
        return Err(EditError::NoInput(name.to_string()));
    }
    let flake = super::Flake::parse(source.to_string());
    if let Some(input) = flake.inputs.iter().find(|i| i.name == name) {
        if let Some((_, to)) = input.follows.iter().find(|(d, _)| d == dep) {
            return Err(EditError::FollowsExists {
                name: name.to_string(),
                dep: dep.to_string(),
                target: to.clone(),
            });
        }
    }
    let binding = format!("inputs.{dep}.follows = \"{target}\";");
    let unsafe_here = |why: &str| EditError::Unsafe {
        why: why.into(),
        snippet: format!("    inputs.{name}.{binding}"),
    };
    let after = |kv: &ast::AttrpathValue, text: String| Splice {
        start: end(kv.syntax()),
        end: end(kv.syntax()),
        text: format!("\n{}{text}", indentation(source, start(kv.syntax()))),
    };
    let mut splice = None;
    for kv in top.attrpath_values() {
        let parts = path_parts(&kv);
        match parts.as_slice() {
            [first, input, ..] if first == "inputs" && input == name => {
                splice = Some(after(&kv, format!("inputs.{name}.{binding}")));
            }
            [first] if first == "inputs" => {
                let Some(ast::Expr::AttrSet(set)) = kv.value() else {
                    continue;
                };
                for inner in set.attrpath_values() {
                    let inner_parts = path_parts(&inner);
                    if inner_parts.first().map(String::as_str) != Some(name) {
                        continue;
                    }
                    splice = match (inner_parts.len(), inner.value()) {
                        (1, Some(ast::Expr::AttrSet(own))) => Some(
                            into_set(source, &own, &binding)
                                .ok_or_else(|| unsafe_here("the input's set is empty"))?,
                        ),
                        (1, _) => return Err(unsafe_here("the input is not an attribute set")),
                        _ => Some(after(&inner, format!("{name}.{binding}"))),
                    };
                }
            }
            _ => {}
        }
    }
    let splice =
        splice.ok_or_else(|| unsafe_here("the input is declared in a way not understood"))?;
    apply(source, vec![splice])
}

/// Adds a binding as the last entry of a set: on its own line when the set spans lines.
fn into_set(source: &str, set: &ast::AttrSet, binding: &str) -> Option<Splice> {
    let close = usize::from(set.r_curly_token()?.text_range().start());
    let last = set.entries().last()?;
    if starts_line(source, close) {
        let at = line_start(source, close);
        let indent = indentation(source, start(last.syntax()));
        return Some(Splice {
            start: at,
            end: at,
            text: format!("{indent}{binding}\n"),
        });
    }
    Some(Splice {
        start: end(last.syntax()),
        end: end(last.syntax()),
        text: format!(" {binding}"),
    })
}

/// Removes every binding of an input and its name from the outputs pattern. Refuses while the
/// outputs still use it.
pub fn remove_input(source: &str, name: &str) -> Result<String, EditError> {
    let root = parse(source)?;
    let top = top_set(&root)?;
    if !input_names(&top).iter().any(|n| n == name) {
        return Err(EditError::NoInput(name.to_string()));
    }
    let mut splices = Vec::new();
    let whole_lines = |node: &SyntaxNode| -> Splice {
        let (s, e) = (start(node), end(node));
        let line_end = source[e..].find('\n').map_or(source.len(), |i| e + i + 1);
        if starts_line(source, s) && source[e..line_end].trim().is_empty() {
            Splice {
                start: line_start(source, s),
                end: line_end,
                text: String::new(),
            }
        } else {
            Splice {
                start: s,
                end: e,
                text: String::new(),
            }
        }
    };
    for kv in top.attrpath_values() {
        let parts = path_parts(&kv);
        match parts.as_slice() {
            [first, input, ..] if first == "inputs" && input == name => {
                splices.push(whole_lines(kv.syntax()))
            }
            [first] if first == "inputs" => {
                if let Some(ast::Expr::AttrSet(set)) = kv.value() {
                    for inner in set.attrpath_values() {
                        if path_parts(&inner).first().map(String::as_str) == Some(name) {
                            splices.push(whole_lines(inner.syntax()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(pattern) = outputs_pattern(&top) {
        let entries: Vec<ast::PatEntry> = pattern.pat_entries().collect();
        if let Some(i) = entries.iter().position(|e| {
            e.ident().map(|id| id.syntax().text().to_string()) == Some(name.to_string())
        }) {
            // Uses elsewhere in outputs make removal unsafe.
            let lambda = pattern.syntax().parent();
            if let Some(body) = lambda
                .as_ref()
                .and_then(|l| ast::Lambda::cast(l.clone()))
                .and_then(|l| l.body())
            {
                if let Some(use_at) = body.syntax().descendants_with_tokens().find(|t| {
                    t.kind() == SyntaxKind::TOKEN_IDENT
                        && t.as_token().map(|t| t.text()) == Some(name)
                }) {
                    let offset = usize::from(use_at.text_range().start());
                    return Err(EditError::InputInUse {
                        name: name.to_string(),
                        line: source[..offset].matches('\n').count() + 1,
                    });
                }
            }
            let entry = entries[i].syntax();
            // Take the comma on one side with it.
            let (s, e) = if i > 0 {
                (end(entries[i - 1].syntax()), end(entry))
            } else if entries.len() > 1 {
                (start(entry), start(entries[1].syntax()))
            } else {
                (start(entry), end(entry))
            };
            splices.push(Splice {
                start: s,
                end: e,
                text: String::new(),
            });
        }
    }
    apply(source, splices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flake::shell::{add_package, remove_package};
    use std::path::Path;

    fn corpus(name: &str) -> String {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/flakes")
                .join(name),
        )
        .unwrap()
    }

    const CORPUS: [&str; 5] = [
        "plain-let.nix",
        "flake-utils.nix",
        "for-all-systems.nix",
        "flake-parts.nix",
        "no-packages.nix",
    ];

    /// True when `new` is `old` with one contiguous piece of text inserted.
    fn is_pure_insertion(old: &str, new: &str) -> bool {
        let prefix = old
            .bytes()
            .zip(new.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        let suffix = old
            .bytes()
            .rev()
            .zip(new.bytes().rev())
            .take_while(|(a, b)| a == b)
            .count();
        new.len() > old.len() && prefix + suffix >= old.len()
    }

    proptest::proptest! {
        #[test]
        fn edits_touch_only_their_region(file in 0usize..5, name in "[a-z][a-z0-9-]{0,12}") {
            let original = corpus(CORPUS[file]);
            if let Ok(added) = add_package(&original, "default", &name) {
                proptest::prop_assert!(is_pure_insertion(&original, &added), "{}", added);
                proptest::prop_assert!(check_parses(&added).is_ok());
                let again = add_package(&added, "default", &name);
                let already = matches!(again, Err(EditError::AlreadyPresent { .. }));
                proptest::prop_assert!(already, "second add: {:?}", again);
                // Also where `add` created the whole `packages` binding.
                let removed = remove_package(&added, "default", &name).unwrap();
                proptest::prop_assert_eq!(removed, original.clone());
            }
            let input = format!("in-{name}");
            let with_input = add_input(&original, &input, "github:owner/repo", Some("nixpkgs")).unwrap();
            proptest::prop_assert!(check_parses(&with_input).is_ok());
            proptest::prop_assert_eq!(remove_input(&with_input, &input).unwrap(), original);
        }
    }

    #[test]
    fn adds_in_the_style_of_each_flake_shape() {
        let out = add_package(&corpus("plain-let.nix"), "default", "jq").unwrap();
        assert!(
            out.contains("          pkgs.ripgrep # fast grep\n          pkgs.jq\n        ];"),
            "{out}"
        );
        let out = add_package(&corpus("flake-utils.nix"), "default", "ripgrep").unwrap();
        assert!(
            out.contains("packages = with pkgs; [ hello jq ripgrep ];"),
            "{out}"
        );
        let out = add_package(&corpus("flake-utils.nix"), "docs", "pandoc").unwrap();
        assert!(out.contains("[ pkgs.mdbook pkgs.pandoc ]"), "{out}");
        let out = add_package(&corpus("for-all-systems.nix"), "default", "clippy").unwrap();
        assert!(
            out.contains("              rustc\n              clippy\n            ];"),
            "{out}"
        );
        let out = add_package(&corpus("flake-parts.nix"), "default", "pkg-config").unwrap();
        assert!(
            out.contains("buildInputs = [ pkgs.openssl pkgs.pkg-config ];"),
            "{out}"
        );
        let out = add_package(&corpus("no-packages.nix"), "default", "git").unwrap();
        assert!(
            out.contains("      packages = [ pkgs.git ];\n      shellHook"),
            "{out}"
        );
    }

    #[test]
    fn refuses_what_it_cannot_do_safely() {
        assert!(matches!(
            add_package(&corpus("flake-utils.nix"), "default", "jq"),
            Err(EditError::AlreadyPresent { .. })
        ));
        let err = add_package(&corpus("flake-utils.nix"), "ci", "jq").unwrap_err();
        assert!(err.to_string().contains("no dev shell `ci`"), "{err}");
        assert!(err.to_string().contains("packages = [ pkgs.jq ]"), "{err}");
        assert!(matches!(
            add_package("{ x = ", "default", "jq"),
            Err(EditError::Parse(_))
        ));
        // Only a conditional list: nothing to extend in place.
        let computed = "{ outputs = { self, nixpkgs }: { devShells.x.default = let pkgs = nixpkgs.legacyPackages.x; in pkgs.mkShell {\n  packages = base ++ pkgs.lib.optionals true [ pkgs.git ];\n}; }; }";
        let err = add_package(computed, "default", "jq").unwrap_err();
        assert!(matches!(err, EditError::Unsafe { .. }), "{err}");
        assert!(err.to_string().contains("pkgs.jq"), "{err}");
    }

    #[test]
    fn formal_arguments_in_every_layout_come_and_go() {
        for original in [
            "{ mkShell, git }: mkShell { }",
            "{ mkShell, git, }: mkShell { }",
            "{ mkShell, git, ... }: mkShell { }",
            "{\n  mkShell,\n  git,\n}:\nmkShell { }",
            "{\n  mkShell,\n  git\n}:\nmkShell { }",
            "{\n  mkShell,\n  ...\n}:\nmkShell { }",
        ] {
            let pattern = |text: &str| match parse(text).unwrap().expr() {
                Some(ast::Expr::Lambda(l)) => match l.param() {
                    Some(ast::Param::Pattern(p)) => p,
                    _ => unreachable!(),
                },
                _ => unreachable!(),
            };
            let splice = formal_insertion(original, &pattern(original), "jq").unwrap();
            let added = apply(original, vec![splice]).unwrap();
            assert!(added.contains("jq"), "{added}");
            let body = match parse(&added).unwrap().expr() {
                Some(ast::Expr::Lambda(l)) => l.body().unwrap(),
                _ => unreachable!(),
            };
            let splice = formal_removal(&added, &pattern(&added), "jq", &body).unwrap();
            assert_eq!(apply(&added, vec![splice]).unwrap(), original, "{added}");
        }
    }

    #[test]
    fn removes_lines_and_items() {
        let out = remove_package(&corpus("plain-let.nix"), "default", "ripgrep").unwrap();
        assert!(
            !out.contains("ripgrep") && out.contains("          pkgs.git\n        ];"),
            "{out}"
        );
        let out = remove_package(&corpus("flake-utils.nix"), "default", "hello").unwrap();
        assert!(out.contains("with pkgs; [ jq ];"), "{out}");
        let err = remove_package(&corpus("flake-utils.nix"), "default", "git").unwrap_err();
        assert!(err.to_string().contains("it has: hello, jq"), "{err}");
    }

    #[test]
    fn inputs_in_both_styles() {
        let out = add_input(
            &corpus("flake-utils.nix"),
            "rust-overlay",
            "github:oxalica/rust-overlay",
            Some("nixpkgs"),
        )
        .unwrap();
        assert!(out.contains("    rust-overlay.url = \"github:oxalica/rust-overlay\";\n    rust-overlay.inputs.nixpkgs.follows = \"nixpkgs\";\n  };"), "{out}");
        assert!(
            out.contains("{ self, nixpkgs, flake-utils, rust-overlay }:"),
            "{out}"
        );
        let out = add_input(
            &corpus("plain-let.nix"),
            "utils",
            "github:numtide/flake-utils",
            None,
        )
        .unwrap();
        assert!(out.contains("  inputs.nixpkgs.url = \"github:NixOS/nixpkgs/nixos-unstable\";\n  inputs.utils.url = \"github:numtide/flake-utils\";"), "{out}");
        assert!(matches!(
            add_input(&out, "utils", "x", None),
            Err(EditError::InputExists(_))
        ));
        // for-all-systems uses `...`: the pattern stays as it is.
        let out = add_input(
            &corpus("for-all-systems.nix"),
            "fenix",
            "github:nix-community/fenix",
            None,
        )
        .unwrap();
        assert!(out.contains("{ self, nixpkgs, ... }:"));

        let added = add_input(
            &corpus("flake-utils.nix"),
            "extra",
            "github:a/b",
            Some("nixpkgs"),
        )
        .unwrap();
        let removed = remove_input(&added, "extra").unwrap();
        assert_eq!(removed, corpus("flake-utils.nix"));
        let err = remove_input(&corpus("flake-utils.nix"), "flake-utils").unwrap_err();
        assert!(
            matches!(err, EditError::InputInUse { line: 8, .. }),
            "{err}"
        );
    }
}
