//! Reads nixpkgs' `lib` the way Nix reads it, without running Nix: `lib/default.nix` is followed
//! through `let` bindings, `makeExtensible'`/`fix` applications, `callLibs ./file.nix` and
//! `import ./file.nix { inherit lib; }`, `//` updates, `rec` sets and `inherit (self.x) …`
//! re-exports, by a small lazy evaluator that only builds attribute sets and functions. Every
//! attribute keeps the file and line Nix's `builtins.unsafeGetAttrPos` gives it and the comment
//! written before it; anything else (strings, numbers, conditionals) is left unknown, which is all
//! the structure of lib needs.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rnix::ast::{self, HasEntry};
use rnix::SyntaxNode;
use rowan::ast::AstNode;

use super::docs::parse_comment;
use super::syntax::{attr_name, leading_comment, normalize, SourceFile};
use super::{Entry, EntryKind};

/// Evaluation steps allowed for one lib tree: lib needs a few thousand; the cap keeps a strange
/// tree from running away.
const STEP_BUDGET: usize = 2_000_000;
/// Nesting of evaluation (and of Rust recursion) allowed before a value is left unknown.
const DEPTH_LIMIT: usize = 160;
/// Sub-sets of lib that hold data rather than functions (thousands of people and teams).
const DATA_SETS: &[&str] = &["maintainers", "teams"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileId(usize);

/// Where an attribute is bound: the file and 1-based line of its name.
#[derive(Clone, Copy, Debug)]
struct Pos {
    file: FileId,
    line: u32,
}

/// A value as far as lib's structure needs it.
#[derive(Clone)]
enum Val {
    Set(Rc<SetVal>),
    Lambda {
        lambda: ast::Lambda,
        env: Env,
        file: FileId,
    },
    Path(PathBuf),
    /// The `builtins` set itself.
    Builtins,
    /// `builtins.NAME`.
    Builtin(String),
    Unknown,
}

#[derive(Default)]
struct SetVal {
    attrs: BTreeMap<String, Attr>,
}

/// How an attribute got its value.
#[derive(Clone)]
enum Origin {
    /// `name = value;`, with the binding's node for its doc comment.
    Bound(SyntaxNode),
    /// `inherit (from) name;`: the set it is taken from, and its name there.
    InheritedFrom(Thunk, String),
    /// `inherit name;` or a nested attrpath's implicit set.
    Other,
}

#[derive(Clone)]
struct Attr {
    value: Thunk,
    pos: Option<Pos>,
    origin: Origin,
    /// The value is written as a set literal (`ipv6 = { … }`): a namespace worth listing.
    literal_set: bool,
}

/// A scope: `let` and `rec` bindings, lambda arguments, or a `with` set.
enum Scope {
    Vars(RefCell<HashMap<String, Thunk>>, Option<Env>),
    With(Thunk, Option<Env>),
}
type Env = Rc<Scope>;

#[derive(Clone)]
struct Thunk(Rc<RefCell<ThunkState>>);

enum ThunkState {
    Pending(Code),
    /// Being forced: forcing it again is a cycle, read as unknown.
    Busy,
    Done(Val),
}

enum Code {
    Expr(ast::Expr, Option<Env>, FileId),
    Ident(String, Option<Env>),
    Select(Thunk, String, Option<(ast::Expr, Option<Env>, FileId)>),
}

impl Thunk {
    fn new(code: Code) -> Self {
        Thunk(Rc::new(RefCell::new(ThunkState::Pending(code))))
    }
    fn done(val: Val) -> Self {
        Thunk(Rc::new(RefCell::new(ThunkState::Done(val))))
    }
}

struct Evaluator {
    root: PathBuf,
    files: RefCell<Vec<(PathBuf, Rc<SourceFile>)>>,
    imports: RefCell<HashMap<PathBuf, Thunk>>,
    problems: RefCell<Vec<String>>,
    steps: Cell<usize>,
    depth: Cell<usize>,
}

impl Evaluator {
    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    fn source(&self, file: FileId) -> Rc<SourceFile> {
        self.files.borrow()[file.0].1.clone()
    }

    fn pos_of(&self, node: &SyntaxNode, file: FileId) -> Pos {
        let offset = usize::from(node.text_range().start());
        Pos {
            file,
            line: self.source(file).line_of(offset),
        }
    }

    /// `import path`: the file's value, read and parsed once per path.
    fn import(&self, path: &Path) -> Thunk {
        let mut path = normalize(path);
        if path.is_dir() {
            path = path.join("default.nix");
        }
        if let Some(thunk) = self.imports.borrow().get(&path) {
            return thunk.clone();
        }
        let thunk = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let source = SourceFile::parse(text);
                if let Some(first) = source.errors.first() {
                    self.problems.borrow_mut().push(format!(
                        "{}:{first} (indexed what could be read)",
                        self.relative(&path)
                    ));
                }
                let expr = source.root.expr();
                let mut files = self.files.borrow_mut();
                files.push((path.clone(), Rc::new(source)));
                let id = FileId(files.len() - 1);
                match expr {
                    Some(expr) => Thunk::new(Code::Expr(expr, None, id)),
                    None => Thunk::done(Val::Unknown),
                }
            }
            Err(err) => {
                self.problems
                    .borrow_mut()
                    .push(format!("{}: {err}", self.relative(&path)));
                Thunk::done(Val::Unknown)
            }
        };
        self.imports.borrow_mut().insert(path, thunk.clone());
        thunk
    }

    fn force(&self, thunk: &Thunk) -> Val {
        let code = {
            let mut state = thunk.0.borrow_mut();
            match std::mem::replace(&mut *state, ThunkState::Busy) {
                ThunkState::Done(val) => {
                    *state = ThunkState::Done(val.clone());
                    return val;
                }
                ThunkState::Busy => return Val::Unknown,
                ThunkState::Pending(code) => code,
            }
        };
        let val = self.guarded(|| match code {
            Code::Expr(expr, env, file) => self.eval(&expr, &env, file),
            Code::Ident(name, env) => self.lookup(&name, &env),
            Code::Select(from, name, default) => match self.force(&from) {
                Val::Set(set) => match set.attrs.get(&name) {
                    Some(attr) => self.force(&attr.value),
                    None => match default {
                        Some((expr, env, file)) => self.eval(&expr, &env, file),
                        None => Val::Unknown,
                    },
                },
                Val::Builtins => Val::Builtin(name),
                _ => Val::Unknown,
            },
        });
        *thunk.0.borrow_mut() = ThunkState::Done(val.clone());
        val
    }

    /// Runs one evaluation step within the step budget and the depth limit.
    fn guarded(&self, step: impl FnOnce() -> Val) -> Val {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > STEP_BUDGET || self.depth.get() > DEPTH_LIMIT {
            return Val::Unknown;
        }
        self.depth.set(self.depth.get() + 1);
        let val = step();
        self.depth.set(self.depth.get() - 1);
        val
    }

    fn lookup(&self, name: &str, env: &Option<Env>) -> Val {
        let mut scope = env.clone();
        let mut withs = Vec::new();
        while let Some(current) = scope {
            match &*current {
                Scope::Vars(vars, parent) => {
                    if let Some(thunk) = vars.borrow().get(name).cloned() {
                        return self.force(&thunk);
                    }
                    scope = parent.clone();
                }
                Scope::With(set, parent) => {
                    withs.push(set.clone());
                    scope = parent.clone();
                }
            }
        }
        if name == "builtins" {
            return Val::Builtins;
        }
        // Lexical bindings win over `with`; the innermost `with` wins over outer ones.
        for set in withs {
            if let Val::Set(set) = self.force(&set) {
                if let Some(attr) = set.attrs.get(name) {
                    return self.force(&attr.value);
                }
            }
        }
        Val::Unknown
    }

    fn eval(&self, expr: &ast::Expr, env: &Option<Env>, file: FileId) -> Val {
        self.guarded(|| self.eval_inner(expr, env, file))
    }

    fn eval_inner(&self, expr: &ast::Expr, env: &Option<Env>, file: FileId) -> Val {
        match expr {
            ast::Expr::AttrSet(set) => Val::Set(Rc::new(self.attr_set(set, env, file))),
            ast::Expr::LetIn(let_in) => {
                let scope = self.let_scope(let_in, env, file);
                match let_in.body() {
                    Some(body) => self.eval(&body, &Some(scope), file),
                    None => Val::Unknown,
                }
            }
            ast::Expr::Lambda(lambda) => Val::Lambda {
                lambda: lambda.clone(),
                env: env.clone().unwrap_or_else(empty_env),
                file,
            },
            ast::Expr::Apply(apply) => self.apply(apply, env, file),
            ast::Expr::Select(select) => self.select(select, env, file),
            ast::Expr::Ident(ident) => match ident.ident_token() {
                Some(token) => self.lookup(token.text(), env),
                None => Val::Unknown,
            },
            ast::Expr::Paren(paren) => self.eval_opt(paren.expr(), env, file),
            ast::Expr::Assert(assert) => self.eval_opt(assert.body(), env, file),
            ast::Expr::With(with) => {
                let Some(namespace) = with.namespace() else {
                    return Val::Unknown;
                };
                let set = Thunk::new(Code::Expr(namespace, env.clone(), file));
                let scope = Rc::new(Scope::With(set, env.clone()));
                self.eval_opt(with.body(), &Some(scope), file)
            }
            ast::Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Update) => {
                let (Some(lhs), Some(rhs)) = (op.lhs(), op.rhs()) else {
                    return Val::Unknown;
                };
                match (self.eval(&lhs, env, file), self.eval(&rhs, env, file)) {
                    (Val::Set(left), Val::Set(right)) => {
                        let mut attrs = left.attrs.clone();
                        attrs.extend(right.attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
                        Val::Set(Rc::new(SetVal { attrs }))
                    }
                    // `private // { inherit … }` with `private` computed: the right side's
                    // attributes are in the result as written, whatever the left holds.
                    (_, Val::Set(right)) => Val::Set(right),
                    _ => Val::Unknown,
                }
            }
            ast::Expr::PathRel(path) => {
                let dir = self.files.borrow()[file.0]
                    .0
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                Val::Path(normalize(&dir.join(path.syntax().text().to_string())))
            }
            _ => Val::Unknown,
        }
    }

    fn eval_opt(&self, expr: Option<ast::Expr>, env: &Option<Env>, file: FileId) -> Val {
        expr.map_or(Val::Unknown, |expr| self.eval(&expr, env, file))
    }

    fn select(&self, select: &ast::Select, env: &Option<Env>, file: FileId) -> Val {
        let Some(mut current) = select.expr().map(|e| self.eval(&e, env, file)) else {
            return Val::Unknown;
        };
        let names: Option<Vec<String>> = select
            .attrpath()
            .map(|path| path.attrs().map(|a| attr_name(&a)).collect())
            .unwrap_or(None);
        let Some(names) = names else {
            return Val::Unknown;
        };
        for name in names {
            current = match current {
                Val::Set(set) => match set.attrs.get(&name) {
                    Some(attr) => self.force(&attr.value),
                    None => return self.eval_opt(select.default_expr(), env, file),
                },
                Val::Builtins => Val::Builtin(name),
                _ => return Val::Unknown,
            };
        }
        current
    }

    fn apply(&self, apply: &ast::Apply, env: &Option<Env>, file: FileId) -> Val {
        // `((f a) b) c` -> head `f`, arguments `a b c`.
        let mut args = Vec::new();
        let mut head = ast::Expr::Apply(apply.clone());
        while let ast::Expr::Apply(inner) = &head {
            let Some(arg) = inner.argument() else {
                return Val::Unknown;
            };
            args.push(arg);
            let Some(lambda) = inner.lambda() else {
                return Val::Unknown;
            };
            head = lambda;
        }
        args.reverse();
        let head_name = head_name(&head);
        if head_name.as_deref() == Some("import") {
            let Val::Path(path) = self.eval(&args[0], env, file) else {
                return Val::Unknown;
            };
            let imported = self.force(&self.import(&path));
            return self.apply_all(imported, &args[1..], env, file);
        }
        let function = self.eval(&head, env, file);
        let result = self.apply_all(function, &args, env, file);
        if !matches!(result, Val::Unknown) {
            return result;
        }
        if let Some(fixpoint) = head_name.as_deref().and_then(fixpoint_arity) {
            // `fix (self: …)`, `makeExtensible (self: …)` whose definition could not be
            // followed: the function applied to its own result, which is what these
            // combinators compute.
            if args.len() == fixpoint {
                if let Val::Lambda { lambda, env, file } = self.eval(&args[fixpoint - 1], env, file)
                {
                    let result = Thunk(Rc::new(RefCell::new(ThunkState::Busy)));
                    let val = self.call(&lambda, &env, file, result.clone());
                    *result.0.borrow_mut() = ThunkState::Done(val.clone());
                    return val;
                }
            }
        }
        Val::Unknown
    }

    fn apply_all(
        &self,
        mut function: Val,
        args: &[ast::Expr],
        env: &Option<Env>,
        file: FileId,
    ) -> Val {
        for arg in args {
            function = match function {
                Val::Lambda {
                    lambda,
                    env: closure,
                    file: lambda_file,
                } => {
                    let arg = Thunk::new(Code::Expr(arg.clone(), env.clone(), file));
                    self.call(&lambda, &closure, lambda_file, arg)
                }
                _ => return Val::Unknown,
            };
        }
        function
    }

    /// Applies a lambda to an argument: binds its parameter (or pattern fields, with their
    /// defaults) and evaluates the body.
    fn call(&self, lambda: &ast::Lambda, closure: &Env, file: FileId, arg: Thunk) -> Val {
        let vars = Rc::new(Scope::Vars(
            RefCell::new(HashMap::new()),
            Some(closure.clone()),
        ));
        let scope = Some(vars.clone());
        let Scope::Vars(bound, _) = &*vars else {
            return Val::Unknown;
        };
        match lambda.param() {
            Some(ast::Param::IdentParam(param)) => {
                if let Some(name) = param.ident().and_then(|i| i.ident_token()) {
                    bound.borrow_mut().insert(name.text().to_string(), arg);
                }
            }
            Some(ast::Param::Pattern(pattern)) => {
                if let Some(name) = pattern
                    .pat_bind()
                    .and_then(|b| b.ident())
                    .and_then(|i| i.ident_token())
                {
                    bound
                        .borrow_mut()
                        .insert(name.text().to_string(), arg.clone());
                }
                for entry in pattern.pat_entries() {
                    let Some(name) = entry.ident().and_then(|i| i.ident_token()) else {
                        continue;
                    };
                    let default = entry.default().map(|d| (d, scope.clone(), file));
                    let field =
                        Thunk::new(Code::Select(arg.clone(), name.text().to_string(), default));
                    bound.borrow_mut().insert(name.text().to_string(), field);
                }
            }
            None => return Val::Unknown,
        }
        self.eval_opt(lambda.body(), &scope, file)
    }

    /// A `let` block's scope: its bindings see each other.
    fn let_scope(&self, let_in: &ast::LetIn, env: &Option<Env>, file: FileId) -> Env {
        let scope = Rc::new(Scope::Vars(RefCell::new(HashMap::new()), env.clone()));
        let inner = Some(scope.clone());
        let built = self.bindings(let_in, &inner, env, file);
        if let Scope::Vars(vars, _) = &*scope {
            let mut vars = vars.borrow_mut();
            for (name, attr) in built.attrs {
                vars.insert(name, attr.value);
            }
        }
        scope
    }

    fn attr_set(&self, set: &ast::AttrSet, env: &Option<Env>, file: FileId) -> SetVal {
        if set.rec_token().is_none() {
            return self.bindings(set, env, env, file);
        }
        let scope = Rc::new(Scope::Vars(RefCell::new(HashMap::new()), env.clone()));
        let inner = Some(scope.clone());
        let built = self.bindings(set, &inner, env, file);
        if let Scope::Vars(vars, _) = &*scope {
            let mut vars = vars.borrow_mut();
            for (name, attr) in &built.attrs {
                vars.insert(name.clone(), attr.value.clone());
            }
        }
        built
    }

    /// The attributes bound by a set or `let`: values are evaluated in `inner` (the set's own
    /// scope for `rec` and `let`), plain `inherit x` in `outer`.
    fn bindings(
        &self,
        node: &impl HasEntry,
        inner: &Option<Env>,
        outer: &Option<Env>,
        file: FileId,
    ) -> SetVal {
        let mut set = SetVal::default();
        for kv in node.attrpath_values() {
            let (Some(path), Some(value)) = (kv.attrpath(), kv.value()) else {
                continue;
            };
            let names: Option<Vec<(String, SyntaxNode)>> = path
                .attrs()
                .map(|a| attr_name(&a).map(|n| (n, a.syntax().clone())))
                .collect();
            let Some(names) = names.filter(|n| !n.is_empty()) else {
                continue;
            };
            let attr = Attr {
                literal_set: is_set_literal(&value),
                value: Thunk::new(Code::Expr(value, inner.clone(), file)),
                pos: Some(self.pos_of(&names[names.len() - 1].1, file)),
                origin: Origin::Bound(kv.syntax().clone()),
            };
            self.insert_path(&mut set, &names, attr, file);
        }
        for inherit in node.inherits() {
            let from = inherit
                .from()
                .and_then(|f| f.expr())
                .map(|e| Thunk::new(Code::Expr(e, inner.clone(), file)));
            for attr in inherit.attrs() {
                let Some(name) = attr_name(&attr) else {
                    continue;
                };
                let (value, origin) = match &from {
                    Some(from) => (
                        Thunk::new(Code::Select(from.clone(), name.clone(), None)),
                        Origin::InheritedFrom(from.clone(), name.clone()),
                    ),
                    None => (
                        Thunk::new(Code::Ident(name.clone(), outer.clone())),
                        Origin::Other,
                    ),
                };
                let pos = Some(match inherit_anchor(&inherit) {
                    Some(offset) => Pos {
                        file,
                        line: self.source(file).line_of(offset),
                    },
                    None => self.pos_of(attr.syntax(), file),
                });
                set.attrs.insert(
                    name,
                    Attr {
                        value,
                        pos,
                        origin,
                        literal_set: false,
                    },
                );
            }
        }
        set
    }

    /// `a.b.c = v;`: nested sets are made (or extended) on the way.
    fn insert_path(
        &self,
        set: &mut SetVal,
        names: &[(String, SyntaxNode)],
        attr: Attr,
        file: FileId,
    ) {
        let (name, node) = &names[0];
        if names.len() == 1 {
            set.attrs.entry(name.clone()).or_insert(attr);
            return;
        }
        let mut nested = match set.attrs.get(name).map(|a| self.force(&a.value)) {
            Some(Val::Set(existing)) => SetVal {
                attrs: existing.attrs.clone(),
            },
            _ => SetVal::default(),
        };
        self.insert_path(&mut nested, &names[1..], attr, file);
        let pos = Some(self.pos_of(node, file));
        set.attrs.insert(
            name.clone(),
            Attr {
                value: Thunk::done(Val::Set(Rc::new(nested))),
                pos,
                origin: Origin::Other,
                literal_set: true,
            },
        );
    }
}

