//! Static evaluation of a package file's fields: what `pname`, `version` and `meta.description`
//! are, as far as the file alone decides them. The package is the file's result expression (the
//! function's body through `let … in`, `with`, `assert`), the last argument of its builder call
//! (`stdenv.mkDerivation (finalAttrs: { … })`, `buildGoModule rec { … }`); a derivation bound
//! in `let` (a helper, a fetcher, a sub-package) is never taken for it.
//!
//! Strings are evaluated from literals, interpolation, `+`, `let` bindings (with `inherit`),
//! `rec` and `finalAttrs.x` references to the same set, argument defaults (`version ? "1.0"`)
//! and the pure lib string helpers descriptions use. Anything else is unknown: a wrong value is
//! worse than none, so every step that cannot be sure gives up.

use std::collections::HashMap;
use std::rc::Rc;

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::syntax::{attr_name, literal_string};

/// The lib and builtins helpers this evaluator knows, applied to values it knows.
mod lib_functions;

/// Nesting allowed before a value is left unknown (also bounds reference cycles).
const DEPTH_LIMIT: usize = 48;

/// A statically known value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    Str(String),
    Bool(bool),
    Int(i64),
    Null,
    List(Vec<Val>),
    /// An attribute set: its bindings, and the scope its recursive bindings are evaluated in.
    Set(Rc<Bindings>, Scope),
    /// A path into lib or builtins (`lib`, `lib.strings`, `lib.optionalString`), by name.
    Lib(Vec<String>),
    /// A lib function applied to fewer arguments than it takes.
    Partial(String, Vec<Val>),
}

/// Bindings of a set, `let` or argument list.
#[derive(Debug, PartialEq, Default)]
pub(crate) struct Bindings {
    values: HashMap<String, Binding>,
}

/// A binding's value. The scope is the one it is evaluated in; `None` for recursive bindings
/// (`let`, `rec`, `finalAttrs:`), which are evaluated in the scope of the frame they are found in
/// (so scopes never point back at themselves).
#[derive(Clone, Debug, PartialEq)]
enum Binding {
    Expr(ExprRef, Option<Scope>),
    /// `inherit (from) name`.
    From(ExprRef, Option<Scope>, String),
    /// A set made of `a.b = …` paths, its bindings under the same rule.
    Nested(Rc<Bindings>),
    Value(Val),
}

/// An expression, compared by identity.
#[derive(Clone, Debug)]
struct ExprRef(ast::Expr);

impl PartialEq for ExprRef {
    fn eq(&self, other: &Self) -> bool {
        self.0.syntax() == other.0.syntax()
    }
}

/// A lexical scope chain; `with` scopes are tried after every lexical one, innermost first.
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct Scope(Option<Rc<Frame>>);

#[derive(Debug, PartialEq)]
enum Frame {
    Vars(Rc<Bindings>, Scope),
    /// Function arguments whose values are unknown (they shadow outer names).
    Opaque(Vec<String>, Scope),
    With(ExprRef, Scope),
    /// `finalAttrs: { … }`: the name is the set itself, evaluated in this frame.
    SelfRef(String, Rc<Bindings>, Scope),
}

impl Scope {
    fn push(&self, frame: impl FnOnce(Scope) -> Frame) -> Scope {
        Scope(Some(Rc::new(frame(self.clone()))))
    }

    /// A lexically bound name: its binding and the scope it is found in. An unknown argument
    /// ends the search with `Err(())`; a name bound nowhere gives `Ok(None)`.
    fn lookup(&self, name: &str) -> Result<Option<(Binding, Scope)>, ()> {
        let mut current = self.clone();
        while let Some(frame) = current.0.clone() {
            let outer = match &*frame {
                Frame::Vars(bindings, outer) => {
                    if let Some(binding) = bindings.values.get(name) {
                        return Ok(Some((binding.clone(), current)));
                    }
                    outer
                }
                Frame::Opaque(names, outer) => {
                    if names.iter().any(|n| n == name) {
                        return Err(());
                    }
                    outer
                }
                Frame::SelfRef(own, bindings, outer) => {
                    if own == name {
                        let set = Val::Set(bindings.clone(), current.clone());
                        return Ok(Some((Binding::Value(set), current)));
                    }
                    outer
                }
                Frame::With(_, outer) => outer,
            };
            current = outer.clone();
        }
        Ok(None)
    }

