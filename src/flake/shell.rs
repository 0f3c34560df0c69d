//! `flake add` / `flake remove` on the dev shells people write: find the shell the way Nix would
//! (through [`super::eval`]), pick the list a package belongs in, spell the package the way that
//! scope needs, and refuse with a snippet when no list qualifies. Lists shared with other shells or
//! packages, conditional lists and lists that are not package lists of the shell are never edited.

use std::path::PathBuf;

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::edit::{self, EditError, Splice};
use super::eval::{last_name, unparen, Bound, Env, Eval, FileId, Head, Key, Sources, Thunk};

/// The change to one file that an add or remove makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    pub path: PathBuf,
    pub original: String,
    pub changed: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Builder {
    /// `mkShell`, `mkShellNoCC`, numtide devshell's `mkShell`, and a devenv module's set.
    MkShell,
    /// `haskellPackages.shellFor`: its `packages` selects Haskell packages, not tools.
    ShellFor,
    /// `devenv.lib.mkShell { modules = [ ... ]; }`.
    Devenv,
}

impl Builder {
    fn list_attrs(self) -> &'static [&'static str] {
        match self {
            Builder::MkShell => &["packages", "nativeBuildInputs", "buildInputs"],
            Builder::ShellFor => &["nativeBuildInputs", "buildInputs"],
            Builder::Devenv => &[],
        }
    }
}

/// A shell builder call and its argument set.
struct ShellCall {
    builder: Builder,
    set: ast::AttrSet,
    /// The scope of the set's values.
    env: Env,
    file: FileId,
    shared: bool,
    /// How the builder is written (`pkgs.mkShell`), for the package set's name.
    head: Thunk,
}

/// A literal list reached from one of the shell's package attributes.
struct ListHit {
    list: ast::List,
    thunk: Thunk,
    /// Owned by this shell alone and not conditional: the place for an insertion.
    editable: bool,
}

/// How a package is written at a place.
enum Spelling {
    Bare,
    Qualified(String),
    /// A callPackage'd file without `pkgs`: the package needs a formal argument too.
    Formal(ast::Pattern),
}

struct Found<'e> {
    eval: &'e Eval<'e>,
    call: ShellCall,
    hits: Vec<ListHit>,
    singles: Vec<Thunk>,
    /// `FILE:LINE` of the shell, for messages.
    at: String,
    shell: String,
    package: String,
}

fn location(sources: &Sources, file: FileId, offset: usize) -> String {
    let loaded = sources.file(file);
    let line = loaded.text[..offset.min(loaded.text.len())]
        .matches('\n')
        .count()
        + 1;
    let base = sources.file(0).path.parent().map(|p| p.to_path_buf());
    let name = match &base {
        Some(base) => loaded
            .path
            .strip_prefix(base)
            .unwrap_or(&loaded.path)
            .display()
            .to_string(),
        None => loaded.path.display().to_string(),
    };
    format!("{name}:{line}")
}

fn qualified(package: &str) -> String {
    format!("pkgs.{package}")
}

fn parse_error(sources: &Sources, file: FileId) -> Option<EditError> {
    let loaded = sources.file(file);
    let error = loaded.error.as_ref()?;
    let name = loaded
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Some(EditError::Parse(format!("{name}:{error}")))
}

/// The expression of the dev shell `shell`: `devShells.<system>.NAME`, or for `default` also the
/// legacy `devShell.<system>`.
fn locate(eval: &Eval, shell: &str) -> Option<Thunk> {
    let top = eval.file_thunk(0, false)?;
    let outputs = eval.find(&top, &[Key::Name("outputs".into())])?;
    let body = match eval.whnf(&outputs)? {
        Head::Lambda {
            lambda,
            env,
            file,
            shared,
        } => {
            // `self` is the outputs themselves: `devShell = self.devShells.${system}.default`.
            let open = eval.open_lambda(&lambda, &env, file, shared)?;
            let env = open.env.bind("self", open.clone());
            Thunk { env, ..open }
        }
        _ => outputs,
    };
    let name = |n: &str| Key::Name(n.to_string());
    eval.find(&body, &[name("devShells"), Key::System, name(shell)])
        .or_else(|| {
            (shell == "default")
                .then(|| eval.find(&body, &[name("devShell"), Key::System]))
                .flatten()
        })
}

