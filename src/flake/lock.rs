//! flake.lock: the locked inputs with revision and age, and duplicated nixpkgs instances.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockedNode {
    /// The node name in flake.lock (`nixpkgs`, `nixpkgs_2`).
    pub node: String,
    pub kind: String,
    pub source: String,
    pub rev: Option<String>,
    pub last_modified: Option<i64>,
}

/// Reads every locked node except the root. Unknown shapes are skipped rather than fatal.
pub fn locked_nodes(text: &str) -> Result<Vec<LockedNode>, serde_json::Error> {
    let lock: serde_json::Value = serde_json::from_str(text)?;
    let root = lock.get("root").and_then(|r| r.as_str()).unwrap_or("root");
    let mut nodes = Vec::new();
    if let Some(map) = lock.get("nodes").and_then(|n| n.as_object()) {
        for (name, node) in map {
            if name == root {
                continue;
            }
            let Some(locked) = node.get("locked") else {
                continue;
            };
            let field = |key: &str| locked.get(key).and_then(|v| v.as_str()).map(str::to_string);
            let kind = field("type").unwrap_or_default();
            let source = match kind.as_str() {
                "github" | "gitlab" | "sourcehut" => {
                    format!(
                        "{}/{}",
                        field("owner").unwrap_or_default(),
                        field("repo").unwrap_or_default()
                    )
                }
                "path" => field("path").unwrap_or_default(),
                _ => field("url").unwrap_or_default(),
            };
            nodes.push(LockedNode {
                node: name.clone(),
                kind,
                source,
                rev: field("rev"),
                last_modified: locked.get("lastModified").and_then(|v| v.as_i64()),
            });
        }
    }
    Ok(nodes)
}

/// Node names that lock the same repository more than once (`nixpkgs`, `nixpkgs_2`): candidates for
/// a `follows`.
pub fn duplicates(nodes: &[LockedNode]) -> Vec<Vec<String>> {
    let mut groups: std::collections::BTreeMap<(String, String), Vec<String>> = Default::default();
    for node in nodes {
        groups
            .entry((node.kind.clone(), node.source.clone()))
            .or_default()
            .push(node.node.clone());
    }
    groups
        .into_values()
        .filter(|names| names.len() > 1)
        .collect()
}

/// "3 days", "5 months": how long ago a timestamp was.
pub fn age(last_modified: i64, now: i64) -> String {
    let days = (now - last_modified).max(0) / 86_400;
    match days {
        0 => "today".into(),
        1 => "1 day".into(),
        2..=60 => format!("{days} days"),
        61..=730 => format!("{} months", days / 30),
        _ => format!("{} years", days / 365),
    }
}

/// The newest lock file version Nix 2.x reads.
const NEWEST_LOCK_VERSION: u64 = 7;

/// What in a flake.lock needs a newer Nix than some installed ones: a lock version above 7, or
/// `lastModified` / `rev` recorded for tarball and file inputs (written by Nix 2.17 and later,
/// rejected by older Nix with "unsupported tarball input attribute 'lastModified'").
pub fn newer_nix_features(text: &str) -> Option<String> {
    let lock: serde_json::Value = serde_json::from_str(text).ok()?;
    if let Some(version) = lock.get("version").and_then(|v| v.as_u64()) {
        if version > NEWEST_LOCK_VERSION {
            return Some(format!("lock file version {version}"));
        }
    }
    let nodes = lock.get("nodes")?.as_object()?;
    nodes.iter().find_map(|(name, node)| {
        let locked = node.get("locked")?;
        let kind = locked.get("type")?.as_str()?;
        if !matches!(kind, "tarball" | "file") {
            return None;
        }
        let field = ["lastModified", "rev"]
            .into_iter()
            .find(|f| locked.get(*f).is_some())?;
        Some(format!("`{field}` for the {kind} input `{name}`"))
    })
}

/// The words for a lock written by a newer Nix; `what` says which part gave it away, `installed`
/// names the Nix that cannot read it, when known.
pub fn newer_nix_message(what: &str, installed: Option<&str>) -> String {
    match installed {
        Some(installed) => format!(
            "this flake.lock was written by a newer Nix than {installed} ({what}): upgrade Nix \
             (2.17 or later reads it), or re-lock with this Nix: `nix flake lock \
             --recreate-lock-file` (this re-pins every input)"
        ),
        None => format!(
            "this flake.lock was written by Nix 2.17 or later ({what}); an older Nix cannot read \
             it: upgrade Nix, or re-lock with the older one: `nix flake lock --recreate-lock-file` \
             (this re-pins every input)"
        ),
    }
}

/// Recognises Nix's own errors for a lock it cannot read and says them in words.
pub fn explain_newer_lock(stderr: &str) -> Option<String> {
    let attribute = |marker: &str| {
        let start = stderr.find(marker)? + marker.len();
        let end = stderr[start..].find('\'')? + start;
        Some(stderr[start..end].to_string())
    };
    if let Some(field) = attribute("unsupported tarball input attribute '")
        .or_else(|| attribute("unsupported file input attribute '"))
    {
        return Some(newer_nix_message(
            &format!("it records `{field}` for a tarball input"),
            Some("the installed one"),
        ));
    }
    if stderr.contains("flake.lock' has unsupported version") {
        let version = stderr
            .split("unsupported version ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or("?");
        return Some(newer_nix_message(
            &format!("lock file version {version}"),
            Some("the installed one"),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_duplicate_nixpkgs() {
        let text = include_str!("../../assets/demo/project/flake.lock");
        let nodes = locked_nodes(text).unwrap();
        assert!(nodes.iter().any(|n| n.node == "nixpkgs"));
        let dups = duplicates(&nodes);
        assert_eq!(
            dups,
            vec![vec!["nixpkgs".to_string(), "nixpkgs_2".to_string()]]
        );
        assert_eq!(age(0, 86_400 * 90), "3 months");
    }

    #[test]
    fn a_lock_from_a_newer_nix_is_explained() {
        let tarball = r#"{"nodes":{"root":{"inputs":{"src":"src"}},"src":{"locked":{"lastModified":1700000000,"narHash":"sha256-A","type":"tarball","url":"https://example.invalid/x.tar.gz"}}},"root":"root","version":7}"#;
        let found = newer_nix_features(tarball).unwrap();
        assert!(
            found.contains("`lastModified` for the tarball input `src`"),
            "{found}"
        );
        assert!(newer_nix_features(&tarball.replace("\"tarball\"", "\"github\"")).is_none());
        let v8 = tarball.replace("\"version\":7", "\"version\":8");
        assert_eq!(
            newer_nix_features(&v8).as_deref(),
            Some("lock file version 8")
        );
        // Nix 2.8's own words for both.
        let said =
            explain_newer_lock("error: unsupported tarball input attribute 'lastModified'\n")
                .unwrap();
        assert!(
            said.starts_with("this flake.lock was written by a newer Nix"),
            "{said}"
        );
        assert!(said.contains("upgrade Nix"), "{said}");
        let said = explain_newer_lock(
            "error: lock file '/nix/store/x-source//flake.lock' has unsupported version 8\n",
        )
        .unwrap();
        assert!(said.contains("lock file version 8"), "{said}");
        assert!(explain_newer_lock("error: something else").is_none());
    }
}
