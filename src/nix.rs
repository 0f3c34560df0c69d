//! The only place that spawns `nix`: finding it, detecting its version and flavour, building argv for
//! the command and JSON differences between releases, and turning failures into readable errors.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use thiserror::Error;

/// Which implementation of the Nix CLI is installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    Nix,
    Lix,
    Determinate,
}

/// A `major.minor.patch` version, compared numerically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Parses `2.8.0`, `2.18.1pre20231005_abcdef`, `2.91.1-dev`: leading digits of each part count.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.').map(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().flatten().unwrap_or(0);
        Some(Self {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What `nix --version` told us, and what follows from it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NixInfo {
    pub program: PathBuf,
    pub flavour: Flavour,
    pub version: Version,
    /// The whole first line of `nix --version`, for display.
    pub banner: String,
}

impl fmt::Display for NixInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.flavour {
            Flavour::Nix => write!(f, "Nix {}", self.version),
            Flavour::Lix => write!(f, "Lix {}", self.version),
            Flavour::Determinate => write!(f, "Determinate Nix {}", self.version),
        }
    }
}

/// Shape of `nix path-info --json`: Nix before 2.19 prints an array of objects with a `path` field,
/// 2.19 and later an object keyed by store path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathInfoShape {
    Array,
    Object,
}

impl NixInfo {
    /// Parses the first line of `nix --version`: `nix (Nix) 2.8.0`, `nix (Lix, like Nix) 2.91.1`,
    /// `nix (Determinate Nix 3.6.0) 2.29.0`.
    pub fn from_banner(program: PathBuf, banner: &str) -> Option<Self> {
        let line = banner.lines().next()?.trim();
        let version = Version::parse(line.rsplit(' ').next()?)?;
        let flavour = if line.contains("Lix") {
            Flavour::Lix
        } else if line.contains("Determinate") {
            Flavour::Determinate
        } else {
            Flavour::Nix
        };
        Some(Self {
            program,
            flavour,
            version,
            banner: line.to_string(),
        })
    }

    /// `nix derivation show` exists from Nix 2.15 (and in every Lix); older releases call it
    /// `nix show-derivation`.
    pub fn derivation_show_command(&self) -> &'static [&'static str] {
        if self.version >= Version::new(2, 15, 0) {
            &["derivation", "show"]
        } else {
            &["show-derivation"]
        }
    }

    /// The JSON shape `path-info --json` prints. Parsers accept both; this is for documentation and
    /// for tests that compare against the installed Nix.
    pub fn path_info_shape(&self) -> PathInfoShape {
        if self.flavour != Flavour::Lix && self.version >= Version::new(2, 19, 0) {
            PathInfoShape::Object
        } else {
            PathInfoShape::Array
        }
    }

    /// Arguments every `nix` (new CLI) call gets: the experimental features it needs. Harmless where
    /// they are already stable or enabled.
    pub fn common_args(&self) -> Vec<OsString> {
        vec![
            "--extra-experimental-features".into(),
            "nix-command flakes".into(),
        ]
    }

    /// argv (after the program) for `nix path-info --json --recursive --closure-size` of an
    /// installable (`.#foo`, a store path, or `-f file.nix attr`).
    pub fn path_info_args(&self, installable: &[OsString]) -> Vec<OsString> {
        let mut args: Vec<OsString> = ["path-info", "--json", "--recursive", "--closure-size"]
            .map(OsString::from)
            .to_vec();
        args.extend(self.common_args());
        args.extend(installable.iter().cloned());
        args
    }

    /// argv for the recursive derivation graph of an installable.
    pub fn derivation_show_args(&self, installable: &[OsString]) -> Vec<OsString> {
        let mut args: Vec<OsString> = self
            .derivation_show_command()
            .iter()
            .map(OsString::from)
            .collect();
        args.extend(self.common_args());
        args.push("--recursive".into());
        args.extend(installable.iter().cloned());
        args
    }

    /// argv for `nix build --no-link` of an installable: realises it without a result link.
    pub fn realise_args(&self, installable: &[OsString]) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["build".into(), "--no-link".into()];
        args.extend(self.common_args());
        args.extend(installable.iter().cloned());
        args
    }

    /// argv for `nix build ARGS` with the machine-readable log on stderr.
    pub fn build_args(&self, user_args: &[OsString]) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["build".into()];
        args.extend(self.common_args());
        args.extend(["--log-format", "internal-json", "-v"].map(OsString::from));
        args.extend(user_args.iter().cloned());
        args
    }
}

