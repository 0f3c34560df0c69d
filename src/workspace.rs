//! What nixbench is looking at: the user's project or the embedded demo, the Nix it found, and where
//! nixpkgs comes from. Also the (blocking) loaders the app runs in background tasks.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::config::Dirs;
use crate::graph::source::SourceError;
use crate::graph::{CompareError, Graph};
use crate::nix::{NixError, NixStatus};
use crate::nixpkgs::file_results::FileResults;
use crate::nixpkgs::{EntryKind, Index};
use crate::project::{self, NixpkgsSearch, NixpkgsSource, Project};

/// Why something the app or the CLI loads in the background could not be loaded. Views and the
/// CLI choose a hint and an exit code by variant.
#[derive(Debug, Error)]
pub enum LoadError {
    /// Nix is needed and missing, or it ran and failed.
    #[error(transparent)]
    Nix(#[from] NixError),
    /// A closure or derivation graph could not be read or asked from Nix.
    #[error(transparent)]
    Graph(#[from] SourceError),
    /// The comparison with another closure could not be made.
    #[error(transparent)]
    Compare(#[from] CompareError),
    /// There is no nixpkgs to index; the text says where nixbench looked and what to do.
    #[error("{explanation}")]
    NoNixpkgs { explanation: String },
    /// The runtime closure is that of `./result`, and there is none.
    #[error("no ./result in {}: build the project first (`nixbench build` or `nix build`), then reopen nixbench.", root.display())]
    NoResult { root: PathBuf },
    #[error("could not read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// flake.lock does not say enough to fetch the nixpkgs it pins.
    #[error("flake.lock does not say how to fetch it")]
    NoFetchCommand,
    /// The fetch of the pinned nixpkgs failed; Nix's last words.
    #[error("{message}")]
    Fetch { message: String },
    /// The fetch ended but the pinned revision is still not in the store.
    #[error("the fetch finished but the locked revision is still not in the store")]
    StillMissing,
}

#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    pub demo: bool,
    pub nixpkgs: Option<PathBuf>,
    pub directory: PathBuf,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The user's project.
    Project,
    /// The embedded demo, and why it was opened.
    Demo { reason: String },
}

#[derive(Clone, Debug)]
pub struct Workspace {
    pub mode: Mode,
    /// Project root (for the demo: the materialized demo project).
    pub root: PathBuf,
    pub project: Option<Project>,
    pub nixpkgs: NixpkgsSearch,
    pub nix: NixStatus,
    /// The materialized demo directory, when in demo mode.
    pub demo_dir: Option<PathBuf>,
    /// Where indexes are cached.
    pub cache_dir: PathBuf,
}

impl Workspace {
    /// Finds the project, Nix and nixpkgs; falls back to the demo when there is no project or no Nix.
    /// Blocking, but quick (one `nix --version`).
    pub fn open(options: &OpenOptions, dirs: &Dirs) -> Self {
        Self::open_with(options, dirs, true)
    }

    /// Like [`Workspace::open`], for commands that only read nixpkgs (`search`, `doc`): skips asking
    /// Nix for its version, which costs a process start, and so never falls back to the demo just
    /// because Nix is missing.
    pub fn open_for_index(options: &OpenOptions, dirs: &Dirs) -> Self {
        Self::open_with(options, dirs, false)
    }

    /// Like [`Workspace::open`] for `nixbench index`: Nix's version comes from the cache when the
    /// binary is unchanged, so re-indexing starts no process to learn it.
    pub fn open_for_indexing(options: &OpenOptions, dirs: &Dirs) -> Self {
        let nix = NixStatus::from_detection(crate::nix::detect_cached(&dirs.cache));
        Self::open_detected(options, dirs, true, nix)
    }

    fn open_with(options: &OpenOptions, dirs: &Dirs, detect_nix: bool) -> Self {
        let nix = if detect_nix {
            NixStatus::from_detection(crate::nix::detect())
        } else {
            NixStatus::NotChecked
        };
        Self::open_detected(options, dirs, detect_nix, nix)
    }

    fn open_detected(options: &OpenOptions, dirs: &Dirs, detect_nix: bool, nix: NixStatus) -> Self {
        let project = project::find_project(&options.directory);
        let reason = if options.demo {
            Some("--demo".to_string())
        } else if project.is_none() {
            Some(format!(
                "no flake.nix, default.nix or shell.nix in {} or its parents",
                options.directory.display()
            ))
        } else if detect_nix && nix.info().is_none() {
            Some("nix is not installed".to_string())
        } else {
            None
        };
        match reason {
            None => {
                let project = project.expect("checked above");
                let nixpkgs = project::find_nixpkgs(
                    options.nixpkgs.as_deref(),
                    Some(&project),
                    &project::Environment::from_process(),
                );
                Self {
                    mode: Mode::Project,
                    root: project.root.clone(),
                    project: Some(project),
                    nixpkgs,
                    nix,
                    demo_dir: None,
                    cache_dir: dirs.cache.clone(),
                }
            }
            Some(reason) => Self::demo(reason, options, dirs, nix),
        }
    }

    fn demo(reason: String, options: &OpenOptions, dirs: &Dirs, nix: NixStatus) -> Self {
        let demo_dir = crate::demo::materialize(&dirs.cache)
            .or_else(|_| crate::demo::materialize(&std::env::temp_dir().join("nixbench")))
            .ok();
        let root = demo_dir
            .as_ref()
            .map(|d| d.join("project"))
            .unwrap_or_else(|| options.directory.clone());
        let nixpkgs = match (&options.nixpkgs, &demo_dir) {
            (Some(path), _) => {
                project::find_nixpkgs(Some(path), None, &project::Environment::default())
            }
            (None, Some(dir)) => NixpkgsSearch {
                found: Some(NixpkgsSource::Demo {
                    path: dir.join("nixpkgs"),
                }),
                looked: vec!["embedded demo".into()],
                missing: None,
            },
            (None, None) => NixpkgsSearch::default(),
        };
        Self {
            mode: Mode::Demo { reason },
            project: Some(Project {
                root: root.clone(),
                entry: project::EntryKind::Flake,
            }),
            root,
            nixpkgs,
            nix,
            demo_dir,
            cache_dir: dirs.cache.clone(),
        }
    }

    /// The local nixpkgs tree in use, when there is one.
    pub fn nixpkgs_root(&self) -> Option<PathBuf> {
        self.nixpkgs
            .found
            .as_ref()
            .and_then(|s| s.path())
            .map(PathBuf::from)
    }

    pub fn is_demo(&self) -> bool {
        matches!(self.mode, Mode::Demo { .. })
    }

    pub fn flake_nix(&self) -> Option<PathBuf> {
        self.project.as_ref().and_then(Project::flake_nix)
    }
}

/// Where the index for this workspace is cached. The key covers the tree's identity, the recorded
/// demo packages, and this nixbench's version (its indexer and embedded docs). The installed Nix's
/// builtins are not part of the key, so commands that never start Nix (`search`, `doc`) find the
/// cache too; `nixbench index` rebuilds it with them.
pub fn index_cache_path(workspace: &Workspace, root: &Path) -> PathBuf {
    index_cache_path_for(workspace, &crate::nixpkgs::cache::identity(root))
}

/// [`index_cache_path`] for an identity already worked out (a plain tree's costs a pass over it).
pub fn index_cache_path_for(
    workspace: &Workspace,
    identity: &crate::nixpkgs::cache::Identity,
) -> PathBuf {
    let mut key = identity.key.clone();
    if workspace.demo_dir.is_some()
        && matches!(workspace.nixpkgs.found, Some(NixpkgsSource::Demo { .. }))
    {
        key.push_str("|demo-recorded");
    }
    key.push_str(concat!("|nixbench-", env!("CARGO_PKG_VERSION")));
    crate::nixpkgs::cache::path_for_key(&workspace.cache_dir, &key)
}

/// Where the per-file results of the last index of the tree at `root` are kept (by the tree's
/// path: its identity is what changes between two indexes).
pub fn file_results_path(workspace: &Workspace, root: &Path) -> PathBuf {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let key = format!(
        "files:{}|nixbench-{}",
        root.display(),
        env!("CARGO_PKG_VERSION")
    );
    let index_path = crate::nixpkgs::cache::path_for_key(&workspace.cache_dir, &key);
    index_path.with_file_name(
        index_path
            .file_name()
            .map(|n| n.to_string_lossy().replacen("index-", "files-", 1))
            .unwrap_or_default(),
    )
}

/// A built index, and how many package files were read for it (the others were unchanged since
/// the last index and their recorded results used).
pub struct BuiltIndex {
    pub index: Index,
    pub files_read: usize,
}

/// Builds the package/function index for a nixpkgs source: static parse of the tree, the recorded
/// evaluation for the demo, and builtins (the installed Nix's, with the embedded docs filling in).
pub fn build_index(
    workspace: &Workspace,
    root: &Path,
    report: &(dyn Fn(usize, usize) + Sync),
) -> BuiltIndex {
    // The previous index's per-file results: only files changed since are read again.
    let previous = FileResults::load(&file_results_path(workspace, root));
    build_index_from(workspace, root, report, previous)
}

/// [`build_index`] with the previous index's per-file results already loaded.
fn build_index_from(
    workspace: &Workspace,
    root: &Path,
    report: &(dyn Fn(usize, usize) + Sync),
    previous: FileResults,
) -> BuiltIndex {
    let files_path = file_results_path(workspace, root);
    let built = crate::nixpkgs::static_index::index_tree_incremental(root, report, Some(&previous));
    if std::fs::create_dir_all(&workspace.cache_dir).is_ok() {
        let _ = crate::nixpkgs::file_results::save(&files_path, &built.files);
    }
    // Freeing 100k records costs more than the rest of a no-change re-index: done aside.
    let files = built.files;
    std::thread::spawn(move || drop((previous, files)));
    let files_read = built.files_read;
    let mut index = built.index;
    if let (Some(NixpkgsSource::Demo { .. }), Some(demo)) =
        (&workspace.nixpkgs.found, &workspace.demo_dir)
    {
        // The demo ships what `nix-env -qaP --json --meta` said about its packages.
        let recorded = demo.join(crate::demo::PACKAGES);
        if let Ok(entries) = crate::nixpkgs::evaluated::import_file(&recorded, None) {
            index.merge(entries);
        }
    }
    add_builtins(&mut index, workspace);
    index.sort();
    BuiltIndex { index, files_read }
}

/// The searchable index for the workspace's nixpkgs: opened from the cache when it is current
/// (entries stay encoded until shown), else built and cached.
pub fn load_searchable(
    workspace: &Workspace,
) -> Result<crate::nixpkgs::search::Searchable, LoadError> {
    use crate::nixpkgs::{cache, search::Searchable};
    let Some(root) = workspace
        .nixpkgs
        .found
        .as_ref()
        .and_then(NixpkgsSource::path)
    else {
        return Err(LoadError::NoNixpkgs {
            explanation: workspace.nixpkgs.explain_missing(),
        });
    };
    let path = index_cache_path(workspace, root);
    if let Some(searchable) = cache::open(&path) {
        return Ok(searchable);
    }
    let index = build_index(workspace, root, &|_, _| {}).index;
    if std::fs::create_dir_all(&workspace.cache_dir).is_ok() && cache::save(&path, &index).is_ok() {
        record_cache_source(workspace, root, &path);
    }
    Ok(Searchable::new(std::sync::Arc::new(index)))
}

/// A git checkout's cached index is current by its revision, so an uncommitted edit goes unseen
/// there; the files' stamps show it. Re-reads the package files changed since `cached` was
/// built (and lib, which is read whole each time), caches the result and returns it with how many
/// package files were read. `None` when nothing changed, the tree is no git checkout, or the last
/// index kept no per-file results.
pub fn refresh_uncommitted(
    workspace: &Workspace,
    cached: &crate::nixpkgs::search::Searchable,
) -> Option<(crate::nixpkgs::search::Searchable, usize)> {
    use crate::nixpkgs::{cache, search::Searchable};
    let root = workspace.nixpkgs_root()?;
    let identity = cache::identity(&root);
    if !identity.is_git_checkout() {
        return None;
    }
    let previous = FileResults::load(&file_results_path(workspace, &root));
    if previous.is_empty() {
        return None;
    }
    let built = build_index_from(workspace, &root, &|_, _| {}, previous);
    if built.files_read == 0 && same_lib(&built.index, cached) {
        return None;
    }
    let path = index_cache_path_for(workspace, &identity);
    if cache::save(&path, &built.index).is_ok() {
        record_cache_source(workspace, &root, &path);
    }
    Some((
        Searchable::new(std::sync::Arc::new(built.index)),
        built.files_read,
    ))
}

/// Whether the lib functions of `index` are those `cached` holds (lib files keep no stamps).
fn same_lib(index: &Index, cached: &crate::nixpkgs::search::Searchable) -> bool {
    let functions: Vec<&crate::nixpkgs::Entry> = index
        .entries
        .iter()
        .filter(|e| e.kind() == EntryKind::Function)
        .collect();
    functions.len() == cached.count(EntryKind::Function)
        && functions
            .iter()
            .all(|e| cached.get(&e.name).as_ref() == Some(*e))
}

/// Notes next to a cached index where it came from and which revision it is, so that a project
/// whose own nixpkgs is missing can still search it, labelled.
pub fn record_cache_source(workspace: &Workspace, root: &Path, cache_path: &Path) {
    let Some(source) = &workspace.nixpkgs.found else {
        return;
    };
    let revision = match source {
        NixpkgsSource::FlakeLock { rev: Some(rev), .. } => Some(rev.clone()),
        _ => tree_revision(root),
    };
    let label = format!(
        "{source}{}",
        revision
            .map(|rev| format!(", revision {rev}"))
            .unwrap_or_default()
    );
    let _ = std::fs::write(sidecar(cache_path), label);
}

fn sidecar(cache_path: &Path) -> PathBuf {
    let mut name = cache_path.as_os_str().to_owned();
    name.push(".source");
    PathBuf::from(name)
}

/// A nixpkgs tree's revision as it records it: `.git-revision` (channels and tarballs), else the
/// release in `lib/.version`.
pub fn tree_revision(root: &Path) -> Option<String> {
    let read = |file: &str| {
        std::fs::read_to_string(root.join(file))
            .ok()
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
    };
    read(".git-revision").or_else(|| read("lib/.version").map(|v| format!("release {v}")))
}

/// What stays searchable while the project's pinned nixpkgs is missing, and where each part came
/// from: another nixpkgs found on this machine (NIX_PATH, a channel) or else the newest cached
/// index of any nixpkgs, and the builtins.
pub struct Fallback {
    pub searchable: crate::nixpkgs::search::Searchable,
    pub sources: Vec<String>,
}

pub fn load_fallback(workspace: &Workspace) -> Fallback {
    use crate::nixpkgs::{cache, search::Searchable};
    let mut sources = Vec::new();
    let other = workspace
        .nixpkgs
        .found
        .as_ref()
        .and_then(NixpkgsSource::path)
        .and_then(|_| load_searchable(workspace).ok());
    let searchable = match other {
        Some(searchable) => {
            if let Some(source) = &workspace.nixpkgs.found {
                let root = source.path().map(tree_revision).unwrap_or_default();
                sources.push(format!(
                    "another nixpkgs on this machine: {source}{}",
                    root.map(|rev| format!(", revision {rev}"))
                        .unwrap_or_default()
                ));
            }
            Some(searchable)
        }
        None => newest_cached(&workspace.cache_dir).and_then(|(path, label)| {
            let searchable = cache::open(&path)?;
            sources.push(format!("cached index of {label}"));
            Some(searchable)
        }),
    };
    let searchable = searchable.unwrap_or_else(|| {
        let mut index = Index::default();
        add_builtins(&mut index, workspace);
        Searchable::new(std::sync::Arc::new(index))
    });
    sources.push(match workspace.nix.info() {
        Some(nix) => format!("builtins from the installed Nix {}", nix.version),
        None => "builtins from nixbench's own list (Nix's names and docs)".to_string(),
    });
    Fallback {
        searchable,
        sources,
    }
}

/// The most recently written cached index that says where it came from.
fn newest_cached(cache_dir: &Path) -> Option<(PathBuf, String)> {
    let entries = std::fs::read_dir(cache_dir).ok()?;
    entries
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            let index = PathBuf::from(path.to_str()?.strip_suffix(".source")?);
            let modified = entry.metadata().ok()?.modified().ok()?;
            let label = std::fs::read_to_string(&path).ok()?;
            index.is_file().then_some((modified, index, label))
        })
        .max_by_key(|(modified, ..)| *modified)
        .map(|(_, index, label)| (index, label.trim().to_string()))
}

