//! A small static evaluator over rnix's syntax tree, enough to find where a flake's dev shell is
//! written. It follows what people use to build `devShells`: `let` bindings, lambdas applied to
//! arguments (`forAllSystems (system: ...)`, helpers such as `mkDevShell { ... }`), `//` merges,
//! attribute paths with `${system}`, `with` scopes, and `import ./x.nix` / `callPackage ./x.nix { }`
//! of a file one level down in the same repository. Anything it cannot follow is unknown, never a
//! guess: a function it does not know is kept as an opaque application, and the per-system helpers
//! are recognised by shape (a function applied to a lambda), not by name.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use crate::nixpkgs::syntax::attr_name;

/// Index of a file in a [`Sources`].
pub type FileId = usize;

/// A parsed file taking part in the evaluation.
pub struct LoadedFile {
    pub path: PathBuf,
    pub text: String,
    pub root: ast::Root,
    /// A parse error, with its 1-based line and column.
    pub error: Option<String>,
}

/// flake.nix and the files it imports, loaded on demand.
pub struct Sources {
    /// The directory imports must stay inside; `None` means imports are not followed.
    root_dir: Option<PathBuf>,
    files: RefCell<Vec<Rc<LoadedFile>>>,
}

impl Sources {
    /// `flake_text` is file 0. Imports are followed only when `root_dir` is given.
    pub fn new(flake_path: PathBuf, flake_text: String, root_dir: Option<PathBuf>) -> Self {
        let sources = Self {
            root_dir,
            files: RefCell::new(Vec::new()),
        };
        sources.push(flake_path, flake_text);
        sources
    }

    fn push(&self, path: PathBuf, text: String) -> FileId {
        let parsed = crate::nixpkgs::syntax::SourceFile::parse(text);
        let error = parsed.errors.first().cloned();
        let mut files = self.files.borrow_mut();
        files.push(Rc::new(LoadedFile {
            path,
            text: parsed.text,
            root: parsed.root,
            error,
        }));
        files.len() - 1
    }

    pub fn file(&self, id: FileId) -> Rc<LoadedFile> {
        Rc::clone(&self.files.borrow()[id])
    }

    /// Loads `relative` (a path literal written in file `from`), when it is inside the repository.
    /// Only flake.nix may import: the editor follows one level.
    pub fn load(&self, from: FileId, relative: &str) -> Option<FileId> {
        let root_dir = self.root_dir.as_ref()?;
        if from != 0 || !relative.starts_with("./") && !relative.starts_with("../") {
            return None;
        }
        let base = self.file(from).path.parent()?.to_path_buf();
        let mut path = base.join(relative);
        if path.is_dir() {
            path = path.join("default.nix");
        }
        let canonical = path.canonicalize().ok()?;
        let root = root_dir.canonicalize().ok()?;
        if !canonical.starts_with(&root) {
            return None;
        }
        if let Some(id) = self
            .files
            .borrow()
            .iter()
            .position(|f| f.path.canonicalize().ok().as_ref() == Some(&canonical))
        {
            return Some(id);
        }
        let text = std::fs::read_to_string(&canonical).ok()?;
        Some(self.push(path, text))
    }
}

/// An expression together with the scope it is read in.
#[derive(Clone)]
pub struct Thunk {
    pub expr: ast::Expr,
    pub env: Env,
    pub file: FileId,
    /// Written inside a helper that more than one caller reaches (a let-bound function or list used
    /// several times): editing it would change other shells or packages too.
    pub shared: bool,
}

impl Thunk {
    pub fn child(&self, expr: ast::Expr) -> Thunk {
        Thunk {
            expr,
            env: self.env.clone(),
            file: self.file,
            shared: self.shared,
        }
    }
    fn with_env(&self, expr: ast::Expr, env: Env) -> Thunk {
        Thunk {
            expr,
            env,
            file: self.file,
            shared: self.shared,
        }
    }
}

/// A chain of scopes, innermost first.
#[derive(Clone, Default)]
pub struct Env(Option<Rc<Frame>>);

