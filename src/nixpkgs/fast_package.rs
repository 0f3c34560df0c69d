//! A fast path for package files: reads pname, version and literal meta fields from rnix's token
//! stream without building a syntax tree (a full parse costs about seven times as much as
//! tokenizing). It answers only when it is sure; anything unusual (escapes, `''` strings, lists,
//! `let` or `assert` inside a set) returns `None` and the caller parses the file fully. A test
//! checks that both paths agree on every package they both read.

use rnix::SyntaxKind::{self, *};

/// What the fast path read from a package file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    pub pname: Option<String>,
    pub version: Option<String>,
    /// 1-based line of the `pname` binding (1 when there is none).
    pub line: u32,
    /// `meta` fields in file order.
    pub meta: Vec<(String, Value)>,
}

/// A binding's value, as far as the fast path reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A `"..."` string: its text, or `None` with interpolation.
    Str(Option<String>),
    /// `licenses.mit` or `mit`: the last component.
    Symbol(String),
    /// Any other expression (a set, a function call, an `//` update).
    Other,
    /// Something the fast path does not read (`''` strings, escapes, lists, parentheses).
    Unsupported,
}

impl Value {
    /// The value as a plain string, the way the full parse reads strings.
    pub fn string(&self) -> Option<String> {
        match self {
            Value::Str(s) => s.clone(),
            _ => None,
        }
    }

