//! Where build logs come from: a `nix build` child, standard input, a file that is still growing
//! (followed with notify), or a file on another machine read through the system `ssh`, which
//! reconnects with backoff and resumes from the last complete line, so nothing is lost or repeated.
//! Each source runs as a task and sends parsed events over a channel.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};
use tokio::sync::mpsc::UnboundedSender;

use super::parse::{parse_line, Event, LineSplitter};
pub use super::ssh::SshTarget;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Run `program args` (nix build) and read its stderr.
    Command {
        program: PathBuf,
        args: Vec<OsString>,
        cwd: Option<PathBuf>,
    },
    Stdin,
    File {
        path: PathBuf,
        follow: bool,
    },
    Ssh(SshTarget),
}

impl Source {
    /// Whether the source ends on its own (a process, a pipe) or must be stopped when the build it
    /// shows has finished (a followed file, a remote file).
    pub fn is_followed(&self) -> bool {
        matches!(self, Source::File { follow: true, .. } | Source::Ssh(_))
    }

    /// A short name for line prefixes when several sources are followed: the host of a remote
    /// log, a file's name, `stdin`, `nix`.
    pub fn label(&self) -> String {
        match self {
            Source::Command { .. } => "nix".into(),
            Source::Stdin => "stdin".into(),
            Source::File { path, .. } => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
            Source::Ssh(t) => t.host.clone(),
        }
    }

    /// [`Source::label`] of each source, a repeated one numbered (`host`, `host#2`).
    pub fn labels(sources: &[Source]) -> Vec<String> {
        let mut labels: Vec<String> = Vec::with_capacity(sources.len());
        for source in sources {
            let base = source.label();
            let mut label = base.clone();
            let mut n = 1;
            while labels.contains(&label) {
                n += 1;
                label = format!("{base}#{n}");
            }
            labels.push(label);
        }
        labels
    }

    pub fn describe(&self) -> String {
        match self {
            Source::Command { args, .. } => {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect();
                format!("nix {}", args.join(" "))
            }
            Source::Stdin => "standard input".into(),
            Source::File { path, .. } => path.display().to_string(),
            Source::Ssh(t) => format!(
                "ssh://{}{}{}{}",
                t.user
                    .as_deref()
                    .map(|u| format!("{u}@"))
                    .unwrap_or_default(),
                t.host,
                t.port.map(|p| format!(":{p}")).unwrap_or_default(),
                t.path
            ),
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SourceError {
    #[error("`{0}` is not an ssh URL; write ssh://[user@]host[:port]/path/to/log")]
    BadSshUrl(String),
}

/// Why a followed log could not be read (for good: a missing file that is not followed, a host
/// that never answered).
#[derive(Debug, Error)]
pub enum FollowError {
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    SshSpawn(#[from] super::ssh::SpawnError),
    #[error("cannot read {path} over ssh: {reason}. Check that `ssh {destination}` works without a password prompt (BatchMode) and that the file exists")]
    SshUnreachable {
        path: String,
        reason: String,
        destination: String,
    },
}

/// `-` is standard input, `ssh://[user@]host[:port]/path` a remote file, anything else a local file.
pub fn parse_source(text: &str, follow: bool) -> Result<Source, SourceError> {
    if text == "-" {
        return Ok(Source::Stdin);
    }
    if let Some(rest) = text.strip_prefix("ssh://") {
        let bad = || SourceError::BadSshUrl(text.to_string());
        let (authority, path) = rest.split_once('/').ok_or_else(bad)?;
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((user, host)) => (Some(user.to_string()), host),
            None => (None, authority),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port.parse::<u16>().map_err(|_| bad())?)),
            None => (host_port, None),
        };
        if host.is_empty() || path.is_empty() {
            return Err(bad());
        }
        return Ok(Source::Ssh(SshTarget {
            user,
            host: host.to_string(),
            port,
            path: format!("/{path}"),
        }));
    }
    Ok(Source::File {
        path: PathBuf::from(text),
        follow,
    })
}

/// What a source task reports.
#[derive(Debug, PartialEq)]
pub enum Feed {
    /// Parsed lines, in order.
    Events(Vec<Event>),
    /// Something the user should know (reconnecting, waiting for the file).
    Status(String),
    /// The process's standard output, at the end (`nix build --print-out-paths` prints there).
    Stdout(Vec<u8>),
    /// The source failed for good; the message says what to do.
    Error(String),
    /// No more input; for a process, its exit code.
    Ended { code: Option<i32> },
}

/// Splits bytes into lines and sends them as event batches.
struct Feeder {
    splitter: LineSplitter,
    tx: UnboundedSender<Feed>,
}

impl Feeder {
    fn new(tx: UnboundedSender<Feed>) -> Self {
        Self {
            splitter: LineSplitter::default(),
            tx,
        }
    }