    /// The `with` namespaces in scope, innermost first, each with the scope it was written in.
    fn withs(&self) -> Vec<(ExprRef, Scope)> {
        let mut out = Vec::new();
        let mut current = self.clone();
        while let Some(frame) = current.0.clone() {
            current = match &*frame {
                Frame::With(expr, outer) => {
                    out.push((expr.clone(), outer.clone()));
                    outer.clone()
                }
                Frame::Vars(_, outer) | Frame::Opaque(_, outer) | Frame::SelfRef(_, _, outer) => {
                    outer.clone()
                }
            };
        }
        out
    }
}

/// The statically known fields of a package file.
#[derive(Debug)]
pub struct PackageFields {
    /// The package's attribute set as written, for the fields read without evaluation.
    pub set: ast::AttrSet,
    pub pname: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    /// Offset of the `pname` binding in the file, for the entry's line.
    pub pname_offset: Option<usize>,
}

/// Reads a package file's fields; `None` when its result is not a builder call on a set.
/// `passed` names the arguments its caller passes (`*`: any), whose defaults are then unknown.
pub fn package_fields(root: &ast::Root, passed: &[String]) -> Option<PackageFields> {
    let mut eval = Evaluator {
        depth: 0,
        passed: passed.to_vec(),
    };
    let (set, scope) = eval.package_set(root.expr()?, Scope::default())?;
    let package = match &set {
        SetExpr::Plain(node) => Val::Set(
            Rc::new(collect_bindings(node, Some(&scope), &scope)),
            scope.clone(),
        ),
        SetExpr::Rec(node) => {
            let own = Rc::new(collect_bindings(node, None, &scope));
            Val::Set(own.clone(), scope.push(|s| Frame::Vars(own, s)))
        }
        SetExpr::SelfArg(node, name) => {
            let own = Rc::new(collect_bindings(node, None, &scope));
            let home = scope.push(|s| Frame::SelfRef(name.clone(), own.clone(), s));
            Val::Set(own, home)
        }
    };
    let string = |val: Option<Val>| match val {
        Some(Val::Str(s)) => Some(s),
        _ => None,
    };
    let meta = eval.select(package.clone(), "meta");
    Some(PackageFields {
        pname: string(eval.select(package.clone(), "pname")),
        version: string(eval.select(package, "version")),
        description: string(meta.and_then(|meta| eval.select(meta, "description"))),
        pname_offset: pname_offset(set.node()),
        set: set.node().clone(),
    })
}

/// The package's set as written: `{ … }`, `rec { … }` or `self: { … }`.
enum SetExpr {
    Plain(ast::AttrSet),
    Rec(ast::AttrSet),
    SelfArg(ast::AttrSet, String),
}

impl SetExpr {
    fn node(&self) -> &ast::AttrSet {
        match self {
            SetExpr::Plain(s) | SetExpr::Rec(s) | SetExpr::SelfArg(s, _) => s,
        }
    }
}

fn pname_offset(set: &ast::AttrSet) -> Option<usize> {
    set.attrpath_values().find_map(|kv| {
        let path = kv.attrpath()?;
        let mut attrs = path.attrs();
        let first = attrs.next()?;
        (attrs.next().is_none() && attr_name(&first).as_deref() == Some("pname"))
            .then(|| usize::from(kv.syntax().text_range().start()))
    })
}