/// The builder call behind a shell expression.
fn analyze(eval: &Eval, thunk: &Thunk, depth: u32) -> Option<ShellCall> {
    if depth > 4 {
        return None;
    }
    let Head::Apply { head, args } = eval.whnf(thunk)? else {
        return None;
    };
    let names: Vec<Option<String>> = match unparen(head.expr.clone()) {
        ast::Expr::Select(sel) => {
            let mut names = vec![last_name(&sel.expr()?)];
            names.extend(super::eval::path_keys(&sel.attrpath()?));
            names
        }
        other => vec![last_name(&other)],
    };
    let last = names.last().cloned().flatten().unwrap_or_default();
    let before_last = names
        .len()
        .checked_sub(2)
        .and_then(|i| names[i].clone())
        .unwrap_or_default();
    let is_mkshell = |n: &str| n == "mkShell" || n == "mkShellNoCC";
    let (builder, set_arg) = match last.as_str() {
        n if is_mkshell(n) && args.len() == 1 => (Builder::MkShell, &args[0]),
        "override" if is_mkshell(&before_last) && args.len() == 2 => (Builder::MkShell, &args[1]),
        "shellFor" if args.len() == 1 => (Builder::ShellFor, &args[0]),
        "overrideAttrs" => {
            let ast::Expr::Select(sel) = unparen(head.expr.clone()) else {
                return None;
            };
            return analyze(eval, &head.child(sel.expr()?), depth + 1);
        }
        _ => return None,
    };
    let Head::Set {
        node,
        prefix,
        env,
        file,
        shared,
        ..
    } = eval.whnf(set_arg)?
    else {
        return None;
    };
    let set = ast::AttrSet::cast(node).filter(|_| prefix.is_empty())?;
    let has_modules = set.attrpath_values().any(|kv| attr_is(&kv, "modules"));
    Some(ShellCall {
        builder: if builder == Builder::MkShell && has_modules {
            Builder::Devenv
        } else {
            builder
        },
        set,
        env,
        file,
        shared,
        head,
    })
}

fn attr_is(kv: &ast::AttrpathValue, name: &str) -> bool {
    kv.attrpath()
        .map(|p| super::eval::path_keys(&p))
        .is_some_and(|keys| keys.len() == 1 && keys[0].as_deref() == Some(name))
}

/// devenv: the first module file in `modules` whose set has `packages`.
fn devenv_module(eval: &Eval, call: &ShellCall) -> Option<ShellCall> {
    let kv = call
        .set
        .attrpath_values()
        .find(|kv| attr_is(kv, "modules"))?;
    let ast::Expr::List(list) = unparen(kv.value()?) else {
        return None;
    };
    for item in list.items() {
        let ast::Expr::PathRel(path) = unparen(item) else {
            continue;
        };
        let Some(file) = eval
            .sources
            .load(call.file, &path.syntax().text().to_string())
        else {
            continue;
        };
        let Some(top) = eval.file_thunk(file, call.shared) else {
            continue;
        };
        let body = match eval.whnf(&top) {
            Some(Head::Lambda {
                lambda,
                env,
                file,
                shared,
            }) => eval.open_lambda(&lambda, &env, file, shared),
            _ => Some(top),
        };
        let Some(Head::Set {
            node,
            prefix,
            env,
            file,
            shared,
            ..
        }) = body.and_then(|b| eval.whnf(&b))
        else {
            continue;
        };
        let Some(set) = ast::AttrSet::cast(node).filter(|_| prefix.is_empty()) else {
            continue;
        };
        if set.attrpath_values().any(|kv| attr_is(&kv, "packages")) {
            return Some(ShellCall {
                builder: Builder::MkShell,
                set,
                env,
                file,
                shared,
                head: call.head.clone(),
            });
        }
    }
    None
}