    /// Returns false when nobody listens any more.
    fn bytes(&mut self, bytes: &[u8]) -> bool {
        let mut events = Vec::new();
        self.splitter
            .feed(bytes, |line| events.push(parse_line(line)));
        events.is_empty() || self.tx.send(Feed::Events(events)).is_ok()
    }

    fn finish(&mut self) {
        let mut events = Vec::new();
        self.splitter.finish(|line| events.push(parse_line(line)));
        if !events.is_empty() {
            let _ = self.tx.send(Feed::Events(events));
        }
    }

    fn status(&self, text: impl Into<String>) {
        let _ = self.tx.send(Feed::Status(text.into()));
    }
}

async fn pump(reader: &mut (impl AsyncRead + Unpin), feeder: &mut Feeder) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
        if !feeder.bytes(&buf[..n]) {
            return Ok(total);
        }
    }
}

/// Runs a source until it ends (or until the task is aborted, which also kills any child).
pub async fn stream(source: Source, tx: UnboundedSender<Feed>) {
    let mut feeder = Feeder::new(tx.clone());
    let code = match source {
        Source::Command { program, args, cwd } => {
            run_command(&program, &args, cwd.as_deref(), &mut feeder).await
        }
        Source::Stdin => {
            let _ = pump(&mut tokio::io::stdin(), &mut feeder).await;
            None
        }
        Source::File { path, follow } => {
            if let Err(error) = follow_file(&path, follow, &mut feeder).await {
                let _ = tx.send(Feed::Error(error.to_string()));
            }
            None
        }
        Source::Ssh(target) => {
            if let Err(error) = follow_ssh(&target, &mut feeder).await {
                let _ = tx.send(Feed::Error(error.to_string()));
            }
            None
        }
    };
    feeder.finish();
    let _ = tx.send(Feed::Ended { code });
}

/// Runs `nix build` (or what the source names), feeding its stderr to the parser and passing its
/// stdout on at the end.
async fn run_command(
    program: &Path,
    args: &[OsString],
    cwd: Option<&Path>,
    feeder: &mut Feeder,
) -> Option<i32> {
    let mut command = crate::nix::NixCommand::new(program).args(args);
    if let Some(dir) = cwd {
        command = command.cwd(dir);
    }
    let mut child = match command.spawn_streaming() {
        Ok(child) => child,
        Err(err) => {
            let _ = feeder.tx.send(Feed::Error(err.to_string()));
            return Some(127);
        }
    };
    let (Some(mut stdout), Some(mut stderr)) = (child.take_stdout(), child.take_stderr()) else {
        return None;
    };
    let collect_stdout = async {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out).await;
        out
    };
    let (out, _) = tokio::join!(collect_stdout, pump(&mut stderr, feeder));
    let status = child.wait().await.ok();
    if !out.is_empty() {
        let _ = feeder.tx.send(Feed::Stdout(out));
    }
    status.and_then(|s| s.code())
}

