//! `nixbench explain`: explains the Nix errors read from standard input.

use std::io::{Read, Write};
use std::process::ExitCode;

use super::{leave_to_exit, Context, Failure};
use crate::workspace::{self, Workspace};

/// What the explainer knows, for the message when it recognised nothing.
const KNOWN: &str = "no known Nix error in the input. nixbench explains: hash mismatches, missing attributes, infinite recursion, undefined variables, file collisions, unfree/insecure/broken packages, disabled experimental features, files not tracked by git in a flake, failed downloads";

pub(super) fn run(context: &Context, json: bool) -> Result<ExitCode, Failure> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| Failure::environment(format!("reading standard input: {e}")))?;
    let input = String::from_utf8_lossy(&input);
    // Near names for missing attributes come from the index, when there is one.
    let workspace = Workspace::open_for_index(&context.options, &context.dirs);
    let searchable = workspace::load_searchable(&workspace).ok();
    let near = |name: &str| {
        searchable
            .as_ref()
            .map(|s| s.nearest(name, 5))
            .unwrap_or_default()
    };
    let explanations = crate::explain::explain(&input, &near);
    let mut out = std::io::stdout().lock();
    if json {
        let _ = serde_json::to_writer_pretty(&mut out, &explanations);
        let _ = writeln!(out);
    } else {
        let _ = write!(out, "{}", crate::explain::render(&explanations));
    }
    leave_to_exit(searchable);
    if explanations.is_empty() {
        return Err(Failure::not_found(KNOWN));
    }
    Ok(ExitCode::SUCCESS)
}