impl<'e> Found<'e> {
    fn new(eval: &'e Eval<'e>, shell: &str, package: &str) -> Result<Self, EditError> {
        let sources = eval.sources;
        let no_shell = |why: String| EditError::Unsafe {
            why,
            snippet: format!(
                "    devShells.${{system}}.{shell} = pkgs.mkShell {{ packages = [ {} ]; }};",
                qualified(package)
            ),
        };
        let Some(thunk) = locate(eval, shell) else {
            return Err(no_shell(format!(
                "flake.nix has no dev shell `{shell}` that can be read without evaluating \
                 (`devShells.<system>.{shell}`{})",
                if shell == "default" {
                    " or `devShell.<system>`"
                } else {
                    ""
                }
            )));
        };
        if let Some(err) = parse_error(sources, thunk.file) {
            return Err(err);
        }
        let at = location(
            sources,
            thunk.file,
            usize::from(thunk.expr.syntax().text_range().start()),
        );
        let snippet = format!("    packages = [ {} ];", qualified(package));
        let mut call = analyze(eval, &thunk, 0).ok_or_else(|| EditError::Unsafe {
            why: format!(
                "the `{shell}` dev shell at {at} is not a mkShell, mkShellNoCC or shellFor call \
                 with an attribute set"
            ),
            snippet: snippet.clone(),
        })?;
        if let Some(err) = parse_error(sources, call.file) {
            return Err(err);
        }
        if call.builder == Builder::Devenv {
            call = devenv_module(eval, &call).ok_or_else(|| EditError::Unsafe {
                why: format!("the `{shell}` dev shell at {at} is a devenv shell; add the package to `packages` in one of its modules"),
                snippet: snippet.clone(),
            })?;
        }
        let mut found = Found {
            eval,
            call,
            hits: Vec::new(),
            singles: Vec::new(),
            at,
            shell: shell.to_string(),
            package: package.to_string(),
        };
        found.collect_lists();
        found.check_budget()?;
        Ok(found)
    }

    fn collect_lists(&mut self) {
        let call = &self.call;
        let mut walker = Walker {
            eval: self.eval,
            hits: Vec::new(),
            singles: Vec::new(),
        };
        for attr in call.builder.list_attrs() {
            for entry in call.set.entries() {
                match entry {
                    ast::Entry::AttrpathValue(kv) if attr_is(&kv, attr) => {
                        if let Some(value) = kv.value() {
                            let thunk = Thunk {
                                expr: value,
                                env: call.env.clone(),
                                file: call.file,
                                shared: call.shared,
                            };
                            walker.walk(&thunk, true, 0);
                        }
                    }
                    ast::Entry::Inherit(inherit)
                        if inherit.from().is_none()
                            && inherit.attrs().any(|a| {
                                crate::nixpkgs::syntax::attr_name(&a).as_deref() == Some(attr)
                            }) =>
                    {
                        if let Bound::Value(t) = self.eval.lookup(&call.env, attr) {
                            walker.walk(&t, false, 0);
                        }
                    }
                    _ => {}
                }
            }
        }
        self.hits = walker.hits;
        self.singles = walker.singles;
    }

    /// Refuses when the evaluator ran out of its work limit: a missed "already" would duplicate.
    fn check_budget(&self) -> Result<(), EditError> {
        if self.eval.exhausted() {
            return Err(EditError::Unsafe {
                why: format!(
                    "the `{}` dev shell at {} is too involved to read safely without evaluating",
                    self.shell, self.at
                ),
                snippet: format!("    packages = [ {} ];", qualified(&self.package)),
            });
        }
        Ok(())
    }

    /// Whether the shell's set binds any of its package attributes (in any form).
    fn has_list_attr(&self) -> bool {
        self.call.set.entries().any(|entry| match entry {
            ast::Entry::AttrpathValue(kv) => ["packages", "nativeBuildInputs", "buildInputs"]
                .iter()
                .any(|a| attr_is(&kv, a)),
            ast::Entry::Inherit(inherit) => inherit.attrs().any(|a| {
                matches!(
                    crate::nixpkgs::syntax::attr_name(&a).as_deref(),
                    Some("packages" | "nativeBuildInputs" | "buildInputs")
                )
            }),
        })
    }

