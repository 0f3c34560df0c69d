//! Every argv nixbench passes to Nix (after the program), and the differences between releases.

use std::ffi::OsString;
use std::path::Path;

use super::version::{Flavour, NixInfo, Version};

/// Shape of `nix path-info --json`: Nix before 2.19 prints an array of objects with a `path` field,
/// 2.19 and later an object keyed by store path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathInfoShape {
    Array,
    Object,
}

/// The experimental features every `nix` (new CLI) call needs. Harmless where they are already
/// stable or enabled.
const FEATURES: [&str; 2] = ["--extra-experimental-features", "nix-command flakes"];

/// argv for `nix flake prefetch FLAKE_REF`: puts a locked flake (nixpkgs) in the store. Needs no
/// [`NixInfo`], so it can be offered before Nix was detected.
pub fn flake_prefetch_args(flake_ref: &str) -> Vec<OsString> {
    let mut args: Vec<OsString> = FEATURES.map(OsString::from).to_vec();
    args.extend(["flake", "prefetch", flake_ref].map(OsString::from));
    args
}

impl NixInfo {
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

    /// Arguments every `nix` (new CLI) call gets: the experimental features it needs.
    pub fn common_args(&self) -> Vec<OsString> {
        FEATURES.map(OsString::from).to_vec()
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

    /// The `nix-env` next to this `nix`: the old CLI is the one that lists a whole package set
    /// with its meta.
    pub fn nix_env_program(&self) -> std::path::PathBuf {
        self.program.with_file_name("nix-env")
    }

    /// argv for `nix-env -f ROOT -qaP --json --meta`: every package of a nixpkgs checkout.
    pub fn query_packages_args(&self, root: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["-f".into(), root.into()];
        args.extend(["-qaP", "--json", "--meta"].map(OsString::from));
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_follow_the_release() {
        let nix = NixInfo::from_banner("nix".into(), "nix (Nix) 2.8.0\n").unwrap();
        assert_eq!(nix.derivation_show_command(), ["show-derivation"]);
        assert_eq!(nix.path_info_shape(), PathInfoShape::Array);

        let new = NixInfo::from_banner("nix".into(), "nix (Nix) 2.24.10").unwrap();
        assert_eq!(new.derivation_show_command(), ["derivation", "show"]);
        assert_eq!(new.path_info_shape(), PathInfoShape::Object);

        let lix = NixInfo::from_banner("nix".into(), "nix (Lix, like Nix) 2.91.1").unwrap();
        assert_eq!(lix.derivation_show_command(), ["derivation", "show"]);
        assert_eq!(lix.path_info_shape(), PathInfoShape::Array);
    }

    #[test]
    fn prefetch_names_the_features_first() {
        assert_eq!(
            flake_prefetch_args("github:NixOS/nixpkgs/abc"),
            [
                "--extra-experimental-features",
                "nix-command flakes",
                "flake",
                "prefetch",
                "github:NixOS/nixpkgs/abc"
            ]
            .map(OsString::from)
        );
    }
}
