//! `$XDG_CONFIG_HOME/nixbench/config.toml` and the cache and state directories.

use std::collections::BTreeMap;
use std::io::Write;
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
    pub fn from_env() -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let xdg = |var: &str, fallback: &str| {
            std::env::var_os(var)
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

/// Reads a JSON file nixbench keeps for itself (history, progress, caches). Missing or unreadable
/// means "nothing yet": these files are conveniences, never worth an error.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
}

/// Writes a value as pretty JSON, atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    write_atomic(path, &json)
}

/// Writes `contents` to `path` so that a crash leaves either the old file or the new one: a temporary
/// file in the same directory, fsync, rename, then fsync of the directory.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, contents, true)
}

/// Like [`write_atomic`] without waiting for the disk: for caches, which must never be seen half
/// written (the rename sees to that) but may be lost in a crash and are then rebuilt.
pub fn write_atomic_cache(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, contents, false)
}

fn write_atomic_with(path: &Path, contents: &[u8], durable: bool) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let temp = dir.join(format!(".{file_name}.nixbench-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(contents)?;
        if durable {
            file.sync_all()?;
        }
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, path)?;
        if durable {
            if let Ok(dir_handle) = std::fs::File::open(dir) {
                let _ = dir_handle.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn atomic_write_replaces_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