/// Where Nix (2.8) places inherited attributes: right after `inherit (from)`, or after the
/// `inherit` keyword, not at each name; a multi-line `inherit` puts them all on its first line.
fn inherit_anchor(inherit: &ast::Inherit) -> Option<usize> {
    let end = match inherit.from() {
        Some(from) => from.syntax().text_range().end(),
        None => inherit.inherit_token()?.text_range().end(),
    };
    Some(usize::from(end).saturating_sub(1))
}

fn empty_env() -> Env {
    Rc::new(Scope::Vars(RefCell::new(HashMap::new()), None))
}

fn is_set_literal(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::AttrSet(_) => true,
        ast::Expr::Paren(p) => p.expr().is_some_and(|e| is_set_literal(&e)),
        _ => false,
    }
}

/// The name a function is called by: `fix` for `fix`, `lib.fix` and `self.fixedPoints.fix`.
fn head_name(head: &ast::Expr) -> Option<String> {
    match head {
        ast::Expr::Ident(ident) => Some(ident.ident_token()?.text().to_string()),
        ast::Expr::Select(select) => attr_name(&select.attrpath()?.attrs().last()?),
        _ => None,
    }
}

/// Fixed-point combinators, with the number of arguments after which the last one is the
/// function whose fixed point is taken.
fn fixpoint_arity(name: &str) -> Option<usize> {
    match name {
        "fix" | "fix'" | "makeExtensible" | "makeExtensible'" => Some(1),
        "makeExtensibleWithCustomName" => Some(2),
        _ => None,
    }
}

