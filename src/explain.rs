//! The Nix error explainer: recognises common errors in Nix's output and says, in plain words, what
//! went wrong and what to do, with the specifics (names, hashes, files) taken from the message.
//! Used by `nixbench explain`, the Build tab's failure summary and `nixbench flake check`.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// Stable identifier: `hash-mismatch`, `attribute-missing`, ...
    pub kind: &'static str,
    pub title: String,
    /// What it means.
    pub meaning: String,
    /// What to do.
    pub fix: String,
    /// Where, when the message says (`file:line:col`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

/// Text after `label` up to the end of its line, trimmed.
fn after<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let start = text.find(label)? + label.len();
    Some(text[start..].lines().next()?.trim())
}

/// `at /path/file.nix:12:5:` or `at «string»:1:1:` after an error.
fn location(text: &str) -> Option<String> {
    text.lines().map(str::trim).find_map(|line| {
        line.strip_prefix("at ")
            .map(|rest| rest.trim_end_matches(':').to_string())
    })
}

/// What a rule sees: Nix's output without colours, the position it names, and a way to suggest
/// names for a missing attribute.
struct Message<'a> {
    text: &'a str,
    location: Option<String>,
    near: &'a dyn Fn(&str) -> Vec<String>,
}

/// One kind of error: recognises it in the message and explains it.
type Rule = fn(&Message) -> Option<Explanation>;

/// Every rule, in the order their explanations are shown.
const RULES: &[Rule] = &[
    hash_mismatch,
    missing_attribute,
    infinite_recursion,
    undefined_variable,
    file_collision,
    refused_package,
    newer_lock,
    experimental_feature,
    untracked_file,
    build_failed,
];

/// Explains every recognised error in `output` (Nix's stderr, colours already removed or not).
/// `near` suggests names for a missing attribute (from the package index).
pub fn explain(output: &str, near: &dyn Fn(&str) -> Vec<String>) -> Vec<Explanation> {
    let text = crate::build_log::strip_ansi(output);
    let message = Message {
        text: &text,
        location: location(&text),
        near,
    };
    let mut found: Vec<Explanation> = RULES.iter().filter_map(|rule| rule(&message)).collect();
    if found.is_empty() {
        found.extend(network(&message));
    }
    found
}

/// A fixed-output download whose hash is not the one written down.
fn hash_mismatch(m: &Message) -> Option<Explanation> {
    if m.text.contains("hash mismatch in fixed-output derivation") {
        let drv = between(m.text, "derivation '", "'").unwrap_or("the download");
        let wanted = after(m.text, "specified:")
            .or_else(|| after(m.text, "wanted:"))
            .unwrap_or("?");
        let got = after(m.text, "got:").unwrap_or("?");
        return Some(Explanation {
            kind: "hash-mismatch",
            title: format!("Hash mismatch in {}", crate::build_log::drv_name(drv)),
            meaning: format!(
                "A fetcher downloaded something whose hash is not the one written in the Nix expression: the file says {wanted}, the download is {got}. The source changed (a moved tag, a re-uploaded tarball) or the hash was a placeholder."
            ),
            fix: format!(
                "If you trust the new download, replace the hash in the fetcher call (`hash = \"...\";` or `sha256 = \"...\";` in fetchurl / fetchFromGitHub) with:\n    {got}\nWith `lib.fakeHash` as a placeholder this error is the normal way to learn the real hash."
            ),
            location: m.location.clone(),
        });
    }
    None
}

/// An attribute (or a flake output) that does not exist, with the nearest names.
fn missing_attribute(m: &Message) -> Option<Explanation> {
    if let Some(attr) = between(m.text, "attribute '", "' missing") {
        let suggestions = (m.near)(attr);
        let hint = if suggestions.is_empty() {
            String::new()
        } else {
            format!(" Did you mean: {}?", suggestions.join(", "))
        };
        return Some(Explanation {
            kind: "attribute-missing",
            title: format!("Attribute `{attr}` does not exist"),
            meaning: format!("The expression looks up `{attr}` in an attribute set that has no such attribute: a typo, a package that was renamed or removed, or the wrong package set.{hint}"),
            fix: format!("Check the spelling, search for it with `nixbench search {attr}`, or list what the set has with `nix eval --apply builtins.attrNames`."),
            location: m.location.clone(),
        });
    } else if let Some(attr) = between(m.text, "does not provide attribute '", "'") {
        let last = attr.rsplit('.').next().unwrap_or(attr);
        let suggestions = (m.near)(last);
        return Some(Explanation {
            kind: "attribute-missing",
            title: format!("The flake has no `{attr}`"),
            meaning: format!(
                "Nix looked for the output `{attr}` and did not find it.{}",
                if suggestions.is_empty() { String::new() } else { format!(" Did you mean: {}?", suggestions.join(", ")) }
            ),
            fix: "List what the flake provides with `nix flake show`, and check the system in the path (x86_64-linux, aarch64-darwin, ...).".into(),
            location: m.location.clone(),
        });
    }
    None
}

