//! Store-path and derivation graphs: loading Nix's JSON, closure and added sizes, why-chains, diffs.
//! No terminal code: `nixbench why` and the Graph tab share it.

pub mod algo;
pub mod load;
pub mod report;
pub mod source;

/// Why a comparison with another closure could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The other closure could not be read or asked from Nix.
    #[error(transparent)]
    Source(#[from] source::SourceError),
    /// The other closure needs Nix, and there is none.
    #[error(transparent)]
    Nix(#[from] crate::nix::NixError),
    #[error("the current graph has no root")]
    NoRoot,
    #[error("{other} has no root")]
    OtherHasNoRoot { other: String },
}

/// Compares `current` with another closure: `other` is a recorded JSON file (relative to
/// `root_dir`) or anything `nix path-info` takes (a store path, an installable), loaded with Nix.
pub fn compare(
    nix: &crate::nix::NixStatus,
    root_dir: &std::path::Path,
    other: &str,
    current: &Graph,
    derivation: bool,
) -> Result<report::ClosureDiff, CompareError> {
    let path = root_dir.join(other);
    let after = if other.ends_with(".json") && path.is_file() {
        source::from_file(&path, derivation)?
    } else {
        let nix = nix.require()?;
        let root = source::Root::from_user(other, root_dir);
        source::from_nix(&nix, &root, derivation, root_dir)?
    };
    let before_root = source::root_node(current).ok_or(CompareError::NoRoot)?;
    let after_root = source::root_node(&after).ok_or_else(|| CompareError::OtherHasNoRoot {
        other: other.to_string(),
    })?;
    Ok(report::closure_diff(
        current,
        before_root,
        &after,
        after_root,
    ))
}

use std::collections::HashMap;

/// Node index into [`Graph::nodes`].
pub type NodeId = u32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Full store path, e.g. `/nix/store/<hash>-hello-2.12.1`.
    pub path: Box<str>,
    pub nar_size: u64,
}

impl Node {
    /// The part after the hash: `hello-2.12.1`.
    pub fn name(&self) -> &str {
        store_path_name(&self.path)
    }
}

/// `/nix/store/<32-char hash>-name` -> `name`; anything else is returned whole.
pub fn store_path_name(path: &str) -> &str {
    let base = path.rsplit('/').next().unwrap_or(path);
    match base.as_bytes().get(32) {
        Some(b'-') if base.len() > 33 => &base[33..],
        _ => base,
    }
}

/// `hello-2.12.1` -> (`hello`, `2.12.1`): the version starts at the first dash followed by a digit.
pub fn split_name_version(name: &str) -> (&str, &str) {
    let bytes = name.as_bytes();
    for i in 0..bytes.len().saturating_sub(1) {
        if bytes[i] == b'-' && bytes[i + 1].is_ascii_digit() {
            return (&name[..i], &name[i + 1..]);
        }
    }
    (name, "")
}

/// Adjacency in compressed rows: the neighbours of `n` are `targets[offsets[n]..offsets[n + 1]]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adjacency {
    offsets: Vec<u32>,
    targets: Vec<NodeId>,
}

impl Adjacency {
    pub fn from_lists(lists: &[Vec<NodeId>]) -> Self {
        let mut offsets = Vec::with_capacity(lists.len() + 1);
        let mut targets = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        offsets.push(0);
        for list in lists {
            targets.extend_from_slice(list);
            offsets.push(targets.len() as u32);
        }
        Self { offsets, targets }
    }

    pub fn of(&self, node: NodeId) -> &[NodeId] {
        let n = node as usize;
        &self.targets[self.offsets[n] as usize..self.offsets[n + 1] as usize]
    }

    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }

    /// The same edges pointing the other way.
    pub fn reversed(&self, node_count: usize) -> Self {
        let mut lists = vec![Vec::new(); node_count];
        for from in 0..node_count {
            for &to in self.of(from as NodeId) {
                lists[to as usize].push(from as NodeId);
            }
        }
        Self::from_lists(&lists)
    }
}