#[derive(Debug, Error)]
pub enum NixError {
    #[error(
        "nix was not found on PATH ({searched}). Install Nix (on Debian: `apt-get install nix-bin`), \
         or run `nixbench --demo` to explore the built-in demo workspace"
    )]
    NotFound { searched: String },
    #[error("could not understand `{program} --version` output: {output:?}")]
    UnknownVersion { program: String, output: String },
    #[error("`{command}` failed (exit code {code}): {message}")]
    Failed {
        command: String,
        code: i32,
        message: String,
        stderr: String,
    },
    #[error("could not run `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
}

/// Looks for an executable called `name` on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Finds `nix`, honouring `NIXBENCH_NIX` for tests and unusual installs.
fn find_program() -> Result<PathBuf, NixError> {
    let program = match std::env::var_os("NIXBENCH_NIX") {
        Some(explicit) if explicit.is_empty() => None,
        Some(explicit) => Some(PathBuf::from(explicit)),
        None => find_on_path("nix"),
    };
    program.ok_or_else(|| NixError::NotFound {
        searched: std::env::var("PATH").unwrap_or_default(),
    })
}

/// Like [`detect`], but remembers the answer in `cache_dir` keyed by the binary's path, size, time
/// and inode, so commands run many times a day (`nixbench index`) start no process to learn it.
pub fn detect_cached(cache_dir: &Path) -> Result<NixInfo, NixError> {
    use std::hash::{Hash, Hasher};
    use std::os::unix::fs::MetadataExt;
    let program = find_program()?;
    let Some(meta) = std::fs::canonicalize(&program)
        .ok()
        .and_then(|real| Some((real.metadata().ok()?, real)))
    else {
        return detect();
    };
    let mut hasher = std::hash::DefaultHasher::new();
    (
        &meta.1,
        meta.0.len(),
        meta.0.mtime(),
        meta.0.mtime_nsec(),
        meta.0.ino(),
    )
        .hash(&mut hasher);
    let record = cache_dir.join(format!("nix-version-{:016x}.txt", hasher.finish()));
    if let Some(info) = std::fs::read_to_string(&record)
        .ok()
        .and_then(|banner| NixInfo::from_banner(program.clone(), &banner))
    {
        return Ok(info);
    }
    let info = detect()?;
    let _ = crate::config::write_atomic_cache(&record, info.banner.as_bytes());
    Ok(info)
}

/// Finds `nix` (honouring `NIXBENCH_NIX` for tests and unusual installs) and asks it for its version.
/// Blocking; the TUI calls it from a background task.
pub fn detect() -> Result<NixInfo, NixError> {
    let program = find_program()?;
    let output = std::process::Command::new(&program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| NixError::Spawn {
            command: format!("{} --version", program.display()),
            source,
        })?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    NixInfo::from_banner(program.clone(), &text).ok_or_else(|| NixError::UnknownVersion {
        program: program.display().to_string(),
        output: text,
    })
}

/// The most useful part of Nix's stderr for a one-line message: the `error:` lines and what follows
/// them, or the last non-empty line.
pub fn error_message(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    if let Some(start) = lines
        .iter()
        .position(|line| line.trim_start().starts_with("error:"))
    {
        let message: Vec<&str> = lines[start..]
            .iter()
            .map(|line| line.trim())
            .filter(|line| !line.is_empty())
            .take(6)
            .collect();
        return message.join(" ");
    }
    lines
        .iter()
        .rev()
        .map(|line| line.trim())
        .find(|line| !line.is_empty())
        .unwrap_or("no output")
        .to_string()
}

