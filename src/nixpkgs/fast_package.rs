//! A fast path for package files: reads pname, version and literal meta fields with a scanner and
//! a syntax check of its own instead of building rnix's syntax tree (which costs about seven times
//! as much on nixpkgs-shaped files). It answers only when it is sure: anything unusual (a construct
//! the scanner does not know, a syntax error, `let` or `assert` inside a set, a value it cannot
//! read exactly) returns `None` and the caller parses the file fully. Tests check that both paths
//! agree on every package the fast path reads: fixtures, the same damaged byte by byte (property
//! test), and on demand a whole generated tree.

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
    /// A string: its text, or `None` with interpolation.
    Str(Option<String>),
    /// `licenses.mit` or `mit`: the last component; for a list of those (and strings), the items
    /// joined with ", ".
    Symbol(String),
    /// Any other expression (a set, a function call, an `//` update, an empty list).
    Other,
    /// Something the fast path does not read exactly (parentheses, `or` defaults, odd strings).
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum K {
    Ident,
    Let,
    Assert,
    With,
    Or,
    Rec,
    Inherit,
    In,
    If,
    Then,
    Else,
    LBrace,
    RBrace,
    LBrack,
    RBrack,
    LParen,
    RParen,
    Semi,
    Assign,
    Dot,
    /// `"..."`; see [`Tok::flags`].
    Str,
    /// `''...''`; see [`Tok::flags`].
    IndStr,
    Number,
    /// `./relative` and `../relative` paths.
    Path,
    Ellipsis,
    Comma,
    Colon,
    Question,
    At,
    Minus,
    Not,
    /// A binary operator other than `-` and `?`: its class (see [`ORDINARY`]).
    BinOp(u8),
}

/// `// && || ->`.
const ORDINARY: u8 = 0;
/// `++ * / +`: these bind tighter than `!`, so `a + !b` is a syntax error.
const ARITHMETIC: u8 = 2;
/// `< > <= >= == !=`: these do not chain (`a < b < c` is a syntax error).
const COMPARISON: u8 = 1;

/// The string contains `${`.
pub(super) const INTERPOLATED: u8 = 1;
/// The string contains an escape (`\x` in `"..."`, `''$`, `'''` or `''\x` in `''...''`): its text
/// is not its bytes.
const ESCAPED: u8 = 2;
/// The string holds `$$`, whose reading the fast path leaves to the full parse.
const ODD: u8 = 4;

#[derive(Clone, Copy, Debug)]
pub(super) struct Tok {
    pub(super) kind: K,
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) flags: u8,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'\'' | b'-')
}

fn is_path_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+')
}

/// Nix's lexer, as far as package files need it. `None` when it meets anything it does not know
/// for sure (unterminated strings or comments, search paths, URIs, interpolated paths, non-ASCII
/// outside strings and comments): the full parse then decides.
struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    /// The tokens of each interpolation, its closing `}` left out, for the syntax check.
    interpolations: Vec<Vec<Tok>>,
}

