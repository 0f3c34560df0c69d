//! Build state built from events: activities by id, derivations with status, phase, host, times and
//! a bounded log each, progress counts, and the failure summary.
//!
//! Nix does not say "built" for a derivation: its Build activity may stop long after the build
//! (Nix 2.3 to 2.8 stop them all at the end) or when it was killed because another build failed.
//! So a build counts as built when Nix's own `Builds` progress counter says one more is done, or,
//! in old-style logs that have no counters, when the run ended without an error. See
//! [`super::outcome`].

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;

use serde::Serialize;

use super::drv_name;
use super::messages::{self, Meaning, Plan};
use super::parse::{activity, result, Event, Field};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DrvStatus {
    /// Planned (`these N derivations will be built:`) and not started yet.
    Queued,
    Building,
    Built,
    Substituting,
    Substituted,
    Failed,
    /// Not built because something it depends on failed.
    DependencyFailed,
    /// Started, and never finished by itself: killed because another build failed, or still
    /// running when the log ended.
    Cancelled,
    /// Planned, and the run ended before it started.
    #[serde(rename = "planned-not-started")]
    NotStarted,
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
            DrvStatus::NotStarted => "not started",
        }
    }

    pub fn is_running(self) -> bool {
        matches!(self, DrvStatus::Building | DrvStatus::Substituting)
    }
}

/// A log bounded to `capacity` lines; older lines are dropped and counted, and written to a file
/// when the log keeps its full text on disk ([`BuildState::keep_full_logs_in`]): memory holds the
/// tail a screen shows, the disk the rest.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BoundedLog {
    lines: VecDeque<String>,
    capacity: usize,
    pub dropped: u64,
    #[serde(skip)]
    spill: Option<Spill>,
}

/// Dropped lines on their way to disk, written in batches.
#[derive(Clone, Debug)]
struct Spill {
    path: PathBuf,
    pending: Vec<String>,
    /// Whether the file was started in this run (the first write truncates an older one).
    started: bool,
}

impl Spill {
    const BATCH: usize = 512;

    /// Writes what is pending. A file that cannot be written is given up on: the tail in memory
    /// stays, as without a spill.
    fn flush(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(self.started)
            .write(true)
            .truncate(!self.started)
            .open(&self.path)?;
        self.started = true;
        let mut out = std::io::BufWriter::new(file);
        for line in self.pending.drain(..) {
            writeln!(out, "{line}")?;
        }
        out.flush()
    }
}

