//! A user-facing failure with its exit code, and which code each library error gets.
//!
//! 1: the thing asked for failed or is absent (not found, a build or evaluation failed);
//! 2: a usage error or a broken environment (no Nix, no nixpkgs, a file that cannot be read).

use crate::flake::edit::EditError;
use crate::graph::source::SourceError;
use crate::nix::NixError;
use crate::nixpkgs::evaluated::ImportError;
use crate::workspace::LoadError;

/// Exit code for "the thing asked for failed or is absent".
const FAILED: u8 = 1;
/// Exit code for usage and environment errors.
const USAGE: u8 = 2;

pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// The command line asks for something impossible (a conflict, an unknown name, a missing flag).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            code: USAGE,
            message: message.into(),
        }
    }

    /// The machine is not set up for the request: no Nix, no nixpkgs, an unreadable file, no terminal.
    pub(crate) fn environment(message: impl Into<String>) -> Self {
        Self {
            code: USAGE,
            message: message.into(),
        }
    }

    /// What was asked for is not there.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            code: FAILED,
            message: message.into(),
        }
    }

    /// What was asked for ran and failed (an evaluation, a build, Nix's own check).
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self {
            code: FAILED,
            message: message.into(),
        }
    }

    /// A file that could not be read or written.
    pub(crate) fn io(path: &std::path::Path, error: std::io::Error) -> Self {
        Self::environment(format!("{}: {error}", path.display()))
    }

    /// Nix is needed and cannot be used: an environment error, whatever went wrong asking it.
    pub(crate) fn nix_unusable(error: NixError) -> Self {
        Self::environment(error.to_string())
    }
}

/// Nix ran and said no: the thing asked for failed. Nix missing or not starting: environment.
impl From<NixError> for Failure {
    fn from(error: NixError) -> Self {
        match error {
            NixError::Failed { .. } => Self::failed(error.to_string()),
            NixError::NotFound { .. }
            | NixError::UnknownVersion { .. }
            | NixError::Spawn { .. } => Self::environment(error.to_string()),
        }
    }
}

/// A root that failed to build or evaluate is a failure (1); a missing Nix or an unreadable
/// input is an environment error (2).
impl From<SourceError> for Failure {
    fn from(error: SourceError) -> Self {
        match error {
            SourceError::Nix(nix) => nix.into(),
            SourceError::File { .. } | SourceError::Load(_) | SourceError::NoProject => {
                Self::environment(error.to_string())
            }
        }
    }
}

/// A change that is already made, or a name that is absent, is "not there" (1); anything that
/// cannot be placed safely or does not parse is a usage error (2).
impl From<EditError> for Failure {
    fn from(error: EditError) -> Self {
        match error {
            EditError::AlreadyPresent { .. }
            | EditError::NotPresent { .. }
            | EditError::InputExists(_)
            | EditError::FollowsExists { .. }
            | EditError::NoInput(_) => Self::not_found(error.to_string()),
            EditError::Parse(_)
            | EditError::NoShell { .. }
            | EditError::Unsafe { .. }
            | EditError::InputInUse { .. }
            | EditError::WouldBreak(_) => Self::usage(error.to_string()),
        }
    }
}

impl From<LoadError> for Failure {
    fn from(error: LoadError) -> Self {
        match error {
            LoadError::Nix(nix) => nix.into(),
            LoadError::Graph(source) => source.into(),
            _ => Self::environment(error.to_string()),
        }
    }
}

/// A `--from-json` file that cannot be read or is not Nix's package JSON: a usage error.
impl From<ImportError> for Failure {
    fn from(error: ImportError) -> Self {
        Self::environment(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_kind_of_error() {
        let nix_failed = NixError::Failed {
            command: "nix build".into(),
            code: 1,
            message: "error".into(),
            stderr: String::new(),
        };
        let nix_missing = NixError::NotFound {
            searched: "PATH".into(),
        };
        assert_eq!(Failure::from(nix_failed.clone()).code, FAILED);
        assert_eq!(Failure::from(nix_missing.clone()).code, USAGE);
        assert_eq!(Failure::from(SourceError::Nix(nix_failed)).code, FAILED);
        assert_eq!(Failure::from(SourceError::NoProject).code, USAGE);
        assert_eq!(Failure::from(LoadError::Nix(nix_missing)).code, USAGE);
        let no_result = LoadError::NoResult { root: "/p".into() };
        assert_eq!(Failure::from(no_result).code, USAGE);
        let present = EditError::AlreadyPresent {
            package: "git".into(),
            shell: "default".into(),
        };
        assert_eq!(Failure::from(present).code, FAILED);
        assert_eq!(Failure::from(EditError::Parse("x".into())).code, USAGE);
    }
}
