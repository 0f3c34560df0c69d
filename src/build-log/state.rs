//! Build state built from events: activities by id, derivations with status, phase, host, times and
//! a bounded log each, progress counts, and the failure summary.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use super::parse::{activity, result, Event};
use super::{drv_name, strip_ansi};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DrvStatus {
    Queued,
    Building,
    Built,
    Substituting,
    Substituted,
    Failed,
    /// Not built because something it depends on failed.
    DependencyFailed,
    Cancelled,
}

impl DrvStatus {
    pub fn label(self) -> &'static str {
        match self {
            DrvStatus::Queued => "queued",
            DrvStatus::Building => "building",
            DrvStatus::Built => "built",
            DrvStatus::Substituting => "fetching",
            DrvStatus::Substituted => "fetched",
            DrvStatus::Failed => "FAILED",
            DrvStatus::DependencyFailed => "dep failed",
            DrvStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_running(self) -> bool {
        matches!(self, DrvStatus::Building | DrvStatus::Substituting)
    }
}

/// A log bounded to `capacity` lines; older lines are dropped and counted.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BoundedLog {
    lines: VecDeque<String>,
    capacity: usize,
    pub dropped: u64,
}

impl BoundedLog {
    pub fn new(capacity: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            capacity: capacity.max(1),
            dropped: 0,
        }
    }

    pub fn push(&mut self, line: String) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.lines.iter()
    }

    pub fn last(&self, count: usize) -> Vec<String> {
        let skip = self.lines.len().saturating_sub(count);
        self.lines.iter().skip(skip).cloned().collect()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Derivation {
    pub drv_path: String,
    pub name: String,
    pub status: DrvStatus,
    pub phase: Option<String>,
    /// Remote builder, empty for the local machine.
    pub host: String,
    pub started: Option<f64>,
    pub finished: Option<f64>,
    #[serde(skip)]
    pub log: BoundedLog,
}

impl Derivation {
    pub fn duration(&self, now: f64) -> Option<f64> {
        self.started
            .map(|start| self.finished.unwrap_or(now) - start)
    }
}

#[derive(Clone, Debug)]
struct Activity {
    kind: u64,
    parent: u64,
    /// The derivation this activity builds or substitutes, by index.
    derivation: Option<usize>,
}

/// Totals reported by Nix's `Builds`/`CopyPaths` progress results: done, expected, running, failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: u64,
    pub expected: u64,
    pub running: u64,
    pub failed: u64,
}

#[derive(Clone, Debug)]
pub struct BuildState {
    pub derivations: Vec<Derivation>,
    by_path: HashMap<String, usize>,
    activities: HashMap<u64, Activity>,
    pub builds: Progress,
    pub downloads: Progress,
    /// Nix's `error:` messages, without colours.
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    /// Lines that were not understood, and messages that belong to no derivation.
    pub other: BoundedLog,
    /// True until the first build or substitution starts: Nix is evaluating.
    pub evaluating: bool,
    pub finished: bool,
    /// Unknown activity types seen (kept for display rather than dropped).
    pub unknown_activities: u64,
    pub lines_seen: u64,
    /// The time of the newest event, for elapsed times and ETAs.
    pub now: f64,
    log_capacity: usize,
}

impl BuildState {
    pub fn new(log_capacity: usize) -> Self {
        Self {
            derivations: Vec::new(),
            by_path: HashMap::new(),
            activities: HashMap::new(),
            builds: Progress::default(),
            downloads: Progress::default(),
            errors: Vec::new(),
            warnings: Vec::new(),
            other: BoundedLog::new(log_capacity),
            evaluating: true,
            finished: false,
            unknown_activities: 0,
            lines_seen: 0,
            now: 0.0,
            log_capacity,
        }
    }

    fn derivation_for(&mut self, drv_path: &str) -> usize {
        if let Some(&i) = self.by_path.get(drv_path) {
            return i;
        }
        self.derivations.push(Derivation {
            drv_path: drv_path.to_string(),
            name: drv_name(drv_path).to_string(),
            status: DrvStatus::Queued,
            phase: None,
            host: String::new(),
            started: None,
            finished: None,
            log: BoundedLog::new(self.log_capacity),
        });
        let i = self.derivations.len() - 1;
        self.by_path.insert(drv_path.to_string(), i);
        i
    }

