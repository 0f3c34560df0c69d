//! `nixbench doc NAME`: the docs of a lib function, builtin or package attribute.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{searchable, Context, Failure};
use crate::nixpkgs::Entry;

#[derive(clap::Args, Debug)]
pub struct DocArgs {
    name: String,
    #[arg(long)]
    json: bool,
    /// Take packages from this JSON (the output of `nix-env -qaP --json --meta`).
    #[arg(long, value_name = "FILE")]
    from_json: Option<PathBuf>,
}

pub(super) fn run(context: &Context, args: DocArgs) -> Result<ExitCode, Failure> {
    let loaded = searchable::load(context, args.from_json)?;
    let searchable = &loaded.searchable;
    let name = &args.name;
    // `concatStringsSep` means `lib.concatStringsSep` unless it is an attribute of its own.
    let entry = searchable
        .get(name)
        .or_else(|| searchable.get(&format!("lib.{name}")));
    let Some(entry) = entry else {
        let near = searchable.nearest(name, 5);
        return Err(loaded.missing(format!(
            "no `{name}` in the index. Nearest: {}",
            near.join(", ")
        )));
    };
    if args.json {
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer_pretty(&mut out, &entry);
        let _ = writeln!(out);
    } else {
        print_text(&entry);
    }
    Ok(loaded.exit(true))
}

/// Name, alias, type, description and docs, examples indented, and where it is defined.
fn print_text(entry: &Entry) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", entry.name);
    if let Some(c) = &entry.canonical {
        let _ = writeln!(out, "  alias of {c}");
    }
    if let Some(t) = &entry.type_sig {
        let _ = writeln!(out, "\n  {t}");
    }
    for text in [&entry.description, &entry.doc].into_iter().flatten() {
        let _ = writeln!(out, "\n{text}");
    }
    for example in &entry.examples {
        let indented: Vec<String> = example.lines().map(|l| format!("  {l}")).collect();
        let _ = writeln!(out, "\nExample:\n{}", indented.join("\n"));
    }
    if let Some(file) = &entry.file {
        let _ = writeln!(out, "\nDefined at {file}:{}", entry.line.unwrap_or(1));
    }
}
