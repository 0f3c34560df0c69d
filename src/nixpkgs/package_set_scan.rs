//! The callPackage lines of a package-set file read from tokens instead of rnix's syntax tree.
//! all-packages.nix in a tree laid out like older nixpkgs is 8 MB of 120k such lines, and building
//! its syntax tree took seconds on one core before the package files could be read. Regular lines
//! (`name = callPackage ../path { a = x; };`) are read from the tokens; a binding whose value holds
//! a callPackage in any other shape is parsed on its own with rnix; a file the scanner or its
//! syntax check declines is parsed whole, as before. Tests check that both ways agree.

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::fast_package::{tokens_with_bindings, BindingSpan, Tok, INTERPOLATED, K};

/// `(attribute, relative path as written, names the line passes)`; `*` when it passes a set it
/// does not spell out.
pub type CallLine = (String, String, Vec<String>);

/// The callPackage lines in the order a walk of the syntax tree meets them, or `None` when the
/// text needs the full parse.
pub fn call_package_lines(text: &str) -> Option<Vec<CallLine>> {
    let (toks, bindings) = tokens_with_bindings(text)?;
    let mut lines = Vec::new();
    // Bindings that start before this token were inside one rnix already read.
    let mut read_until = 0;
    for binding in &bindings {
        if binding.start < read_until {
            continue;
        }
        match classify(text, &toks, binding) {
            Class::NotALine => {}
            Class::Line(line) => lines.push(line),
            Class::Hard => {
                let start = toks[binding.start].start as usize;
                let end = toks[binding.semi].end as usize;
                let wrapped = format!("{{ {} }}", &text[start..end]);
                let parse = rnix::ast::Root::parse(&wrapped);
                if !parse.errors().is_empty() {
                    return None;
                }
                lines.extend(call_package_lines_in(parse.tree().syntax()));
                read_until = binding.semi + 1;
            }
        }
    }
    Some(lines)
}

enum Class {
    NotALine,
    Line(CallLine),
    /// Holds a callPackage the token reader does not read for sure.
    Hard,
}

fn text_of<'a>(text: &'a str, tok: &Tok) -> &'a str {
    &text[tok.start as usize..tok.end as usize]
}

fn ends_in_call(text: &str, tok: &Tok) -> bool {
    matches!(tok.kind, K::Ident | K::Path) && {
        let s = text_of(text, tok);
        s.ends_with("callPackage") || s.ends_with("callPackages")
    }
}

fn opens(kind: K) -> bool {
    matches!(kind, K::LParen | K::LBrack | K::LBrace)
}

fn closes(kind: K) -> bool {
    matches!(kind, K::RParen | K::RBrack | K::RBrace)
}

