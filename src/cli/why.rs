//! `nixbench why [PKG]`: why a package is in a closure, a closure summary, or a closure diff.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{timing, Context, Failure};
use crate::graph::source::{self, root_node, Root};
use crate::graph::{algo, report, Graph, NodeId};
use crate::workspace::OpenOptions;

#[derive(clap::Args, Debug)]
pub struct WhyArgs {
    /// A store path, name or name prefix. Without it: a closure summary.
    package: Option<String>,
    /// The root: `.#foo`, `nixpkgs#hello`, a store path or a `./result` link. Default: this
    /// project's default output (packages.<system>.default, else the default dev shell's inputs,
    /// else default.nix / shell.nix).
    #[arg(long, value_name = "ROOT")]
    from: Option<String>,
    /// Read a saved `nix path-info --json --recursive` closure (or, with --derivation, a saved
    /// `nix derivation show -r`).
    #[arg(long, value_name = "FILE", conflicts_with = "from")]
    from_json: Option<PathBuf>,
    /// Ask the build-time question: why does building the root need PKG.
    #[arg(long)]
    derivation: bool,
    /// Compare the closure with another root (or a saved JSON file).
    #[arg(long, value_name = "ROOT")]
    diff: Option<String>,
    /// Line output for pipes (automatic when stdout is not a terminal).
    #[arg(long)]
    plain: bool,
    /// Print JSON.
    #[arg(long, conflicts_with_all = ["dot", "plain"])]
    json: bool,
    /// Print a graphviz graph of the chains.
    #[arg(long)]
    dot: bool,
    /// Lift the cap on the number of chains (still bounded).
    #[arg(long)]
    all: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Tree,
    Plain,
    Json,
    Dot,
}

impl WhyArgs {
    fn output(&self) -> Output {
        if self.json {
            Output::Json
        } else if self.dot {
            Output::Dot
        } else if self.plain || !std::io::stdout().is_terminal() {
            Output::Plain
        } else {
            Output::Tree
        }
    }
}

pub(super) fn run(context: &Context, args: WhyArgs) -> Result<ExitCode, Failure> {
    let options = &context.options;
    let output = args.output();
    let started = std::time::Instant::now();
    let graph = load_graph(
        options,
        args.from.as_deref(),
        args.from_json.as_deref(),
        args.derivation,
    )?;
    timing("load", started);
    let root = root_node(&graph)
        .ok_or_else(|| Failure::environment("the graph has no root (every path is referenced)"))?;
    let text = if let Some(other) = &args.diff {
        diff(options, &graph, root, other, args.derivation, output)?
    } else if let Some(package) = &args.package {
        chains(&graph, root, package, &args, output)?
    } else {
        let summary = report::closure_summary(&graph, root, 15);
        match output {
            Output::Json => json(&summary),
            _ => report::closure_summary_text(&summary),
        }
    };
    let _ = write!(std::io::stdout().lock(), "{text}");
    Ok(ExitCode::SUCCESS)
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// `--diff OTHER`: what changes from this closure to the other one's.
fn diff(
    options: &OpenOptions,
    graph: &Graph,
    root: NodeId,
    other: &str,
    derivation: bool,
    output: Output,
) -> Result<String, Failure> {
    let after = load_graph(options, Some(other), None, derivation)?;
    let after_root = root_node(&after)
        .ok_or_else(|| Failure::environment(format!("{other}: the graph has no root")))?;
    let diff = report::closure_diff(graph, root, &after, after_root);
    Ok(match output {
        Output::Json => json(&diff),
        _ => report::closure_diff_text(&diff),
    })
}

/// The chains from the root to `package`, in the output asked for.
fn chains(
    graph: &Graph,
    root: NodeId,
    package: &str,
    args: &WhyArgs,
    output: Output,
) -> Result<String, Failure> {
    let Some(&target) = graph.resolve(package).first() else {
        return Err(not_in_graph(graph, root, package, args.derivation));
    };
    let cap = if args.all {
        algo::WHY_CHAINS_ALL
    } else {
        algo::WHY_CHAINS_DEFAULT
    };
    let query = std::time::Instant::now();
    let why = report::why(graph, root, target, cap);
    timing("why", query);
    Ok(match output {
        Output::Json => json(&why),
        Output::Dot => report::dot(graph, &why),
        Output::Plain => report::plain(&why),
        Output::Tree => report::tree(graph, &why),
    })
}

/// "Not in the closure", with the nearest names, and a hint to ask the build-time question.
fn not_in_graph(graph: &Graph, root: NodeId, package: &str, derivation: bool) -> Failure {
    let near = graph.nearest_names(package, 5);
    let mut hint = if near.is_empty() {
        String::new()
    } else {
        format!(" Nearest names: {}", near.join(", "))
    };
    if !derivation {
        hint.push_str(". If it is needed only while building, ask with --derivation");
    }
    let which = if derivation {
        "build-time graph"
    } else {
        "runtime closure"
    };
    Failure::not_found(format!(
        "`{package}` is not in the {which} of {}.{hint}",
        graph.node(root).name()
    ))
}

/// Loads the graph for `--from ROOT` / `--from-json FILE` / the project's default output.
fn load_graph(
    options: &OpenOptions,
    from: Option<&str>,
    from_json: Option<&Path>,
    derivation: bool,
) -> Result<Graph, Failure> {
    if let Some(file) = from_json {
        return Ok(source::from_file(file, derivation)?);
    }
    // A saved JSON file given where a root is expected is read as a file.
    if let Some(text) = from {
        let path = options.directory.join(text);
        if text.ends_with(".json") && path.is_file() {
            return Ok(source::from_file(&path, derivation)?);
        }
    }
    let nix = crate::nix::detect().map_err(Failure::nix_unusable)?;
    let project = crate::project::find_project(&options.directory);
    match from {
        Some(text) => {
            let root = Root::from_user_in(text, &options.directory, project.as_ref());
            Ok(source::from_nix(
                &nix,
                &root,
                derivation,
                &options.directory,
            )?)
        }
        None => {
            if std::io::stderr().is_terminal() {
                eprintln!("nixbench: reading the closure of this project's default output (Nix builds it first if needed)…");
            }
            let (graph, _) = source::project_default(&nix, project.as_ref(), derivation)?;
            Ok(graph)
        }
    }
}