/// A value defined in terms of itself.
fn infinite_recursion(m: &Message) -> Option<Explanation> {
    if m.text.contains("infinite recursion encountered") {
        return Some(Explanation {
            kind: "infinite-recursion",
            title: "Infinite recursion".into(),
            meaning: "A value was defined in terms of itself, so evaluating it never finishes. Common causes: `let x = x;`, a `rec { }` set whose attribute refers to itself, an overlay that uses `final.pkg` to define `pkg`, or a module option that depends on its own value.".into(),
            fix: "Look at the position shown and follow the references: use `prev.pkg` instead of `final.pkg` inside the overlay that defines `pkg`, rename shadowed bindings, or break the cycle. `--show-trace` prints the chain.".into(),
            location: m.location.clone(),
        });
    }
    None
}

/// A name used where nothing brings it into scope.
fn undefined_variable(m: &Message) -> Option<Explanation> {
    if let Some(var) = between(m.text, "undefined variable '", "'") {
        return Some(Explanation {
            kind: "undefined-variable",
            title: format!("`{var}` is not defined here"),
            meaning: format!("The name `{var}` is used where no `let`, function argument, `with` or `inherit` brings it into scope."),
            fix: format!("Define it, take it as a function argument (`{{ pkgs, {var}, ... }}:`), or qualify it (`pkgs.{var}`, `lib.{var}`, `builtins.{var}`)."),
            location: m.location.clone(),
        });
    }
    None
}

/// Two packages in one profile or environment with the same file.
fn file_collision(m: &Message) -> Option<Explanation> {
    // Nix 2.8: "packages 'A/bin/x' and 'B/bin/x' have the same priority"; buildEnv: "collision
    // between `A' and `B'"; newer Nix: "files 'A' and 'B' have the same priority".
    let collision = m
        .text
        .lines()
        .find(|l| l.contains("collision between") || l.contains("have the same priority"));
    if let Some(line) = collision {
        let first = between(line, "'", "'")
            .or_else(|| between(line, "`", "'"))
            .unwrap_or("a file");
        return Some(Explanation {
            kind: "file-collision",
            title: "Two packages provide the same file".into(),
            meaning: format!("Putting packages into one profile or environment (nix-env, nix profile, buildEnv) found the same path, {first}, in two of them, and it cannot keep both."),
            fix: "Remove one of the packages, or give one a higher priority: `nix-env --set-flag priority 4 NAME` (lower number wins), `nix profile install --priority 4 ...`, or `lib.hiPrio pkg` in buildEnv / home.packages.".into(),
            location: None,
        });
    }
    None
}

/// nixpkgs refusing an unfree, insecure or broken package.
fn refused_package(m: &Message) -> Option<Explanation> {
    for (marker, kind, what, fix) in [
        ("has an unfree license", "unfree", "an unfree license", "Allow it for one command with `NIXPKGS_ALLOW_UNFREE=1 nix build --impure ...`, or for good with `nixpkgs.config.allowUnfree = true;` (NixOS) / `config.allowUnfree = true;` when importing nixpkgs, or `allowUnfreePredicate` for just this package."),
        ("is marked as insecure", "insecure", "known security problems", "Prefer a newer version. If you must, allow exactly this one: `permittedInsecurePackages = [ \"NAME-VERSION\" ];` in the nixpkgs config."),
        ("is marked as broken", "broken", "a broken mark (it does not build or work on this platform)", "Use another version or platform, or allow it with `NIXPKGS_ALLOW_BROKEN=1 ... --impure` / `config.allowBroken = true;` and expect trouble."),
    ] {
        if m.text.contains(marker) {
            let package = between(m.text, "Package ‘", "’").or_else(|| between(m.text, "Package '", "'")).unwrap_or("a package");
            return Some(Explanation {
                kind,
                title: format!("nixpkgs refuses {package}"),
                meaning: format!("{package} has {what}, and nixpkgs will not evaluate it unless you allow it."),
                fix: fix.into(),
                location: None,
            });
        }
    }
    None
}

/// A flake.lock written by a newer Nix than this one.
fn newer_lock(m: &Message) -> Option<Explanation> {
    if let Some(words) = crate::flake::lock::explain_newer_lock(m.text) {
        return Some(Explanation {
            kind: "lock-from-newer-nix",
            title: "flake.lock was written by a newer Nix".into(),
            meaning: words,
            fix: "Upgrade Nix (2.17 or later), or run `nix flake lock --recreate-lock-file` with this Nix.".into(),
            location: None,
        });
    }
    None
}

