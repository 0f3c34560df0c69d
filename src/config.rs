//! `$XDG_CONFIG_HOME/nixbench/config.toml` and the cache and state directories.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

/// The XDG directories nixbench uses.
#[derive(Clone, Debug)]
pub struct Dirs {
    pub config: PathBuf,
    pub cache: PathBuf,
    pub state: PathBuf,
}

impl Dirs {
    /// The XDG base directories on every platform (a macOS user finds the config where the README
    /// says, not in `~/Library`), each with a `nixbench` folder.
    pub fn from_env() -> Self {
        Self::from_vars(|var| std::env::var_os(var), std::env::home_dir())
    }

    /// An `XDG_*` value counts only when absolute, as the XDG spec says; otherwise the spec's
    /// default under `home` (which `std::env::home_dir` takes from `$HOME`, else the passwd entry).
    fn from_vars(var: impl Fn(&str) -> Option<OsString>, home: Option<PathBuf>) -> Self {
        let home = home.unwrap_or_else(std::env::temp_dir);
        let xdg = |name: &str, fallback: &str| {
            var(name)
                .map(PathBuf::from)
                .filter(|path| path.is_absolute())
                .unwrap_or_else(|| home.join(fallback))
                .join("nixbench")
        };
        Self {
            config: xdg("XDG_CONFIG_HOME", ".config"),
            cache: xdg("XDG_CACHE_HOME", ".cache"),
            state: xdg("XDG_STATE_HOME", ".local/state"),
        }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config.join("config.toml")
    }

    /// How long earlier builds took, for ETAs.
    pub fn durations_file(&self) -> PathBuf {
        self.state.join("durations.json")
    }

    /// Tour progress.
    pub fn tour_file(&self) -> PathBuf {
        self.state.join("tour.json")
    }

    /// Copies of files taken before nixbench changed them.
    pub fn backups(&self) -> PathBuf {
        self.state.join("backups")
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Theme name: dark, light, high-contrast.
    pub theme: Option<String>,
    /// Key overrides: key text (`ctrl-f`, `g`, `f5`) to command name (`search`, `quit`), or to `none`
    /// to unbind.
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    #[serde(default)]
    pub build: BuildConfig,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct BuildConfig {
    /// Log lines kept per derivation (older lines are dropped; the count of dropped lines is shown).
    pub log_lines: usize,
}

impl Default for BuildConfig {
    fn default() -> Self {
        Self { log_lines: 5000 }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{path}:{line}:{column}: {message}\nFix or remove that line (see README, \"Configuration\").")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Config {
    /// Loads the config file; a missing file is the default config.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|err| {
            let (line, column) = err
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or((1, 1));
            ConfigError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message: err.message().trim().to_string(),
            }
        })
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_values_count_only_when_absolute() {
        let vars = |name: &str| match name {
            "XDG_CONFIG_HOME" => Some(OsString::from("/xdg/config")),
            "XDG_CACHE_HOME" => Some(OsString::from("relative/cache")),
            _ => None,
        };
        let dirs = Dirs::from_vars(vars, Some(PathBuf::from("/home/u")));
        assert_eq!(dirs.config, Path::new("/xdg/config/nixbench"));
        assert_eq!(dirs.cache, Path::new("/home/u/.cache/nixbench"));
        assert_eq!(dirs.state, Path::new("/home/u/.local/state/nixbench"));
    }

    #[test]
    fn bad_config_names_file_line_and_column() {
        let text = "theme = \"dark\"\n[keys]\nctrl-f = search\n";
        let err = Config::parse(Path::new("/c/config.toml"), text).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("/c/config.toml:3:"), "{message}");
    }

    #[test]
    fn unknown_field_is_an_error() {
        let err = Config::parse(Path::new("c.toml"), "colour = 1\n").unwrap_err();
        assert!(err.to_string().contains("c.toml:1:1"), "{err}");
    }

    #[test]
    fn parses_keys_and_build() {
        let text = "theme = \"light\"\n[keys]\n\"ctrl-f\" = \"search\"\n[build]\nlog_lines = 10\n";
        let config = Config::parse(Path::new("c.toml"), text).unwrap();
        assert_eq!(config.theme.as_deref(), Some("light"));
        assert_eq!(config.keys["ctrl-f"], "search");
        assert_eq!(config.build.log_lines, 10);
    }
}
