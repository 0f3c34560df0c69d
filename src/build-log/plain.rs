//! Line output for CI (`--plain`): each derivation's log lines with its name as prefix, starts and
//! ends, Nix's messages, and a final summary.

use std::fmt::Write;

use super::outcome::Summary;
use super::state::{BuildState, Change, DrvStatus};

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
        Change::Log(i) => {
            let drv = &state.derivations[*i];
            Some(format!(
                "{}> {}",
                drv.name,
                drv.log.newest().unwrap_or_default()
            ))
        }
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
    let cancelled = if summary.cancelled > 0 {
        format!(", {} cancelled", summary.cancelled)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\n{}: {} built, {} fetched, {} failed{cancelled}",
        if summary.success { "success" } else { "FAILED" },
        summary.built,
        summary.substituted,
        summary.failed
    );
    out
}

/// How a followed build ended, for the command's exit code.
#[derive(Debug)]
pub struct Outcome {
    /// The build process's exit code, for `nixbench build`.
    pub code: Option<i32>,
    pub success: bool,
    /// Why the source failed for good (unreachable host, unreadable file), if it did.
    pub error: Option<String>,
    /// What `--json-summary` prints.
    pub report: Summary,
}

/// Follows a build from `source` and writes line output to `out` as it happens, then the summary
/// and the error explanations. With `json_summary` all of that goes to `status` instead, and `out`
/// gets only the JSON summary, so `| jq` works. Status messages (reconnects) go to `status`.
/// Durations of what was built are added to `durations`.
pub async fn follow(
    source: super::source::Source,
    out: &mut impl std::io::Write,
    status: &mut impl std::io::Write,
    json_summary: bool,
    log_lines: usize,
    durations: &mut super::history::Durations,
) -> Outcome {
    use super::source::{stream, Feed};
    let followed = source.is_followed();
    let records = matches!(source, super::source::Source::Command { .. });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(stream(source, tx));
    let started = std::time::Instant::now();
    let mut state = BuildState::new(log_lines);
    let (mut code, mut error, mut process_stdout) = (None, None, Vec::new());
    let mut saw_events = false;
    let mut human = String::new();
    while let Some(feed) = rx.recv().await {
        match feed {
            Feed::Events(events) => {
                saw_events |= !events.is_empty();
                let now = started.elapsed().as_secs_f64();
                for event in events {
                    let change = state.apply(event, now);
                    if let Some(text) = line(&state, &change) {
                        let usually = match change {
                            Change::Started(i) => durations
                                .expected(&state.derivations[i].name)
                                .map(|s| format!(" (usually {s:.1}s)"))
                                .unwrap_or_default(),
                            _ => String::new(),
                        };
                        if json_summary {
                            let _ = writeln!(status, "{text}{usually}");
                        } else {
                            let _ = writeln!(out, "{text}{usually}");
                        }
                    }
                }
                let _ = out.flush();
                let _ = status.flush();
                // A followed file or remote log never ends by itself: stop when the build has.
                if followed && state.finished {
                    task.abort();
                    break;
                }
            }
            Feed::Status(text) => {
                let _ = writeln!(status, "nixbench: {text}");
                let _ = status.flush();
            }
            Feed::Stdout(bytes) => process_stdout = bytes,
            Feed::Error(text) => error = Some(text),
            Feed::Ended { code: c } => {
                code = c;
                break;
            }
        }
    }
    state.finish(started.elapsed().as_secs_f64());
    if records {
        durations.record(&state);
    }
    let mut report = state.summary();
    // A source that could not be read at all gets its error, not a summary of nothing.
    let unreadable = error.is_some() && !saw_events;
    if !unreadable {
        let _ = write!(human, "{}", summary(&report));
        let explanations = crate::explain::explain(&state.error_text(), &|_| Vec::new());
        if !explanations.is_empty() {
            let _ = write!(human, "\n{}", crate::explain::render(&explanations));
        }
        if json_summary {
            let _ = status.write_all(human.as_bytes());
            if records {
                report.nix_stdout = Some(String::from_utf8_lossy(&process_stdout).into_owned());
            }
            let _ = serde_json::to_writer_pretty(&mut *out, &report);
            let _ = writeln!(out);
        } else {
            let _ = out.write_all(human.as_bytes());
            let _ = out.write_all(&process_stdout);
        }
    }
    Outcome {
        code,
        success: report.success && !unreadable,
        error,
        report,
    }
}

