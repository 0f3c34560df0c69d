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
}