    /// Items of every list that reaches the shell, with the list they are in.
    fn items(&self) -> Vec<(Option<usize>, Thunk)> {
        let mut items = Vec::new();
        for (i, hit) in self.hits.iter().enumerate() {
            for item in hit.list.items() {
                items.push((Some(i), hit.thunk.child(item)));
            }
        }
        items.extend(self.singles.iter().map(|t| (None, t.clone())));
        items
    }

    /// The nixpkgs attribute an item names (`jq` for `jq` under `with pkgs;` or `pkgs.jq`).
    fn package_of(&self, item: &Thunk, depth: u32) -> Option<String> {
        if depth > 6 {
            return None;
        }
        match unparen(item.expr.clone()) {
            ast::Expr::Ident(id) => {
                let name = id.ident_token()?.text().to_string();
                match self.eval.lookup(&item.env, &name) {
                    Bound::FromWith(ns) => self.eval.is_package_set(&ns, 0).then_some(name),
                    Bound::PkgsAttr(n) => Some(n),
                    Bound::Value(v) => self.package_of(&v, depth + 1),
                    Bound::Opaque | Bound::Free => None,
                }
            }
            ast::Expr::Select(sel) => {
                let keys = super::eval::path_keys(&sel.attrpath()?);
                let base = item.child(sel.expr()?);
                if let Some((i, _)) = super::eval::legacy_packages_at(&sel) {
                    let rest: Option<Vec<String>> = keys.get(i + 2..)?.iter().cloned().collect();
                    return rest.map(|r| r.join("."));
                }
                let names: Option<Vec<String>> = keys.into_iter().collect();
                let names = names?;
                if self.eval.is_package_set(&base, 0) {
                    return Some(names.join("."));
                }
                None
            }
            _ => None,
        }
    }

    fn contains(&self, package: &str) -> Option<(Option<usize>, Thunk)> {
        self.items()
            .into_iter()
            .find(|(_, item)| self.package_of(item, 0).as_deref() == Some(package))
    }

    /// How `package` is written inside `thunk`'s scope.
    fn spelling(&self, env: &Env, package: &str) -> Option<Spelling> {
        let first = package.split('.').next().unwrap_or(package);
        match self.eval.lookup(env, first) {
            Bound::FromWith(ns) if self.eval.is_package_set(&ns, 0) || self.builder_from(&ns) => {
                return Some(Spelling::Bare)
            }
            Bound::PkgsAttr(n) if n == first => return Some(Spelling::Bare),
            _ => {}
        }
        match self.eval.lookup(env, "pkgs") {
            Bound::Value(v) if self.eval.is_package_set(&v, 0) => {
                return Some(Spelling::Qualified("pkgs".into()))
            }
            Bound::Opaque | Bound::PkgsAttr(_) => return Some(Spelling::Qualified("pkgs".into())),
            _ => {}
        }
        // `pkgs'.mkShell`: the set the builder comes from.
        if let ast::Expr::Select(sel) = unparen(self.call.head.expr.clone()) {
            if let Some(ast::Expr::Ident(id)) = sel.expr().map(unparen) {
                let base = self.call.head.child(ast::Expr::Ident(id.clone()));
                let name = id.ident_token()?.text().to_string();
                let visible = matches!(
                    self.eval.lookup(env, &name),
                    Bound::Value(_) | Bound::Opaque
                );
                if visible && self.eval.is_package_set(&base, 0) {
                    return Some(Spelling::Qualified(name));
                }
                // `nixpkgs.legacyPackages.${system}.mkShell`: that same prefix.
                let at = super::eval::legacy_packages_at(&sel);
                if visible && at.is_some_and(|(i, keys)| keys.len() == i + 3) {
                    let text = sel.syntax().text().to_string();
                    if let Some((prefix, _)) = text.rsplit_once('.') {
                        return Some(Spelling::Qualified(prefix.to_string()));
                    }
                }
            }
        }
        if !env.in_callpackage() {
            return None;
        }
        self.callpackage_pattern().map(Spelling::Formal)
    }

    /// `with X; mkShell { ... }`: X provides the builder, so it is the package set.
    fn builder_from(&self, ns: &Thunk) -> bool {
        let ast::Expr::Ident(id) = unparen(self.call.head.expr.clone()) else {
            return false;
        };
        let Some(name) = id.ident_token().map(|t| t.text().to_string()) else {
            return false;
        };
        match self.eval.lookup(&self.call.head.env, &name) {
            Bound::FromWith(w) => w.expr.syntax() == ns.expr.syntax(),
            _ => false,
        }
    }

