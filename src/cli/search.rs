//! `nixbench search QUERY...`: ranked search of packages, lib functions and builtins.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{leave_to_exit, searchable, timing, Context, Failure};
use crate::nixpkgs::search::{Query, Results, Scope, Searchable};

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// Words to search for; `lib:`, `pkg:` and `builtins:` prefixes pick a scope.
    query: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// How many results.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Take packages from this JSON (the output of `nix-env -qaP --json --meta`).
    #[arg(long, value_name = "FILE")]
    from_json: Option<PathBuf>,
}

pub(super) fn run(context: &Context, args: SearchArgs) -> Result<ExitCode, Failure> {
    let started = std::time::Instant::now();
    let loaded = searchable::load(context, args.from_json)?;
    let searchable = &loaded.searchable;
    timing("index", started);
    let started = std::time::Instant::now();
    let query = Query::parse(&args.query.join(" "), Scope::All);
    let results = searchable
        .search(&query, args.limit, &|| false)
        .unwrap_or_default();
    timing("search", started);
    if args.json {
        print_json(searchable, &results);
    } else {
        print_text(searchable, &results);
    }
    let code = loaded.exit(!results.hits.is_empty());
    leave_to_exit(loaded);
    Ok(code)
}

fn print_json(searchable: &Searchable, results: &Results) {
    let mut out = std::io::stdout().lock();
    let entries: Vec<crate::nixpkgs::Entry> =
        results.hits.iter().map(|h| searchable.entry(*h)).collect();
    let _ = serde_json::to_writer_pretty(&mut out, &entries);
    let _ = writeln!(out);
}

/// One line per hit: kind, name, version, description (or a lib function's type).
fn print_text(searchable: &Searchable, results: &Results) {
    let mut out = std::io::stdout().lock();
    for hit in &results.hits {
        let entry = searchable.entry(*hit);
        let _ = writeln!(
            out,
            "{:<7} {:<40} {:<12} {}",
            entry.kind().label(),
            entry.name,
            entry.version.as_deref().unwrap_or(""),
            entry
                .description
                .as_deref()
                .or(entry.type_sig.as_deref())
                .unwrap_or("")
        );
    }
}
