//! Line output for CI (`--plain`): each derivation's log lines with its name as prefix, starts and
//! ends, Nix's messages, and a final summary.

use std::fmt::Write;

use super::state::{BuildState, Change, DrvStatus, Summary};

/// The line to print for a change, if any.
pub fn line(state: &BuildState, change: &Change) -> Option<String> {
    match change {
        Change::None => None,
        Change::Started(i) => {
            let drv = &state.derivations[*i];
            let verb = if drv.status == DrvStatus::Substituting {
                "fetching"
            } else {
                "building"
            };
            let host = if drv.host.is_empty() {
                String::new()
            } else {
                format!(" on {}", drv.host)
            };
            Some(format!("{verb} {}{host}", drv.name))
        }
        Change::Finished(i) => {
            let drv = &state.derivations[*i];
            let took = drv
                .started
                .zip(drv.finished)
                .map(|(a, b)| format!(" in {:.1}s", b - a))
                .unwrap_or_default();
            Some(format!("{} {}{took}", drv.status.label(), drv.name))
        }
        Change::Log(i, text) => Some(format!("{}> {text}", state.derivations[*i].name)),
        Change::Message(text) => Some(text.clone()),
        Change::Other(text) => (!text.trim().is_empty()).then(|| text.clone()),
    }
}

/// The end-of-build report: failures with their last lines, dependents not built, counts.
pub fn summary(summary: &Summary) -> String {
    let mut out = String::new();
    for failure in &summary.failures {
        let phase = failure
            .phase
            .as_deref()
            .map(|p| format!(" in {p}"))
            .unwrap_or_default();
        let _ = writeln!(out, "\n{} failed{phase}; last lines:", failure.name);
        for line in &failure.last_lines {
            let _ = writeln!(out, "  {line}");
        }
    }
    if !summary.dependents_not_built.is_empty() {
        let _ = writeln!(out, "\nnot built because a dependency failed:");
        for drv in &summary.dependents_not_built {
            let _ = writeln!(out, "  {}", super::drv_name(drv));
        }
    }
    let _ = writeln!(
        out,
        "\n{}: {} built, {} fetched, {} failed",
        if summary.success { "success" } else { "FAILED" },
        summary.built,
        summary.substituted,
        summary.failed
    );
    out
}