pub struct Frame {
    kind: FrameKind,
    parent: Env,
}

enum FrameKind {
    /// `let ... in` or `rec { ... }`: names bound by the entries of this node.
    Rec {
        node: SyntaxNode,
        file: FileId,
        shared: bool,
    },
    /// A lambda's parameter bound to an argument (or to nothing known).
    Param {
        lambda: ast::Lambda,
        arg: Option<Thunk>,
        file: FileId,
        shared: bool,
        /// A callPackage'd file: formals not given explicitly come from the package set.
        from_pkgs: bool,
    },
    With(Thunk),
    /// One name bound to a value (`self` to the flake's outputs).
    Named(String, Thunk),
}

impl Env {
    /// Whether this scope is inside a file called through `callPackage`, whose missing arguments
    /// come from the package set (so a new formal argument is filled in).
    pub fn in_callpackage(&self) -> bool {
        let mut current = self.0.clone();
        while let Some(frame) = current {
            if let FrameKind::Param {
                from_pkgs: true, ..
            } = frame.kind
            {
                return true;
            }
            current = frame.parent.0.clone();
        }
        false
    }

    /// This scope with `name` bound to `value`.
    pub fn bind(&self, name: &str, value: Thunk) -> Env {
        self.push(FrameKind::Named(name.to_string(), value))
    }

    fn push(&self, kind: FrameKind) -> Env {
        Env(Some(Rc::new(Frame {
            kind,
            parent: self.clone(),
        })))
    }
}

/// What a name stands for.
#[derive(Clone)]
pub enum Bound {
    Value(Thunk),
    /// `jq` given by callPackage: the package set's attribute of that name.
    PkgsAttr(String),
    /// Bound lexically (a lambda parameter) to something unknown.
    Opaque,
    /// Not bound lexically; provided by the innermost `with`, if any.
    FromWith(Thunk),
    Free,
}

/// One component of an attribute path being looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    Name(String),
    /// `<system>`: any one system (`x86_64-linux`, `${system}`).
    System,
}

/// An expression reduced far enough to see its shape.
pub enum Head {
    /// Attribute entries of `node` (an attribute set, or a `let` for `x.y = ...` bindings) whose
    /// path starts with `prefix`.
    Set {
        node: SyntaxNode,
        prefix: Vec<String>,
        /// The scope the values are read in (a `rec` set includes itself).
        env: Env,
        /// The scope `inherit x;` reads from.
        outer: Env,
        file: FileId,
        shared: bool,
    },
    Lambda {
        lambda: ast::Lambda,
        env: Env,
        file: FileId,
        shared: bool,
    },
    List(Thunk),
    Update(Thunk, Thunk),
    If(Thunk, Thunk),
    /// A function we do not know applied to arguments; `head` is how it is written.
    Apply {
        head: Thunk,
        args: Vec<Thunk>,
    },
    PkgsAttr(String),
    Other(Thunk),
}

const FUEL: u32 = 200_000;

/// The evaluator. Work is bounded by fuel, so no input can make it loop.
pub struct Eval<'a> {
    pub sources: &'a Sources,
    fuel: Cell<u32>,
    ident_counts: RefCell<HashMap<(FileId, String), usize>>,
}

/// Strips parentheses.
pub fn unparen(mut expr: ast::Expr) -> ast::Expr {
    while let ast::Expr::Paren(p) = &expr {
        match p.expr() {
            Some(inner) => expr = inner,
            None => break,
        }
    }
    expr
}

/// The keys of an attribute path: static names, or `System` for `${...}`.
pub fn path_keys(path: &ast::Attrpath) -> Vec<Option<String>> {
    path.attrs().map(|a| attr_name(&a)).collect()
}

/// `f a b c` as (`f`, [`a`, `b`, `c`]).
pub fn flatten_apply(apply: &ast::Apply) -> Option<(ast::Expr, Vec<ast::Expr>)> {
    let mut args = vec![apply.argument()?];
    let mut head = apply.lambda()?;
    while let ast::Expr::Apply(inner) = unparen(head.clone()) {
        args.push(inner.argument()?);
        head = inner.lambda()?;
    }
    args.reverse();
    Some((unparen(head), args))
}