/// Reads a file from the start and, when `follow` is set, keeps reading as it grows: woken by notify,
/// with a slow poll as a safety net (some file systems send no events). A file that shrinks was
/// replaced: reading starts over.
async fn follow_file(path: &Path, follow: bool, feeder: &mut Feeder) -> Result<(), FollowError> {
    let file_error = |source| FollowError::File {
        path: path.to_path_buf(),
        source,
    };
    use notify::Watcher;
    let (wake_tx, mut wake_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Reading the log is an event too; waking on it would read again and again.
        if event.is_ok_and(|e| crate::fsutil::is_change(&e)) {
            let _ = wake_tx.send(());
        }
    })
    .ok();
    let watch_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if follow {
        if let Some(w) = watcher.as_mut() {
            let _ = w.watch(watch_dir, notify::RecursiveMode::NonRecursive);
        }
    }
    let mut offset = 0u64;
    let mut announced_wait = false;
    loop {
        match tokio::fs::File::open(path).await {
            Ok(mut file) => {
                let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
                if len < offset {
                    feeder.status(format!(
                        "{} was truncated or replaced; reading it from the start",
                        path.display()
                    ));
                    offset = 0;
                    feeder.splitter.restart_at(0);
                }
                file.seek(std::io::SeekFrom::Start(offset))
                    .await
                    .map_err(file_error)?;
                offset += pump(&mut file, feeder).await.map_err(file_error)?;
            }
            Err(err) if !follow => return Err(file_error(err)),
            Err(_) => {
                if !announced_wait {
                    feeder.status(format!("waiting for {} to appear", path.display()));
                    announced_wait = true;
                }
            }
        }
        if !follow || feeder.tx.is_closed() {
            return Ok(());
        }
        tokio::select! {
            _ = wake_rx.recv() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// Follows a remote file through the system ssh (the user's config and keys; `NIXBENCH_SSH` names
/// another program). On a drop it reconnects with backoff and resumes at the first byte of the
/// first incomplete line. A host that never answers is an error after a few tries.
async fn follow_ssh(target: &SshTarget, feeder: &mut Feeder) -> Result<(), FollowError> {
    let mut backoff = Duration::from_millis(250);
    let mut failures_before_data = 0;
    let mut ever_connected = false;
    loop {
        let offset = feeder.splitter.complete_bytes;
        // A partial line from the dropped connection is read again from its start.
        feeder.splitter.restart_at(offset);
        let mut child = super::ssh::spawn_tail(target, offset)?;
        let mut stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let collect_stderr = async {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        };
        let (received, error_text) = tokio::join!(pump(&mut stdout, feeder), collect_stderr);
        let _ = child.wait().await;
        if feeder.tx.is_closed() {
            return Ok(());
        }
        let received = received.unwrap_or(0);
        let reason = error_text
            .lines()
            .rev()
            .find(|l| {
                !l.trim().is_empty() && !l.contains("cannot open") && !l.contains("has appeared")
            })
            .unwrap_or("connection closed")
            .trim()
            .to_string();
        if received > 0 {
            ever_connected = true;
            failures_before_data = 0;
            backoff = Duration::from_millis(250);
        } else if !ever_connected {
            failures_before_data += 1;
            if failures_before_data >= 4 {
                return Err(FollowError::SshUnreachable {
                    path: target.path.clone(),
                    reason,
                    destination: super::ssh::destination(target),
                });
            }
        }
        feeder.status(format!(
            "connection to {} lost ({reason}); reconnecting in {:.1}s from byte {}",
            target.host,
            backoff.as_secs_f64(),
            feeder.splitter.complete_bytes
        ));
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sources() {
        assert_eq!(parse_source("-", true), Ok(Source::Stdin));
        assert_eq!(
            parse_source("ssh://ci@build.example:2222/var/log/nix/build.json", true),
            Ok(Source::Ssh(SshTarget {
                user: Some("ci".into()),
                host: "build.example".into(),
                port: Some(2222),
                path: "/var/log/nix/build.json".into()
            }))
        );
        assert!(matches!(
            parse_source("ssh://host/x", true),
            Ok(Source::Ssh(SshTarget {
                user: None,
                port: None,
                ..
            }))
        ));
        assert!(parse_source("ssh://host:notaport/x", true).is_err());
        assert!(parse_source("ssh://host", true).is_err());
        assert!(matches!(
            parse_source("build.log", false),
            Ok(Source::File { follow: false, .. })
        ));
    }

    #[tokio::test]
    async fn follows_a_growing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("build.log");
        std::fs::write(&path, "one\ntw").unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(stream(
            Source::File {
                path: path.clone(),
                follow: true,
            },
            tx,
        ));
        let mut lines = Vec::new();
        let mut appended = false;
        while lines.len() < 3 {
            let feed = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("no timeout")
                .expect("open");
            if let Feed::Events(events) = feed {
                for event in events {
                    if let Event::Raw(line) = event {
                        lines.push(line);
                    }
                }
            }
            if !appended {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .unwrap();
                f.write_all(b"o\nthree\n").unwrap();
                appended = true;
            }
        }
        task.abort();
        assert_eq!(lines, ["one", "two", "three"]);
    }
}