    /// The argument set of a callPackage-style file the shell is written in (`{ mkShell, git }:`).
    fn callpackage_pattern(&self) -> Option<ast::Pattern> {
        if self.call.file == 0 {
            return None;
        }
        let root = self.eval.sources.file(self.call.file).root.expr()?;
        let ast::Expr::Lambda(lambda) = unparen(root) else {
            return None;
        };
        let ast::Param::Pattern(pattern) = lambda.param()? else {
            return None;
        };
        let mk_shell_formal = pattern.pat_entries().any(|e| {
            e.ident()
                .and_then(|i| i.ident_token())
                .is_some_and(|t| t.text() == "mkShell" || t.text() == "mkShellNoCC")
        });
        mk_shell_formal.then_some(pattern)
    }
}

/// Follows a package attribute's value to the literal lists it is made of.
struct Walker<'e> {
    eval: &'e Eval<'e>,
    hits: Vec<ListHit>,
    singles: Vec<Thunk>,
}

impl Walker<'_> {
    fn walk(&mut self, thunk: &Thunk, editable: bool, depth: u32) {
        if depth > 16 {
            return;
        }
        match unparen(thunk.expr.clone()) {
            ast::Expr::List(list) => self.hits.push(ListHit {
                list,
                thunk: thunk.clone(),
                editable: editable && !thunk.shared,
            }),
            ast::Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Concat) => {
                if let (Some(l), Some(r)) = (op.lhs(), op.rhs()) {
                    self.walk(&thunk.child(l), editable, depth + 1);
                    self.walk(&thunk.child(r), editable, depth + 1);
                }
            }
            ast::Expr::With(_) | ast::Expr::LetIn(_) => {
                // The body, read in the scope the `with` or `let` adds.
                if let Some(Head::List(list)) = self.eval.whnf(thunk) {
                    self.walk(&list, editable, depth + 1);
                } else if let Some(Head::Other(t)) = self.eval.whnf(thunk) {
                    if t.expr.syntax() != thunk.expr.syntax() {
                        self.walk(&t, editable, depth + 1);
                    }
                }
            }
            ast::Expr::Ident(id) => {
                let Some(name) = id.ident_token().map(|t| t.text().to_string()) else {
                    return;
                };
                if let Bound::Value(v) = self.eval.lookup(&thunk.env, &name) {
                    self.walk(&v, editable, depth + 1);
                }
            }
            ast::Expr::IfElse(ifelse) => {
                for branch in [ifelse.body(), ifelse.else_body()].into_iter().flatten() {
                    self.walk(&thunk.child(branch), false, depth + 1);
                }
            }
            ast::Expr::Apply(apply) => {
                let Some((head, args)) = super::eval::flatten_apply(&apply) else {
                    return;
                };
                match last_name(&head).as_deref() {
                    Some("optionals") => {
                        if let Some(list) = args.last() {
                            self.walk(&thunk.child(list.clone()), false, depth + 1);
                        }
                    }
                    Some("optional") => {
                        if let Some(item) = args.last() {
                            self.singles.push(thunk.child(item.clone()));
                        }
                    }
                    _ => self.walk_reduced(thunk, depth),
                }
            }
            ast::Expr::Select(_) => self.walk_reduced(thunk, depth),
            _ => {}
        }
    }

    /// A function call or selection whose value can be followed: read, never edited.
    fn walk_reduced(&mut self, thunk: &Thunk, depth: u32) {
        match self.eval.whnf(thunk) {
            Some(Head::List(list)) => self.walk(&list, false, depth + 1),
            Some(Head::Other(t)) if t.expr.syntax() != thunk.expr.syntax() => {
                self.walk(&t, false, depth + 1)
            }
            _ => {}
        }
    }
}

fn sources_edit(
    sources: &Sources,
    file: FileId,
    splices: Vec<Splice>,
) -> Result<FileEdit, EditError> {
    let loaded = sources.file(file);
    let changed = edit::apply(&loaded.text, splices)?;
    Ok(FileEdit {
        path: loaded.path.clone(),
        original: loaded.text.clone(),
        changed,
    })
}

