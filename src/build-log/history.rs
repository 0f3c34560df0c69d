//! How long earlier builds of each package took, kept in the state directory, for ETAs.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::state::{BuildState, DrvStatus};

/// Seconds per package name (`hello`, without version: a new version takes about as long).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Durations {
    pub seconds: BTreeMap<String, f64>,
}

fn key(name: &str) -> &str {
    crate::graph::split_name_version(name).0
}

impl Durations {
    /// Reads the file; a missing or unreadable file is an empty history (ETAs are a nicety).
    pub fn load(path: &Path) -> Self {
        crate::fsutil::read_json(path).unwrap_or_default()
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        crate::fsutil::write_json(path, self)
    }

    /// Remembers the durations of what was built, smoothing with earlier runs.
    pub fn record(&mut self, state: &BuildState) {
        for drv in &state.derivations {
            if drv.status != DrvStatus::Built {
                continue;
            }
            if let Some(took) = drv.started.zip(drv.finished).map(|(a, b)| b - a) {
                let entry = self
                    .seconds
                    .entry(key(&drv.name).to_string())
                    .or_insert(took);
                *entry = 0.5 * *entry + 0.5 * took;
            }
        }
    }

    /// Expected seconds for a derivation name, if it was built before.
    pub fn expected(&self, name: &str) -> Option<f64> {
        self.seconds.get(key(name)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build_log::parse_line;

    #[test]
    fn records_and_reloads() {
        let mut state = BuildState::new(10);
        state.apply(parse_line(r#"@nix {"action":"start","id":1,"type":105,"fields":["/nix/store/00000000000000000000000000000000-hello-2.12.1.drv","",1,1]}"#), 1.0);
        state.apply(parse_line(r#"@nix {"action":"stop","id":1}"#), 5.0);
        let mut durations = Durations::default();
        durations.record(&state);
        assert_eq!(durations.expected("hello-2.13"), Some(4.0));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("durations.json");
        durations.save(&path).unwrap();
        assert_eq!(Durations::load(&path), durations);
        assert_eq!(
            Durations::load(&dir.path().join("missing")),
            Durations::default()
        );
    }
}
