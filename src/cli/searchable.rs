//! What `search` and `doc` look in: the project's nixpkgs index, a `--from-json` import, or, when
//! the pinned nixpkgs is missing, what else this machine has.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use super::{Context, Failure};
use crate::nixpkgs::search::Searchable;
use crate::workspace::{self, Workspace};

/// Exit code of `search` and `doc` when the project's flake.lock pins a nixpkgs that is not in
/// the store: what else could be searched (builtins, a cached index) was, and its results printed.
pub const EXIT_NIXPKGS_MISSING: u8 = 3;

/// What `search` and `doc` look in; `partial` when the project's own nixpkgs is missing.
pub(super) struct Loaded {
    pub searchable: Searchable,
    pub partial: bool,
}

impl Loaded {
    /// Success, unless the project's nixpkgs was missing (then [`EXIT_NIXPKGS_MISSING`]).
    pub fn exit(&self, found: bool) -> ExitCode {
        match (self.partial, found) {
            (true, _) => ExitCode::from(EXIT_NIXPKGS_MISSING),
            (false, true) => ExitCode::SUCCESS,
            (false, false) => ExitCode::from(1),
        }
    }

    /// [`Loaded::exit`] as a failure with `message`, for a name that is not there.
    pub fn missing(&self, message: String) -> Failure {
        if self.partial {
            return Failure {
                code: EXIT_NIXPKGS_MISSING,
                message,
            };
        }
        Failure::not_found(message)
    }
}

pub(super) fn load(context: &Context, from_json: Option<PathBuf>) -> Result<Loaded, Failure> {
    let options = &context.options;
    // --from-json stands alone: it needs no project and no nixpkgs.
    if let Some(file) = from_json {
        return json_searchable(context, &file).map(|searchable| Loaded {
            searchable,
            partial: false,
        });
    }
    let workspace = Workspace::open_for_index(options, &context.dirs);
    if let Some(missing) = &workspace.nixpkgs.missing {
        let fallback = workspace::load_fallback(&workspace);
        eprintln!("nixbench: {}.", missing.headline());
        if let Some(command) = missing.fetch_command() {
            eprintln!("nixbench: fetch it with: {command}");
        }
        eprintln!("nixbench: searching instead (not the pinned revision):");
        for source in &fallback.sources {
            eprintln!("nixbench:   - {source}");
        }
        return Ok(Loaded {
            searchable: fallback.searchable,
            partial: true,
        });
    }
    let searchable = match workspace::load_searchable(&workspace) {
        Ok(searchable) => searchable,
        // An explicit --nixpkgs that points nowhere is a mistake to report.
        Err(error) if options.nixpkgs.is_some() => return Err(error.into()),
        // Otherwise builtins still answer; say what is missing.
        Err(error) => {
            eprintln!("nixbench: {error}\nnixbench: searching builtins only");
            Searchable::new(Arc::new(builtins_only()))
        }
    };
    Ok(Loaded {
        searchable,
        partial: false,
    })
}

/// The nixpkgs tree named by an explicit `--nixpkgs`: its workspace, its root and its cache's key.
struct ExplicitTree {
    workspace: Workspace,
    root: PathBuf,
    cache_key: String,
}

fn explicit_tree(context: &Context) -> Result<Option<ExplicitTree>, Failure> {
    if context.options.nixpkgs.is_none() {
        return Ok(None);
    }
    let workspace = Workspace::open_for_index(&context.options, &context.dirs);
    let root = workspace
        .nixpkgs_root()
        .ok_or_else(|| Failure::environment(workspace.nixpkgs.explain_missing()))?;
    let cache_key = workspace::index_cache_path(&workspace, &root)
        .display()
        .to_string();
    Ok(Some(ExplicitTree {
        workspace,
        root,
        cache_key,
    }))
}

/// `--from-json FILE`: the file's packages and the builtins, plus an explicit `--nixpkgs` tree's
/// lib and packages. It needs no project and no nixpkgs, and imports the file only when it changed
/// since the last import (its cache is checked with one `stat`).
fn json_searchable(context: &Context, file: &Path) -> Result<Searchable, Failure> {
    use crate::nixpkgs::json_cache::JsonSource;
    let tree = explicit_tree(context)?;
    let base_key = tree.as_ref().map_or("builtins", |t| t.cache_key.as_str());
    let source = JsonSource::new(file, &context.dirs.cache, base_key)?;
    if let Some((searchable, _)) = source.open_current() {
        return Ok(searchable);
    }
    let (base, root) = match &tree {
        Some(tree) => (
            workspace::load_searchable(&tree.workspace)?.to_index(),
            Some(tree.root.as_path()),
        ),
        None => (builtins_only(), None),
    };
    let index = source.build(base, root)?;
    Ok(Searchable::new(Arc::new(index)))
}

pub(super) fn builtins_only() -> crate::nixpkgs::Index {
    let mut index = crate::nixpkgs::Index::default();
    index.merge(crate::nixpkgs::builtins::embedded());
    index
}