/// The last name of `f` or `a.b.f`: how a function is called.
pub fn last_name(expr: &ast::Expr) -> Option<String> {
    match unparen(expr.clone()) {
        ast::Expr::Ident(id) => Some(id.ident_token()?.text().to_string()),
        ast::Expr::Select(sel) => sel.attrpath()?.attrs().last().and_then(|a| attr_name(&a)),
        _ => None,
    }
}

fn path_literal(expr: &ast::Expr) -> Option<String> {
    match unparen(expr.clone()) {
        ast::Expr::PathRel(p) => Some(p.syntax().text().to_string()),
        _ => None,
    }
}

impl<'a> Eval<'a> {
    pub fn new(sources: &'a Sources) -> Self {
        Self {
            sources,
            fuel: Cell::new(FUEL),
            ident_counts: RefCell::new(HashMap::new()),
        }
    }

    /// True when the work limit was reached: some answers may be missing, so nothing is edited.
    pub fn exhausted(&self) -> bool {
        self.fuel.get() == 0
    }

    fn burn(&self) -> bool {
        let left = self.fuel.get();
        if left == 0 {
            return false;
        }
        self.fuel.set(left - 1);
        true
    }

    /// A file's top expression as a thunk with an empty scope.
    pub fn file_thunk(&self, file: FileId, shared: bool) -> Option<Thunk> {
        let loaded = self.sources.file(file);
        Some(Thunk {
            expr: loaded.root.expr()?,
            env: Env::default(),
            file,
            shared,
        })
    }