impl Scanner<'_> {
    fn peek(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    /// How many bytes from here satisfy `pred`.
    fn run(&self, pred: impl Fn(u8) -> bool) -> usize {
        let rest = &self.b[self.i..];
        rest.iter().position(|&c| !pred(c)).unwrap_or(rest.len())
    }

    /// Skips whitespace and comments.
    fn trivia(&mut self) -> Option<()> {
        loop {
            match self.peek(0) {
                b' ' | b'\t' | b'\n' | b'\r' => {
                    self.i += self.run(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                }
                b'#' => {
                    while self.i < self.b.len() && self.b[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b'/' if self.peek(1) == b'*' => {
                    let rest = &self.b[self.i + 2..];
                    let end = rest.windows(2).position(|w| w == b"*/")?;
                    self.i += 2 + end + 2;
                }
                _ => return Some(()),
            }
        }
    }

    /// Skips the code of an interpolation up to its closing `}` (the `${` is already consumed).
    fn interpolation(&mut self) -> Option<()> {
        let mut depth = 0usize;
        let mut toks = Vec::new();
        loop {
            let tok = self.next()?;
            match tok.kind {
                K::LBrace => depth += 1,
                K::RBrace if depth == 0 => {
                    self.interpolations.push(toks);
                    return Some(());
                }
                K::RBrace => depth -= 1,
                _ => {}
            }
            toks.push(tok);
        }
    }

    fn string(&mut self) -> Option<u8> {
        let mut flags = 0;
        loop {
            match self.peek(0) {
                0 if self.i >= self.b.len() => return None,
                b'"' => {
                    self.i += 1;
                    return Some(flags);
                }
                b'\\' => {
                    flags |= ESCAPED;
                    self.i += 2;
                }
                // `$${` is text, not an interpolation; the reader does not read such strings.
                b'$' if self.peek(1) == b'$' => {
                    flags |= ODD;
                    self.i += 2;
                }
                b'$' if self.peek(1) == b'{' => {
                    flags |= INTERPOLATED;
                    self.i += 2;
                    self.interpolation()?;
                }
                _ => self.i += 1,
            }
        }
    }

    fn indented_string(&mut self) -> Option<u8> {
        let mut flags = 0;
        loop {
            match self.peek(0) {
                0 if self.i >= self.b.len() => return None,
                b'\'' if self.peek(1) == b'\'' => match self.peek(2) {
                    b'\'' | b'$' => {
                        flags |= ESCAPED;
                        self.i += 3;
                    }
                    b'\\' => {
                        flags |= ESCAPED;
                        self.i += 4;
                    }
                    _ => {
                        self.i += 2;
                        return Some(flags);
                    }
                },
                // `$${` is text, not an interpolation; the reader does not read such strings.
                b'$' if self.peek(1) == b'$' => {
                    flags |= ODD;
                    self.i += 2;
                }
                b'$' if self.peek(1) == b'{' => {
                    flags |= INTERPOLATED;
                    self.i += 2;
                    self.interpolation()?;
                }
                _ => self.i += 1,
            }
        }
    }

    /// The next significant token; `None` at the end of the text or where the scanner is unsure.
    fn next(&mut self) -> Option<Tok> {
        self.trivia()?;
        let start = self.i;
        let c = self.peek(0);
        let mut flags = 0;
        let kind = match c {
            0 if self.i >= self.b.len() => return None,
            c if is_ident_start(c) => self.word(start)?,
            b'0'..=b'9' => {
                while self.peek(0).is_ascii_digit() {
                    self.i += 1;
                }
                if self.peek(0) == b'.' || is_ident_char(self.peek(0)) || self.peek(0) == b'/' {
                    return None;
                }
                K::Number
            }
            b'"' => {
                self.i += 1;
                flags = self.string()?;
                K::Str
            }
            b'\'' if self.peek(1) == b'\'' => {
                self.i += 2;
                flags = self.indented_string()?;
                K::IndStr
            }
            b'.' if self.peek(1) == b'/' || (self.peek(1) == b'.' && self.peek(2) == b'/') => {
                self.relative_path()?
            }
            b'.' if self.peek(1) == b'.' && self.peek(2) == b'.' => {
                self.i += 3;
                K::Ellipsis
            }
            b'.' if self.peek(1).is_ascii_digit() => return None,
            b'.' => {
                self.i += 1;
                K::Dot
            }
            // Absolute and home paths, search paths: rare in package files.
            b'/' if is_path_char(self.peek(1)) => return None,
            b'~' | b'<' if self.peek(1) == b'/' || is_path_char(self.peek(1)) => return None,
            b'$' if self.peek(1) == b'{' => return None,
            b'{' | b'}' | b'[' | b']' | b'(' | b')' | b';' => {
                self.i += 1;
                match c {
                    b'{' => K::LBrace,
                    b'}' => K::RBrace,
                    b'[' => K::LBrack,
                    b']' => K::RBrack,
                    b'(' => K::LParen,
                    b')' => K::RParen,
                    _ => K::Semi,
                }
            }
            b'=' if self.peek(1) == b'=' => {
                self.i += 2;
                K::BinOp(COMPARISON)
            }
            b'=' => {
                self.i += 1;
                K::Assign
            }
            b'+' | b'-' | b'*' | b'/' | b'!' | b'<' | b'>' | b'&' | b'|' | b'?' | b'@' | b','
            | b':' => self.operator(c)?,
            _ => return None,
        };
        Some(Tok {
            kind,
            start: start as u32,
            end: self.i as u32,
            flags,
        })
    }

    /// An identifier or keyword starting at `start`; `None` at a path or URI written bare.
    fn word(&mut self, start: usize) -> Option<K> {
        self.i += self.run(is_ident_char);
        // `a/b` is a path and `a:b` a URI: leave both to the full parse.
        let next = self.peek(0);
        if (next == b'/' && is_path_char(self.peek(1)))
            || (next == b':' && !matches!(self.peek(1), b' ' | b'\t' | b'\n' | b'\r' | b'{' | b'('))
        {
            return None;
        }
        let kind = match &self.b[start..self.i] {
            b"let" => K::Let,
            b"assert" => K::Assert,
            b"with" => K::With,
            b"or" => K::Or,
            b"rec" => K::Rec,
            b"inherit" => K::Inherit,
            b"in" => K::In,
            b"if" => K::If,
            b"then" => K::Then,
            b"else" => K::Else,
            _ => K::Ident,
        };
        Some(kind)
    }

    /// `./x/y` or `../x`: `/` and path characters, repeated (interpolated paths and trailing
    /// slashes are left to the full parse).
    fn relative_path(&mut self) -> Option<K> {
        // A relative path: `/` and at least one path character, repeated. Interpolated
        // paths and trailing slashes are left to the full parse.
        self.i += if self.peek(1) == b'.' { 2 } else { 1 };
        while self.peek(0) == b'/' {
            self.i += 1;
            let start = self.i;
            while is_path_char(self.peek(0)) {
                self.i += 1;
            }
            if self.i == start {
                return None;
            }
        }
        if self.peek(0) == b'$' {
            return None;
        }
        Some(K::Path)
    }

    /// The operator or punctuation starting with `c` (one or two characters).
    fn operator(&mut self, c: u8) -> Option<K> {
        self.i += 1;
        let pair = (c, self.peek(0));
        // Two-character operators: `++ // != <= >= && || ->`.
        let two = matches!(
            pair,
            (b'+', b'+')
                | (b'/', b'/')
                | (b'!', b'=')
                | (b'<', b'=')
                | (b'>', b'=')
                | (b'&', b'&')
                | (b'|', b'|')
                | (b'-', b'>')
        );
        if two {
            self.i += 1;
        }
        Some(match (c, two) {
            (b'-', false) => K::Minus,
            (b'!', false) => K::Not,
            (b'?', _) => K::Question,
            (b'@', _) => K::At,
            (b',', _) => K::Comma,
            (b':', _) => K::Colon,
            // A lone `&` or `|` is not Nix.
            (b'&' | b'|', false) => return None,
            (b'<' | b'>', _) | (b'!', true) => K::BinOp(COMPARISON),
            (b'+' | b'*', _) | (b'/', false) => K::BinOp(ARITHMETIC),
            _ => K::BinOp(ORDINARY),
        })
    }
}

/// Every significant token, or `None` when the scanner is unsure of any part of the text or the
/// tokens do not form a Nix expression.
#[cfg(test)]
fn tokens(text: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::with_capacity(text.len() / 6);
    tokens_into(text, &mut out)?;
    Some(out)
}

/// [`tokens`] into a buffer the caller keeps between files.
fn tokens_into(text: &str, out: &mut Vec<Tok>) -> Option<()> {
    tokens_checked(text, out, None)
}

/// Where one `attrpath = value;` binding lies in the token list: its first token, its `=` and its
/// `;`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct BindingSpan {
    pub(super) start: usize,
    pub(super) assign: usize,
    pub(super) semi: usize,
}

/// The tokens of a whole file that passes the syntax check, with every binding at any depth in
/// source order (as a walk of the syntax tree meets them). `None` when the scanner is unsure or a
/// binding sits inside an interpolation (where the spans would not be positions in the list).
pub(super) fn tokens_with_bindings(text: &str) -> Option<(Vec<Tok>, Vec<BindingSpan>)> {
    let mut toks = Vec::with_capacity(text.len() / 6);
    let mut bindings = Vec::new();
    tokens_checked(text, &mut toks, Some(&mut bindings))?;
    Some((toks, bindings))
}

fn tokens_checked(
    text: &str,
    out: &mut Vec<Tok>,
    mut bindings: Option<&mut Vec<BindingSpan>>,
) -> Option<()> {
    out.clear();
    let mut scanner = Scanner {
        b: text.as_bytes(),
        i: 0,
        interpolations: Vec::new(),
    };
    loop {
        scanner.trivia()?;
        if scanner.i >= scanner.b.len() {
            break;
        }
        out.push(scanner.next()?);
    }
    if bindings.is_some()
        && scanner
            .interpolations
            .iter()
            .any(|toks| toks.iter().any(|t| t.kind == K::Assign))
    {
        return None;
    }
    for (n, toks) in std::iter::once(&*out)
        .chain(&scanner.interpolations)
        .enumerate()
    {
        let mut check = Check {
            t: toks,
            i: 0,
            depth: 0,
            bindings: if n == 0 { bindings.take() } else { None },
        };
        check.expr()?;
        if check.i != toks.len() {
            return None;
        }
    }
    Some(())
}

thread_local! {
    /// Each indexing thread reads thousands of files: their tokens reuse one buffer.
    static TOKENS: std::cell::Cell<Vec<Tok>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The thread's token buffer, given back when dropped.
struct Recycled(Vec<Tok>);

impl Drop for Recycled {
    fn drop(&mut self) {
        TOKENS.with(|cell| cell.set(std::mem::take(&mut self.0)));
    }
}

/// A syntax check over tokens: Nix's grammar, a little stricter where that keeps it short (it may
/// refuse what Nix accepts, never the other way round; the full parse then decides).
struct Check<'t, 'b> {
    t: &'t [Tok],
    i: usize,
    depth: u32,
    /// Where to note each binding met, when the caller wants them.
    bindings: Option<&'b mut Vec<BindingSpan>>,
}

impl Check<'_, '_> {
    fn at(&self, k: usize) -> Option<K> {
        self.t.get(self.i + k).map(|t| t.kind)
    }

    fn eat(&mut self, kind: K) -> Option<()> {
        (self.at(0) == Some(kind)).then(|| self.i += 1)
    }

    fn expr(&mut self) -> Option<()> {
        self.depth += 1;
        if self.depth > 200 {
            return None;
        }
        let result = self.expr_inner();
        self.depth -= 1;
        result
    }

    fn expr_inner(&mut self) -> Option<()> {
        match self.at(0)? {
            K::Ident if self.at(1) == Some(K::Colon) => {
                self.i += 2;
                self.expr()
            }
            K::Ident if self.at(1) == Some(K::At) => {
                self.i += 2;
                self.pattern()?;
                self.eat(K::Colon)?;
                self.expr()
            }
            K::LBrace if self.is_pattern() => {
                self.pattern()?;
                if self.eat(K::At).is_some() {
                    self.eat(K::Ident)?;
                }
                self.eat(K::Colon)?;
                self.expr()
            }
            K::Assert | K::With => {
                self.i += 1;
                self.expr()?;
                self.eat(K::Semi)?;
                self.expr()
            }
            K::Let => {
                self.i += 1;
                self.bindings(K::In)?;
                self.eat(K::In)?;
                self.expr()
            }
            K::If => {
                self.i += 1;
                self.expr()?;
                self.eat(K::Then)?;
                self.expr()?;
                self.eat(K::Else)?;
                self.expr()
            }
            _ => self.operators(),
        }
    }

    /// Operands joined by binary operators; precedence does not change what is accepted, except
    /// that comparisons do not chain (two in one run are refused).
    fn operators(&mut self) -> Option<()> {
        let mut comparisons = 0;
        self.operand(false)?;
        loop {
            match self.at(0) {
                Some(K::Question) => {
                    self.i += 1;
                    self.attrpath()?;
                }
                Some(K::BinOp(class)) => {
                    if class == COMPARISON {
                        comparisons += 1;
                        if comparisons > 1 {
                            return None;
                        }
                    }
                    self.i += 1;
                    self.operand(class == ARITHMETIC)?;
                }
                Some(K::Minus) => {
                    self.i += 1;
                    self.operand(true)?;
                }
                _ => return Some(()),
            }
        }
    }

    /// `-x`, `!x`, or an application. After an arithmetic operator or a `-`, `!` may not follow.
    fn operand(&mut self, tight: bool) -> Option<()> {
        let mut tight = tight;
        loop {
            match self.at(0) {
                Some(K::Minus) => tight = true,
                Some(K::Not) if tight => return None,
                Some(K::Not) => {}
                _ => break,
            }
            self.i += 1;
        }
        self.select()?;
        while matches!(
            self.at(0),
            Some(
                K::Ident
                    | K::Number
                    | K::Path
                    | K::Str
                    | K::IndStr
                    | K::LParen
                    | K::LBrack
                    | K::LBrace
                    | K::Rec
            )
        ) {
            // `f x: y` is not an application.
            if self.at(0) == Some(K::Ident) && matches!(self.at(1), Some(K::Colon | K::At)) {
                return None;
            }
            self.select()?;
        }
        Some(())
    }

    /// An atom with an optional `.attr.path` and `or` default.
    fn select(&mut self) -> Option<()> {
        self.atom()?;
        if self.eat(K::Dot).is_some() {
            self.attrpath()?;
            if self.eat(K::Or).is_some() {
                self.select()?;
            }
        }
        Some(())
    }

    fn atom(&mut self) -> Option<()> {
        match self.at(0)? {
            K::Ident | K::Number | K::Path | K::Str | K::IndStr => {
                self.i += 1;
                Some(())
            }
            K::LParen => {
                self.i += 1;
                self.expr()?;
                self.eat(K::RParen)
            }
            K::LBrack => {
                self.i += 1;
                while self.at(0)? != K::RBrack {
                    self.select()?;
                }
                self.i += 1;
                Some(())
            }
            K::Rec | K::LBrace => {
                self.eat(K::Rec);
                self.eat(K::LBrace)?;
                self.bindings(K::RBrace)?;
                self.eat(K::RBrace)
            }
            _ => None,
        }
    }

    /// `a.b = x;` and `inherit (s) a "b";` up to (not including) `end`.
    fn bindings(&mut self, end: K) -> Option<()> {
        loop {
            match self.at(0)? {
                k if k == end => return Some(()),
                K::Inherit => {
                    self.i += 1;
                    if self.eat(K::LParen).is_some() {
                        self.expr()?;
                        self.eat(K::RParen)?;
                    }
                    while matches!(self.at(0), Some(K::Ident | K::Str)) {
                        self.i += 1;
                    }
                    self.eat(K::Semi)?;
                }
                K::Ident | K::Str => {
                    let start = self.i;
                    self.attrpath()?;
                    let assign = self.i;
                    self.eat(K::Assign)?;
                    // Noted before the value, so that bindings come in the order a walk of the
                    // syntax tree meets them (outer before inner).
                    let noted = self.bindings.as_mut().map(|list| {
                        list.push(BindingSpan {
                            start,
                            assign,
                            semi: 0,
                        });
                        list.len() - 1
                    });
                    self.expr()?;
                    if let (Some(list), Some(at)) = (self.bindings.as_mut(), noted) {
                        list[at].semi = self.i;
                    }
                    self.eat(K::Semi)?;
                }
                _ => return None,
            }
        }
    }

    fn attrpath(&mut self) -> Option<()> {
        loop {
            match self.at(0)? {
                K::Ident | K::Str => self.i += 1,
                _ => return None,
            }
            if self.eat(K::Dot).is_none() {
                return Some(());
            }
        }
    }

    /// Whether the `{` here opens a function's argument pattern rather than a set.
    fn is_pattern(&self) -> bool {
        matches!(
            (self.at(1), self.at(2), self.at(3)),
            (Some(K::RBrace), Some(K::Colon | K::At), _)
                | (Some(K::Ellipsis), _, _)
                | (Some(K::Ident), Some(K::Comma | K::Question), _)
                | (Some(K::Ident), Some(K::RBrace), Some(K::Colon | K::At))
        )
    }

    /// `{ a, b ? x, ... }`.
    fn pattern(&mut self) -> Option<()> {
        self.eat(K::LBrace)?;
        loop {
            match self.at(0)? {
                K::RBrace => break,
                K::Ellipsis => {
                    self.i += 1;
                    break;
                }
                K::Ident => {
                    self.i += 1;
                    if self.eat(K::Question).is_some() {
                        self.expr()?;
                    }
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
                _ => return None,
            }
        }
        self.eat(K::RBrace)
    }
}

/// The text of a `"..."` string without interpolation, escapes resolved as Nix resolves them.
fn plain_string(body: &str, flags: u8) -> Option<String> {
    if flags & ESCAPED == 0 {
        return Some(body.to_string());
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            other => out.push(other),
        }
    }
    Some(out)
}

/// The text of a `''...''` string without interpolation or escapes: the common indentation of
/// its non-blank lines removed, a blank first line dropped, as Nix does.
fn indented_string(body: &str) -> String {
    let indent = body
        .split('\n')
        .filter(|line| line.bytes().any(|b| b != b' '))
        .map(|line| line.bytes().take_while(|&b| b == b' ').count())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(body.len());
    let mut lines = body.split('\n').peekable();
    let mut first = true;
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        let blank = line.bytes().all(|b| b == b' ');
        if first && blank && !last {
            first = false;
            continue;
        }
        first = false;
        if last && blank {
            break;
        }
        let strip = line.bytes().take_while(|&b| b == b' ').count().min(indent);
        out.push_str(&line[strip..]);
        if !last {
            out.push('\n');
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// An attribute set, by index into `sets`.
    Set(usize),
    /// Brackets and parentheses.
    Other,
}

struct Set {
    start: u32,
    /// Token indices of its `{` and (once seen) its `}`.
    open: usize,
    close: Option<usize>,
    /// It holds an `inherit`, whose value the fast path does not read.
    inherits: bool,
    /// The binding that opened it (`meta` for `meta = { ... }`): the token of its last name, the
    /// set it is in, and its index there.
    opener: Option<(usize, usize, usize)>,
    bindings: Vec<Binding>,
}

struct Binding {
    /// The attribute path's tokens: `first..=last`, identifiers separated by dots.
    first: usize,
    last: usize,
    start: u32,
    value: Value,
}

struct Reader<'a> {
    text: &'a str,
    toks: &'a [Tok],
}

impl Reader<'_> {
    fn slice(&self, i: usize) -> &str {
        let t = self.toks[i];
        &self.text[t.start as usize..t.end as usize]
    }

    fn kind(&self, i: usize) -> Option<K> {
        self.toks.get(i).map(|t| t.kind)
    }

    /// A string token's value: `Str(None)` when interpolated.
    fn string_at(&self, i: usize) -> Value {
        let t = self.toks[i];
        if t.flags & ODD != 0 {
            return Value::Unsupported;
        }
        if t.flags & INTERPOLATED != 0 {
            return Value::Str(None);
        }
        let text = &self.text[t.start as usize..t.end as usize];
        match t.kind {
            K::Str => match plain_string(&text[1..text.len() - 1], t.flags) {
                Some(s) => Value::Str(Some(s)),
                None => Value::Unsupported,
            },
            _ if t.flags & ESCAPED != 0 => Value::Unsupported,
            _ => Value::Str(Some(indented_string(&text[2..text.len() - 2]))),
        }
    }

    /// `a.b.c` starting at `i`: the last component and the index after the chain; `None` when a
    /// component is not an identifier.
    fn chain(&self, mut i: usize) -> Option<(&str, usize)> {
        while self.kind(i) == Some(K::Ident) {
            if self.kind(i + 1) != Some(K::Dot) {
                return Some((self.slice(i), i + 1));
            }
            i += 2;
        }
        None
    }

    /// Reads the value starting at `i` (after `=` and any `with X;`).
    fn value(&self, i: usize) -> Value {
        let ends = |j: usize| matches!(self.kind(j), Some(K::Semi) | Some(K::RBrace));
        match self.kind(i) {
            Some(K::Str) | Some(K::IndStr) => {
                if ends(i + 1) {
                    self.string_at(i)
                } else {
                    // `"a" + b` and the like: not a literal.
                    Value::Other
                }
            }
            Some(K::Ident) => match self.chain(i) {
                Some((last, next)) if ends(next) => Value::Symbol(last.to_string()),
                Some((_, next)) if self.kind(next) == Some(K::Or) => Value::Unsupported,
                Some(_) => Value::Other,
                // `a."b"`: a quoted attribute, left to the full parse.
                None => Value::Unsupported,
            },
            Some(K::LBrack) => {
                let mut items = Vec::new();
                let mut j = i + 1;
                loop {
                    match self.kind(j) {
                        Some(K::RBrack) => break,
                        Some(K::Str) => {
                            match self.string_at(j) {
                                Value::Str(Some(s)) => items.push(s),
                                Value::Str(None) => {}
                                _ => return Value::Unsupported,
                            }
                            j += 1;
                        }
                        Some(K::Ident) => match self.chain(j) {
                            Some((last, next)) if self.kind(next) != Some(K::Or) => {
                                items.push(last.to_string());
                                j = next;
                            }
                            _ => return Value::Unsupported,
                        },
                        _ => return Value::Unsupported,
                    }
                }
                if !ends(j + 1) {
                    return Value::Unsupported;
                }
                if items.is_empty() {
                    Value::Other
                } else {
                    Value::Symbol(items.join(", "))
                }
            }
            Some(K::LParen) => Value::Unsupported,
            _ => Value::Other,
        }
    }
}

/// Whether a set is the last argument of the file's result expression:
/// `ARGS: [with X;]… [assert C;]… HEAD [(] [rec | self:] { … } [)]`, HEAD a name like
/// `stdenv.mkDerivation`. Anything else (a set inside a helper call, an update `//`) is left to
/// the full parse, which follows the result expression.
fn is_result_set(toks: &[Tok], set: &Set) -> bool {
    let kind = |i: usize| toks.get(i).map(|t| t.kind);
    let Some(close) = set.close else {
        return false;
    };
    let mut i = 0;
    // Function heads: `{ … }:`, `args@{ … }:`, `{ … }@args:`, `x:`.
    loop {
        let start = i;
        if kind(i) == Some(K::Ident) && kind(i + 1) == Some(K::At) {
            i += 2;
        }
        if kind(i) == Some(K::LBrace) {
            let mut depth = 0usize;
            while let Some(k) = kind(i) {
                i += 1;
                match k {
                    K::LBrace => depth += 1,
                    K::RBrace if depth == 1 => break,
                    K::RBrace => depth -= 1,
                    _ => {}
                }
            }
            if kind(i) == Some(K::At) && kind(i + 1) == Some(K::Ident) {
                i += 2;
            }
        } else if kind(i) == Some(K::Ident) && kind(i + 1) == Some(K::Colon) {
            i += 1;
        }
        if i > start && kind(i) == Some(K::Colon) {
            i += 1;
        } else {
            i = start;
            break;
        }
    }
    // `with X;` and `assert C;` before the result.
    while matches!(kind(i), Some(K::With) | Some(K::Assert)) {
        let mut depth = 0isize;
        loop {
            match kind(i) {
                None => return false,
                Some(K::LBrace | K::LBrack | K::LParen) => depth += 1,
                Some(K::RBrace | K::RBrack | K::RParen) => depth -= 1,
                Some(K::Semi) if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    if kind(i) != Some(K::Ident) {
        return false;
    }
    i += 1;
    while kind(i) == Some(K::Dot) && kind(i + 1) == Some(K::Ident) {
        i += 2;
    }
    let paren = kind(i) == Some(K::LParen);
    if paren {
        i += 1;
    }
    if kind(i) == Some(K::Rec) {
        i += 1;
    } else if paren && kind(i) == Some(K::Ident) && kind(i + 1) == Some(K::Colon) {
        i += 2;
    }
    if i != set.open {
        return false;
    }
    let rest = &toks[close + 1..];
    match rest {
        [] => !paren,
        [t] => paren && t.kind == K::RParen,
        _ => false,
    }
}

pub fn extract(text: &str) -> Option<Fields> {
    let mut buffer = Recycled(TOKENS.with(|cell| cell.take()));
    tokens_into(text, &mut buffer.0)?;
    let reader = Reader {
        text,
        toks: &buffer.0,
    };
    let sets = collect_sets(&reader)?;
    fields_of(&reader, &sets)
}

/// Every attribute set of the file with its direct bindings, in file order; `None` for what the
/// full parse must read.
fn collect_sets(reader: &Reader) -> Option<Vec<Set>> {
    let toks = reader.toks;
    let mut stack: Vec<Frame> = Vec::new();
    let mut sets: Vec<Set> = Vec::new();
    let mut at_binding_start = false;
    // Inside a binding's value, before its `;`.
    let mut in_binding = false;
    // The binding whose value opens the next `{`: (token of its name, set it is in).
    let mut opener: Option<(usize, usize, usize)> = None;
    let mut i = 0;
    while i < toks.len() {
        let tok = toks[i];
        let top_set = match stack.last() {
            Some(Frame::Set(id)) => Some(*id),
            _ => None,
        };
        match tok.kind {
            // `let` anywhere binds names the fields may use: the full parse evaluates them.
            K::Let => return None,
            K::Assert if top_set.is_some() => return None,
            K::Inherit if at_binding_start => {
                if let Some(set) = top_set {
                    sets[set].inherits = true;
                }
            }
            K::LBrace => {
                sets.push(Set {
                    start: tok.start,
                    open: i,
                    close: None,
                    inherits: false,
                    opener: opener.take(),
                    bindings: Vec::new(),
                });
                stack.push(Frame::Set(sets.len() - 1));
                at_binding_start = true;
                in_binding = false;
                i += 1;
                continue;
            }
            K::RBrace => {
                // A set closing in the middle of a binding (`{ a = 1 }`) is a syntax error.
                if top_set.is_none() || in_binding {
                    return None;
                }
                stack.pop();
                sets[top_set.expect("checked")].close = Some(i);
                // `meta = { ... } // x;`, `license = { }.x;`: the set is not the whole value.
                if let Some((_, parent, index)) = sets[top_set.expect("checked")].opener {
                    if reader.kind(i + 1) != Some(K::Semi) {
                        sets[parent].bindings[index].value = Value::Unsupported;
                    }
                }
            }
            K::LBrack | K::LParen => stack.push(Frame::Other),
            // Closes the innermost bracket (the guard pops it); one that closes no bracket is
            // left to the full parse.
            K::RBrack | K::RParen if stack.pop() != Some(Frame::Other) => return None,
            K::Semi if top_set.is_some() => {
                at_binding_start = true;
                in_binding = false;
                i += 1;
                continue;
            }
            K::Ident if at_binding_start && top_set.is_some() => {
                let set = top_set.expect("checked");
                if let Some(value_at) = read_binding(reader, i, set, &mut sets, &mut opener)? {
                    at_binding_start = false;
                    in_binding = true;
                    i = value_at;
                    continue;
                }
            }
            // `a = 1 b = 2`: a binding where none can start means a missing `;`, a syntax error
            // the full parse must report.
            K::Ident if top_set.is_some() && reader.kind(i + 1) == Some(K::Assign) => return None,
            K::Str if at_binding_start && top_set.is_some() => return None,
            _ => {}
        }
        at_binding_start = false;
        i += 1;
    }
    if !stack.is_empty() {
        return None;
    }
    Some(sets)
}

/// pname, version and the literal meta fields of the derivation's set.
fn fields_of(reader: &Reader, sets: &[Set]) -> Option<Fields> {
    let (text, toks) = (reader.text, reader.toks);
    let path_is = |b: &Binding, names: &[&str]| {
        b.last + 1 - b.first == names.len() * 2 - 1
            && names
                .iter()
                .enumerate()
                .all(|(k, name)| reader.slice(b.first + 2 * k) == *name)
    };
    // The derivation's set: the first set, in file order, binding `pname` or `name` directly.
    let (drv, _) = sets
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.bindings
                .iter()
                .any(|b| path_is(b, &["pname"]) || path_is(b, &["name"]))
        })
        .min_by_key(|(_, s)| s.start)?;
    if sets[drv].inherits || !is_result_set(toks, &sets[drv]) {
        return None;
    }
    let mut fields = Fields {
        line: 1,
        ..Fields::default()
    };
    let line_of = |offset: u32| {
        text.as_bytes()[..offset as usize]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32
            + 1
    };
    const READ: [&str; 6] = [
        "description",
        "longDescription",
        "homepage",
        "mainProgram",
        "license",
        "platforms",
    ];
    let mut read_meta = |field: &str, value: &Value| -> Option<()> {
        if READ.contains(&field) {
            if *value == Value::Unsupported {
                return None;
            }
            // A computed description is evaluated by the full parse.
            if field == "description" && !matches!(value, Value::Str(Some(_))) {
                return None;
            }
            fields.meta.push((field.to_string(), value.clone()));
        }
        Some(())
    };
    let mut pname = None;
    let mut version = None;
    let mut line = 1;
    for binding in &sets[drv].bindings {
        let single = binding.first == binding.last;
        if single && matches!(reader.slice(binding.first), "pname" | "version") {
            // Anything but a literal string is evaluated by the full parse.
            if !matches!(binding.value, Value::Str(Some(_))) {
                return None;
            }
            if reader.slice(binding.first) == "pname" {
                pname = binding.value.string();
                line = line_of(binding.start);
            } else {
                version = binding.value.string();
            }
        } else if single && reader.slice(binding.first) == "meta" {
            if binding.value == Value::Unsupported {
                return None;
            }
            let child = sets.iter().find(|s| {
                s.opener
                    .is_some_and(|(name, parent, _)| parent == drv && name == binding.first)
            });
            if let Some(child) = child {
                if child.inherits {
                    return None;
                }
                for b in &child.bindings {
                    if b.first == b.last {
                        read_meta(reader.slice(b.first), &b.value)?;
                    }
                }
            }
        } else if binding.last == binding.first + 2 && reader.slice(binding.first) == "meta" {
            read_meta(reader.slice(binding.last), &binding.value)?;
        }
    }
    fields.pname = pname;
    fields.version = version;
    fields.line = line;
    Some(fields)
}

/// A binding of `set` starting at token `i` (`a.b.c = value`), noted in `sets`: the token its value
/// starts at, `Some(None)` when no `=` follows (a function pattern `{ lib, ... }`), `None` for
/// what the full parse must read.
#[allow(clippy::option_option)]
fn read_binding(
    reader: &Reader,
    i: usize,
    set: usize,
    sets: &mut [Set],
    opener: &mut Option<(usize, usize, usize)>,
) -> Option<Option<usize>> {
    let toks = reader.toks;
    let tok = toks[i];
    let mut j = i + 1;
    while reader.kind(j) == Some(K::Dot) && reader.kind(j + 1) == Some(K::Ident) {
        j += 2;
    }
    if reader.kind(j) == Some(K::Assign) {
        let mut value_at = j + 1;
        let with = reader.kind(value_at) == Some(K::With);
        // `meta = with lib; { ... }`: the value is what follows `with X;`.
        if with {
            let semicolon = toks[value_at..].iter().position(|t| t.kind == K::Semi)? + value_at;
            if toks[value_at + 1..semicolon]
                .iter()
                .any(|t| !matches!(t.kind, K::Ident | K::Dot))
            {
                return None;
            }
            value_at = semicolon + 1;
        }
        if reader.kind(value_at) == Some(K::Rec) && reader.kind(value_at + 1) == Some(K::LBrace) {
            value_at += 1;
        }
        let value = match reader.kind(value_at) {
            Some(K::LBrace) => {
                *opener = Some((j - 1, set, sets[set].bindings.len()));
                Value::Other
            }
            // The full parse looks for `meta`'s set inside calls, lambdas and `let`.
            _ if j == i + 1 && reader.slice(i) == "meta" => match reader.value(value_at) {
                Value::Other => Value::Unsupported,
                value => value,
            },
            // The full parse reads strings after `with` only as licenses and platforms.
            _ if with => match reader.value(value_at) {
                Value::Str(_) => Value::Unsupported,
                value => value,
            },
            _ => reader.value(value_at),
        };
        sets[set].bindings.push(Binding {
            first: i,
            last: j - 1,
            start: tok.start,
            value,
        });
        return Some(Some(value_at));
    }
    Some(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indented_strings_lose_their_common_indentation() {
        assert_eq!(indented_string("\n      a\n        b\n    "), "a\n  b\n");
        assert_eq!(indented_string("x"), "x");
        assert_eq!(indented_string("  a\n\n  b"), "a\n\nb");
    }

    #[test]
    fn scanner_declines_what_it_does_not_know() {
        for text in [
            "{ a = <nixpkgs>; }",
            "{ a = http://x; }",
            "{ a = ./x/${b}; }",
            "{ a = \"open; }",
            "{ a = /* open; }",
            "{ a = lib/x.nix; }",
            "{ a = 1.5; }",
        ] {
            assert!(tokens(text).is_none(), "{text}");
        }
        assert!(tokens("{ a = ./x.nix; b = x: x; c = \"${d \"e\" }\"; /* c */ # d\n }").is_some());
    }
}
