//! The one builder for Nix children, and their one kill policy: a child lives no longer than its
//! handle (dropped before it was waited for, it is killed), and while it runs it is tracked, so
//! [`stop_running`] can ask every live child to stop when the TUI quits. Blocking callers (the CLI,
//! background threads) use [`NixCommand::output`] or [`NixCommand::spawn`]; async ones
//! [`NixCommand::spawn_streaming`]. stdin is always null: Nix never gets to prompt.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output, Stdio};

use super::error::{error_message, NixError};

/// `program args` with its working directory and environment; built once, run in one of three ways.
#[derive(Clone, Debug)]
pub struct NixCommand {
    program: PathBuf,
    args: Vec<OsString>,
    cwd: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
    discard_stdout: bool,
}

impl NixCommand {
    pub fn new(program: impl AsRef<Path>) -> Self {
        Self {
            program: program.as_ref().to_path_buf(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            discard_stdout: false,
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Sends stdout to /dev/null, for commands whose result is a side effect (a fetch): a pipe
    /// nobody reads could fill and stall the child.
    pub fn discard_stdout(mut self) -> Self {
        self.discard_stdout = true;
        self
    }

    /// The command as a person would type it (program name without its directory), for messages.
    pub fn display(&self) -> String {
        let mut text = self
            .program
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.program.display().to_string());
        for arg in &self.args {
            text.push(' ');
            text.push_str(&arg.to_string_lossy());
        }
        text
    }

    fn spawn_error(&self, source: std::io::Error) -> NixError {
        NixError::Spawn {
            command: self.display(),
            source,
        }
    }

    /// Starts the child with stdout and stderr piped, tracked until it is waited for or dropped.
    pub fn spawn(&self) -> Result<NixChild, NixError> {
        let mut command = std::process::Command::new(&self.program);
        command.setup(self);
        let child = command.spawn().map_err(|e| self.spawn_error(e))?;
        let tracked = Tracked::new(Some(child.id()));
        Ok(NixChild {
            child: Some(child),
            command: self.display(),
            waited: false,
            _tracked: tracked,
        })
    }

    /// Runs to completion and returns whatever it printed; the exit status is the caller's to judge.
    pub fn run(&self) -> Result<Output, NixError> {
        self.spawn()?.wait_with_output()
    }

    /// Runs to completion: stdout on success, otherwise an error carrying Nix's own message.
    pub fn output(&self) -> Result<Vec<u8>, NixError> {
        let output = self.run()?;
        if output.status.success() {
            return Ok(output.stdout);
        }
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        Err(NixError::Failed {
            command: self.display(),
            code: output.status.code().unwrap_or(-1),
            message: error_message(&stderr),
            stderr,
        })
    }

    /// Starts the child on tokio with stdout and stderr piped, for reading while it runs (a build
    /// log). Killed when the handle is dropped, so an aborted task leaves no process behind.
    pub fn spawn_streaming(&self) -> Result<NixStream, NixError> {
        let mut command = tokio::process::Command::new(&self.program);
        command.setup(self);
        command.kill_on_drop(true);
        let child = command.spawn().map_err(|e| self.spawn_error(e))?;
        let tracked = Tracked::new(child.id());
        Ok(NixStream {
            child,
            command: self.display(),
            _tracked: tracked,
        })
    }
}

/// The settings std and tokio commands share, applied in one place.
trait CommandSetup {
    fn setup(&mut self, spec: &NixCommand);
}

macro_rules! command_setup {
    ($command:ty) => {
        impl CommandSetup for $command {
            fn setup(&mut self, spec: &NixCommand) {
                self.args(&spec.args)
                    .envs(spec.env.iter().map(|(k, v)| (k, v)))
                    .stdin(Stdio::null())
                    .stdout(if spec.discard_stdout {
                        Stdio::null()
                    } else {
                        Stdio::piped()
                    })
                    .stderr(Stdio::piped());
                if let Some(dir) = &spec.cwd {
                    self.current_dir(dir);
                }
            }
        }
    };
}

command_setup!(std::process::Command);
command_setup!(tokio::process::Command);

/// A running blocking child. Dropped before [`NixChild::wait`], it is killed and reaped.
pub struct NixChild {
    child: Option<std::process::Child>,
    command: String,
    waited: bool,
    _tracked: Tracked,
}

impl NixChild {
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.as_mut()?.stdout.take()
    }

    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.as_mut()?.stderr.take()
    }

