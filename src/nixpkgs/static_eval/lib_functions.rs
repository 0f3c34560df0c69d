//! The pure lib and builtins string helpers package files use in their fields
//! (`lib.optionalString`, `lib.concatStringsSep`, `lib.versions.majorMinor`, `lib.toLower`…),
//! computed the way Nix computes them. A helper not listed here, or called with a value that is
//! not known exactly, gives no value.

use super::Val;

/// Namespaces the helpers are reached through: `lib.X`, `lib.strings.X`, `builtins.X`…
const NAMESPACES: &[&[&str]] = &[
    &["lib"],
    &["lib", "strings"],
    &["lib", "versions"],
    &["lib", "lists"],
    &["lib", "trivial"],
    &["builtins"],
];

/// How many arguments a helper takes.
fn arity(name: &str) -> Option<usize> {
    Some(match name {
        "toLower" | "toUpper" | "toString" | "concatStrings" | "major" | "minor" | "patch"
        | "majorMinor" | "splitVersion" | "head" | "last" | "stringLength" => 1,
        "optionalString" | "optional" | "optionals" | "concatStringsSep" | "removePrefix"
        | "removeSuffix" | "hasPrefix" | "hasSuffix" | "elemAt" => 2,
        "replaceStrings" | "substring" => 3,
        _ => return None,
    })
}

/// Applies a lib value to one argument: collects arguments until the helper has all it takes.
pub(crate) fn apply(function: Val, arg: Val) -> Option<Val> {
    let (name, mut args) = match function {
        Val::Lib(path) => {
            let (name, namespace) = path.split_last()?;
            let known = NAMESPACES.iter().any(|ns| {
                ns.len() == namespace.len() && ns.iter().zip(namespace).all(|(a, b)| a == b)
            });
            if !known {
                return None;
            }
            // `versions.major` is not `lib.major`: the version helpers only under `versions`.
            let version_helper =
                matches!(name.as_str(), "major" | "minor" | "patch" | "majorMinor");
            if version_helper != (namespace.last().map(String::as_str) == Some("versions")) {
                return None;
            }
            (name.clone(), Vec::new())
        }
        Val::Partial(name, args) => (name, args),
        _ => return None,
    };
    args.push(arg);
    if args.len() < arity(&name)? {
        return Some(Val::Partial(name, args));
    }
    call(&name, args)
}

fn call(name: &str, args: Vec<Val>) -> Option<Val> {
    use Val::*;
    let mut args = args.into_iter();
    let mut next = || args.next();
    Some(match (name, next()?) {
        ("optionalString", Bool(cond)) => match next()? {
            Str(s) => Str(if cond { s } else { String::new() }),
            _ => return None,
        },
        ("optional", Bool(cond)) => List(if cond { vec![next()?] } else { Vec::new() }),
        ("optionals", Bool(cond)) => match next()? {
            List(items) => List(if cond { items } else { Vec::new() }),
            _ => return None,
        },
        ("concatStringsSep", Str(sep)) => Str(strings(next()?)?.join(&sep)),
        ("concatStrings", list) => Str(strings(list)?.concat()),
        // Nix's toLower/toUpper change ASCII letters only.
        ("toLower", Str(s)) => Str(s.to_ascii_lowercase()),
        ("toUpper", Str(s)) => Str(s.to_ascii_uppercase()),
        ("toString", Str(s)) => Str(s),
        ("toString", Int(i)) => Str(i.to_string()),
        ("stringLength", Str(s)) => Int(s.len() as i64),
        ("removePrefix", Str(prefix)) => match next()? {
            Str(s) => Str(s.strip_prefix(&prefix).map(str::to_string).unwrap_or(s)),
            _ => return None,
        },
        ("removeSuffix", Str(suffix)) => match next()? {
            Str(s) => Str(s.strip_suffix(&suffix).map(str::to_string).unwrap_or(s)),
            _ => return None,
        },
        ("hasPrefix", Str(prefix)) => match next()? {
            Str(s) => Bool(s.starts_with(&prefix)),
            _ => return None,
        },
        ("hasSuffix", Str(suffix)) => match next()? {
            Str(s) => Bool(s.ends_with(&suffix)),
            _ => return None,
        },
        ("head", List(items)) => items.into_iter().next()?,
        ("last", List(items)) => items.into_iter().last()?,
        ("elemAt", List(items)) => match next()? {
            Int(i) => items.into_iter().nth(usize::try_from(i).ok()?)?,
            _ => return None,
        },
        ("substring", Int(start)) => match (next()?, next()?) {
            (Int(len), Str(s)) => Str(substring(&s, start, len)?),
            _ => return None,
        },
        ("replaceStrings", List(from)) => match (next()?, next()?) {
            (List(to), Str(s)) => Str(replace_strings(
                &strings(List(from))?,
                &strings(List(to))?,
                &s,
            )?),
            _ => return None,
        },
        ("splitVersion", Str(v)) => List(split_version(&v).into_iter().map(Str).collect()),
        ("major", Str(v)) => Str(split_version(&v).into_iter().next()?),
        ("minor", Str(v)) => Str(split_version(&v).into_iter().nth(1)?),
        ("patch", Str(v)) => Str(split_version(&v).into_iter().nth(2)?),
        ("majorMinor", Str(v)) => {
            let parts = split_version(&v);
            Str(parts.iter().take(2).cloned().collect::<Vec<_>>().join("."))
        }
        _ => return None,
    })
}

