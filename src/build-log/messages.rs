//! What Nix means by a message. Nix logs at its error level things that are not errors (store
//! optimisation's `linking ...`, SQLite busy retries, `trace:`), and errors it recovers from
//! (substituter downloads). A message counts as a failure only by level *and* known text.

/// The meaning of one message for the build's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// A derivation's own build failed: its builder exited non-zero, timed out, produced a wrong
    /// hash, or it cannot be built on this system.
    BuildFailed(String),
    /// A derivation was not built because some of its dependencies failed.
    DependenciesFailed(String),
    /// Nix 2.3's closing `error: build of 'a', 'b' failed`: the requested goals did not complete,
    /// which says nothing about whose fault it was.
    GoalsFailed(Vec<String>),
    /// `error: Cannot build 'x'.` of Nix >= 2.21, when the `Reason:` line follows separately
    /// (old-style logs split the message into lines).
    CannotBuild(String),
    /// Any other error Nix stops for (evaluation errors, missing attributes, ...).
    Fatal,
    /// A warning, or an error Nix recovered from.
    Warning,
    /// Shown at error level but not an error.
    Notice,
    /// Ordinary information.
    Info,
}

/// Classifies a message. `level` is Nix's verbosity (0 = error, 1 = warning); old-style logs have
/// no level (`None`). Only the first line of a multi-line message is used for its kind.
pub fn classify(level: Option<u64>, text: &str) -> Meaning {
    let text = text.trim_start();
    if text.starts_with("warning:") || text.starts_with("error (ignored)") {
        return Meaning::Warning;
    }
    if level.is_some_and(|l| l > 0) {
        return Meaning::Info;
    }
    if let Some(rest) = text.strip_prefix("error:") {
        return classify_error(rest.trim_start(), text);
    }
    // Nix 2.3 printed these at error level without the `error:` prefix.
    if is_plain_failure(text) {
        return classify_error(text, text);
    }
    Meaning::Notice
}

/// Old-style failure lines without an `error:` prefix (Nix 2.3).
pub fn is_plain_failure(text: &str) -> bool {
    (text.starts_with("builder for '") && text.contains("failed"))
        || (text.starts_with("cannot build derivation '") && text.contains("couldn't be built"))
        || text.starts_with("hash mismatch in fixed-output derivation '")
}

fn classify_error(rest: &str, whole: &str) -> Meaning {
    let first = |text: &str| quoted_drvs(text).into_iter().next();
    // `error: build of '/nix/store/x.drv^*' failed: Cannot build ...` carries the real reason after
    // the colon.
    if let Some(at) = rest.find("Cannot build '") {
        let cannot = &rest[at..];
        let Some(drv) = first(cannot) else {
            return Meaning::Fatal;
        };
        return match reason_of(cannot) {
            Some(reason) if reason.contains("dependenc") => Meaning::DependenciesFailed(drv),
            Some(_) => Meaning::BuildFailed(drv),
            None => Meaning::CannotBuild(drv),
        };
    }
    let failed_build = rest.starts_with("builder for '")
        || rest.starts_with("hash mismatch in fixed-output derivation '")
        || (rest.starts_with("building of '") && rest.contains("timed out"))
        || rest.contains("is required to build '")
        || (rest.starts_with("build of '") && rest.contains("' on '"));
    if failed_build {
        let drv = if rest.contains("is required to build '") {
            rest.split_once("is required to build ")
                .and_then(|(_, tail)| first(tail))
        } else {
            first(rest)
        };
        return drv.map_or(Meaning::Fatal, Meaning::BuildFailed);
    }
    let dependencies = (rest.contains("dependencies of derivation '")
        && rest.contains("failed to build"))
        || (rest.starts_with("cannot build derivation '") && rest.contains("couldn't be built"));
    if dependencies {
        let drv = rest
            .split_once("derivation ")
            .and_then(|(_, tail)| first(tail));
        return drv.map_or(Meaning::Fatal, Meaning::DependenciesFailed);
    }
    if rest.starts_with("build of '") {
        // `build of 'x' failed: builder for 'x' failed ...` (Lix, newer Nix): the reason decides.
        if let Some((_, reason)) = rest.split_once("' failed: ") {
            let meaning = classify_error(reason.trim_start(), whole);
            if meaning != Meaning::Fatal && meaning != Meaning::Warning {
                return meaning;
            }
        }
        let drvs = quoted_drvs(rest);
        if !drvs.is_empty() {
            return Meaning::GoalsFailed(drvs);
        }
    }
    // A substituter that cannot be reached is skipped; Nix goes on without it.
    let first_line = whole.lines().next().unwrap_or(whole);
    if first_line.contains(".narinfo") || first_line.contains("nix-cache-info") {
        return Meaning::Warning;
    }
    Meaning::Fatal
}