/// What the lib index found: entries and problems.
pub struct LibIndex {
    pub entries: Vec<Entry>,
    pub problems: Vec<String>,
}

/// Reads `ROOT/lib` (lib/default.nix and everything it imports) into entries: `lib.SET.NAME` for
/// each attribute of each sub-library (and of set literals inside them, like
/// `lib.path.subpath.join`), and `lib.NAME` for the attributes of lib itself, where a re-export
/// carries the position and doc of what it re-exports.
pub fn index_lib(root: &Path) -> LibIndex {
    let evaluator = Evaluator {
        root: root.to_path_buf(),
        files: RefCell::new(Vec::new()),
        imports: RefCell::new(HashMap::new()),
        problems: RefCell::new(Vec::new()),
        steps: Cell::new(0),
        depth: Cell::new(0),
    };
    let lib = evaluator.force(&evaluator.import(&root.join("lib/default.nix")));
    let mut entries = Vec::new();
    if let Val::Set(lib) = lib {
        let mut writer = EntryWriter {
            evaluator: &evaluator,
            builtins: builtin_docs(),
            set_names: Vec::new(),
        };
        writer.write(&lib, &mut entries);
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries.dedup_by(|a, b| a.name == b.name);
    let problems = evaluator.problems.into_inner();
    LibIndex { entries, problems }
}

fn builtin_docs() -> HashMap<String, Entry> {
    super::builtins::embedded()
        .into_iter()
        .map(|e| (e.short_name().to_string(), e))
        .collect()
}

struct EntryWriter<'a> {
    evaluator: &'a Evaluator,
    builtins: HashMap<String, Entry>,
    /// Each listed set (by address) with its name: what a re-export points at.
    set_names: Vec<(*const SetVal, String)>,
}