/// The bindings of a set or `let`: values evaluated in `inner` (`None`: where they are found),
/// plain `inherit x` looked up in `outer`.
fn collect_bindings(node: &impl HasEntry, inner: Option<&Scope>, outer: &Scope) -> Bindings {
    let mut root = Bindings::default();
    for kv in node.attrpath_values() {
        let (Some(path), Some(value)) = (kv.attrpath(), kv.value()) else {
            continue;
        };
        let names: Option<Vec<String>> = path.attrs().map(|a| attr_name(&a)).collect();
        let Some(names) = names.filter(|n| !n.is_empty()) else {
            continue;
        };
        insert_path(
            &mut root,
            &names,
            Binding::Expr(ExprRef(value), inner.cloned()),
        );
    }
    for inherit in node.inherits() {
        let from = inherit.from().and_then(|f| f.expr());
        for attr in inherit.attrs() {
            let Some(name) = attr_name(&attr) else {
                continue;
            };
            let binding = match (&from, &attr) {
                (Some(expr), _) => {
                    Binding::From(ExprRef(expr.clone()), inner.cloned(), name.clone())
                }
                (None, ast::Attr::Ident(ident)) => Binding::Expr(
                    ExprRef(ast::Expr::Ident(ident.clone())),
                    Some(outer.clone()),
                ),
                (None, _) => continue,
            };
            root.values.insert(name, binding);
        }
    }
    root
}

/// `a.b.c = v;`: nested sets are made on the way; a path into a set written whole
/// (`meta = { … }; meta.x = …;`) is left out rather than guessed.
fn insert_path(bindings: &mut Bindings, names: &[String], binding: Binding) {
    if names.len() == 1 {
        bindings.values.insert(names[0].clone(), binding);
        return;
    }
    let entry = bindings
        .values
        .entry(names[0].clone())
        .or_insert_with(|| Binding::Nested(Rc::new(Bindings::default())));
    if let Binding::Nested(nested) = entry {
        let mut inner = Bindings {
            values: nested.values.clone(),
        };
        insert_path(&mut inner, &names[1..], binding);
        *nested = Rc::new(inner);
    }
}

struct Evaluator {
    depth: usize,
    /// Arguments the caller passes: their defaults are not what the file gets.
    passed: Vec<String>,
}