/// Adds `package` to the dev shell `shell`.
pub fn plan_add(sources: &Sources, shell: &str, package: &str) -> Result<FileEdit, EditError> {
    if let Some(err) = parse_error(sources, 0) {
        return Err(err);
    }
    let eval = Eval::new(sources);
    let found = Found::new(&eval, shell, package)?;
    let present = found.contains(package).is_some();
    found.check_budget()?;
    if present {
        return Err(EditError::AlreadyPresent {
            package: package.to_string(),
            shell: shell.to_string(),
        });
    }
    let text = sources.file(found.call.file).text.clone();
    if let Some(hit) = found.hits.iter().find(|h| h.editable) {
        let at = location(
            sources,
            hit.thunk.file,
            usize::from(hit.list.syntax().text_range().start()),
        );
        let refuse = |why: String| EditError::Unsafe {
            why,
            snippet: format!("    {}", qualified(package)),
        };
        let spelled = match found.spelling(&hit.thunk.env, package) {
            Some(Spelling::Bare) => package.to_string(),
            Some(Spelling::Qualified(set)) => format!("{set}.{package}"),
            Some(Spelling::Formal(pattern)) => {
                let mut splices = vec![edit::list_insertion(&text, &hit.list, package)
                    .ok_or_else(|| refuse(format!("the list at {at} is not closed")))?];
                splices.push(edit::formal_insertion(&text, &pattern, package).ok_or_else(
                    || {
                        refuse(format!(
                            "the list at {at} needs a `{package}` argument that cannot be placed"
                        ))
                    },
                )?);
                return sources_edit(sources, hit.thunk.file, splices);
            }
            None => {
                return Err(refuse(format!(
                    "no package set is in scope at the list at {at}; add it to that list by hand"
                )))
            }
        };
        let splice = edit::list_insertion(&text, &hit.list, &spelled)
            .ok_or_else(|| refuse(format!("the list at {at} is not closed")))?;
        return sources_edit(sources, hit.thunk.file, vec![splice]);
    }
    let snippet_attr = if found.call.builder == Builder::ShellFor {
        "nativeBuildInputs"
    } else {
        "packages"
    };
    let spelled = match found.spelling(&found.call.env, package) {
        Some(Spelling::Bare) => package.to_string(),
        Some(Spelling::Qualified(set)) => format!("{set}.{package}"),
        _ => qualified(package),
    };
    let snippet = format!("    {snippet_attr} = [ {spelled} ];");
    if found.call.builder == Builder::MkShell && !found.has_list_attr() && !found.call.shared {
        let splice = edit::binding_insertion(
            &text,
            &found.call.set,
            &format!("packages = [ {spelled} ];"),
        )
        .ok_or_else(|| EditError::Unsafe {
            why: format!(
                "the `{shell}` dev shell at {} is written on one line",
                found.at
            ),
            snippet: snippet.clone(),
        })?;
        return sources_edit(sources, found.call.file, vec![splice]);
    }
    let why = if found.hits.is_empty() {
        format!(
            "the `{shell}` dev shell at {} has no package list that can be extended in place",
            found.at
        )
    } else {
        let places: Vec<String> = found
            .hits
            .iter()
            .map(|h| {
                location(
                    sources,
                    h.thunk.file,
                    usize::from(h.list.syntax().text_range().start()),
                )
            })
            .collect();
        format!(
            "the package lists of the `{shell}` dev shell ({}) are shared with other shells or \
             packages, or conditional",
            places.join(", ")
        )
    };
    Err(EditError::Unsafe { why, snippet })
}