    /// The derivation an activity belongs to, looking up through parents.
    fn owner(&self, mut id: u64) -> Option<usize> {
        for _ in 0..64 {
            let activity = self.activities.get(&id)?;
            if activity.derivation.is_some() {
                return activity.derivation;
            }
            id = activity.parent;
        }
        None
    }

    /// Applies one event at time `now` (seconds since the build started) and says what changed, so
    /// line output can print it as it happens.
    pub fn apply(&mut self, event: Event, now: f64) -> Change {
        self.lines_seen += 1;
        self.now = self.now.max(now);
        match event {
            Event::Start {
                id,
                parent,
                kind,
                fields,
                text,
                ..
            } => self.start(id, parent, kind, &fields, text, now),
            Event::Stop { id } => self.stop(id, now),
            Event::Result { id, kind, fields } => self.result(id, kind, &fields),
            Event::Message { level, text } => {
                if level == 0 || text.starts_with("error:") {
                    self.note_error(&text, now);
                    self.errors.push(text.clone());
                    Change::Message(text)
                } else if level == 1 || text.starts_with("warning:") {
                    self.warnings.push(text.clone());
                    Change::Message(text)
                } else {
                    if level <= 3 {
                        self.other.push(text);
                    }
                    Change::None
                }
            }
            Event::PlainBuilding { drv_path } => {
                let i = self.derivation_for(&drv_path);
                let drv = &mut self.derivations[i];
                drv.status = DrvStatus::Building;
                drv.started.get_or_insert(now);
                self.evaluating = false;
                Change::Started(i)
            }
            Event::PlainLog { prefix, line } => {
                let found = self.derivations.iter().rposition(|d| {
                    d.name == prefix || crate::graph::split_name_version(&d.name).0 == prefix
                });
                match found {
                    Some(i) => {
                        if let Some(phase) = line.strip_prefix("Running phase: ") {
                            self.derivations[i].phase = Some(phase.trim().to_string());
                        }
                        self.derivations[i].log.push(line.clone());
                        Change::Log(i, line)
                    }
                    None => {
                        let line = format!("{prefix}> {line}");
                        self.other.push(line.clone());
                        Change::Other(line)
                    }
                }
            }
            Event::Raw(line) => {
                self.other.push(line.clone());
                Change::Other(line)
            }
        }
    }

    fn start(
        &mut self,
        id: u64,
        parent: u64,
        kind: u64,
        fields: &[serde_json::Value],
        text: String,
        now: f64,
    ) -> Change {
        let field = |i: usize| fields.get(i).and_then(|v| v.as_str()).unwrap_or("");
        let mut change = Change::None;
        let derivation = match kind {
            activity::BUILD if field(0).ends_with(".drv") => {
                let i = self.derivation_for(field(0));
                let drv = &mut self.derivations[i];
                drv.status = DrvStatus::Building;
                drv.host = field(1).to_string();
                drv.started = Some(now);
                drv.finished = None;
                self.evaluating = false;
                change = Change::Started(i);
                Some(i)
            }
            activity::SUBSTITUTE if !field(0).is_empty() => {
                let i = self.derivation_for(field(0));
                let drv = &mut self.derivations[i];
                drv.status = DrvStatus::Substituting;
                drv.host = field(1).to_string();
                drv.started = Some(now);
                self.evaluating = false;
                change = Change::Started(i);
                Some(i)
            }
            activity::COPY_PATH | activity::FILE_TRANSFER | activity::QUERY_PATH_INFO => {
                self.evaluating = false;
                None
            }
            k if k > activity::FETCH_TREE => {
                self.unknown_activities += 1;
                None
            }
            _ => None,
        };
        if kind == activity::UNKNOWN && !text.is_empty() {
            self.other.push(text);
        }
        self.activities.insert(
            id,
            Activity {
                kind,
                parent,
                derivation,
            },
        );
        change
    }