impl Evaluator {
    /// Follows the file's result expression to the set its builder is called with.
    fn package_set(&mut self, expr: ast::Expr, scope: Scope) -> Option<(SetExpr, Scope)> {
        let mut expr = expr;
        let mut scope = scope;
        for _ in 0..32 {
            expr = match expr {
                ast::Expr::Lambda(lambda) => {
                    scope = bind_param(&lambda, &scope, &self.passed);
                    lambda.body()?
                }
                ast::Expr::LetIn(let_in) => {
                    let own = Rc::new(collect_bindings(&let_in, None, &scope));
                    scope = scope.push(|s| Frame::Vars(own, s));
                    let_in.body()?
                }
                ast::Expr::With(with) => {
                    let namespace = ExprRef(with.namespace()?);
                    scope = scope.push(|s| Frame::With(namespace, s));
                    with.body()?
                }
                ast::Expr::Assert(assert) => assert.body()?,
                ast::Expr::Paren(paren) => paren.expr()?,
                ast::Expr::Apply(apply) => return builder_set(apply.argument()?, scope),
                // `in drv` with `drv = stdenv.mkDerivation { … }` bound in `let`.
                ast::Expr::Ident(ident) => {
                    let name = ident.ident_token()?.text().to_string();
                    match scope.lookup(&name).ok()?? {
                        (Binding::Expr(ExprRef(expr), inner), home) => {
                            scope = inner.unwrap_or(home);
                            expr
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            };
        }
        None
    }

    fn binding(&mut self, binding: &Binding, home: &Scope) -> Option<Val> {
        match binding {
            Binding::Expr(ExprRef(expr), scope) => self.eval(expr, scope.as_ref().unwrap_or(home)),
            Binding::From(ExprRef(expr), scope, name) => {
                let from = self.eval(expr, scope.as_ref().unwrap_or(home))?;
                self.select(from, name)
            }
            Binding::Nested(bindings) => Some(Val::Set(bindings.clone(), home.clone())),
            Binding::Value(val) => Some(val.clone()),
        }
    }

    fn select(&mut self, from: Val, name: &str) -> Option<Val> {
        match from {
            Val::Set(set, home) => {
                let binding = set.values.get(name)?.clone();
                self.binding(&binding, &home)
            }
            Val::Lib(mut path) => {
                path.push(name.to_string());
                Some(Val::Lib(path))
            }
            _ => None,
        }
    }

    fn eval(&mut self, expr: &ast::Expr, scope: &Scope) -> Option<Val> {
        if self.depth >= DEPTH_LIMIT {
            return None;
        }
        self.depth += 1;
        let val = self.eval_inner(expr, scope);
        self.depth -= 1;
        val
    }

    fn eval_inner(&mut self, expr: &ast::Expr, scope: &Scope) -> Option<Val> {
        match expr {
            ast::Expr::Str(s) => self.string(s, scope).map(Val::Str),
            ast::Expr::Literal(lit) => match lit.kind() {
                ast::LiteralKind::Integer(i) => i.value().ok().map(Val::Int),
                _ => None,
            },
            ast::Expr::Paren(p) => self.eval(&p.expr()?, scope),
            ast::Expr::Ident(ident) => self.ident(ident.ident_token()?.text(), scope),
            ast::Expr::Select(select) => self.select_path(select, scope),
            ast::Expr::AttrSet(set) if set.rec_token().is_none() => Some(Val::Set(
                Rc::new(collect_bindings(set, Some(scope), scope)),
                scope.clone(),
            )),
            ast::Expr::AttrSet(set) => {
                let own = Rc::new(collect_bindings(set, None, scope));
                Some(Val::Set(own.clone(), scope.push(|s| Frame::Vars(own, s))))
            }
            ast::Expr::LetIn(let_in) => {
                let own = Rc::new(collect_bindings(let_in, None, scope));
                self.eval(&let_in.body()?, &scope.push(|s| Frame::Vars(own, s)))
            }
            ast::Expr::With(with) => {
                let namespace = ExprRef(with.namespace()?);
                self.eval(&with.body()?, &scope.push(|s| Frame::With(namespace, s)))
            }
            ast::Expr::List(list) => list
                .items()
                .map(|item| self.eval(&item, scope))
                .collect::<Option<Vec<_>>>()
                .map(Val::List),
            ast::Expr::BinOp(op) => self.bin_op(op, scope),
            ast::Expr::UnaryOp(op) if op.operator() == Some(ast::UnaryOpKind::Invert) => {
                match self.eval(&op.expr()?, scope)? {
                    Val::Bool(b) => Some(Val::Bool(!b)),
                    _ => None,
                }
            }
            ast::Expr::IfElse(if_else) => match self.eval(&if_else.condition()?, scope)? {
                Val::Bool(true) => self.eval(&if_else.body()?, scope),
                Val::Bool(false) => self.eval(&if_else.else_body()?, scope),
                _ => None,
            },
            ast::Expr::Apply(apply) => {
                let function = self.eval(&apply.lambda()?, scope)?;
                let arg = self.eval(&apply.argument()?, scope)?;
                lib_functions::apply(function, arg)
            }
            _ => None,
        }
    }

    /// `a.b.c`, and `a.b or d` where `a` is a set known to lack `b`.
    fn select_path(&mut self, select: &ast::Select, scope: &Scope) -> Option<Val> {
        let mut val = self.eval(&select.expr()?, scope)?;
        for attr in select.attrpath()?.attrs() {
            let name = attr_name(&attr)?;
            if let Val::Set(set, _) = &val {
                if !set.values.contains_key(&name) {
                    return self.eval(&select.default_expr()?, scope);
                }
            }
            val = self.select(val, &name)?;
        }
        Some(val)
    }

    fn ident(&mut self, name: &str, scope: &Scope) -> Option<Val> {
        match name {
            "true" => return Some(Val::Bool(true)),
            "false" => return Some(Val::Bool(false)),
            "null" => return Some(Val::Null),
            _ => {}
        }
        if let Some((binding, home)) = scope.lookup(name).ok()? {
            return self.binding(&binding, &home);
        }
        // Not bound lexically: the innermost `with` that holds it, as long as no `with` whose
        // contents are unknown could hold it first.
        for (namespace, outer) in scope.withs() {
            match self.eval(&namespace.0, &outer)? {
                Val::Lib(mut path) => {
                    path.push(name.to_string());
                    return Some(Val::Lib(path));
                }
                Val::Set(set, home) => {
                    if let Some(binding) = set.values.get(name).cloned() {
                        return self.binding(&binding, &home);
                    }
                }
                _ => return None,
            }
        }
        (name == "builtins").then(|| Val::Lib(vec!["builtins".into()]))
    }

    fn bin_op(&mut self, op: &ast::BinOp, scope: &Scope) -> Option<Val> {
        use ast::BinOpKind::*;
        let kind = op.operator()?;
        let lhs = self.eval(&op.lhs()?, scope)?;
        // `&&` and `||` decide on their left side alone when they can.
        match (kind, &lhs) {
            (And, Val::Bool(false)) => return Some(Val::Bool(false)),
            (Or, Val::Bool(true)) => return Some(Val::Bool(true)),
            _ => {}
        }
        let rhs = self.eval(&op.rhs()?, scope)?;
        Some(match (kind, lhs, rhs) {
            (Add, Val::Str(a), Val::Str(b)) => Val::Str(a + &b),
            (Add, Val::Int(a), Val::Int(b)) => Val::Int(a.checked_add(b)?),
            (Concat, Val::List(mut a), Val::List(b)) => {
                a.extend(b);
                Val::List(a)
            }
            (And | Or, Val::Bool(_), Val::Bool(b)) => Val::Bool(b),
            (Equal, a, b) if comparable(&a) && comparable(&b) => Val::Bool(a == b),
            (NotEqual, a, b) if comparable(&a) && comparable(&b) => Val::Bool(a != b),
            _ => return None,
        })
    }

    /// A string with its interpolations evaluated; `None` when any of them is not a known string.
    fn string(&mut self, s: &ast::Str, scope: &Scope) -> Option<String> {
        if let Some(text) = literal_string(s) {
            return Some(text);
        }
        let mut out = String::new();
        for part in s.normalized_parts() {
            match part {
                ast::InterpolPart::Literal(text) => out.push_str(&text),
                ast::InterpolPart::Interpolation(interpolation) => {
                    match self.eval(&interpolation.expr()?, scope)? {
                        Val::Str(text) => out.push_str(&text),
                        _ => return None,
                    }
                }
            }
        }
        Some(out)
    }
}

/// Values whose equality the evaluator decides exactly.
fn comparable(val: &Val) -> bool {
    matches!(val, Val::Str(_) | Val::Bool(_) | Val::Int(_) | Val::Null)
}

/// Binds a lambda's parameter: `lib` to lib itself, arguments with a default to it (callPackage
/// finds no `version` or `enableFoo` in nixpkgs, so the default is what the package gets), any
/// other argument to an unknown value.
fn bind_param(lambda: &ast::Lambda, scope: &Scope, passed: &[String]) -> Scope {
    let mut opaque = Vec::new();
    let mut values = HashMap::new();
    match lambda.param() {
        Some(ast::Param::IdentParam(param)) => {
            if let Some(name) = param.ident().and_then(|i| i.ident_token()) {
                opaque.push(name.text().to_string());
            }
        }
        Some(ast::Param::Pattern(pattern)) => {
            if let Some(name) = pattern
                .pat_bind()
                .and_then(|b| b.ident())
                .and_then(|i| i.ident_token())
            {
                opaque.push(name.text().to_string());
            }
            for entry in pattern.pat_entries() {
                let Some(name) = entry.ident().and_then(|i| i.ident_token()) else {
                    continue;
                };
                let name = name.text().to_string();
                let is_passed = passed.iter().any(|p| p == &name || p == "*");
                match entry.default().filter(|_| !is_passed) {
                    Some(default) => {
                        values.insert(name, Binding::Expr(ExprRef(default), None));
                    }
                    None if name == "lib" => {
                        values.insert(name, Binding::Value(Val::Lib(vec!["lib".into()])));
                    }
                    None => opaque.push(name),
                }
            }
        }
        None => {}
    }
    // Defaults see the other arguments (and unknown ones stay unknown).
    let scope = scope.push(|s| Frame::Opaque(opaque, s));
    let values = Rc::new(Bindings { values });
    scope.push(|s| Frame::Vars(values, s))
}

/// The set a builder is called with: `{ … }`, `rec { … }`, `(finalAttrs: { … })`.
fn builder_set(arg: ast::Expr, scope: Scope) -> Option<(SetExpr, Scope)> {
    match arg {
        ast::Expr::Paren(p) => builder_set(p.expr()?, scope),
        ast::Expr::AttrSet(set) if set.rec_token().is_some() => Some((SetExpr::Rec(set), scope)),
        ast::Expr::AttrSet(set) => Some((SetExpr::Plain(set), scope)),
        ast::Expr::Lambda(lambda) => {
            let Some(ast::Param::IdentParam(param)) = lambda.param() else {
                return None;
            };
            let name = param.ident()?.ident_token()?.text().to_string();
            match lambda.body()? {
                ast::Expr::AttrSet(set) if set.rec_token().is_none() => {
                    Some((SetExpr::SelfArg(set, name), scope))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str, passed: &[&str]) -> (Option<String>, Option<String>, Option<String>) {
        let root = ast::Root::parse(text).tree();
        let passed: Vec<String> = passed.iter().map(|s| s.to_string()).collect();
        let f = package_fields(&root, &passed).expect("a package");
        (f.pname, f.version, f.description)
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn the_package_is_the_result_not_a_derivation_bound_in_let() {
        let text = r#"{ lib, buildNpmPackage, stdenv }:
            let
              version = "1.1.400";
              pyright-root = buildNpmPackage { pname = "pyright-root"; inherit version; };
            in buildNpmPackage rec {
              pname = "pyright";
              inherit version;
              meta.description = "Type checker for ${pname}";
            }"#;
        assert_eq!(
            fields(text, &[]),
            (
                some("pyright"),
                some("1.1.400"),
                some("Type checker for pyright")
            )
        );
    }

    #[test]
    fn final_attrs_defaults_and_lib_helpers() {
        let text = r#"{ lib, stdenv, version ? "2.1.0", withGui ? false, enableX }:
            stdenv.mkDerivation (finalAttrs: {
              pname = "tool";
              inherit version;
              meta = with lib; {
                description = "Tool ${versions.majorMinor finalAttrs.version}"
                  + optionalString withGui " with a GUI"
                  + lib.optionalString (!withGui) (toLower " (CLI)");
              };
            })"#;
        assert_eq!(
            fields(text, &[]),
            (some("tool"), some("2.1.0"), some("Tool 2.1 (cli)"))
        );
        // A default the caller overrides is not known.
        assert_eq!(fields(text, &["version"]).1, None);
        let unknown = text.replace("optionalString withGui", "optionalString enableX");
        assert_eq!(fields(&unknown, &[]).2, None);
    }

    #[test]
    fn unknown_names_stay_unknown() {
        let text = r#"{ lib, stdenv, foo }: with foo; stdenv.mkDerivation {
              pname = name;
              version = foo.version;
              meta.description = lib.mkDescription "x";
            }"#;
        assert_eq!(fields(text, &[]), (None, None, None));
    }
}