impl BoundedLog {
    pub fn new(capacity: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            capacity: capacity.max(1),
            dropped: 0,
            spill: None,
        }
    }

    fn spilling_to(mut self, path: PathBuf) -> Self {
        self.spill = Some(Spill {
            path,
            pending: Vec::new(),
            started: false,
        });
        self
    }

    pub fn push(&mut self, line: String) {
        if self.lines.len() == self.capacity {
            let old = self.lines.pop_front();
            self.dropped += 1;
            if let (Some(spill), Some(old)) = (self.spill.as_mut(), old) {
                spill.pending.push(old);
                if spill.pending.len() >= Spill::BATCH && spill.flush().is_err() {
                    self.spill = None;
                }
            }
        }
        self.lines.push_back(line);
    }

    /// The file holding the lines no longer in memory (the whole log once the build ended).
    pub fn full_log(&self) -> Option<&std::path::Path> {
        self.spill
            .as_ref()
            .filter(|s| s.started || !s.pending.is_empty())
            .map(|s| s.path.as_path())
    }

    /// At the end: the file gets the rest and the tail, so it holds the whole log.
    fn complete_on_disk(&mut self) {
        if self.dropped == 0 {
            return;
        }
        if let Some(spill) = self.spill.as_mut() {
            spill.pending.extend(self.lines.iter().cloned());
            if spill.flush().is_err() {
                self.spill = None;
            }
        }
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

    /// The newest line.
    pub fn newest(&self) -> Option<&str> {
        self.lines.back().map(String::as_str)
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
    /// Remote builder (`ssh://host`) of a build, substituter of a fetch, empty for the local machine.
    pub host: String,
    pub started: Option<f64>,
    pub finished: Option<f64>,
    /// A store path fetched from a substituter rather than a derivation built.
    #[serde(skip)]
    pub fetch: bool,
    /// Its activity stopped without Nix counting it done (yet).
    #[serde(skip)]
    pub(super) stopped: bool,
    /// The event number it started at: orders starts for [`super::outcome`].
    #[serde(skip)]
    pub(super) started_at_event: u64,
    #[serde(skip)]
    pub log: BoundedLog,
}

impl Derivation {
    pub fn duration(&self, now: f64) -> Option<f64> {
        self.started
            .map(|start| self.finished.unwrap_or(now) - start)
    }
}

/// Hashing for activity ids: Nix numbers them from a per-process base, so a multiply spreads them
/// well, and a big log looks one up per line.
#[derive(Clone, Copy, Debug, Default)]
struct ActivityIds;

impl std::hash::BuildHasher for ActivityIds {
    type Hasher = ActivityIdHasher;
    fn build_hasher(&self) -> ActivityIdHasher {
        ActivityIdHasher(0)
    }
}

#[derive(Clone, Copy, Debug)]
struct ActivityIdHasher(u64);

impl std::hash::Hasher for ActivityIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u64(&mut self, id: u64) {
        self.0 = (self.0.rotate_left(5) ^ id).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
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
    activities: HashMap<u64, Activity, ActivityIds>,
    pub builds: Progress,
    pub downloads: Progress,
    /// Nix's error messages that mean the run fails, without colours.
    pub errors: Vec<String>,
    /// Warnings and errors Nix recovered from.
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
    pub(super) counters: super::counters::Counters,
    /// Inside a `these N derivations will be built:` list.
    plan: Option<Plan>,
    /// An old-style `error: Cannot build 'x'.` waiting for its `Reason:` line.
    cannot_build: Option<String>,
    /// Remote builders seen in `building ... on 'ssh://host'`: copying from them is not fetching.
    builder_hosts: Vec<String>,
    /// Lines of `--log-format internal-json` seen: none means an old-style log.
    pub(super) json_lines: u64,
    pub(super) failure_seen: bool,
    /// A build started after a failure: Nix runs with `--keep-going`.
    pub(super) keep_going: bool,
    /// The last `name> ` prefix of `nix build -L` output and its derivation.
    last_prefix: Option<(String, usize)>,
    /// Where each derivation's full log goes once it outgrows memory.
    full_logs: Option<PathBuf>,
}

impl BuildState {
    pub fn new(log_capacity: usize) -> Self {
        Self {
            derivations: Vec::new(),
            by_path: HashMap::new(),
            activities: HashMap::default(),
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
            counters: Default::default(),
            plan: None,
            cannot_build: None,
            builder_hosts: Vec::new(),
            json_lines: 0,
            failure_seen: false,
            keep_going: false,
            last_prefix: None,
            full_logs: None,
        }
    }

    /// Keeps each derivation's full log in `dir` (one file each, named after the derivation) once
    /// it outgrows the lines kept in memory.
    pub fn keep_full_logs_in(mut self, dir: PathBuf) -> Self {
        self.full_logs = Some(dir);
        self
    }

    /// Writes the rest of each spilled log at the end of the build.
    pub(super) fn complete_full_logs(&mut self) {
        for drv in &mut self.derivations {
            drv.log.complete_on_disk();
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
            fetch: !drv_path.ends_with(".drv"),
            stopped: false,
            started_at_event: 0,
            log: match &self.full_logs {
                Some(dir) => {
                    let file = crate::graph::store_path_name(drv_path);
                    let hash = file.split('-').next().unwrap_or_default();
                    let name = format!("{}-{}.log", drv_name(drv_path), &hash[..hash.len().min(8)]);
                    BoundedLog::new(self.log_capacity).spilling_to(dir.join(name))
                }
                None => BoundedLog::new(self.log_capacity),
            },
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
        if !matches!(event, Event::Message { .. } | Event::Raw(_)) {
            self.plan = None;
        }
        match event {
            Event::Start {
                id,
                parent,
                kind,
                fields,
                text,
                ..
            } => {
                self.json_lines += 1;
                self.start(id, parent, kind, &fields, text, now)
            }
            Event::Stop { id } => {
                self.json_lines += 1;
                self.stop(id, now)
            }
            Event::Result {
                id,
                kind,
                ints,
                text,
            } => {
                self.json_lines += 1;
                self.result(id, kind, ints, text, now)
            }
            Event::LogLine { id, line } => {
                self.json_lines += 1;
                match self.owner(id) {
                    Some(i) => {
                        self.derivations[i].log.push(line);
                        Change::Log(i)
                    }
                    None => self.other_line(line),
                }
            }
            Event::Message { level, text } => self.message(level, text, now),
            Event::PlainBuilding { drv_path, host } => self.plain_building(&drv_path, host, now),
            Event::PlainLog { prefix, line } => self.plain_log(prefix, line),
            Event::Raw(line) => self.raw(line, now),
        }
    }

    fn other_line(&mut self, line: String) -> Change {
        self.other.push(line.clone());
        Change::Other(line)
    }

    /// Marks a derivation as started (a build or a fetch).
    fn begin(&mut self, i: usize, status: DrvStatus, host: &str, now: f64) -> Change {
        if self.failure_seen && status == DrvStatus::Building {
            self.keep_going = true;
        }
        let event = self.lines_seen;
        let drv = &mut self.derivations[i];
        drv.status = status;
        drv.fetch = status == DrvStatus::Substituting;
        drv.host = host.to_string();
        drv.started = Some(now);
        drv.finished = None;
        drv.stopped = false;
        drv.started_at_event = event;
        self.evaluating = false;
        Change::Started(i)
    }

    fn start(
        &mut self,
        id: u64,
        parent: u64,
        kind: u64,
        fields: &[Field],
        text: String,
        now: f64,
    ) -> Change {
        let field = |i: usize| fields.get(i).and_then(Field::as_str).unwrap_or("");
        let mut change = Change::None;
        let derivation = match kind {
            activity::BUILD if field(0).ends_with(".drv") => {
                let i = self.derivation_for(field(0));
                let host = field(1).to_string();
                if !host.is_empty() && !self.builder_hosts.contains(&host) {
                    self.builder_hosts.push(host.clone());
                }
                change = self.begin(i, DrvStatus::Building, &host, now);
                Some(i)
            }
            activity::SUBSTITUTE if !field(0).is_empty() => {
                let i = self.derivation_for(field(0));
                change = self.begin(i, DrvStatus::Substituting, field(1), now);
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
        match activity.derivation {
            Some(i) => self.activity_stopped(i, now),
            None => Change::None,
        }
    }

    fn result(
        &mut self,
        id: u64,
        kind: u64,
        ints: [u64; 4],
        text: Option<String>,
        now: f64,
    ) -> Change {
        match kind {
            result::SET_PHASE => {
                if let (Some(i), Some(phase)) = (self.owner(id), text) {
                    self.derivations[i].phase = Some(phase);
                }
                Change::None
            }
            result::PROGRESS => {
                let progress = Progress {
                    done: ints[0],
                    expected: ints[1],
                    running: ints[2],
                    failed: ints[3],
                };
                let fetch = match self.activities.get(&id).map(|a| a.kind) {
                    Some(activity::BUILDS) => {
                        self.builds = progress;
                        false
                    }
                    Some(activity::COPY_PATHS) => {
                        self.downloads = progress;
                        true
                    }
                    _ => return Change::None,
                };
                self.counted(id, fetch, progress.done, now)
            }
            _ => Change::None,
        }
    }

    /// A message from Nix (`msg` lines, or `error:`/`warning:` lines of old-style logs).
    fn message(&mut self, level: Option<u64>, text: String, now: f64) -> Change {
        if self.plan_lines(&text) {
            return Change::None;
        }
        let meaning = messages::classify(level, &text);
        match meaning {
            Meaning::Warning => {
                self.warnings.push(text.clone());
                Change::Message(text)
            }
            Meaning::Notice => {
                self.other.push(text.clone());
                Change::Message(text)
            }
            Meaning::Info => {
                if level.is_none_or(|l| l <= 3) {
                    self.other.push(text);
                }
                Change::None
            }
            meaning => {
                self.failure(meaning, now);
                self.errors.push(text.clone());
                Change::Message(text)
            }
        }
    }

    /// Applies what an error says about derivations.
    fn failure(&mut self, meaning: Meaning, now: f64) {
        match meaning {
            Meaning::BuildFailed(drv) => {
                self.failure_seen = true;
                let i = self.derivation_for(&drv);
                let drv = &mut self.derivations[i];
                drv.status = DrvStatus::Failed;
                drv.finished.get_or_insert(now);
                self.settle(now);
            }
            Meaning::DependenciesFailed(drv) => {
                self.failure_seen = true;
                let i = self.derivation_for(&drv);
                let drv = &mut self.derivations[i];
                if !matches!(drv.status, DrvStatus::Failed | DrvStatus::Built) {
                    drv.status = DrvStatus::DependencyFailed;
                }
            }
            Meaning::GoalsFailed(drvs) => {
                for drv in drvs {
                    let i = self.derivation_for(&drv);
                    let drv = &mut self.derivations[i];
                    drv.status = match drv.status {
                        DrvStatus::Building | DrvStatus::Substituting => {
                            drv.finished.get_or_insert(now);
                            DrvStatus::Cancelled
                        }
                        DrvStatus::Queued | DrvStatus::NotStarted => DrvStatus::DependencyFailed,
                        done => done,
                    };
                }
            }
            Meaning::CannotBuild(drv) => self.cannot_build = Some(drv),
            _ => {}
        }
    }

    /// Reads plan lists (`these 3 derivations will be built:` and its indented paths). Returns
    /// whether every line of `text` belonged to one.
    fn plan_lines(&mut self, text: &str) -> bool {
        let mut all = true;
        for line in text.lines() {
            if let Some(plan) = messages::plan_header(line) {
                self.plan = Some(plan);
            } else if let (Some(_), Some(path)) = (self.plan, messages::plan_entry(line)) {
                self.derivation_for(path);
            } else {
                self.plan = None;
                all = false;
            }
        }
        all && !text.is_empty()
    }

    fn plain_building(&mut self, drv_path: &str, host: String, now: f64) -> Change {
        let i = self.derivation_for(drv_path);
        if !host.is_empty() && !self.builder_hosts.contains(&host) {
            self.builder_hosts.push(host.clone());
        }
        self.begin(i, DrvStatus::Building, &host, now)
    }

    fn plain_log(&mut self, prefix: String, line: String) -> Change {
        let found = match &self.last_prefix {
            Some((last, i)) if *last == prefix => Some(*i),
            _ => self.derivations.iter().rposition(|d| {
                d.name == prefix || crate::graph::split_name_version(&d.name).0 == prefix
            }),
        };
        match found {
            Some(i) => {
                if let Some(phase) = line.strip_prefix("Running phase: ") {
                    self.derivations[i].phase = Some(phase.trim().to_string());
                }
                self.last_prefix = Some((prefix, i));
                self.derivations[i].log.push(line);
                Change::Log(i)
            }
            None => self.other_line(format!("{prefix}> {line}")),
        }
    }

    /// Old-style lines that are neither errors nor builder output: plan lists, `copying path`,
    /// the `Reason:` of a `Cannot build`.
    fn raw(&mut self, line: String, now: f64) -> Change {
        if self.plan_lines(&line) {
            return Change::None;
        }
        if let Some(drv) = self.cannot_build.take() {
            match messages::reason_of(&line) {
                Some(reason) => {
                    let meaning = if reason.contains("dependenc") {
                        Meaning::DependenciesFailed(drv)
                    } else {
                        Meaning::BuildFailed(drv)
                    };
                    self.failure(meaning, now);
                }
                None => self.cannot_build = Some(drv),
            }
        }
        if let Some((path, from)) = messages::copying_from(&line) {
            if self.builder_hosts.iter().any(|h| h == from) {
                // The outputs of a remote build coming back: that build is done.
                if let Some(i) = self.only_running_on(from) {
                    self.derivations[i].status = DrvStatus::Built;
                    self.derivations[i].finished = Some(now);
                    return Change::Finished(i);
                }
                return self.other_line(line);
            }
            let i = self.derivation_for(path);
            let from = from.to_string();
            return self.begin(i, DrvStatus::Substituting, &from, now);
        }
        self.other_line(line)
    }

    /// The one build running on `host`, if exactly one is.
    fn only_running_on(&self, host: &str) -> Option<usize> {
        let mut running = self
            .derivations
            .iter()
            .enumerate()
            .filter(|(_, d)| d.status == DrvStatus::Building && d.host == host);
        match (running.next(), running.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
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

    /// No error Nix stops for and no failed derivation so far: Nix would exit 0.
    pub fn is_success(&self) -> bool {
        self.errors.is_empty() && self.count(DrvStatus::Failed) == 0
    }
}

/// What one event changed, for line-oriented output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    None,
    /// A derivation started building or substituting (index into `derivations`).
    Started(usize),
    Finished(usize),
    /// A new log line of a derivation (its newest).
    Log(usize),
    /// An error, warning or notice from Nix.
    Message(String),
    /// Output that belongs to no derivation.
    Other(String),
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
        state.finish(t);
        state
    }

    #[test]
    fn keep_going_failure_from_real_nix() {
        let state = replay("build-failure-keep-going.internal-json", 1000);
        let summary = state.summary();
        assert!(!summary.success);
        assert_eq!(summary.failed, 1);
        assert_eq!(summary.built, 1);
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
    fn a_long_log_keeps_its_tail_in_memory_and_the_whole_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/golden/nix-2.8.0/build-chatty.internal-json");
        let bytes = std::fs::read(path).unwrap();
        let mut state = BuildState::new(10).keep_full_logs_in(dir.path().to_path_buf());
        let mut splitter = LineSplitter::default();
        splitter.feed(&bytes, |line| {
            state.apply(parse_line(line), 0.0);
        });
        state.finish(1.0);
        let chatty = &state.derivations[0];
        assert_eq!(chatty.log.len(), 10);
        let full = std::fs::read_to_string(chatty.log.full_log().unwrap()).unwrap();
        assert_eq!(full.lines().count() as u64, chatty.log.dropped + 10);
        assert_eq!(full.lines().last(), chatty.log.newest());
        assert!(full.contains("compiling unit 1 of 400"));
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
