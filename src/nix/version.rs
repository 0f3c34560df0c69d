//! Finding `nix` and learning what it is: version and flavour from `nix --version`.

use std::fmt;
use std::path::{Path, PathBuf};

use super::error::NixError;
use super::process::NixCommand;

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
    let _ = crate::fsutil::write_atomic_cache(&record, info.banner.as_bytes());
    Ok(info)
}

/// Whether nixbench asked for Nix, and what it found.
#[derive(Clone, Debug)]
pub enum NixStatus {
    /// Not asked: commands that only read nixpkgs (`search`, `doc`) start no process to learn it.
    NotChecked,
    /// Asked, and there is no usable Nix.
    Missing(NixError),
    Found(NixInfo),
}

impl NixStatus {
    pub fn from_detection(detected: Result<NixInfo, NixError>) -> Self {
        match detected {
            Ok(info) => NixStatus::Found(info),
            Err(error) => NixStatus::Missing(error),
        }
    }

    /// The Nix found, if it was looked for and found.
    pub fn info(&self) -> Option<&NixInfo> {
        match self {
            NixStatus::Found(info) => Some(info),
            NixStatus::NotChecked | NixStatus::Missing(_) => None,
        }
    }

    /// The Nix to run, or why there is none; asks Nix now when it was not checked yet.
    pub fn require(&self) -> Result<NixInfo, NixError> {
        match self {
            NixStatus::Found(info) => Ok(info.clone()),
            NixStatus::Missing(error) => Err(error.clone()),
            NixStatus::NotChecked => detect(),
        }
    }
}

/// Finds `nix` (honouring `NIXBENCH_NIX` for tests and unusual installs) and asks it for its version.
/// Blocking; the TUI calls it from a background task.
pub fn detect() -> Result<NixInfo, NixError> {
    let program = find_program()?;
    let output = NixCommand::new(&program).arg("--version").run()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    NixInfo::from_banner(program.clone(), &text).ok_or_else(|| NixError::UnknownVersion {
        program: program.display().to_string(),
        output: text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_banners_of_each_flavour() {
        let nix = NixInfo::from_banner("nix".into(), "nix (Nix) 2.8.0\n").unwrap();
        assert_eq!(nix.flavour, Flavour::Nix);
        assert_eq!(nix.version, Version::new(2, 8, 0));

        let lix = NixInfo::from_banner("nix".into(), "nix (Lix, like Nix) 2.91.1").unwrap();
        assert_eq!(lix.flavour, Flavour::Lix);

        let det = NixInfo::from_banner("nix".into(), "nix (Determinate Nix 3.6.2) 2.29.0").unwrap();
        assert_eq!(det.flavour, Flavour::Determinate);
        assert_eq!(det.version, Version::new(2, 29, 0));

        let pre = Version::parse("2.18.1pre20231005_abcdef").unwrap();
        assert_eq!(pre, Version::new(2, 18, 1));
        assert!(NixInfo::from_banner("nix".into(), "garbage").is_none());
    }
}