/// Which question a graph answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GraphKind {
    /// Store paths and their runtime references (`nix path-info -r`).
    Runtime,
    /// Derivations and their inputs (`nix show-derivation -r`).
    BuildTime,
}

#[derive(Clone, Debug)]
pub struct Graph {
    pub kind: GraphKind,
    pub nodes: Vec<Node>,
    pub references: Adjacency,
    pub referrers: Adjacency,
    /// Nodes nothing else refers to: the roots of the closure.
    pub roots: Vec<NodeId>,
    by_path: HashMap<Box<str>, NodeId>,
}

impl Graph {
    /// Builds a graph from nodes and reference lists (by index). Self-references are dropped.
    pub fn new(kind: GraphKind, nodes: Vec<Node>, mut lists: Vec<Vec<NodeId>>) -> Self {
        for (i, list) in lists.iter_mut().enumerate() {
            list.retain(|&to| to as usize != i);
            list.sort_unstable();
            list.dedup();
        }
        let references = Adjacency::from_lists(&lists);
        let referrers = references.reversed(nodes.len());
        let roots = (0..nodes.len() as NodeId)
            .filter(|&n| referrers.of(n).is_empty())
            .collect();
        let by_path = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (node.path.clone(), i as NodeId))
            .collect();
        Self {
            kind,
            nodes,
            references,
            referrers,
            roots,
            by_path,
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    pub fn find_path(&self, path: &str) -> Option<NodeId> {
        self.by_path.get(path.trim_end_matches('/')).copied()
    }

    /// Resolves what a user typed: a store path, an exact name (`zlib-1.3.1`), a pname (`zlib`), or a
    /// name prefix. Exact matches win over prefixes; ties go to the shortest name.
    pub fn resolve(&self, query: &str) -> Vec<NodeId> {
        if let Some(id) = self.find_path(query) {
            return vec![id];
        }
        let by_rank = |matches: &mut Vec<NodeId>| {
            matches
                .sort_by_key(|&id| (self.node(id).name().len(), self.node(id).name().to_string()))
        };
        for test in [
            &(|n: &str| n == query) as &dyn Fn(&str) -> bool,
            &|n: &str| split_name_version(n).0 == query,
            &|n: &str| n.starts_with(query),
        ] {
            let mut matches: Vec<NodeId> = (0..self.len() as NodeId)
                .filter(|&id| test(self.node(id).name()))
                .collect();
            if !matches.is_empty() {
                by_rank(&mut matches);
                return matches;
            }
        }
        Vec::new()
    }

    /// Names in the graph nearest to `query` (for "not in the closure; did you mean").
    pub fn nearest_names(&self, query: &str, count: usize) -> Vec<String> {
        let query = query.to_lowercase();
        let mut scored: Vec<(usize, &str)> = self
            .nodes
            .iter()
            .map(|node| {
                let name = split_name_version(node.name()).0.to_lowercase();
                // A typo in a prefix counts too: `zlob` is close to `zlib-mini`.
                let prefix: String = name.chars().take(query.chars().count()).collect();
                let distance = edit_distance(&query, &name).min(edit_distance(&query, &prefix) + 1);
                (distance, node.name())
            })
            .collect();
        scored.sort();
        scored.dedup_by_key(|(_, name)| *name);
        scored
            .into_iter()
            .filter(|(distance, _)| *distance <= query.len().max(3))
            .take(count)
            .map(|(_, name)| name.to_string())
            .collect()
    }
}

/// Levenshtein distance, for suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(current + 1);
            prev = current;
        }
    }
    row[b.len()]
}

/// Human-readable size: `1.2 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        let path = "/nix/store/2ri6k9bgxjrd2lkif15kig18kh59f0sd-greeter-1.0.0";
        assert_eq!(store_path_name(path), "greeter-1.0.0");
        assert_eq!(split_name_version("greeter-1.0.0"), ("greeter", "1.0.0"));
        assert_eq!(
            split_name_version("python3.12-requests-2.32.3"),
            ("python3.12-requests", "2.32.3")
        );
        assert_eq!(split_name_version("source"), ("source", ""));
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(edit_distance("zlib", "zlob"), 1);
    }
}
