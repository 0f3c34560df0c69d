//! Where a graph comes from: a saved JSON file, or Nix asked about an installable (`.#foo`,
//! `nixpkgs#hello`, a store path, a `./result` link) or about the project's default output.

use std::ffi::OsString;
use std::path::Path;

use thiserror::Error;

use super::Graph;
use crate::nix::{NixError, NixInfo};
use crate::project::{EntryKind, Project};

#[derive(Debug, Error)]
pub enum SourceError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error(transparent)]
    Nix(#[from] NixError),
    #[error("{0}")]
    Load(#[from] super::load::LoadError),
    #[error("no project here (no flake.nix, default.nix or shell.nix in this directory or its parents); pass --from ROOT or --from-json FILE")]
    NoProject,
}

/// Arguments that name the root for `nix build` / `nix path-info` / `nix show-derivation`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    pub args: Vec<OsString>,
    pub description: String,
}

impl Root {
    /// What the user typed after `--from`: an existing path (store path or `./result` link) is used
    /// as a path; anything else is an installable for Nix to resolve.
    pub fn from_user(text: &str, cwd: &Path) -> Self {
        let candidate = cwd.join(text);
        let arg = match std::fs::canonicalize(&candidate) {
            Ok(resolved) if text.starts_with('.') || text.starts_with('/') => {
                resolved.display().to_string()
            }
            _ => text.to_string(),
        };
        Self {
            args: vec![arg.clone().into()],
            description: text.to_string(),
        }
    }

    /// What the user typed, read in the context of a project: in a project without flake.nix,
    /// `.#foo` means the attribute `foo` of its default.nix (or shell.nix), like `nix-build -A foo`.
    pub fn from_user_in(text: &str, cwd: &Path, project: Option<&Project>) -> Self {
        match (text.strip_prefix(".#"), project) {
            (Some(attr), Some(project)) if project.entry != EntryKind::Flake => Self {
                args: vec![
                    "-f".into(),
                    project.entry_file().into_os_string(),
                    attr.into(),
                ],
                description: format!("{} ({attr})", project.entry.file_name()),
            },
            _ => Self::from_user(text, cwd),
        }
    }

    /// The project's default output: a flake's `.#default` (packages, else the default dev shell's
    /// inputs), default.nix, or shell.nix's inputs.
    pub fn project_default(project: &Project, system: &str) -> Vec<Self> {
        let file = |name: &str, attr: Option<&str>| Self {
            args: std::iter::once("-f".into())
                .chain(std::iter::once(project.root.join(name).into_os_string()))
                .chain(attr.map(OsString::from))
                .collect(),
            description: match attr {
                Some(attr) => format!("{name} ({attr})"),
                None => name.to_string(),
            },
        };
        match project.entry {
            EntryKind::Flake => {
                let flake = format!("{}", project.root.display());
                vec![
                    Self {
                        args: vec![format!("{flake}#packages.{system}.default").into()],
                        description: format!("packages.{system}.default"),
                    },
                    Self {
                        args: vec![
                            format!("{flake}#devShells.{system}.default.inputDerivation").into(),
                        ],
                        description: format!("devShells.{system}.default (its inputs)"),
                    },
                ]
            }
            EntryKind::DefaultNix => vec![file("default.nix", None)],
            EntryKind::ShellNix => vec![file("shell.nix", Some("inputDerivation"))],
        }
    }
}

/// Reads a saved graph: path-info JSON, or derivation JSON when `derivation` is set.
pub fn from_file(path: &Path, derivation: bool) -> Result<Graph, SourceError> {
    let bytes = std::fs::read(path).map_err(|e| SourceError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let graph = if derivation {
        super::load::build_time_graph(&bytes)
    } else {
        super::load::runtime_graph(&bytes)
    };
    graph.map_err(|e| SourceError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Asks Nix for the graph of `root`: the runtime closure (building the root first, since only
/// valid paths have path-info) or the derivation graph (evaluation only).
pub fn from_nix(
    nix: &NixInfo,
    root: &Root,
    derivation: bool,
    cwd: &Path,
) -> Result<Graph, SourceError> {
    if derivation {
        let json = crate::nix::run_blocking(
            &nix.program,
            &nix.derivation_show_args(&root.args),
            Some(cwd),
        )?;
        return Ok(super::load::build_time_graph(&json)?);
    }
    crate::nix::run_blocking(&nix.program, &nix.realise_args(&root.args), Some(cwd))?;
    let json = crate::nix::run_blocking(&nix.program, &nix.path_info_args(&root.args), Some(cwd))?;
    Ok(super::load::runtime_graph(&json)?)
}

/// The project's default output graph: tries each candidate root in order and reports the first
/// that works, or the first error.
pub fn project_default(
    nix: &NixInfo,
    project: Option<&Project>,
    derivation: bool,
) -> Result<(Graph, Root), SourceError> {
    let project = project.ok_or(SourceError::NoProject)?;
    let system = current_system();
    let mut first_error = None;
    for root in Root::project_default(project, &system) {
        match from_nix(nix, &root, derivation, &project.root) {
            Ok(graph) => return Ok((graph, root)),
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    Err(first_error.unwrap_or(SourceError::NoProject))
}

/// Nix's name for this platform, e.g. `x86_64-linux`.
pub fn current_system() -> String {
    let arch = match std::env::consts::ARCH {
        "x86" => "i686",
        other => other,
    };
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    format!("{arch}-{os}")
}

/// The root node of a graph built for `root`: the node nothing refers to (for path-info of one
/// installable there is exactly one).
pub fn root_node(graph: &Graph) -> Option<super::NodeId> {
    graph.roots.first().copied()
}