    /// The value as a string or symbol, the way the full parse reads licenses and platforms.
    pub fn symbolic(&self) -> Option<String> {
        match self {
            Value::Str(s) => s.clone(),
            Value::Symbol(s) => Some(s.clone()),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// An attribute set, by index into `sets`.
    Set(usize),
    /// Brackets, parentheses, interpolations.
    Other,
}

struct Set {
    start: usize,
    /// The binding that opened it (`meta` for `meta = { ... }`) and the set that binding is in.
    opener: Option<(String, usize)>,
    bindings: Vec<Binding>,
}

struct Binding {
    path: Vec<String>,
    start: usize,
    value: Value,
}

/// Significant tokens with their byte offsets.
fn tokens(text: &str) -> Vec<(SyntaxKind, &str, usize)> {
    let mut offset = 0;
    let mut out = Vec::new();
    for (kind, slice) in rnix::tokenize(text) {
        if kind != TOKEN_WHITESPACE && kind != TOKEN_COMMENT {
            out.push((kind, slice, offset));
        }
        offset += slice.len();
    }
    out
}

/// Reads the value starting at `i`.
fn read_value(toks: &[(SyntaxKind, &str, usize)], i: usize) -> Value {
    match toks.get(i) {
        Some((TOKEN_STRING_START, open, _)) => {
            if *open != "\"" {
                return Value::Unsupported;
            }
            let mut text = String::new();
            for (kind, slice, _) in &toks[i + 1..] {
                match kind {
                    TOKEN_STRING_CONTENT if slice.contains('\\') || slice.contains('$') => {
                        return Value::Unsupported
                    }
                    TOKEN_STRING_CONTENT => text.push_str(slice),
                    TOKEN_STRING_END => {
                        // A string followed by more (`"a" + b`) is not a literal.
                        return match toks.get(i + 2 + usize::from(!text.is_empty())) {
                            Some((TOKEN_SEMICOLON, _, _)) | Some((TOKEN_R_BRACE, _, _)) => {
                                Value::Str(Some(text))
                            }
                            _ => Value::Other,
                        };
                    }
                    TOKEN_INTERPOL_START => return Value::Str(None),
                    _ => return Value::Unsupported,
                }
            }
            Value::Unsupported
        }
        Some((TOKEN_IDENT, _, _)) => {
            let mut j = i;
            while let Some((TOKEN_IDENT, name, _)) = toks.get(j) {
                match toks.get(j + 1) {
                    Some((TOKEN_DOT, _, _)) => j += 2,
                    Some((TOKEN_SEMICOLON, _, _)) => return Value::Symbol(name.to_string()),
                    _ => return Value::Other,
                }
            }
            Value::Other
        }
        Some((TOKEN_L_BRACK, _, _)) | Some((TOKEN_L_PAREN, _, _)) => Value::Unsupported,
        _ => Value::Other,
    }
}

pub fn extract(text: &str) -> Option<Fields> {
    let toks = tokens(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut sets: Vec<Set> = Vec::new();
    let mut at_binding_start = false;
    // Inside a binding's value, before its `;`.
    let mut in_binding = false;
    // The binding whose value opens the next `{`: (name, set it is in).
    let mut opener: Option<(String, usize)> = None;
    let mut i = 0;
    while i < toks.len() {
        let (kind, slice, offset) = toks[i];
        let top_set = match stack.last() {
            Some(Frame::Set(id)) => Some(*id),
            _ => None,
        };
        match kind {
            TOKEN_ERROR => return None,
            TOKEN_LET | TOKEN_ASSERT if top_set.is_some() => return None,
            TOKEN_L_BRACE => {
                sets.push(Set {
                    start: offset,
                    opener: opener.take(),
                    bindings: Vec::new(),
                });
                stack.push(Frame::Set(sets.len() - 1));
                at_binding_start = true;
                in_binding = false;
                i += 1;
                continue;
            }
            TOKEN_R_BRACE => {
                // A set closing in the middle of a binding (`{ a = 1 }`) is a syntax error.
                if top_set.is_none() || in_binding {
                    return None;
                }
                stack.pop();
            }
            TOKEN_L_BRACK | TOKEN_L_PAREN | TOKEN_INTERPOL_START => stack.push(Frame::Other),
            TOKEN_R_BRACK | TOKEN_R_PAREN | TOKEN_INTERPOL_END => {
                // A closing bracket that closes no bracket: leave it to the full parse.
                let closed = stack.pop();
                if closed != Some(Frame::Other) {
                    return None;
                }
            }
            TOKEN_SEMICOLON if top_set.is_some() => {
                at_binding_start = true;
                in_binding = false;
                i += 1;
                continue;
            }
            TOKEN_IDENT if at_binding_start && top_set.is_some() => {
                // An attrpath `a.b.c` followed by `=` is a binding; anything else (a function
                // pattern `{ lib, ... }`) is not.
                let set = top_set.expect("checked");
                let mut path = vec![slice.to_string()];
                let mut j = i + 1;
                while let (Some((TOKEN_DOT, _, _)), Some((TOKEN_IDENT, name, _))) =
                    (toks.get(j), toks.get(j + 1))
                {
                    path.push(name.to_string());
                    j += 2;
                }
                if let Some((TOKEN_ASSIGN, _, _)) = toks.get(j) {
                    let mut value_at = j + 1;
                    // `meta = with lib; { ... }`: the set after `with X;` is the value.
                    if let Some((TOKEN_WITH, _, _)) = toks.get(value_at) {
                        let semicolon = toks[value_at..]
                            .iter()
                            .position(|t| t.0 == TOKEN_SEMICOLON)?
                            + value_at;
                        if toks[value_at..semicolon]
                            .iter()
                            .any(|t| !matches!(t.0, TOKEN_WITH | TOKEN_IDENT | TOKEN_DOT))
                        {
                            return None;
                        }
                        value_at = semicolon + 1;
                    }
                    let value = match toks.get(value_at) {
                        Some((TOKEN_L_BRACE, _, _)) => {
                            opener = Some((path.last().cloned().unwrap_or_default(), set));
                            Value::Other
                        }
                        _ => read_value(&toks, value_at),
                    };
                    sets[set].bindings.push(Binding {
                        path,
                        start: offset,
                        value,
                    });
                    at_binding_start = false;
                    in_binding = true;
                    i = value_at;
                    continue;
                }
            }
            // `a = 1 b = 2`: a binding where none can start means a missing `;`, a syntax error
            // the full parse must report.
            TOKEN_IDENT
                if top_set.is_some() && toks.get(i + 1).is_some_and(|t| t.0 == TOKEN_ASSIGN) =>
            {
                return None
            }
            TOKEN_STRING_START if at_binding_start && top_set.is_some() => return None,
            _ => {}
        }
        at_binding_start = false;
        i += 1;
    }
    if !stack.is_empty() {
        return None;
    }
    // The derivation's set: the first set, in file order, binding `pname` or `name` directly.
    let (drv, _) = sets
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.bindings
                .iter()
                .any(|b| b.path == ["pname"] || b.path == ["name"])
        })
        .min_by_key(|(_, s)| s.start)?;
    let mut fields = Fields {
        line: 1,
        ..Fields::default()
    };
    let line_of = |offset: usize| text[..offset].matches('\n').count() as u32 + 1;
    const READ: [&str; 6] = [
        "description",
        "longDescription",
        "homepage",
        "mainProgram",
        "license",
        "platforms",
    ];
    for binding in &sets[drv].bindings {
        match binding
            .path
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["pname"] | ["version"] if binding.value == Value::Unsupported => return None,
            ["pname"] => {
                fields.pname = binding.value.string();
                fields.line = line_of(binding.start);
            }
            ["version"] => fields.version = binding.value.string(),
            ["meta"] => {
                let child = sets.iter().find(|s| {
                    s.opener
                        .as_ref()
                        .is_some_and(|(name, parent)| name == "meta" && *parent == drv)
                });
                if let Some(child) = child {
                    for b in &child.bindings {
                        if let [field] = b.path.as_slice() {
                            if READ.contains(&field.as_str()) {
                                if b.value == Value::Unsupported {
                                    return None;
                                }
                                fields.meta.push((field.clone(), b.value.clone()));
                            }
                        }
                    }
                }
            }
            ["meta", field] if READ.contains(field) => {
                if binding.value == Value::Unsupported {
                    return None;
                }
                fields.meta.push((field.to_string(), binding.value.clone()));
            }
            _ => {}
        }
    }
    Some(fields)
}