    fn stop(&mut self, id: u64, now: f64) -> Change {
        let Some(activity) = self.activities.get(&id) else {
            return Change::None;
        };
        if activity.kind == activity::REALISE
            || (activity.parent == 0 && activity.kind == activity::BUILDS)
        {
            self.finished = true;
        }
        let Some(i) = activity.derivation else {
            return Change::None;
        };
        let drv = &mut self.derivations[i];
        drv.finished.get_or_insert(now);
        drv.status = match (activity.kind, drv.status) {
            (_, DrvStatus::Failed) => DrvStatus::Failed,
            (activity::SUBSTITUTE, _) => DrvStatus::Substituted,
            _ => DrvStatus::Built,
        };
        Change::Finished(i)
    }

    fn result(&mut self, id: u64, kind: u64, fields: &[serde_json::Value]) -> Change {
        match kind {
            result::BUILD_LOG_LINE | result::POST_BUILD_LOG_LINE => {
                let line = fields
                    .first()
                    .and_then(|v| v.as_str())
                    .map(strip_ansi)
                    .unwrap_or_default();
                match self.owner(id) {
                    Some(i) => {
                        self.derivations[i].log.push(line.clone());
                        Change::Log(i, line)
                    }
                    None => {
                        self.other.push(line.clone());
                        Change::Other(line)
                    }
                }
            }
            result::SET_PHASE => {
                if let (Some(i), Some(phase)) =
                    (self.owner(id), fields.first().and_then(|v| v.as_str()))
                {
                    self.derivations[i].phase = Some(phase.to_string());
                }
                Change::None
            }
            result::PROGRESS => {
                let n = |i: usize| fields.get(i).and_then(|v| v.as_u64()).unwrap_or(0);
                let progress = Progress {
                    done: n(0),
                    expected: n(1),
                    running: n(2),
                    failed: n(3),
                };
                match self.activities.get(&id).map(|a| a.kind) {
                    Some(activity::BUILDS) => self.builds = progress,
                    Some(activity::COPY_PATHS) => self.downloads = progress,
                    _ => {}
                }
                Change::None
            }
            _ => Change::None,
        }
    }

    /// Marks derivations named in Nix's error messages: a failed builder, or dependents that could
    /// not be built.
    fn note_error(&mut self, text: &str, now: f64) {
        let drv = quoted_drv(text);
        if text.contains("builder for") && text.contains("failed") {
            if let Some(drv) = drv {
                let i = self.derivation_for(&drv);
                self.derivations[i].status = DrvStatus::Failed;
                self.derivations[i].finished.get_or_insert(now);
            }
        } else if text.contains("dependencies of derivation") && text.contains("failed to build") {
            if let Some(drv) = drv {
                let i = self.derivation_for(&drv);
                self.derivations[i].status = DrvStatus::DependencyFailed;
            }
        }
    }

    /// Marks what was still running as cancelled (the build process ended).
    pub fn finish(&mut self, now: f64) {
        self.finished = true;
        for drv in &mut self.derivations {
            if drv.status.is_running() {
                drv.status = DrvStatus::Cancelled;
                drv.finished = Some(now);
            }
        }
    }

    pub fn count(&self, status: DrvStatus) -> usize {
        self.derivations
            .iter()
            .filter(|d| d.status == status)
            .count()
    }

    /// Nix's messages and the failed derivations' last lines, for the error explainer.
    pub fn error_text(&self) -> String {
        let mut text = self.errors.join("\n");
        for drv in self
            .derivations
            .iter()
            .filter(|d| d.status == DrvStatus::Failed)
        {
            for line in drv.log.last(25) {
                text.push('\n');
                text.push_str(&line);
            }
        }
        text
    }

    /// No error message and no failed derivation so far.
    pub fn is_success(&self) -> bool {
        self.errors.is_empty() && self.count(DrvStatus::Failed) == 0
    }

