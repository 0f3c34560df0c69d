//! `nixbench flake check`: parse diagnostics in plain words, then Nix's own checks made readable.

use std::path::Path;
use std::process::ExitCode;

use super::read_flake;
use crate::cli::{Context, Failure};

/// Says so before running Nix when flake.lock holds what only a newer Nix than the installed one
/// reads (Nix's own error for it names `lastModified` and nothing else).
fn warn_newer_lock(dir: &Path, nix: &crate::nix::NixInfo) {
    let Ok(lock) = std::fs::read_to_string(dir.join("flake.lock")) else {
        return;
    };
    let old_nix =
        (nix.version.major, nix.version.minor) < (2, 17) && nix.flavour == crate::nix::Flavour::Nix;
    if let Some(what) = crate::flake::lock::newer_nix_features(&lock).filter(|_| old_nix) {
        println!(
            "warning: {}",
            crate::flake::lock::newer_nix_message(&what, Some(&nix.to_string()))
        );
    }
}

/// Parse diagnostics in plain words, then Nix's own checks with their output made readable.
pub(super) fn run(context: &Context) -> Result<ExitCode, Failure> {
    let super::FlakeFile { path, text } = read_flake(&context.options.directory)?;
    let flake = crate::flake::Flake::parse(text);
    if !flake.diagnostics.is_empty() {
        for d in &flake.diagnostics {
            println!("{}:{}:{}: {}", path.display(), d.line, d.column, d.message);
        }
        return Ok(ExitCode::from(1));
    }
    println!(
        "{}: parses; {} inputs ({})",
        path.display(),
        flake.inputs.len(),
        flake
            .inputs
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let nix = crate::nix::detect().map_err(Failure::nix_unusable)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    warn_newer_lock(dir, &nix);
    let mut failed = false;
    for sub in [&["flake", "check"][..], &["flake", "show"][..]] {
        let mut args: Vec<std::ffi::OsString> = sub.iter().map(Into::into).collect();
        args.extend(nix.common_args());
        match crate::nix::run_blocking(&nix.program, &args, Some(dir)) {
            Ok(out) => {
                println!("nix {}: ok", sub.join(" "));
                let shown = crate::build_log::strip_ansi(&String::from_utf8_lossy(&out));
                for line in shown.lines() {
                    println!("  {line}");
                }
            }
            Err(crate::nix::NixError::Failed { stderr, .. }) => {
                failed = true;
                print_nix_failure(sub, &stderr);
            }
            Err(err) => return Err(Failure::environment(err.to_string())),
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A failed `nix flake check`/`show`: its output without colours or download retries, then what
/// the explainer recognises in it.
fn print_nix_failure(sub: &[&str], stderr: &str) {
    println!("nix {}: failed", sub.join(" "));
    // Nix repeats a failing download with "retrying in N ms"; one line says it.
    let text = crate::build_log::strip_ansi(stderr);
    let retries = text.lines().filter(|l| l.contains("retrying in")).count();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("retrying in"))
    {
        println!("  {line}");
    }
    if retries > 0 {
        println!("  ({retries} retries of a download were left out: is the network reachable?)");
    }
    let explanations = crate::explain::explain(&text, &|_| Vec::new());
    if !explanations.is_empty() {
        print!("{}", crate::explain::render(&explanations));
    }
}