/// Follows several sources at once (two CI hosts, say): each one's lines go to `stdout` prefixed
/// with its label, whole lines at a time, its status messages to `stderr` likewise. Returns each
/// label with its outcome, in the order given.
/// With `lines_to_stderr` (a JSON summary follows on stdout) the lines go to stderr.
pub async fn follow_many(
    sources: Vec<(String, super::source::Source)>,
    log_lines: usize,
    durations: &super::history::Durations,
    lines_to_stderr: bool,
) -> Vec<(String, Outcome)> {
    use std::io::Write as _;
    let runs = sources.into_iter().map(|(label, source)| {
        let mut durations = durations.clone();
        async move {
            let stream = if lines_to_stderr {
                Stream::Stderr
            } else {
                Stream::Stdout
            };
            let mut out = Prefixed::new(&label, stream);
            let mut status = Prefixed::new(&label, Stream::Stderr);
            let outcome = follow(
                source,
                &mut out,
                &mut status,
                false,
                log_lines,
                &mut durations,
            )
            .await;
            let _ = out.flush();
            let _ = status.flush();
            (label, outcome)
        }
    });
    futures_util::future::join_all(runs).await
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// A writer that passes whole lines on to stdout or stderr, each prefixed with `[label] `, so
/// lines of several sources never mix.
struct Prefixed {
    prefix: String,
    stream: Stream,
    pending: Vec<u8>,
}

impl Prefixed {
    fn new(label: &str, stream: Stream) -> Self {
        Self {
            prefix: format!("[{label}] "),
            stream,
            pending: Vec::new(),
        }
    }

    fn emit(&self, line: &[u8]) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut text = Vec::with_capacity(self.prefix.len() + line.len() + 1);
        if line == b"\n" {
            text.extend_from_slice(self.prefix.trim_end().as_bytes());
        } else {
            text.extend_from_slice(self.prefix.as_bytes());
        }
        text.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            text.push(b'\n');
        }
        match self.stream {
            Stream::Stdout => std::io::stdout().lock().write_all(&text),
            Stream::Stderr => std::io::stderr().lock().write_all(&text),
        }
    }
}

impl std::io::Write for Prefixed {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn follows_a_recorded_failure_to_its_summary() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/golden/nix-2.8.0/build-failure-keep-going.internal-json");
        let source = crate::build_log::source::Source::File {
            path,
            follow: false,
        };
        let (mut out, mut status) = (Vec::new(), Vec::new());
        let mut durations = Default::default();
        let outcome = super::follow(source, &mut out, &mut status, true, 100, &mut durations).await;
        // With a JSON summary, stdout is that JSON alone and the lines go to stderr.
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let text = String::from_utf8(status).unwrap();
        assert!(!outcome.success);
        assert!(outcome.error.is_none());
        assert!(text.contains("building broken-build-0.1"), "{text}");
        assert!(text.contains(
            "broken-build-0.1> src/main.c:12:5: error: use of undeclared identifier 'greeting'"
        ));
        assert!(
            text.contains("● Building broken-build-0.1 failed"),
            "the explainer runs: {text}"
        );
        assert_eq!(json["dependents_not_built"].as_array().unwrap().len(), 1);
        assert_eq!(json["version"], 1);
        // A file is not a build nixbench ran: its durations are not recorded.
        assert!(durations.seconds.is_empty());
    }
}