/// The index of the bracket closing the one at `open`.
fn matching(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, tok) in toks.iter().enumerate().skip(open) {
        if opens(tok.kind) {
            depth += 1;
        } else if closes(tok.kind) {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// An attribute name as the full parse reads it: `Ok(None)` for an interpolated string (no
/// name), `Err` for strings with escapes, which are left to the full parse.
fn name_part(text: &str, tok: &Tok) -> Result<Option<String>, ()> {
    match tok.kind {
        K::Ident => Ok(Some(text_of(text, tok).to_string())),
        K::Str if tok.flags == 0 => {
            let quoted = text_of(text, tok);
            Ok(Some(quoted[1..quoted.len() - 1].to_string()))
        }
        K::Str if tok.flags == INTERPOLATED => Ok(None),
        _ => Err(()),
    }
}

/// A dotted attribute path (`a."b".c`), `Ok(None)` when a part has no static name.
fn attrpath(text: &str, toks: &[Tok]) -> Result<Option<String>, ()> {
    let mut parts = Vec::new();
    let mut named = true;
    for tok in toks.iter().filter(|t| t.kind != K::Dot) {
        match name_part(text, tok)? {
            Some(part) => parts.push(part),
            None => named = false,
        }
    }
    Ok(named.then(|| parts.join(".")))
}

/// A value that is a function, `let`, `with`, `assert` or `if` is no application, so the full
/// parse finds no line in it (the bindings inside it are read on their own). Deciding this from
/// its first tokens keeps a whole overlay (`final: prev: let callPackage = ...; in { ... }`) from
/// going to rnix as one hard binding.
fn plainly_no_application(value: &[Tok]) -> bool {
    let after = |i: usize| value.get(i).map(|t| t.kind);
    match after(0) {
        Some(K::Let | K::With | K::Assert | K::If) => true,
        Some(K::Ident) => matches!(after(1), Some(K::Colon | K::At)),
        Some(K::LBrace) => matching(value, 0)
            .is_some_and(|close| matches!(after(close + 1), Some(K::Colon | K::At))),
        _ => false,
    }
}

fn classify(text: &str, toks: &[Tok], binding: &BindingSpan) -> Class {
    let value = &toks[binding.assign + 1..binding.semi];
    if plainly_no_application(value) {
        return Class::NotALine;
    }
    // An application's head ends at the value's own level: a callPackage only inside brackets
    // makes no line of this binding (its inner bindings are read on their own).
    let mut depth = 0usize;
    let candidate = value.iter().any(|tok| {
        if opens(tok.kind) {
            depth += 1;
        } else if closes(tok.kind) {
            depth = depth.saturating_sub(1);
        }
        depth == 0 && ends_in_call(text, tok)
    });
    if !candidate {
        return Class::NotALine;
    }
    let attr = match attrpath(text, &toks[binding.start..binding.assign]) {
        Ok(Some(attr)) => attr,
        Ok(None) => return Class::NotALine,
        Err(()) => return Class::Hard,
    };
    match read_line(text, value) {
        Some(Some((path, passed))) => Class::Line((attr, path, passed)),
        Some(None) => Class::NotALine,
        None => Class::Hard,
    }
}

/// Reads `head.callPackage ARG...` where the head is a chain of names and every argument one
/// atom. `None` for any other shape; `Some(None)` for an application that is no callPackage line
/// (no arguments, or a first argument that is not a relative path).
#[allow(clippy::option_option)]
fn read_line(text: &str, value: &[Tok]) -> Option<Option<(String, Vec<String>)>> {
    if value.first()?.kind != K::Ident {
        return None;
    }
    let mut i = 1;
    while value.get(i).map(|t| t.kind) == Some(K::Dot)
        && value.get(i + 1).map(|t| t.kind) == Some(K::Ident)
    {
        i += 2;
    }
    if !ends_in_call(text, &value[i - 1]) {
        return None;
    }
    let mut args: Vec<std::ops::Range<usize>> = Vec::new();
    while i < value.len() {
        let start = i;
        i = match value[i].kind {
            K::Path | K::Ident | K::Str | K::IndStr | K::Number => i + 1,
            K::LParen | K::LBrack | K::LBrace => matching(value, i)? + 1,
            K::Rec if value.get(i + 1).map(|t| t.kind) == Some(K::LBrace) => {
                matching(value, i + 1)? + 1
            }
            _ => return None,
        };
        // A selection or `or` default on an argument: leave it to the full parse.
        if matches!(value.get(i).map(|t| t.kind), Some(K::Dot | K::Or)) {
            return None;
        }
        args.push(start..i);
    }
    let first = args.first()?.clone();
    if first.len() != 1 || value[first.start].kind != K::Path {
        return Some(None);
    }
    let path = text_of(text, &value[first.start]).to_string();
    let passed = match args.last() {
        Some(last) if args.len() > 1 => match value[last.start].kind {
            K::LBrace | K::Rec => set_names(text, &value[last.clone()])?,
            _ => vec!["*".to_string()],
        },
        _ => Vec::new(),
    };
    Some(Some((path, passed)))
}

/// The names a set literal binds: its `a.b = ...;` paths in order, then its inherited names, as
/// the full parse lists them. `None` where a value holds `let`, `with` or `assert` (their `;`
/// would end a binding early) or a name has escapes.
fn set_names(text: &str, set: &[Tok]) -> Option<Vec<String>> {
    let open = usize::from(set.first()?.kind == K::Rec);
    let inner = set.get(open + 1..set.len().checked_sub(1)?)?;
    let mut assigned = Vec::new();
    let mut inherited = Vec::new();
    let mut j = 0;
    while j < inner.len() {
        if inner[j].kind == K::Inherit {
            j += 1;
            if inner.get(j)?.kind == K::LParen {
                j = matching(inner, j)? + 1;
            }
            while matches!(inner.get(j)?.kind, K::Ident | K::Str) {
                inherited.extend(name_part(text, &inner[j]).ok()?);
                j += 1;
            }
            j += 1;
            continue;
        }
        let start = j;
        while inner.get(j)?.kind != K::Assign {
            j += 1;
        }
        assigned.extend(attrpath(text, &inner[start..j]).ok()?);
        j += 1;
        let mut depth = 0usize;
        loop {
            let kind = inner.get(j)?.kind;
            if opens(kind) {
                depth += 1;
            } else if closes(kind) {
                depth -= 1;
            } else if depth == 0 {
                match kind {
                    K::Semi => break,
                    K::Let | K::With | K::Assert => return None,
                    _ => {}
                }
            }
            j += 1;
        }
        j += 1;
    }
    assigned.extend(inherited);
    Some(assigned)
}

/// `name = callPackage ./path { };` (or `python.pkgs.callPackage`, `callPackages`) pairs.
pub(super) fn call_package_lines_in(root: &rnix::SyntaxNode) -> Vec<CallLine> {
    let mut lines = Vec::new();
    for node in root.descendants() {
        let Some(kv) = ast::AttrpathValue::cast(node) else {
            continue;
        };
        let (Some(attr), Some(ast::Expr::Apply(apply))) =
            (super::syntax::attrpath_text(&kv), kv.value())
        else {
            continue;
        };
        // Flatten `((callPackage path) args)` to the head and its first argument.
        let mut head = ast::Expr::Apply(apply);
        let mut args = Vec::new();
        while let ast::Expr::Apply(inner) = &head {
            if let Some(arg) = inner.argument() {
                args.push(arg);
            }
            match inner.lambda() {
                Some(lambda) => head = lambda,
                None => break,
            }
        }
        let head_text = head.syntax().text().to_string();
        if !head_text.ends_with("callPackage") && !head_text.ends_with("callPackages") {
            continue;
        }
        if let Some(ast::Expr::PathRel(path)) = args.last() {
            // `callPackage ./x { version = "1"; }`: the names passed; anything else given
            // (`{ } // x`, a variable) may pass any name.
            let passed = match args.first().filter(|_| args.len() > 1) {
                Some(ast::Expr::AttrSet(set)) => set
                    .attrpath_values()
                    .filter_map(|kv| super::syntax::attrpath_text(&kv))
                    .chain(set.inherits().flat_map(|i| {
                        i.attrs()
                            .filter_map(|a| super::syntax::attr_name(&a))
                            .collect::<Vec<_>>()
                    }))
                    .collect(),
                Some(_) => vec!["*".to_string()],
                None => Vec::new(),
            };
            lines.push((attr, path.syntax().text().to_string(), passed));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_parse(text: &str) -> Vec<CallLine> {
        let parse = rnix::ast::Root::parse(text);
        assert!(parse.errors().is_empty(), "{:?}", parse.errors());
        super::call_package_lines_in(parse.tree().syntax())
    }

    #[track_caller]
    fn agrees(text: &str) {
        let fast = call_package_lines(text).expect("the token reader reads this text");
        assert_eq!(fast, full_parse(text), "{text}");
    }

    #[test]
    fn regular_and_irregular_lines_agree_with_the_full_parse() {
        agrees(
            r#"{ lib, config ? { } }:
let
  callPackage = lib.callPackageWith self;
  helper = x: callPackage ./helper.nix { } // x;
in self: super: with self; {
  a = callPackage ../tools/a { };
  "b-c" = callPackage ../tools/b-c/default.nix { };
  d = pkgs.python3.pkgs.callPackage ./d { inherit (self) foo; bar = 1; "baz" = 2; x.y = 3; };
  e = callPackages ./e { } // { extra = true; };
  f = lowPrio (callPackage ./f { });
  g = callPackage ./g (args // { });
  h = callPackage ./h rec { v = let q = 1; in q; };
  i = callPackage ./i { } "more";
  j = if config.x then callPackage ./j { } else null;
  k = callPackage;
  l = callPackage ./l;
  m = callPackage "./m" { };
  n = { inner = callPackage ./n { nested = callPackage ./o { }; }; };
  "${name}" = callPackage ./p { };
  q = callPackage ./q { a = with lib; x; };
  r.s = callPackage ./r { inherit a "b"; c = 1; };
  t = xcallPackage ./t { };
  u = (callPackage) ./u { };
  v = callPackage ./v { }.out;
  w = x: callPackage ./w { };
  y = final: prev: let callPackage = final.callPackage; in { z = callPackage ./z { }; };
  aa = { pkgs, ... }@args: callPackage ./aa { inherit pkgs; };
  ab = let callPackage = x; in callPackage ./ab { };
  ac = with self; callPackage ./ac { };
  ad = assert true; callPackage ./ad { };
  ae = args@{ ... }: callPackage ./ae args;
  af = { }: callPackage ./af { };
}
"#,
        );
    }

    #[test]
    fn the_generated_layout_and_the_fixture_agree() {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/nixpkgs-mini/pkgs/top-level/all-packages.nix");
        if let Ok(text) = std::fs::read_to_string(fixture) {
            if call_package_lines(&text).is_some() {
                agrees(&text);
            }
        }
        let mut text = String::from("{ lib }: self: with self; {\n");
        for i in 0..500 {
            text.push_str(&format!(
                "  pkg{i} = callPackage ../development/libraries/pkg{i} {{ }};\n"
            ));
        }
        text.push_str("}\n");
        agrees(&text);
    }

    #[test]
    fn a_function_or_let_is_no_line_whatever_it_holds() {
        let text = "{ o = final: prev: let callPackage = final.callPackage; in { a = callPackage ./a { }; };\n  p = with x; callPackage ./p { }; }";
        let (toks, bindings) = tokens_with_bindings(text).unwrap();
        let outer = bindings
            .iter()
            .find(|b| text_of(text, &toks[b.start]) == "o")
            .unwrap();
        assert!(matches!(classify(text, &toks, outer), Class::NotALine));
        agrees(text);
    }

    #[test]
    fn declines_what_the_scanner_does_not_know() {
        assert!(call_package_lines("{ a = callPackage /abs/path { }; }").is_none());
        assert!(call_package_lines("{ a = callPackage ./x { ").is_none());
    }
}