impl EntryWriter<'_> {
    fn write(&mut self, lib: &Rc<SetVal>, entries: &mut Vec<Entry>) {
        // Sub-libraries first, so that re-exports at the top can name them.
        let mut subsets = Vec::new();
        for (name, attr) in &lib.attrs {
            if DATA_SETS.contains(&name.as_str()) {
                continue;
            }
            if let Val::Set(set) = self.evaluator.force(&attr.value) {
                if !matches!(attr.origin, Origin::InheritedFrom(..)) {
                    self.set_names
                        .push((Rc::as_ptr(&set), format!("lib.{name}")));
                    subsets.push((format!("lib.{name}"), set));
                }
            }
        }
        for (prefix, set) in &subsets {
            self.write_set(prefix, set, 0, entries);
        }
        for (name, attr) in &lib.attrs {
            if DATA_SETS.contains(&name.as_str())
                || subsets.iter().any(|(p, _)| p == &format!("lib.{name}"))
            {
                continue;
            }
            entries.push(self.alias_or_entry(&format!("lib.{name}"), attr));
        }
    }

    /// Lists a sub-library's attributes, descending into set literals (namespaces like
    /// `lib.network.ipv6`) a few levels deep.
    fn write_set(
        &mut self,
        prefix: &str,
        set: &Rc<SetVal>,
        depth: usize,
        entries: &mut Vec<Entry>,
    ) {
        for (name, attr) in &set.attrs {
            let full = format!("{prefix}.{name}");
            if attr.literal_set && depth < 2 {
                if let Val::Set(inner) = self.evaluator.force(&attr.value) {
                    self.set_names.push((Rc::as_ptr(&inner), full.clone()));
                    self.write_set(&full, &inner, depth + 1, entries);
                }
            }
            entries.push(self.entry(&full, attr));
        }
    }

    /// An attribute at its own position, with its doc comment; without one, an inherited
    /// attribute or an alias of a builtin shows the docs of what it names.
    fn entry(&self, name: &str, attr: &Attr) -> Entry {
        let mut entry = Entry {
            name: name.to_string(),
            kind: Some(EntryKind::Function),
            ..Entry::default()
        };
        if let Some(pos) = attr.pos {
            let files = self.evaluator.files.borrow();
            entry.file = Some(self.evaluator.relative(&files[pos.file.0].0));
            entry.line = Some(pos.line);
        }
        if let Origin::Bound(node) = &attr.origin {
            if let Some(comment) = leading_comment(node) {
                let doc = parse_comment(&comment);
                entry.doc = (!doc.body.is_empty()).then_some(doc.body);
                entry.type_sig = doc.type_sig;
                entry.examples = doc.examples;
            }
        }
        if entry.doc.is_none() {
            if let Val::Builtin(builtin) = self.evaluator.force(&attr.value) {
                self.builtin_alias(&mut entry, &builtin);
            } else if let Some(target) = self.inherited_target(attr, 0) {
                entry.doc = target.doc;
                entry.type_sig = target.type_sig;
                entry.examples = target.examples;
                entry.canonical = target.canonical;
            }
        }
        entry
    }

    fn builtin_alias(&self, entry: &mut Entry, builtin: &str) {
        entry.canonical = Some(format!("builtins.{builtin}"));
        let docs = self.builtins.get(builtin);
        let doc = docs.and_then(|d| d.doc.clone()).unwrap_or_default();
        entry.doc = Some(
            format!("Alias of the builtin `builtins.{builtin}`.\n\n{doc}")
                .trim()
                .to_string(),
        );
        entry.type_sig = docs.and_then(|d| d.type_sig.clone());
        entry.examples = docs.map(|d| d.examples.clone()).unwrap_or_default();
    }

    /// The documented definition an `inherit (set) name` chain leads to, if any.
    fn inherited_target(&self, attr: &Attr, hops: usize) -> Option<Entry> {
        let Origin::InheritedFrom(from, name) = &attr.origin else {
            return None;
        };
        if hops > 8 {
            return None;
        }
        let Val::Set(set) = self.evaluator.force(from) else {
            return None;
        };
        let target = set.attrs.get(name)?;
        let mut entry = self.entry(name, target);
        if entry.canonical.is_none() {
            entry.canonical = self.name_of(&set).map(|prefix| format!("{prefix}.{name}"));
        }
        if entry.doc.is_none() {
            return self.inherited_target(target, hops + 1);
        }
        Some(entry)
    }

    fn name_of(&self, set: &Rc<SetVal>) -> Option<String> {
        self.set_names
            .iter()
            .find(|(ptr, _)| *ptr == Rc::as_ptr(set))
            .map(|(_, name)| name.clone())
    }

    /// `lib.NAME`: a re-export (`inherit (self.strings) concatStringsSep`) takes the position,
    /// doc and name of the definition; anything else is listed where it is.
    fn alias_or_entry(&self, name: &str, attr: &Attr) -> Entry {
        if let Origin::InheritedFrom(from, short) = &attr.origin {
            match self.evaluator.force(from) {
                Val::Set(set) => {
                    if let (Some(prefix), Some(target)) = (self.name_of(&set), set.attrs.get(short))
                    {
                        let canonical = format!("{prefix}.{short}");
                        let mut entry = self.entry(&canonical, target);
                        entry.name = name.to_string();
                        entry.canonical = Some(canonical);
                        return entry;
                    }
                }
                Val::Builtins => {
                    let mut entry = self.entry(name, attr);
                    self.builtin_alias(&mut entry, short);
                    return entry;
                }
                _ => {}
            }
        }
        self.entry(name, attr)
    }
}