    /// How often `name` is used (not bound) in a file: a let binding used more than once is shared.
    fn uses(&self, file: FileId, name: &str) -> usize {
        let key = (file, name.to_string());
        if let Some(n) = self.ident_counts.borrow().get(&key) {
            return *n;
        }
        let loaded = self.sources.file(file);
        let n = loaded
            .root
            .syntax()
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() == SyntaxKind::TOKEN_IDENT && t.text() == name)
            .filter(|t| {
                !t.parent_ancestors()
                    .take(3)
                    .any(|a| a.kind() == SyntaxKind::NODE_ATTRPATH)
                    && !t
                        .parent_ancestors()
                        .take(2)
                        .any(|a| a.kind() == SyntaxKind::NODE_PAT_ENTRY)
            })
            .count();
        self.ident_counts.borrow_mut().insert(key, n);
        n
    }

    /// Looks a name up: lexical bindings first, then the innermost `with`.
    pub fn lookup(&self, env: &Env, name: &str) -> Bound {
        let mut innermost_with = None;
        let mut current = env.0.clone();
        while let Some(frame) = current {
            let here = Env(Some(Rc::clone(&frame)));
            match &frame.kind {
                FrameKind::Rec { node, file, shared } => {
                    if let Some(bound) =
                        self.rec_binding(node, name, &here, &frame.parent, *file, *shared)
                    {
                        return bound;
                    }
                }
                FrameKind::Param {
                    lambda,
                    arg,
                    file,
                    shared,
                    from_pkgs,
                } => {
                    if let Some(bound) =
                        self.param_binding(lambda, arg, name, &here, *file, *shared, *from_pkgs)
                    {
                        return bound;
                    }
                }
                FrameKind::With(ns) => {
                    if innermost_with.is_none() {
                        innermost_with = Some(ns.clone());
                    }
                }
                FrameKind::Named(bound, value) => {
                    if bound == name {
                        return Bound::Value(value.clone());
                    }
                }
            }
            current = frame.parent.0.clone();
        }
        match innermost_with {
            Some(ns) => Bound::FromWith(ns),
            None => Bound::Free,
        }
    }

    fn rec_binding(
        &self,
        node: &SyntaxNode,
        name: &str,
        here: &Env,
        outer: &Env,
        file: FileId,
        shared: bool,
    ) -> Option<Bound> {
        let entries: Vec<ast::Entry> = if let Some(set) = ast::AttrSet::cast(node.clone()) {
            set.entries().collect()
        } else {
            ast::LetIn::cast(node.clone())?.entries().collect()
        };
        let is_shared = shared || self.uses(file, name) > 1 && !binds_shell_call(node, name);
        for entry in entries {
            match entry {
                ast::Entry::AttrpathValue(kv) => {
                    let keys = path_keys(&kv.attrpath()?);
                    if keys.first().and_then(|k| k.as_deref()) != Some(name) {
                        continue;
                    }
                    if keys.len() > 1 {
                        // `x.a = ...; x.b = ...;`: the entries starting with `x`.
                        return self
                            .partial_set(node, name, here, file, is_shared)
                            .map(Bound::Value);
                    }
                    return Some(Bound::Value(Thunk {
                        expr: kv.value()?,
                        env: here.clone(),
                        file,
                        shared: is_shared,
                    }));
                }
                ast::Entry::Inherit(inherit) => {
                    if !inherit
                        .attrs()
                        .any(|a| attr_name(&a).as_deref() == Some(name))
                    {
                        continue;
                    }
                    return Some(match inherit.from().and_then(|f| f.expr()) {
                        Some(from) => {
                            let base = Thunk {
                                expr: from,
                                env: here.clone(),
                                file,
                                shared: is_shared,
                            };
                            match self.find(&base, &[Key::Name(name.to_string())]) {
                                Some(t) => Bound::Value(t),
                                None => Bound::Opaque,
                            }
                        }
                        None => self.lookup(outer, name),
                    });
                }
            }
        }
        None
    }

    /// The bindings `name.a = ...; name.b = ...;` of a let, as a thunk that [`Eval::whnf`] turns
    /// into a set. Encoded as the attribute path's first attr node, recognised in `whnf`.
    fn partial_set(
        &self,
        node: &SyntaxNode,
        name: &str,
        here: &Env,
        file: FileId,
        shared: bool,
    ) -> Option<Thunk> {
        let kv = node
            .children()
            .filter_map(ast::AttrpathValue::cast)
            .find(|kv| {
                kv.attrpath()
                    .and_then(|p| p.attrs().next())
                    .and_then(|a| attr_name(&a))
                    .as_deref()
                    == Some(name)
            })?;
        // The Ident of the first path component stands for the partial set.
        let first = kv.attrpath()?.attrs().next()?;
        let ident = match first {
            ast::Attr::Ident(id) => id,
            _ => return None,
        };
        Some(Thunk {
            expr: ast::Expr::Ident(ident),
            env: here.clone(),
            file,
            shared,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn param_binding(
        &self,
        lambda: &ast::Lambda,
        arg: &Option<Thunk>,
        name: &str,
        here: &Env,
        file: FileId,
        shared: bool,
        from_pkgs: bool,
    ) -> Option<Bound> {
        match lambda.param()? {
            ast::Param::IdentParam(p) => {
                let id = p.ident()?.ident_token()?;
                (id.text() == name).then(|| arg.clone().map_or(Bound::Opaque, Bound::Value))
            }
            ast::Param::Pattern(pattern) => {
                let bind = pattern
                    .pat_bind()
                    .and_then(|b| b.ident())
                    .and_then(|i| i.ident_token());
                if bind.is_some_and(|b| b.text() == name) {
                    return Some(arg.clone().map_or(Bound::Opaque, Bound::Value));
                }
                let entry = pattern.pat_entries().find(|e| {
                    e.ident()
                        .and_then(|i| i.ident_token())
                        .is_some_and(|t| t.text() == name)
                })?;
                if let Some(given) = arg
                    .as_ref()
                    .and_then(|a| self.find(a, &[Key::Name(name.to_string())]))
                {
                    return Some(Bound::Value(given));
                }
                if from_pkgs {
                    return Some(Bound::PkgsAttr(name.to_string()));
                }
                Some(match entry.default() {
                    Some(default) => Bound::Value(Thunk {
                        expr: default,
                        env: here.clone(),
                        file,
                        shared,
                    }),
                    None => Bound::Opaque,
                })
            }
        }
    }

    /// Reduces a thunk until its shape shows.
    pub fn whnf(&self, thunk: &Thunk) -> Option<Head> {
        let mut t = thunk.clone();
        loop {
            if !self.burn() {
                return None;
            }
            match unparen(t.expr.clone()) {
                ast::Expr::LetIn(let_in) => {
                    let env = t.env.push(FrameKind::Rec {
                        node: let_in.syntax().clone(),
                        file: t.file,
                        shared: t.shared,
                    });
                    t = t.with_env(let_in.body()?, env);
                }
                ast::Expr::With(with) => {
                    let ns = t.child(with.namespace()?);
                    let env = t.env.push(FrameKind::With(ns));
                    t = t.with_env(with.body()?, env);
                }
                ast::Expr::Assert(assert) => t = t.child(assert.body()?),
                ast::Expr::Ident(id) => {
                    let name = id.ident_token()?.text().to_string();
                    // An attrpath's first Ident stands for the partial set `name.a = ...;`.
                    if let Some(path) = id.syntax().parent().and_then(ast::Attrpath::cast) {
                        let container = path.syntax().parent()?.parent()?;
                        return Some(Head::Set {
                            node: container,
                            prefix: vec![name],
                            env: t.env.clone(),
                            outer: t.env.clone(),
                            file: t.file,
                            shared: t.shared,
                        });
                    }
                    match self.lookup(&t.env, &name) {
                        Bound::Value(next) => t = next,
                        Bound::PkgsAttr(n) => return Some(Head::PkgsAttr(n)),
                        _ => return Some(Head::Other(t)),
                    }
                }
                ast::Expr::Select(sel) => {
                    let base = t.child(sel.expr()?);
                    let keys: Vec<Key> = path_keys(&sel.attrpath()?)
                        .into_iter()
                        .map(|k| k.map_or(Key::System, Key::Name))
                        .collect();
                    match self.find(&base, &keys) {
                        Some(next) => t = next,
                        None => return Some(Head::Other(t)),
                    }
                }
                ast::Expr::Apply(apply) => return self.whnf_apply(&t, &apply),
                ast::Expr::AttrSet(set) => {
                    let env = if set.rec_token().is_some() {
                        t.env.push(FrameKind::Rec {
                            node: set.syntax().clone(),
                            file: t.file,
                            shared: t.shared,
                        })
                    } else {
                        t.env.clone()
                    };
                    return Some(Head::Set {
                        node: set.syntax().clone(),
                        prefix: Vec::new(),
                        env,
                        outer: t.env.clone(),
                        file: t.file,
                        shared: t.shared,
                    });
                }
                ast::Expr::Lambda(lambda) => {
                    return Some(Head::Lambda {
                        lambda,
                        env: t.env.clone(),
                        file: t.file,
                        shared: t.shared,
                    })
                }
                ast::Expr::List(_) => return Some(Head::List(t)),
                ast::Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Update) => {
                    return Some(Head::Update(t.child(op.lhs()?), t.child(op.rhs()?)))
                }
                ast::Expr::IfElse(ifelse) => {
                    return Some(Head::If(
                        t.child(ifelse.body()?),
                        t.child(ifelse.else_body()?),
                    ))
                }
                _ => return Some(Head::Other(t)),
            }
        }
    }

    fn whnf_apply(&self, t: &Thunk, apply: &ast::Apply) -> Option<Head> {
        let (head, args) = flatten_apply(apply)?;
        let mut args: Vec<Thunk> = args.into_iter().map(|a| t.child(a)).collect();
        let name = last_name(&head);
        // `import ./x.nix` and `callPackage ./x.nix { ... }`: into the file.
        let mut function = match (
            name.as_deref(),
            args.first().and_then(|a| path_literal(&a.expr)),
        ) {
            (Some("import"), Some(rel)) if self.sources.load(t.file, &rel).is_some() => {
                let file = self.sources.load(t.file, &rel)?;
                args.remove(0);
                self.whnf(&self.file_thunk(file, t.shared)?)?
            }
            (Some("callPackage"), Some(rel)) if self.sources.load(t.file, &rel).is_some() => {
                let file = self.sources.load(t.file, &rel)?;
                args.remove(0);
                let body = self.whnf(&self.file_thunk(file, t.shared)?)?;
                let Head::Lambda {
                    lambda,
                    env,
                    file,
                    shared,
                } = body
                else {
                    return None;
                };
                let given = (!args.is_empty()).then(|| args.remove(0));
                let env = env.push(FrameKind::Param {
                    lambda: lambda.clone(),
                    arg: given,
                    file,
                    shared,
                    from_pkgs: true,
                });
                let body = Thunk {
                    expr: lambda.body()?,
                    env,
                    file,
                    shared,
                };
                self.whnf(&body)?
            }
            _ => self.whnf(&t.child(head.clone()))?,
        };
        let mut rest = args.into_iter();
        loop {
            let Head::Lambda {
                lambda,
                env,
                file,
                shared,
            } = function
            else {
                let remaining: Vec<Thunk> = rest.collect();
                if remaining.is_empty() {
                    return Some(function);
                }
                return Some(Head::Apply {
                    head: t.child(head),
                    args: remaining,
                });
            };
            let Some(arg) = rest.next() else {
                return Some(Head::Lambda {
                    lambda,
                    env,
                    file,
                    shared,
                });
            };
            let env = env.push(FrameKind::Param {
                lambda: lambda.clone(),
                arg: Some(arg),
                file,
                shared,
                from_pkgs: false,
            });
            let body = Thunk {
                expr: lambda.body()?,
                env,
                file,
                shared,
            };
            function = self.whnf(&body)?;
        }
    }

    /// The body of a lambda whose argument is not known (a system, a module's arguments).
    pub fn open_lambda(
        &self,
        lambda: &ast::Lambda,
        env: &Env,
        file: FileId,
        shared: bool,
    ) -> Option<Thunk> {
        Some(Thunk {
            expr: lambda.body()?,
            env: env.push(FrameKind::Param {
                lambda: lambda.clone(),
                arg: None,
                file,
                shared,
                from_pkgs: false,
            }),
            file,
            shared,
        })
    }

    /// The value at `keys` inside `thunk`, if it can be seen without running anything.
    pub fn find(&self, thunk: &Thunk, keys: &[Key]) -> Option<Thunk> {
        if keys.is_empty() {
            return Some(thunk.clone());
        }
        match self.whnf(thunk)? {
            Head::Set {
                node,
                prefix,
                env,
                outer,
                file,
                shared,
            } => self.find_in_set(&node, &prefix, &env, &outer, file, shared, keys),
            Head::Update(left, right) => self.find(&right, keys).or_else(|| self.find(&left, keys)),
            Head::If(a, b) => self.find(&a, keys).or_else(|| self.find(&b, keys)),
            Head::Apply { args, .. } => self.find_in_apply(&args, keys),
            _ => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn find_in_set(
        &self,
        node: &SyntaxNode,
        prefix: &[String],
        env: &Env,
        outer: &Env,
        file: FileId,
        shared: bool,
        keys: &[Key],
    ) -> Option<Thunk> {
        let entries: Vec<ast::Entry> = if let Some(set) = ast::AttrSet::cast(node.clone()) {
            set.entries().collect()
        } else {
            ast::LetIn::cast(node.clone())?.entries().collect()
        };
        for entry in entries {
            match entry {
                ast::Entry::AttrpathValue(kv) => {
                    let Some(path) = kv.attrpath() else { continue };
                    let parts = path_keys(&path);
                    if parts.len() < prefix.len()
                        || !parts
                            .iter()
                            .zip(prefix)
                            .all(|(p, want)| p.as_deref() == Some(want.as_str()))
                    {
                        continue;
                    }
                    let parts = &parts[prefix.len()..];
                    if parts.is_empty() || parts.len() > keys.len() {
                        continue;
                    }
                    let matches = parts.iter().zip(keys).all(|(part, key)| match (part, key) {
                        (Some(name), Key::Name(want)) => name == want,
                        (_, Key::System) => true,
                        (None, Key::Name(_)) => false,
                    });
                    if !matches {
                        continue;
                    }
                    let Some(value) = kv.value() else { continue };
                    let value = Thunk {
                        expr: value,
                        env: env.clone(),
                        file,
                        shared,
                    };
                    if let Some(found) = self.find(&value, &keys[parts.len()..]) {
                        return Some(found);
                    }
                }
                ast::Entry::Inherit(inherit) if prefix.is_empty() => {
                    let Key::Name(want) = &keys[0] else { continue };
                    if !inherit
                        .attrs()
                        .any(|a| attr_name(&a).as_deref() == Some(want.as_str()))
                    {
                        continue;
                    }
                    let value = match inherit.from().and_then(|f| f.expr()) {
                        Some(from) => self.find(
                            &Thunk {
                                expr: from,
                                env: outer.clone(),
                                file,
                                shared,
                            },
                            &keys[..1],
                        ),
                        None => match self.lookup(outer, want) {
                            Bound::Value(t) => Some(t),
                            _ => None,
                        },
                    };
                    if let Some(found) = value.and_then(|v| self.find(&v, &keys[1..])) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// An unknown function's arguments: a lambda is a per-system body (`eachSystem (system: ...)`,
    /// `genAttrs systems (...)`), a list holds sets to merge, a set may be a flake-parts module.
    fn find_in_apply(&self, args: &[Thunk], keys: &[Key]) -> Option<Thunk> {
        let system_at = keys.iter().position(|k| *k == Key::System);
        let without_system = |i: usize| -> Vec<Key> {
            let mut rest = keys.to_vec();
            rest.remove(i);
            rest
        };
        for arg in args {
            match self.whnf(arg)? {
                Head::Lambda {
                    lambda,
                    env,
                    file,
                    shared,
                } => {
                    let body = self.open_lambda(&lambda, &env, file, shared)?;
                    if let Some(i) = system_at {
                        if let Some(found) = self.find(&body, &without_system(i)) {
                            return Some(found);
                        }
                    }
                    if let Some(found) = self.find_per_system(&body, keys) {
                        return Some(found);
                    }
                }
                Head::List(list) => {
                    let ast::Expr::List(l) = unparen(list.expr.clone()) else {
                        continue;
                    };
                    for item in l.items() {
                        if let Some(found) = self.find(&list.child(item), keys) {
                            return Some(found);
                        }
                    }
                }
                Head::Set { .. } => {
                    if let Some(found) = self
                        .find(arg, keys)
                        .or_else(|| self.find_per_system(arg, keys))
                    {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// flake-parts: `perSystem = { pkgs, ... }: { devShells.default = ...; }`.
    fn find_per_system(&self, module: &Thunk, keys: &[Key]) -> Option<Thunk> {
        let i = keys.iter().position(|k| *k == Key::System)?;
        let per_system = self.find(module, &[Key::Name("perSystem".into())])?;
        let Head::Lambda {
            lambda,
            env,
            file,
            shared,
        } = self.whnf(&per_system)?
        else {
            return None;
        };
        let body = self.open_lambda(&lambda, &env, file, shared)?;
        let mut rest = keys.to_vec();
        rest.remove(i);
        self.find(&body, &rest)
    }

    /// Whether an expression is a nixpkgs package set (`pkgs`, `import nixpkgs { ... }`,
    /// `nixpkgs.legacyPackages.${system}`, a per-system set of those, `pkgs.extend ...`).
    pub fn is_package_set(&self, thunk: &Thunk, depth: u32) -> bool {
        if depth > 8 {
            return false;
        }
        let reduced = self.whnf(thunk);
        // A variable called `pkgs` is the package set unless it is plainly something else.
        if let ast::Expr::Ident(id) = unparen(thunk.expr.clone()) {
            if id.ident_token().is_some_and(|t| t.text() == "pkgs")
                && !matches!(
                    reduced,
                    Some(Head::Set { .. } | Head::List(_) | Head::Lambda { .. })
                )
            {
                return true;
            }
        }
        match reduced {
            Some(Head::Apply { head, args }) => {
                match (last_name(&head.expr).as_deref(), unparen(head.expr.clone())) {
                    (Some("import"), _) => args
                        .first()
                        .is_some_and(|a| a.expr.syntax().text().to_string().contains("nixpkgs")),
                    (Some("extend" | "appendOverlays"), ast::Expr::Select(sel)) => {
                        let keys = sel.attrpath().map(|p| path_keys(&p)).unwrap_or_default();
                        // `nixpkgs.legacyPackages.${system}.appendOverlays [ ... ]`
                        legacy_packages_at(&sel).is_some_and(|(i, keys)| keys.len() == i + 3)
                            || keys.len() == 1
                                && sel
                                    .expr()
                                    .is_some_and(|b| self.is_package_set(&head.child(b), depth + 1))
                    }
                    _ => false,
                }
            }
            Some(Head::If(a, b)) => {
                self.is_package_set(&a, depth + 1) && self.is_package_set(&b, depth + 1)
            }
            Some(Head::PkgsAttr(name)) => name == "pkgs",
            Some(Head::Other(t)) => match unparen(t.expr.clone()) {
                ast::Expr::Ident(id) => {
                    let Some(name) = id.ident_token().map(|t| t.text().to_string()) else {
                        return false;
                    };
                    matches!(self.lookup(&t.env, &name), Bound::Opaque | Bound::Free)
                        && (name == "pkgs" || name == "pkgs'")
                }
                ast::Expr::Select(sel) => {
                    if legacy_packages_at(&sel).is_some_and(|(i, keys)| keys.len() <= i + 2) {
                        return true;
                    }
                    // `nixpkgsFor.${system}` with `nixpkgsFor = nixpkgs.legacyPackages`.
                    let Some(ast::Expr::Ident(id)) = sel.expr().map(unparen) else {
                        return false;
                    };
                    match id.ident_token().map(|n| self.lookup(&t.env, n.text())) {
                        Some(Bound::Value(v)) => {
                            last_name(&v.expr).as_deref() == Some("legacyPackages")
                                && v.expr.syntax().text().to_string().contains("nixpkgs")
                        }
                        _ => false,
                    }
                }
                _ => false,
            },
            _ => false,
        }
    }
}

/// Where `legacyPackages` of a nixpkgs input is in a select's attribute path (the package set is
/// the component after it), with the path. Other flakes' `legacyPackages` (numtide devshell's)
/// are not the package set.
pub fn legacy_packages_at(sel: &ast::Select) -> Option<(usize, Vec<Option<String>>)> {
    let keys = path_keys(&sel.attrpath()?);
    let at = keys
        .iter()
        .position(|k| k.as_deref() == Some("legacyPackages"))?;
    let base = sel.expr()?.syntax().text().to_string();
    let before: Vec<&str> = keys[..at].iter().flatten().map(String::as_str).collect();
    (base.contains("nixpkgs") || before.iter().any(|k| k.contains("nixpkgs"))).then_some((at, keys))
}

/// Whether `name` in a let is bound directly to a shell builder call: the same shell under several
/// names is still one shell, unlike a helper function or a list used in several places.
fn binds_shell_call(node: &SyntaxNode, name: &str) -> bool {
    let value = node
        .children()
        .filter_map(ast::AttrpathValue::cast)
        .find(|kv| {
            kv.attrpath()
                .map(|p| path_keys(&p))
                .is_some_and(|k| k.len() == 1 && k[0].as_deref() == Some(name))
        })
        .and_then(|kv| kv.value());
    let Some(ast::Expr::Apply(apply)) = value.map(unparen) else {
        return false;
    };
    let Some((head, _)) = flatten_apply(&apply) else {
        return false;
    };
    matches!(
        last_name(&head).as_deref(),
        Some("mkShell" | "mkShellNoCC" | "shellFor")
    )
}