fn display_command(program: &Path, args: &[OsString]) -> String {
    let mut text = program
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.display().to_string());
    for arg in args {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs `program args` to completion and returns its stdout. The child is killed if the future is
/// dropped, so a cancelled request leaves no process behind.
pub async fn run(
    program: &Path,
    args: &[OsString],
    cwd: Option<&Path>,
) -> Result<Vec<u8>, NixError> {
    let command_text = display_command(program, args);
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    let output = command.output().await.map_err(|source| NixError::Spawn {
        command: command_text.clone(),
        source,
    })?;
    finish(command_text, output)
}

/// Stdout on success; otherwise an error carrying Nix's own message.
fn finish(command: String, output: std::process::Output) -> Result<Vec<u8>, NixError> {
    if output.status.success() {
        return Ok(output.stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Err(NixError::Failed {
        command,
        code: output.status.code().unwrap_or(-1),
        message: error_message(&stderr),
        stderr,
    })
}

/// Blocking twin of [`run`], for CLI subcommands and the TUI's background threads. The child is
/// [`Tracked`] while it runs, so a quitting TUI can stop it.
pub fn run_blocking(
    program: &Path,
    args: &[OsString],
    cwd: Option<&Path>,
) -> Result<Vec<u8>, NixError> {
    let command_text = display_command(program, args);
    let mut command = std::process::Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    let child = command.spawn().map_err(|source| NixError::Spawn {
        command: command_text.clone(),
        source,
    })?;
    let tracked = Tracked::new(&child);
    let output = child.wait_with_output().map_err(|source| NixError::Spawn {
        command: command_text.clone(),
        source,
    });
    drop(tracked);
    finish(command_text, output?)
}

/// Processes started by blocking calls that are still running, by process id, and whether
/// [`stop_running`] has been called (then every new child is stopped as soon as it is tracked).
static RUNNING: std::sync::Mutex<(Vec<u32>, bool)> = std::sync::Mutex::new((Vec::new(), false));

/// Registers a running child for [`stop_running`]; unregisters it when dropped (right after the
/// child has been waited for).
pub struct Tracked(u32);

impl Tracked {
    pub fn new(child: &std::process::Child) -> Self {
        let id = child.id();
        if let Ok(mut running) = RUNNING.lock() {
            // Background work that goes on after quitting (a fallback tried after a stopped
            // call) gets its process stopped too.
            if running.1 {
                terminate(id);
            }
            running.0.push(id);
        }
        Self(id)
    }
}

fn terminate(id: u32) {
    if let Some(pid) = rustix::process::Pid::from_raw(id as i32) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Ok(mut running) = RUNNING.lock() {
            running.0.retain(|&id| id != self.0);
        }
    }
}

/// Asks every tracked child, and every one started from now on, to stop (SIGTERM): the TUI calls
/// this when it quits, so a slow evaluation it started does not outlive it.
pub fn stop_running() {
    let Ok(mut running) = RUNNING.lock() else {
        return;
    };
    running.1 = true;
    for &id in running.0.iter() {
        terminate(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_banners_of_each_flavour() {
        let nix = NixInfo::from_banner("nix".into(), "nix (Nix) 2.8.0\n").unwrap();
        assert_eq!(nix.flavour, Flavour::Nix);
        assert_eq!(nix.version, Version::new(2, 8, 0));
        assert_eq!(nix.derivation_show_command(), ["show-derivation"]);
        assert_eq!(nix.path_info_shape(), PathInfoShape::Array);

        let new = NixInfo::from_banner("nix".into(), "nix (Nix) 2.24.10").unwrap();
        assert_eq!(new.derivation_show_command(), ["derivation", "show"]);
        assert_eq!(new.path_info_shape(), PathInfoShape::Object);

        let lix = NixInfo::from_banner("nix".into(), "nix (Lix, like Nix) 2.91.1").unwrap();
        assert_eq!(lix.flavour, Flavour::Lix);
        assert_eq!(lix.derivation_show_command(), ["derivation", "show"]);

        let det = NixInfo::from_banner("nix".into(), "nix (Determinate Nix 3.6.2) 2.29.0").unwrap();
        assert_eq!(det.flavour, Flavour::Determinate);
        assert_eq!(det.version, Version::new(2, 29, 0));

        let pre = Version::parse("2.18.1pre20231005_abcdef").unwrap();
        assert_eq!(pre, Version::new(2, 18, 1));
        assert!(NixInfo::from_banner("nix".into(), "garbage").is_none());
    }

    #[test]
    fn error_message_keeps_nix_error_lines() {
        let stderr = "warning: Git tree is dirty\nerror: attribute 'helo' missing\n\n       at «string»:1:1:\n";
        assert_eq!(
            error_message(stderr),
            "error: attribute 'helo' missing at «string»:1:1:"
        );
        assert_eq!(error_message("just this\n"), "just this");
    }
}
