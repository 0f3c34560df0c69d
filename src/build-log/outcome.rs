//! Deciding what was built. Nix's `Builds` and `CopyPaths` activities report progress counters
//! (done, expected, running, failed); each step of `done` is one build (or fetch) that succeeded.
//! A step is credited to the one build that can have finished: the only stopped one, else the only
//! running one. When several could have, the credit waits for a stop, a failure, or the end of the
//! log. What never gets a credit was killed or cut off: cancelled. Old-style logs have no counters:
//! there success is the absence of an error, so a started build counts as built when the run
//! succeeded or went on after a failure (`--keep-going`), and as cancelled otherwise.

use serde::Serialize;

use super::state::{BuildState, Change, DrvStatus};

/// The JSON summary's schema version; bump it when a field changes meaning or goes away.
pub const SUMMARY_VERSION: u32 = 1;

impl BuildState {
    /// A progress result of a `Builds` (`fetch` false) or `CopyPaths` activity.
    pub(super) fn counted(&mut self, activity: u64, fetch: bool, done: u64, now: f64) -> Change {
        self.counters.record(activity, fetch, done);
        self.settle(now).map_or(Change::None, Change::Finished)
    }

    /// Credits what can be credited unambiguously; returns the first derivation it finished.
    pub(super) fn settle(&mut self, now: f64) -> Option<usize> {
        let mut first = None;
        for fetch in [false, true] {
            while self.counters.outstanding(fetch) > 0 {
                let Some(i) = self.only_candidate(fetch) else {
                    break;
                };
                self.counters.take_credit(fetch);
                self.mark_done(i, now);
                first.get_or_insert(i);
            }
        }
        first
    }

    /// The one build (or fetch) that can have finished: the only stopped one, else the only one
    /// running.
    fn only_candidate(&self, fetch: bool) -> Option<usize> {
        let running = if fetch {
            DrvStatus::Substituting
        } else {
            DrvStatus::Building
        };
        let one = |stopped: bool| {
            let mut found = self
                .derivations
                .iter()
                .enumerate()
                .filter(|(_, d)| d.status == running && d.stopped == stopped);
            match (found.next(), found.next()) {
                (Some((i, _)), None) => Some(Some(i)),
                (None, _) => None,
                _ => Some(None),
            }
        };
        match one(true) {
            Some(choice) => choice,
            None => one(false).flatten(),
        }
    }

    fn mark_done(&mut self, i: usize, now: f64) {
        let drv = &mut self.derivations[i];
        drv.status = if drv.status == DrvStatus::Substituting {
            DrvStatus::Substituted
        } else {
            DrvStatus::Built
        };
        drv.stopped = false;
        drv.finished = Some(now);
    }

    /// The Build or Substitute activity of derivation `i` stopped.
    pub(super) fn activity_stopped(&mut self, i: usize, now: f64) -> Change {
        let status = self.derivations[i].status;
        if !status.is_running() {
            self.derivations[i].finished.get_or_insert(now);
            return Change::Finished(i);
        }
        let fetch = status == DrvStatus::Substituting;
        if !self.counters.counted(fetch) || self.counters.take_credit(fetch) {
            self.mark_done(i, now);
            return Change::Finished(i);
        }
        self.derivations[i].stopped = true;
        self.settle(now).map_or(Change::None, Change::Finished)
    }

    /// The log ended (the process exited, the file was read): decides what was still open.
    pub fn finish(&mut self, now: f64) {
        self.finished = true;
        self.settle(now);
        for fetch in [false, true] {
            self.credit_leftovers(fetch, now);
        }
        let old_style = self.json_lines == 0;
        let success = self.is_success();
        let trust_open_builds = old_style && (success || self.keep_going);
        let last_build_start = self
            .derivations
            .iter()
            .filter(|d| !d.fetch && d.started.is_some())
            .map(|d| d.started_at_event)
            .max()
            .unwrap_or(0);
        for drv in &mut self.derivations {
            let status = match drv.status {
                DrvStatus::Building if trust_open_builds => DrvStatus::Built,
                // An old-style log says nothing when a fetch ends; one followed by a build ended.
                DrvStatus::Substituting
                    if old_style && (success || drv.started_at_event < last_build_start) =>
                {
                    DrvStatus::Substituted
                }
                DrvStatus::Building | DrvStatus::Substituting => DrvStatus::Cancelled,
                DrvStatus::Queued => DrvStatus::NotStarted,
                status => status,
            };
            if status != drv.status && drv.started.is_some() {
                drv.finished.get_or_insert(now);
            }
            drv.status = status;
            drv.stopped = false;
        }
        self.complete_full_logs();
    }