/// Removes `package` from the dev shell `shell`.
pub fn plan_remove(sources: &Sources, shell: &str, package: &str) -> Result<FileEdit, EditError> {
    if let Some(err) = parse_error(sources, 0) {
        return Err(err);
    }
    let eval = Eval::new(sources);
    let found = Found::new(&eval, shell, package)?;
    let present = found.contains(package);
    found.check_budget()?;
    let Some((Some(index), item)) = present else {
        let has: Vec<String> = found
            .items()
            .iter()
            .filter_map(|(_, item)| found.package_of(item, 0))
            .collect();
        return Err(EditError::NotPresent {
            package: package.to_string(),
            shell: shell.to_string(),
            has: if has.is_empty() {
                "none".into()
            } else {
                has.join(", ")
            },
        });
    };
    let hit = &found.hits[index];
    let at = location(
        sources,
        hit.thunk.file,
        usize::from(hit.list.syntax().text_range().start()),
    );
    if !hit.editable {
        return Err(EditError::Unsafe {
            why: format!(
                "`{package}` comes from the list at {at}, which is shared with other shells or \
                 packages, or conditional; remove it there by hand"
            ),
            snippet: String::new(),
        });
    }
    let text = sources.file(hit.thunk.file).text.clone();
    let mut splices = vec![edit::item_removal(&text, &hit.list, &item.expr)];
    // The inverse of an add that also gave a callPackage'd file a formal argument.
    if let Some(pattern) = found
        .callpackage_pattern()
        .filter(|_| item.env.in_callpackage())
    {
        if let Some(splice) = edit::formal_removal(&text, &pattern, package, &item.expr) {
            splices.push(splice);
        }
    }
    sources_edit(sources, hit.thunk.file, splices)
}

/// Adds `package` to the dev shell `shell` of a flake.nix given as text (imports are not followed).
pub fn add_package(source: &str, shell: &str, package: &str) -> Result<String, EditError> {
    let sources = Sources::new("flake.nix".into(), source.to_string(), None);
    plan_add(&sources, shell, package).map(|e| e.changed)
}

/// Removes `package` from the dev shell `shell` of a flake.nix given as text.
pub fn remove_package(source: &str, shell: &str, package: &str) -> Result<String, EditError> {
    let sources = Sources::new("flake.nix".into(), source.to_string(), None);
    plan_remove(&sources, shell, package).map(|e| e.changed)
}

#[cfg(test)]
mod tests {
    use super::{add_package, remove_package};
    use crate::flake::edit::EditError;

    /// A flake whose outputs are `BODY`, with `pkgs` bound for one system.
    fn flake(body: &str) -> String {
        format!(
            "{{\n  outputs = {{ self, nixpkgs }}:\n    let pkgs = nixpkgs.legacyPackages.x86_64-linux; in {{\n{body}\n    }};\n}}\n"
        )
    }

    fn added(body: &str) -> String {
        let text = flake(body);
        let out = add_package(&text, "default", "jq").unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(remove_package(&out, "default", "jq").unwrap(), text);
        out
    }

    #[test]
    fn builders_people_use() {
        let out = added("      devShells.x86_64-linux.default = pkgs.mkShell.override { stdenv = pkgs.clangStdenv; } {\n        packages = [ pkgs.git ];\n      };");
        assert!(out.contains("[ pkgs.git pkgs.jq ]"), "{out}");
        let out = added("      devShells.x86_64-linux.default = (pkgs.mkShell {\n        nativeBuildInputs = with pkgs; [ git ];\n      }).overrideAttrs (old: { });");
        assert!(out.contains("with pkgs; [ git jq ]"), "{out}");
        let out = added("      devShell.x86_64-linux = pkgs.haskellPackages.shellFor {\n        packages = p: [ p.foo ];\n        nativeBuildInputs = [ pkgs.cabal-install ];\n      };");
        assert!(out.contains("[ pkgs.cabal-install pkgs.jq ]"), "{out}");
        let err = add_package(
            &flake("      devShell.x86_64-linux = pkgs.haskellPackages.shellFor {\n        packages = p: [ p.foo ];\n      };"),
            "default",
            "jq",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("nativeBuildInputs = [ pkgs.jq ];"),
            "{err}"
        );
    }

