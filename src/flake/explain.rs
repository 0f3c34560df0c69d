//! Plain-words explanations of the flake.nix construct under the cursor.

use rnix::ast;
use rnix::{TextSize, TokenAtOffset};
use rowan::ast::AstNode;

use super::Flake;
use crate::nixpkgs::syntax::attrpath_text;

/// Explanations keyed by the attribute name they describe, written for someone new to Nix.
const TOPICS: &[(&str, &str)] = &[
    ("description", "A one-line summary of the flake, shown by `nix flake show` and `nix flake metadata`."),
    ("inputs", "The flake's dependencies: other flakes (nixpkgs, flake-utils, ...) or plain sources. Each is pinned to an exact revision in flake.lock, which is what makes builds reproducible."),
    ("url", "Where an input comes from: `github:owner/repo/branch`, `git+https://...`, `path:./dir`. flake.lock records the exact revision it resolved to; `nix flake update` moves it."),
    ("follows", "Makes this input's own dependency reuse one of yours, e.g. `inputs.x.inputs.nixpkgs.follows = \"nixpkgs\"`: one nixpkgs instead of two, a smaller closure and faster evaluation."),
    ("flake", "`flake = false` marks an input that is plain source code, not a flake: it is fetched and pinned but has no outputs."),
    ("outputs", "A function from the resolved inputs (and `self`) to what this flake provides: packages, devShells, apps, checks, overlays, nixosModules. `nix flake show` lists them."),
    ("self", "The flake itself as an input: `self.outPath` is its source, `self.packages` its own outputs."),
    ("nixpkgs", "The Nix package collection: over 100,000 packages and the `lib` functions. `nixpkgs.legacyPackages.${system}` is the package set for one platform."),
    ("systems", "The platforms (e.g. `x86_64-linux`, `aarch64-darwin`) the flake builds for. Outputs are keyed by system because a package built for Linux does not run on macOS."),
    ("system", "A platform name such as `x86_64-linux`: the CPU and operating system a derivation is built for."),
    ("forAllSystems", "A helper (usually `nixpkgs.lib.genAttrs systems`) that calls a function once per system and collects the results, so outputs are not written out per platform."),
    ("eachDefaultSystem", "flake-utils' helper: calls your function for each common system and nests the results under `<output>.<system>`."),
    ("perSystem", "flake-parts' per-platform section: what you define here becomes `packages.<system>`, `devShells.<system>`, ... for every system listed in `systems`."),
    ("packages", "Things `nix build` can build: `packages.<system>.<name>`. `packages.<system>.default` is what a bare `nix build` builds."),
    ("devShells", "Development environments for `nix develop`: `devShells.<system>.default` is the shell you get with no argument."),
    ("apps", "Programs `nix run` can start: `apps.<system>.<name> = { type = \"app\"; program = \"${pkg}/bin/x\"; }`."),
    ("checks", "Derivations that `nix flake check` builds: tests, linters, formatting checks."),
    ("overlays", "Functions `final: prev: { ... }` that change or add packages in a nixpkgs package set."),
    ("formatter", "The program `nix fmt` runs, e.g. `formatter.<system> = pkgs.nixfmt-rfc-style`."),
    ("mkShell", "`pkgs.mkShell { packages = [ ... ]; }` builds a development environment: the listed packages are on PATH inside `nix develop`."),
    ("mkDerivation", "`stdenv.mkDerivation { pname; version; src; ... }` describes how to build a package: fetch the source, then run the unpack, configure, build, install and fixup phases."),
    ("buildInputs", "Dependencies needed by the program at run time (libraries it links against). They end up in its runtime closure."),
    ("nativeBuildInputs", "Tools needed only while building (compilers, pkg-config, make). They run on the build machine and usually do not end up in the runtime closure."),
    ("packages_shell", "In `mkShell`: programs put on PATH inside the dev shell. Same as `nativeBuildInputs`."),
    ("shellHook", "Shell commands run each time you enter `nix develop`: set variables, print a greeting."),
    ("legacyPackages", "nixpkgs' package set for one system. Called \"legacy\" only because it is not a flat set of derivations; it is the normal way to get `pkgs`."),
    ("let", "`let name = value; in expression`: local names usable in the expression after `in`."),
    ("with", "`with pkgs; [ git ripgrep ]` brings every attribute of `pkgs` into scope, so you can write `git` instead of `pkgs.git`."),
    ("inherit", "`inherit system;` is short for `system = system;`; `inherit (pkgs) git;` for `git = pkgs.git;`."),
    ("import", "Loads another Nix file (or a directory's default.nix) and evaluates it."),
    ("src", "The source of a package: a path like `./.` or a fetcher such as `fetchFromGitHub { ... }` with a hash."),
    ("version", "The package version, shown in store paths (`/nix/store/<hash>-name-version`)."),
    ("pname", "The package name without its version."),
    ("meta", "Descriptive data about a package: description, homepage, license, mainProgram, platforms."),
];

/// What a construct of flake.nix means: its name as written, and the explanation (markdown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub title: String,
    pub body: &'static str,
}

/// The explanation for the innermost construct at a byte offset, with its title.
pub fn explain_at(flake: &Flake, offset: usize) -> Option<Explanation> {
    let explained = |title: &str, body| Explanation {
        title: title.to_string(),
        body,
    };
    let root = flake.source.root.syntax();
    let offset = TextSize::from(offset.min(flake.text().len()) as u32);
    let token = match root.token_at_offset(offset) {
        TokenAtOffset::Single(t) => t,
        TokenAtOffset::Between(_, right) => right,
        TokenAtOffset::None => return None,
    };
    // The identifier itself first (`mkShell`, `nativeBuildInputs`), then enclosing bindings.
    let word = token.text().trim();
    if let Some(text) = topic(word) {
        return Some(explained(word, text));
    }
    for node in token.parent_ancestors() {
        if let Some(kv) = ast::AttrpathValue::cast(node.clone()) {
            if let Some(path) = attrpath_text(&kv) {
                for part in path.split('.').rev() {
                    if let Some(text) = topic(part) {
                        return Some(explained(&path, text));
                    }
                }
            }
        }
        let keyword = match node.kind() {
            rnix::SyntaxKind::NODE_LET_IN => Some("let"),
            rnix::SyntaxKind::NODE_WITH => Some("with"),
            rnix::SyntaxKind::NODE_INHERIT => Some("inherit"),
            _ => None,
        };
        if let Some(keyword) = keyword {
            return topic(keyword).map(|text| explained(keyword, text));
        }
    }
    None
}

pub fn topic(word: &str) -> Option<&'static str> {
    TOPICS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_words_and_enclosing_bindings() {
        let text = "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { self, nixpkgs }: {\n    devShells.x86_64-linux.default = nixpkgs.legacyPackages.x86_64-linux.mkShell { nativeBuildInputs = [ ]; };\n  };\n}\n";
        let flake = Flake::parse(text.to_string());
        let at = |needle: &str| explain_at(&flake, text.find(needle).unwrap() + 1).map(|e| e.title);
        assert_eq!(at("mkShell").as_deref(), Some("mkShell"));
        assert_eq!(
            at("nativeBuildInputs").as_deref(),
            Some("nativeBuildInputs")
        );
        assert_eq!(at("\"github").as_deref(), Some("inputs.nixpkgs.url"));
    }
}