    /// Counts Nix reported that could not be placed: given to the earliest open ones.
    fn credit_leftovers(&mut self, fetch: bool, now: f64) {
        let running = if fetch {
            DrvStatus::Substituting
        } else {
            DrvStatus::Building
        };
        let mut open: Vec<usize> = (0..self.derivations.len())
            .filter(|&i| self.derivations[i].status == running)
            .collect();
        open.sort_by_key(|&i| {
            let d = &self.derivations[i];
            (!d.stopped, d.started_at_event)
        });
        for i in open {
            if !self.counters.take_credit(fetch) {
                break;
            }
            self.mark_done(i, now);
        }
    }

    pub fn summary(&self) -> Summary {
        let success = self.is_success();
        let paths = |keep: &dyn Fn(&super::state::Derivation) -> bool| -> Vec<String> {
            self.derivations
                .iter()
                .filter(|d| keep(d))
                .map(|d| d.drv_path.clone())
                .collect()
        };
        let failures = self
            .derivations
            .iter()
            .filter(|d| d.status == DrvStatus::Failed)
            .map(|d| Failure {
                drv_path: d.drv_path.clone(),
                name: d.name.clone(),
                phase: d.phase.clone(),
                host: d.host.clone(),
                last_lines: d.log.last(25),
            })
            .collect();
        Summary {
            version: SUMMARY_VERSION,
            success,
            built: self.count(DrvStatus::Built),
            substituted: self.count(DrvStatus::Substituted),
            failed: self.count(DrvStatus::Failed),
            cancelled: self.count(DrvStatus::Cancelled),
            dependents_not_built: paths(&|d| {
                d.status == DrvStatus::DependencyFailed
                    || (!success && !d.fetch && d.status == DrvStatus::NotStarted)
            }),
            planned_not_started: paths(&|d| d.status == DrvStatus::NotStarted),
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
            warnings: self.warnings.clone(),
            nix_stdout: None,
        }
    }
}

/// The machine-readable end-of-build report (`--json-summary`), schema [`SUMMARY_VERSION`]
/// (described in the README).
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub version: u32,
    /// Whether Nix would exit 0: no failed build and no error it stops for.
    pub success: bool,
    pub built: usize,
    pub substituted: usize,
    pub failed: usize,
    /// Started and never finished by themselves (killed because another build failed).
    pub cancelled: usize,
    /// Not built because a dependency failed, or planned and never started in a failed run.
    pub dependents_not_built: Vec<String>,
    /// Planned (`these N derivations will be built:`) and never started.
    pub planned_not_started: Vec<String>,
    pub derivations: Vec<SummaryDrv>,
    pub failures: Vec<Failure>,
    /// Nix's errors that make the run fail (not warnings, not level-0 notices).
    pub errors: Vec<String>,
    /// Warnings, and errors Nix recovered from.
    pub warnings: Vec<String>,
    /// What `nix build` printed on its standard output (`nixbench build` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nix_stdout: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SummaryDrv {
    pub drv_path: String,
    pub name: String,
    pub status: DrvStatus,
    /// Remote builder of a build (`ssh://host`), substituter of a fetch, empty for this machine.
    pub host: String,
    pub started: Option<f64>,
    pub duration: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    pub drv_path: String,
    pub name: String,
    pub phase: Option<String>,
    pub host: String,
    pub last_lines: Vec<String>,
}