    pub fn wait(&mut self) -> Result<ExitStatus, NixError> {
        let Some(child) = self.child.as_mut() else {
            return Err(self.wait_error(std::io::ErrorKind::NotFound.into()));
        };
        let status = child.wait();
        self.waited = true;
        status.map_err(|e| self.wait_error(e))
    }

    /// Reads stdout and stderr to their ends and waits.
    pub fn wait_with_output(mut self) -> Result<Output, NixError> {
        let Some(child) = self.child.take() else {
            return Err(self.wait_error(std::io::ErrorKind::NotFound.into()));
        };
        self.waited = true;
        child.wait_with_output().map_err(|e| self.wait_error(e))
    }

    fn wait_error(&self, source: std::io::Error) -> NixError {
        NixError::Spawn {
            command: self.command.clone(),
            source,
        }
    }
}

impl Drop for NixChild {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut().filter(|_| !self.waited) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A running tokio child: killed when dropped (`kill_on_drop`), tracked while it lives.
pub struct NixStream {
    child: tokio::process::Child,
    command: String,
    _tracked: Tracked,
}

impl NixStream {
    pub fn take_stdout(&mut self) -> Option<tokio::process::ChildStdout> {
        self.child.stdout.take()
    }

    pub fn take_stderr(&mut self) -> Option<tokio::process::ChildStderr> {
        self.child.stderr.take()
    }

    pub async fn wait(&mut self) -> Result<ExitStatus, NixError> {
        self.child.wait().await.map_err(|source| NixError::Spawn {
            command: self.command.clone(),
            source,
        })
    }
}

/// Shorthand for `NixCommand::new(program).args(args)` in `cwd`, then [`NixCommand::output`].
pub fn run_blocking(
    program: &Path,
    args: &[OsString],
    cwd: Option<&Path>,
) -> Result<Vec<u8>, NixError> {
    let mut command = NixCommand::new(program).args(args);
    if let Some(dir) = cwd {
        command = command.cwd(dir);
    }
    command.output()
}

/// Children that are still running, by process id, and whether [`stop_running`] has been called
/// (then every new child is stopped as soon as it is tracked).
static RUNNING: std::sync::Mutex<(Vec<u32>, bool)> = std::sync::Mutex::new((Vec::new(), false));

/// Registers a running child for [`stop_running`]; unregisters it when dropped (right after the
/// child has been waited for or killed).
struct Tracked(Option<u32>);

impl Tracked {
    fn new(id: Option<u32>) -> Self {
        if let (Some(id), Ok(mut running)) = (id, RUNNING.lock()) {
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
        if let (Some(id), Ok(mut running)) = (self.0, RUNNING.lock()) {
            running.0.retain(|&other| other != id);
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
    fn output_carries_stdout_and_failure_carries_stderr() {
        let ok = NixCommand::new("sh")
            .args(["-c", "printf \"$GREETING\""])
            .env("GREETING", "hello")
            .output()
            .unwrap();
        assert_eq!(ok, b"hello");
        let failed = NixCommand::new("sh")
            .args(["-c", "echo 'error: no such attribute' >&2; exit 3"])
            .output()
            .unwrap_err();
        match failed {
            NixError::Failed { code, message, .. } => {
                assert_eq!(code, 3);
                assert_eq!(message, "error: no such attribute");
            }
            other => panic!("expected Failed, got {other}"),
        }
    }

    #[test]
    fn a_dropped_child_is_killed() {
        let mut child = NixCommand::new("sleep").arg("600").spawn().unwrap();
        let stdout = child.take_stdout();
        drop(child);
        // The pipe closes once the killed child is gone.
        let mut rest = Vec::new();
        std::io::Read::read_to_end(&mut stdout.unwrap(), &mut rest).unwrap();
        assert!(rest.is_empty());
    }
}