/// A graph for the Graph tab, and where it came from (for its title).
pub struct LoadedGraph {
    pub graph: Graph,
    pub source: String,
}

/// A graph for the Graph tab, with a description of where it came from. Runtime: the demo's
/// recorded closure, or the closure of the project's `./result` (nixbench does not start a build
/// just because a tab opened). Build time: the demo's recorded derivations, or the derivation graph
/// of the project's default output (evaluation only).
pub fn load_graph(workspace: &Workspace, build_time: bool) -> Result<LoadedGraph, LoadError> {
    use crate::graph::source;
    if let Some(demo) = &workspace.demo_dir {
        let (file, what) = if build_time {
            (
                crate::demo::DERIVATIONS,
                "recorded derivations of greeter (demo)",
            )
        } else {
            (crate::demo::CLOSURE, "recorded closure of greeter (demo)")
        };
        let graph = source::from_file(&demo.join(file), build_time)?;
        return Ok(LoadedGraph {
            graph,
            source: what.to_string(),
        });
    }
    let nix = workspace.nix.require()?;
    if build_time {
        let (graph, root) = source::project_default(&nix, workspace.project.as_ref(), true)?;
        return Ok(LoadedGraph {
            graph,
            source: format!("build-time graph of {}", root.description),
        });
    }
    let result = workspace.root.join("result");
    if !result.exists() {
        return Err(LoadError::NoResult {
            root: workspace.root.clone(),
        });
    }
    let root = source::Root::from_user("./result", &workspace.root);
    let graph = source::from_nix(&nix, &root, false, &workspace.root)?;
    Ok(LoadedGraph {
        graph,
        source: format!("{}/result", workspace.root.display()),
    })
}

/// The recorded demo build log, for the Build tab of the demo.
pub fn demo_build_log(workspace: &Workspace) -> Option<PathBuf> {
    workspace
        .demo_dir
        .as_ref()
        .map(|d| d.join(crate::demo::BUILD_LOG))
        .filter(|p| p.is_file())
}

/// The builtins of the installed Nix (cached per version), then the embedded ones it lacks.
fn add_builtins(index: &mut Index, workspace: &Workspace) {
    if let Some(nix) = workspace.nix.info() {
        index.merge(crate::nixpkgs::builtins::cached_from_installed_nix(
            nix,
            &workspace.cache_dir,
        ));
    }
    index.merge(crate::nixpkgs::builtins::embedded_without_overriding(index));
}
