//! The system `ssh`, started to stream a remote log file from a byte offset. Not Nix, so it does not
//! go through `crate::nix`; it has the same kill policy for async children (`kill_on_drop`).

use std::process::Stdio;

/// A log file on another machine: `ssh://[user@]host[:port]/path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub path: String,
}

/// Single-quotes a string for the remote POSIX shell.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// `user@host` or `host`.
pub fn destination(target: &SshTarget) -> String {
    match &target.user {
        Some(user) => format!("{user}@{}", target.host),
        None => target.host.clone(),
    }
}

/// argv for ssh (after the program) that streams the remote file from byte `offset`.
pub fn ssh_args(target: &SshTarget, offset: u64) -> Vec<String> {
    let mut args: Vec<String> = [
        "-o",
        "BatchMode=yes",
        "-o",
        "ServerAliveInterval=5",
        "-o",
        "ServerAliveCountMax=2",
        "-o",
        "ConnectTimeout=10",
    ]
    .map(String::from)
    .to_vec();
    if let Some(port) = target.port {
        args.push("-p".into());
        args.push(port.to_string());
    }
    args.push(destination(target));
    args.push("--".into());
    // `tail -c +N` starts at byte N (1-based); -F keeps following across rotation.
    args.push(format!(
        "tail -c +{} -F {}",
        offset + 1,
        shell_quote(&target.path)
    ));
    args
}

/// Starts the system ssh (the user's config and keys; `NIXBENCH_SSH` names another program) with
/// stdout and stderr piped; killed when the child is dropped.
pub fn spawn_tail(target: &SshTarget, offset: u64) -> Result<tokio::process::Child, SpawnError> {
    let program = std::env::var_os("NIXBENCH_SSH").unwrap_or_else(|| "ssh".into());
    tokio::process::Command::new(&program)
        .args(ssh_args(target, offset))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| SpawnError {
            program: program.to_string_lossy().into_owned(),
            source,
        })
}

/// The ssh program could not be started.
#[derive(Debug, thiserror::Error)]
#[error("could not run {program}: {source}; is OpenSSH installed?")]
pub struct SpawnError {
    pub program: String,
    #[source]
    pub source: std::io::Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_command_resumes_from_offset_and_quotes_the_path() {
        let target = SshTarget {
            user: Some("ci".into()),
            host: "h".into(),
            port: Some(22),
            path: "/tmp/it's.log".into(),
        };
        let args = ssh_args(&target, 41);
        assert_eq!(args.last().unwrap(), "tail -c +42 -F '/tmp/it'\\''s.log'");
        assert!(args.contains(&"ci@h".to_string()));
    }
}