/// The `Reason: ...` of a `Cannot build` message, if it is in the same text.
pub fn reason_of(text: &str) -> Option<&str> {
    text.split_once("Reason:").map(|(_, reason)| {
        reason
            .trim_start()
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
    })
}

/// Every `'/nix/store/...drv'` quoted in a message, in order; `^out`/`^*` output selectors removed.
pub fn quoted_drvs(text: &str) -> Vec<String> {
    text.split('\'')
        .skip(1)
        .step_by(2)
        .filter_map(|part| {
            let path = part.split('^').next().unwrap_or(part);
            (path.starts_with('/') && path.ends_with(".drv")).then(|| path.to_string())
        })
        .collect()
}

/// A plan header: `these 3 derivations will be built:`, `this path will be fetched (...)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    Builds,
    Fetches,
}

/// Whether a line opens a plan list, and which.
pub fn plan_header(text: &str) -> Option<Plan> {
    let text = text.trim_end();
    if !(text.starts_with("these ") || text.starts_with("this ")) || !text.ends_with(':') {
        return None;
    }
    if text.contains("will be built") {
        Some(Plan::Builds)
    } else if text.contains("will be fetched") || text.contains("will be downloaded") {
        Some(Plan::Fetches)
    } else {
        None
    }
}

/// An entry of a plan list: an indented store path.
pub fn plan_entry(text: &str) -> Option<&str> {
    let path = text.strip_prefix("  ")?.trim();
    (path.starts_with("/nix/store/") || path.starts_with('/') && path.contains("/store/"))
        .then_some(path)
        .filter(|p| !p.contains(' '))
}

/// `copying path '/nix/store/x' from 'https://cache.nixos.org'...`: the path and where from.
pub fn copying_from(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("copying path '")?;
    let (path, rest) = rest.split_once('\'')?;
    let rest = rest.strip_prefix(" from '")?;
    let (source, _) = rest.split_once('\'')?;
    Some((path, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_by_level_and_text() {
        assert_eq!(
            classify(
                Some(0),
                "linking '/nix/store/a-x' to '/nix/store/.links/1476r2'"
            ),
            Meaning::Notice
        );
        assert_eq!(
            classify(Some(0), "error: attribute 'x' missing"),
            Meaning::Fatal
        );
        assert_eq!(classify(Some(3), "error: not really"), Meaning::Info);
        assert_eq!(
            classify(
                None,
                "error: Cannot build '/nix/store/abc-x.drv'.\n       Reason: 1 dependency failed."
            ),
            Meaning::DependenciesFailed("/nix/store/abc-x.drv".into())
        );
        assert_eq!(
            classify(None, "error: Cannot build '/nix/store/abc-x.drv'."),
            Meaning::CannotBuild("/nix/store/abc-x.drv".into())
        );
        assert_eq!(
            classify(None, "error: build of '/nix/store/a-x.drv^*' failed: Cannot build '/nix/store/a-x.drv'.\n Reason: builder failed with exit code 1."),
            Meaning::BuildFailed("/nix/store/a-x.drv".into())
        );
        assert_eq!(
            classify(Some(0), "error: build of '/nix/store/a-x.drv' failed: builder for '/nix/store/a-x.drv' failed with exit code 2"),
            Meaning::BuildFailed("/nix/store/a-x.drv".into())
        );
        assert_eq!(
            classify(
                None,
                "error: build of '/nix/store/a-x.drv', '/nix/store/b-y.drv' failed"
            ),
            Meaning::GoalsFailed(vec![
                "/nix/store/a-x.drv".into(),
                "/nix/store/b-y.drv".into()
            ])
        );
        assert_eq!(
            classify(Some(1), "warning: error: unable to download 'https://cache.nixos.org/abc.narinfo': HTTP error 500"),
            Meaning::Warning
        );
    }
}