fn strings(list: Val) -> Option<Vec<String>> {
    match list {
        Val::List(items) => items
            .into_iter()
            .map(|item| match item {
                Val::Str(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// `builtins.substring`: byte offsets, clamped at the end; a negative start is an error in Nix.
fn substring(s: &str, start: i64, len: i64) -> Option<String> {
    let start = usize::try_from(start).ok()?.min(s.len());
    let end = if len < 0 {
        s.len()
    } else {
        start
            .saturating_add(usize::try_from(len).ok()?)
            .min(s.len())
    };
    s.get(start..end).map(str::to_string)
}

/// `builtins.replaceStrings`: at each position the first `from` that matches is replaced; an
/// empty `from` (which Nix treats specially) is left to evaluation.
fn replace_strings(from: &[String], to: &[String], s: &str) -> Option<String> {
    if from.len() != to.len() || from.iter().any(String::is_empty) {
        return None;
    }
    let mut out = String::new();
    let mut rest = s;
    'outer: while !rest.is_empty() {
        for (f, t) in from.iter().zip(to) {
            if let Some(after) = rest.strip_prefix(f.as_str()) {
                out.push_str(t);
                rest = after;
                continue 'outer;
            }
        }
        let c = rest.chars().next()?;
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Some(out)
}

/// `builtins.splitVersion`: runs of digits and runs of other characters, `.` and `-` (and any
/// other non-alphanumeric) separating them.
fn split_version(v: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut digits = false;
    for c in v.chars() {
        if c == '.' || c == '-' {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            continue;
        }
        let is_digit = c.is_ascii_digit();
        if !current.is_empty() && is_digit != digits {
            parts.push(std::mem::take(&mut current));
        }
        digits = is_digit;
        current.push(c);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_versions_like_nix() {
        assert_eq!(split_version("1.2.3"), ["1", "2", "3"]);
        assert_eq!(split_version("2.0rc1"), ["2", "0", "rc", "1"]);
        assert_eq!(
            split_version("0-unstable-2024-08-12"),
            ["0", "unstable", "2024", "08", "12"]
        );
    }

    #[test]
    fn helpers_need_all_their_arguments() {
        let f = Val::Lib(vec!["lib".into(), "optionalString".into()]);
        let partial = apply(f, Val::Bool(true)).unwrap();
        assert_eq!(
            apply(partial, Val::Str("x".into())),
            Some(Val::Str("x".into()))
        );
        let unknown = Val::Lib(vec!["lib".into(), "mkIf".into()]);
        assert_eq!(apply(unknown, Val::Bool(true)), None);
    }
}