    #[test]
    fn per_system_helpers_and_scopes() {
        let out = added("      devShells = nixpkgs.lib.genAttrs [ \"x86_64-linux\" ] (system: {\n        default = pkgs.mkShell {\n          buildInputs = with pkgs.rust-bin; [ stable.latest.default ];\n        };\n      });");
        assert!(out.contains("[ stable.latest.default pkgs.jq ]"), "{out}");
        // A let-bound helper that hands over the package set: followed through its body.
        let text = flake("      devShells = forEach (p: { default = p.mkShell { packages = with p; [\n        git\n      ]; }; });").replace(
            "in {",
            "forEach = f: nixpkgs.lib.genAttrs [ \"x86_64-linux\" ] (s: f nixpkgs.legacyPackages.${s}); in {",
        );
        let out = add_package(&text, "default", "jq").unwrap();
        assert_eq!(remove_package(&out, "default", "jq").unwrap(), text);
        assert!(out.contains("        git\n        jq\n"), "{out}");
    }

    #[test]
    fn lists_that_are_not_the_shells_own() {
        // A script's runtimeInputs does not put jq on the shell's PATH.
        let out = added("      devShells.x86_64-linux.default = let s = pkgs.writeShellApplication { name = \"s\"; runtimeInputs = [ pkgs.jq ]; text = \"\"; }; in pkgs.mkShell {\n        packages = [ s ];\n      };");
        assert!(out.contains("[ s pkgs.jq ]"), "{out}");
        // A let-bound list shared with a package is not edited; the shell's own list is.
        let body = "      tools = [ pkgs.git ];\n      packages.x86_64-linux.default = pkgs.hello.overrideAttrs { buildInputs = tools; };\n      devShells.x86_64-linux.default = pkgs.mkShell {\n        packages = tools;\n      };";
        let body = body.replace("      tools = [ pkgs.git ];\n", "");
        let text = flake(&body).replace(
            "let pkgs = nixpkgs.legacyPackages.x86_64-linux; in",
            "let pkgs = nixpkgs.legacyPackages.x86_64-linux; tools = [ pkgs.git ]; in",
        );
        let err = add_package(&text, "default", "jq").unwrap_err();
        assert!(matches!(err, EditError::Unsafe { .. }), "{err}");
        // Already there through that shared list.
        assert!(matches!(
            add_package(&text, "default", "git"),
            Err(EditError::AlreadyPresent { .. })
        ));
    }

    #[test]
    fn a_shell_without_a_list_gets_one_that_remove_takes_back() {
        let out = added("      devShells.x86_64-linux.default = pkgs.mkShell {\n        inputsFrom = [ pkgs.hello ];\n      };");
        assert!(
            out.contains("        packages = [ pkgs.jq ];\n        inputsFrom"),
            "{out}"
        );
    }

    fn round_trip(text: &str) -> String {
        let out = add_package(text, "default", "jq").unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(matches!(
            add_package(&out, "default", "jq"),
            Err(EditError::AlreadyPresent { .. })
        ));
        assert_eq!(remove_package(&out, "default", "jq").unwrap(), text);
        out
    }

    #[test]
    fn frameworks() {
        let parts = "{\n  outputs = inputs@{ flake-parts, ... }:\n    flake-parts.lib.mkFlake { inherit inputs; } {\n      systems = [ \"x86_64-linux\" ];\n      perSystem = { pkgs, ... }: {\n        devShells.default = pkgs.mkShellNoCC {\n          packages = [ pkgs.git ];\n        };\n      };\n    };\n}\n";
        assert!(round_trip(parts).contains("[ pkgs.git pkgs.jq ]"));
        let utils = "{\n  outputs = { self, nixpkgs, flake-utils }:\n    flake-utils.lib.eachDefaultSystem (system:\n      let\n        pkgs = import nixpkgs { inherit system; };\n        shell = pkgs.mkShell {\n          buildInputs = with pkgs; [\n            git\n          ];\n        };\n      in {\n        devShell = shell;\n        devShells.ci = shell;\n      });\n}\n";
        assert!(round_trip(utils).contains("            git\n            jq\n"));
        let numtide = "{\n  outputs = { self, nixpkgs, devshell }: let pkgs = nixpkgs.legacyPackages.x86_64-linux; in {\n    devShells.x86_64-linux.default = devshell.legacyPackages.x86_64-linux.mkShell {\n      commands = [ { package = pkgs.hello; } ];\n      packages = [ pkgs.git ];\n    };\n  };\n}\n";
        assert!(round_trip(numtide).contains("[ pkgs.git pkgs.jq ]"));
    }
}