/// The `nix` command or flakes switched off.
fn experimental_feature(m: &Message) -> Option<Explanation> {
    if let Some(feature) = between(m.text, "experimental Nix feature '", "' is disabled") {
        return Some(Explanation {
            kind: "experimental-feature-disabled",
            title: format!("The `{feature}` feature is not enabled"),
            meaning: format!("`{feature}` is an experimental part of Nix that this installation has switched off; the `nix` command and flakes need `nix-command` and `flakes`."),
            fix: "Add `experimental-features = nix-command flakes` to ~/.config/nix/nix.conf (or /etc/nix/nix.conf), or pass `--extra-experimental-features 'nix-command flakes'` on the command line.".into(),
            location: None,
        });
    }
    None
}

/// A file of a flake in git that git does not track.
fn untracked_file(m: &Message) -> Option<Explanation> {
    let untracked = m.text.lines().find(|l| {
        l.contains("-source/")
            && (l.contains("No such file or directory") || l.contains("does not exist"))
    });
    if let Some(line) = untracked {
        let path = between(line, "'", "'").unwrap_or("a file");
        let file = path.split("-source/").nth(1).unwrap_or(path);
        return Some(Explanation {
            kind: "untracked-file",
            title: format!("`{file}` is not part of the flake"),
            meaning: format!("Flakes in a git repository only see files that git tracks. `{file}` exists in your directory but was never added, so Nix's copy of the flake does not have it."),
            fix: format!("Run `git add {file}` (committing is not needed), then try again."),
            location: None,
        });
    }
    None
}

/// A builder that exited with an error, with the first error line of its log.
fn build_failed(m: &Message) -> Option<Explanation> {
    if let Some(line) = m
        .text
        .lines()
        .find(|l| l.contains("builder for '") && l.contains("failed"))
    {
        let drv = between(line, "builder for '", "'").unwrap_or("a derivation");
        let code = line
            .rsplit("exit code ")
            .next()
            .filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_digit()))
            .unwrap_or("?");
        // The first line of the build's own output that reports an error, if any.
        let cause = m
            .text
            .lines()
            .map(str::trim)
            .find(|l| {
                !l.starts_with("error: builder for")
                    && !l.contains("dependencies of derivation")
                    && l.to_lowercase().contains("error")
            })
            .map(|l| format!(" The first error in its log: `{l}`."))
            .unwrap_or_default();
        return Some(Explanation {
            kind: "build-failed",
            title: format!("Building {} failed", crate::build_log::drv_name(drv)),
            meaning: format!(
                "The build script exited with code {code}; Nix keeps nothing of a failed build.{cause} Packages that depend on it were not built either."
            ),
            fix: format!(
                "Read its log (`nix log {drv}`, or build with `-L` to see it live) and fix the cause in the package's source or expression; `nix build --keep-failed` keeps the build directory for a look inside."
            ),
            location: None,
        });
    }
    None
}

/// A download that failed, when nothing more specific explains the output.
fn network(m: &Message) -> Option<Explanation> {
    let network =
        m.text.contains("Couldn't resolve host name") || m.text.contains("unable to download");
    if network {
        return Some(Explanation {
            kind: "network",
            title: "A download failed".into(),
            meaning: "Nix could not reach a server (a binary cache or a source download).".into(),
            fix: "Check the network or proxy. To build without the binary cache, pass `--option substituters ''`; for flakes, `--offline` uses what is already in the store.".into(),
            location: None,
        });
    }
    None
}

/// The explanations as text for a terminal.
pub fn render(explanations: &[Explanation]) -> String {
    let mut out = String::new();
    for (i, e) in explanations.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("● {}\n", e.title));
        if let Some(at) = &e.location {
            out.push_str(&format!("  at {at}\n"));
        }
        out.push_str(&format!("  What it means: {}\n", e.meaning));
        out.push_str(&format!("  What to do: {}\n", e.fix.replace('\n', "\n  ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Vec<String> {
        Vec::new()
    }

    #[test]
    fn nixpkgs_refusals_and_untracked_files() {
        // nixpkgs' check-meta wording (Nix itself cannot produce these; nixpkgs does).
        let unfree = "error: Package ‘vscode-1.95.3’ in /nix/store/abc-source/pkgs/applications/editors/vscode/vscode.nix:46 has an unfree license (‘unfree’), refusing to evaluate.";
        let e = explain(unfree, &none);
        assert_eq!(e[0].kind, "unfree");
        assert!(e[0].title.contains("vscode-1.95.3"));
        let untracked = "error: getting status of '/nix/store/k2bq5vd6rgnj9vjwj8hmpqwq0rcf0ss9-source/nix/module.nix': No such file or directory";
        let e = explain(untracked, &none);
        assert_eq!(e[0].kind, "untracked-file");
        assert!(e[0].fix.contains("git add nix/module.nix"));
        assert!(explain("all good", &none).is_empty());
    }
}
