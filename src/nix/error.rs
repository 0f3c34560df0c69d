//! How a failed Nix call reads: what was run, Nix's own message, and what to do when Nix is missing.

use thiserror::Error;

/// What to do when there is no Nix to run; said once, here.
pub const INSTALL_HINT: &str = "Install Nix (on Debian: `apt-get install nix-bin`)";

#[derive(Debug, Error)]
pub enum NixError {
    #[error(
        "nix was not found on PATH ({searched}). {INSTALL_HINT}, \
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
    #[error("could not run `{command}`: {source}{}", missing_hint(source))]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
}

/// A copy for each holder of one failure (a workspace's missing Nix is told to every loader); the
/// I/O error of a failed start keeps its kind and message.
impl Clone for NixError {
    fn clone(&self) -> Self {
        match self {
            NixError::NotFound { searched } => NixError::NotFound {
                searched: searched.clone(),
            },
            NixError::UnknownVersion { program, output } => NixError::UnknownVersion {
                program: program.clone(),
                output: output.clone(),
            },
            NixError::Failed {
                command,
                code,
                message,
                stderr,
            } => NixError::Failed {
                command: command.clone(),
                code: *code,
                message: message.clone(),
                stderr: stderr.clone(),
            },
            NixError::Spawn { command, source } => NixError::Spawn {
                command: command.clone(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            },
        }
    }
}

/// A program that does not exist gets the install hint; other spawn failures speak for themselves.
fn missing_hint(source: &std::io::Error) -> String {
    if source.kind() == std::io::ErrorKind::NotFound {
        format!(". {INSTALL_HINT}")
    } else {
        String::new()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_message_keeps_nix_error_lines() {
        let stderr = "warning: Git tree is dirty\nerror: attribute 'helo' missing\n\n       at «string»:1:1:\n";
        assert_eq!(
            error_message(stderr),
            "error: attribute 'helo' missing at «string»:1:1:"
        );
        assert_eq!(error_message("just this\n"), "just this");
    }

    #[test]
    fn a_missing_program_gets_the_install_hint() {
        let missing = NixError::Spawn {
            command: "nix build".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert!(missing.to_string().contains(INSTALL_HINT));
        let denied = NixError::Spawn {
            command: "nix build".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert!(!denied.to_string().contains(INSTALL_HINT));
    }
}