    pub fn summary(&self) -> Summary {
        let failures = self
            .derivations
            .iter()
            .filter(|d| d.status == DrvStatus::Failed)
            .map(|d| Failure {
                drv_path: d.drv_path.clone(),
                name: d.name.clone(),
                phase: d.phase.clone(),
                last_lines: d.log.last(25),
            })
            .collect();
        Summary {
            success: self.is_success(),
            built: self.count(DrvStatus::Built),
            substituted: self.count(DrvStatus::Substituted),
            failed: self.count(DrvStatus::Failed),
            dependents_not_built: self
                .derivations
                .iter()
                .filter(|d| d.status == DrvStatus::DependencyFailed)
                .map(|d| d.drv_path.clone())
                .collect(),
            derivations: self
                .derivations
                .iter()
                .map(|d| SummaryDrv {
                    drv_path: d.drv_path.clone(),
                    name: d.name.clone(),
                    status: d.status,
                    host: d.host.clone(),
                    started: d.started,
                    duration: d.started.zip(d.finished).map(|(s, f)| f - s),
                })
                .collect(),
            failures,
            errors: self.errors.clone(),
        }
    }
}

/// What one event changed, for line-oriented output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    None,
    /// A derivation started building or substituting (index into `derivations`).
    Started(usize),
    Finished(usize),
    /// A log line of a derivation.
    Log(usize, String),
    /// An error or warning from Nix.
    Message(String),
    /// Output that belongs to no derivation.
    Other(String),
}

/// The first `'/nix/store/...drv'` in a message.
fn quoted_drv(text: &str) -> Option<String> {
    text.split('\'')
        .find(|part| part.starts_with('/') && part.ends_with(".drv"))
        .map(str::to_string)
}

/// The machine-readable end-of-build report (`--json-summary`).
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub success: bool,
    pub built: usize,
    pub substituted: usize,
    pub failed: usize,
    pub dependents_not_built: Vec<String>,
    pub derivations: Vec<SummaryDrv>,
    pub failures: Vec<Failure>,
    pub errors: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SummaryDrv {
    pub drv_path: String,
    pub name: String,
    pub status: DrvStatus,
    pub host: String,
    pub started: Option<f64>,
    pub duration: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    pub drv_path: String,
    pub name: String,
    pub phase: Option<String>,
    pub last_lines: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build_log::{parse_line, LineSplitter};
    use std::path::Path;

    fn replay(file: &str, capacity: usize) -> BuildState {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/golden/nix-2.8.0")
            .join(file);
        let bytes = std::fs::read(path).unwrap();
        let mut state = BuildState::new(capacity);
        let mut splitter = LineSplitter::default();
        let mut t = 0.0;
        splitter.feed(&bytes, |line| {
            t += 0.01;
            state.apply(parse_line(line), t);
        });
        splitter.finish(|line| {
            state.apply(parse_line(line), t);
        });
        state
    }

    #[test]
    fn keep_going_failure_from_real_nix() {
        let state = replay("build-failure-keep-going.internal-json", 1000);
        let summary = state.summary();
        assert!(!summary.success);
        assert_eq!(summary.failed, 1);
        assert_eq!(summary.failures[0].name, "broken-build-0.1");
        assert_eq!(summary.failures[0].phase.as_deref(), Some("buildPhase"));
        assert!(summary.failures[0]
            .last_lines
            .iter()
            .any(|l| l.contains("undeclared identifier")));
        assert_eq!(summary.dependents_not_built.len(), 1);
        assert!(summary.dependents_not_built[0].ends_with("broken-app-0.1.drv"));
        let chatty = state
            .derivations
            .iter()
            .find(|d| d.name == "chatty-0.9")
            .unwrap();
        assert_eq!(chatty.status, DrvStatus::Built);
        assert!(chatty.log.len() > 400);
        assert!(!state.evaluating);
    }

    #[test]
    fn success_and_bounded_log() {
        let state = replay("build-success.internal-json", 1000);
        assert!(state.summary().success);
        assert!(state.count(DrvStatus::Built) >= 1);
        let small = replay("build-chatty.internal-json", 10);
        let chatty = &small.derivations[0];
        assert_eq!(chatty.log.len(), 10);
        assert!(chatty.log.dropped > 390);
    }

    #[test]
    fn plain_log_from_real_nix() {
        let state = replay("build-failure.plain", 100);
        let summary = state.summary();
        assert_eq!(summary.failed, 1);
        assert_eq!(state.derivations[0].phase.as_deref(), Some("buildPhase"));
        assert!(summary.failures[0]
            .last_lines
            .iter()
            .any(|l| l.contains("Error 1")));
    }
}
