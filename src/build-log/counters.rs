//! The progress counters of Nix's `Builds` and `CopyPaths` activities, kept per activity: how many
//! steps each reported done and how many of those were credited to a derivation (see `outcome`).

#[derive(Clone, Debug, Default)]
pub(super) struct Counters {
    counters: Vec<Counter>,
    builds_counted: bool,
    fetches_counted: bool,
}

#[derive(Clone, Debug)]
struct Counter {
    activity: u64,
    fetch: bool,
    done: u64,
    credited: u64,
}

impl Counters {
    /// Records the `done` count a `Builds` (`fetch` false) or `CopyPaths` activity reported.
    pub(super) fn record(&mut self, activity: u64, fetch: bool, done: u64) {
        if fetch {
            self.fetches_counted = true;
        } else {
            self.builds_counted = true;
        }
        match self.counters.iter_mut().find(|c| c.activity == activity) {
            Some(counter) => counter.done = counter.done.max(done),
            None => self.counters.push(Counter {
                activity,
                fetch,
                done,
                credited: 0,
            }),
        }
    }

    pub(super) fn counted(&self, fetch: bool) -> bool {
        if fetch {
            self.fetches_counted
        } else {
            self.builds_counted
        }
    }

    /// Takes one outstanding credit of this kind, if there is one.
    pub(super) fn take_credit(&mut self, fetch: bool) -> bool {
        match self
            .counters
            .iter_mut()
            .find(|c| c.fetch == fetch && c.credited < c.done)
        {
            Some(counter) => {
                counter.credited += 1;
                true
            }
            None => false,
        }
    }

    pub(super) fn outstanding(&self, fetch: bool) -> u64 {
        self.counters
            .iter()
            .filter(|c| c.fetch == fetch)
            .map(|c| c.done.saturating_sub(c.credited))
            .sum()
    }
}
