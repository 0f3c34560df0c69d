//! Text, JSON and graphviz reports for `nixbench why`: chains merged into a tree the way
//! `nix why-depends` prints them, a closure summary, and closure diffs.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::algo::{self, DiffLine};
use super::{human_size, Graph, NodeId};

/// The answer to "why is TARGET in ROOT's closure".
#[derive(Clone, Debug, Serialize)]
pub struct Why {
    pub root: String,
    pub target: String,
    pub nar_size: u64,
    pub closure_size: u64,
    /// What dropping the target from the root's closure would save.
    pub added_size: u64,
    /// Store paths from the root to the target, shortest chains first.
    pub chains: Vec<Vec<String>>,
    /// True when more chains exist than were listed.
    pub truncated: bool,
    #[serde(skip)]
    chain_ids: Vec<Vec<NodeId>>,
}

pub fn why(graph: &Graph, root: NodeId, target: NodeId, cap: usize) -> Why {
    let (added, _) = algo::added_sizes(graph);
    let chain_ids = algo::why_chains(graph, root, target, cap.saturating_add(1));
    let truncated = chain_ids.len() > cap;
    let chain_ids: Vec<Vec<NodeId>> = chain_ids.into_iter().take(cap).collect();
    Why {
        root: graph.node(root).path.to_string(),
        target: graph.node(target).path.to_string(),
        nar_size: graph.node(target).nar_size,
        closure_size: algo::closure_size(graph, target),
        added_size: added[target as usize],
        chains: chain_ids
            .iter()
            .map(|c| c.iter().map(|n| graph.node(*n).path.to_string()).collect())
            .collect(),
        truncated,
        chain_ids,
    }
}

/// A prefix tree of chains, so shared beginnings print once.
#[derive(Default)]
struct Trie {
    children: BTreeMap<(usize, NodeId), Trie>,
}

impl Trie {
    fn insert(&mut self, chain: &[NodeId], order: usize) {
        if let Some((&first, rest)) = chain.split_first() {
            // Keep the first-seen order of siblings (shortest chains first), not id order.
            let key = self
                .children
                .keys()
                .find(|(_, id)| *id == first)
                .copied()
                .unwrap_or((order, first));
            self.children.entry(key).or_default().insert(rest, order);
        }
    }
}

/// The readable tree: root at the top, `├───`/`└───` branches, each node with its closure size.
pub fn tree(graph: &Graph, why: &Why) -> String {
    let mut out = String::new();
    let mut trie = Trie::default();
    for (i, chain) in why.chain_ids.iter().enumerate() {
        trie.insert(chain, i);
    }
    fn walk(graph: &Graph, trie: &Trie, prefix: &str, out: &mut String, top: bool) {
        let count = trie.children.len();
        for (i, ((_, id), child)) in trie.children.iter().enumerate() {
            let last = i + 1 == count;
            let node = graph.node(*id);
            let branch = if top {
                ""
            } else if last {
                "└───"
            } else {
                "├───"
            };
            let closure = algo::closure_size(graph, *id);
            let size = if closure == 0 {
                String::new()
            } else {
                format!("  ({})", human_size(closure))
            };
            let _ = writeln!(out, "{prefix}{branch}{}{size}", node.path);
            let next = if top {
                String::new()
            } else if last {
                format!("{prefix}    ")
            } else {
                format!("{prefix}│   ")
            };
            walk(graph, child, &next, out, false);
        }
    }
    walk(graph, &trie, "", &mut out, true);
    out.push_str(&summary_line(why));
    out
}

fn summary_line(why: &Why) -> String {
    // Derivation graphs carry no sizes; say nothing rather than "0 B".
    let sizes = if why.closure_size == 0 {
        String::new()
    } else {
        format!(
            ": nar {}, closure {}, removing it would save {};",
            human_size(why.nar_size),
            human_size(why.closure_size),
            human_size(why.added_size)
        )
    };
    let mut line = format!(
        "\n{}{sizes} {} chain{}",
        super::store_path_name(&why.target),
        why.chains.len(),
        if why.chains.len() == 1 { "" } else { "s" }
    );
    if why.truncated {
        line.push_str(" shown (more exist; --all lifts the cap)");
    }
    line.push('\n');
    line
}

/// One chain per line, for pipes: `root -> ... -> target`.
pub fn plain(why: &Why) -> String {
    let mut out = String::new();
    for chain in &why.chains {
        let _ = writeln!(out, "{}", chain.join(" -> "));
    }
    out.push_str(summary_line(why).trim_start());
    out
}

/// A graphviz digraph of the edges on the chains.
pub fn dot(graph: &Graph, why: &Why) -> String {
    let mut edges = std::collections::BTreeSet::new();
    for chain in &why.chain_ids {
        for pair in chain.windows(2) {
            edges.insert((pair[0], pair[1]));
        }
    }
    let mut out = String::from("digraph why {\n  rankdir=LR;\n  node [shape=box];\n");
    for (a, b) in edges {
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\";",
            graph.node(a).name(),
            graph.node(b).name()
        );
    }
    let _ = writeln!(
        out,
        "  \"{}\" [style=bold];\n}}",
        super::store_path_name(&why.target)
    );
    out
}

/// Closure summary: size and the biggest contributors by added size.
#[derive(Clone, Debug, Serialize)]
pub struct ClosureSummary {
    pub root: String,
    pub paths: usize,
    pub closure_size: u64,
    pub biggest: Vec<Contributor>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Contributor {
    pub path: String,
    pub nar_size: u64,
    pub added_size: u64,
}

pub fn closure_summary(graph: &Graph, root: NodeId, count: usize) -> ClosureSummary {
    let (added, _) = algo::added_sizes(graph);
    let mut ids: Vec<NodeId> = (0..graph.len() as NodeId).filter(|&n| n != root).collect();
    ids.sort_by_key(|&n| {
        (
            std::cmp::Reverse(added[n as usize]),
            graph.node(n).path.clone(),
        )
    });
    ClosureSummary {
        root: graph.node(root).path.to_string(),
        paths: graph.len(),
        closure_size: algo::closure_size(graph, root),
        biggest: ids
            .into_iter()
            .take(count)
            .map(|n| Contributor {
                path: graph.node(n).path.to_string(),
                nar_size: graph.node(n).nar_size,
                added_size: added[n as usize],
            })
            .collect(),
    }
}

pub fn closure_summary_text(summary: &ClosureSummary) -> String {
    let mut out = format!(
        "{}\n{} paths, closure {}\n\nbiggest by added size (what removing it would save):\n",
        summary.root,
        summary.paths,
        human_size(summary.closure_size)
    );
    for c in &summary.biggest {
        let _ = writeln!(
            out,
            "  {:>10}  {:>10} nar  {}",
            human_size(c.added_size),
            human_size(c.nar_size),
            super::store_path_name(&c.path)
        );
    }
    out
}

/// `--diff`: what changed between two closures.
#[derive(Clone, Debug, Serialize)]
pub struct ClosureDiff {
    pub before: String,
    pub after: String,
    pub closure_before: u64,
    pub closure_after: u64,
    pub added: Vec<DiffLine>,
    pub removed: Vec<DiffLine>,
    pub changed: Vec<DiffLine>,
}

pub fn closure_diff(
    before: &Graph,
    before_root: NodeId,
    after: &Graph,
    after_root: NodeId,
) -> ClosureDiff {
    let lines = algo::diff(before, after);
    let (mut added, mut removed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    for line in lines {
        if line.before.is_empty() {
            added.push(line);
        } else if line.after.is_empty() {
            removed.push(line);
        } else {
            changed.push(line);
        }
    }
    ClosureDiff {
        before: before.node(before_root).path.to_string(),
        after: after.node(after_root).path.to_string(),
        closure_before: algo::closure_size(before, before_root),
        closure_after: algo::closure_size(after, after_root),
        added,
        removed,
        changed,
    }
}

fn signed_size(delta: i128) -> String {
    let sign = if delta < 0 { "-" } else { "+" };
    format!("{sign}{}", human_size(delta.unsigned_abs() as u64))
}

/// What a row of a closure diff says, so a view can colour it without reading the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffRowKind {
    /// The two roots, the closure sizes, or "no differences".
    Heading,
    Added,
    Removed,
    Changed,
}

/// One line of a closure diff as printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffRow {
    pub kind: DiffRowKind,
    pub text: String,
}

impl ClosureDiff {
    /// The lines of the diff: the roots, the closure sizes, then each added, removed and changed
    /// path with its versions and size change.
    pub fn rows(&self) -> Vec<DiffRow> {
        let row = |kind, text| DiffRow { kind, text };
        let mut rows = vec![
            row(
                DiffRowKind::Heading,
                format!(
                    "{} -> {}",
                    super::store_path_name(&self.before),
                    super::store_path_name(&self.after)
                ),
            ),
            row(
                DiffRowKind::Heading,
                format!(
                    "closure {} -> {} ({})",
                    human_size(self.closure_before),
                    human_size(self.closure_after),
                    signed_size(self.closure_after as i128 - self.closure_before as i128)
                ),
            ),
        ];
        for line in &self.added {
            let size = signed_size(line.size_after as i128);
            let text = format!("  + {:<32} {:<16} {size}", line.name, line.after.join(", "));
            rows.push(row(DiffRowKind::Added, text));
        }
        for line in &self.removed {
            let size = signed_size(-(line.size_before as i128));
            let text = format!(
                "  - {:<32} {:<16} {size}",
                line.name,
                line.before.join(", ")
            );
            rows.push(row(DiffRowKind::Removed, text));
        }
        for line in &self.changed {
            let versions = if line.before == line.after {
                line.after.join(", ")
            } else {
                format!("{} -> {}", line.before.join(", "), line.after.join(", "))
            };
            let size = signed_size(line.size_after as i128 - line.size_before as i128);
            let text = format!("  ~ {:<32} {versions:<16} {size}", line.name);
            rows.push(row(DiffRowKind::Changed, text));
        }
        if self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty() {
            rows.push(row(DiffRowKind::Heading, "  no differences".to_string()));
        }
        rows
    }
}

/// `nixbench why --diff`: the diff's rows as text.
pub fn closure_diff_text(diff: &ClosureDiff) -> String {
    let mut out = String::new();
    for row in diff.rows() {
        out.push_str(&row.text);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{GraphKind, Node};

    fn sample() -> Graph {
        let names = ["app-1.0", "liba-1.0", "libb-1.0", "zlib-1.3"];
        let nodes = names
            .iter()
            .enumerate()
            .map(|(i, n)| Node {
                path: format!("/nix/store/{}-{n}", "a".repeat(31) + &i.to_string())
                    .into_boxed_str(),
                nar_size: 1024 * (i as u64 + 1),
            })
            .collect();
        Graph::new(
            GraphKind::Runtime,
            nodes,
            vec![vec![1, 2], vec![3], vec![3], vec![]],
        )
    }

    #[test]
    fn tree_merges_shared_prefixes() {
        let g = sample();
        let why = why(&g, 0, 3, 10);
        let text = tree(&g, &why);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with("-app-1.0  (10.0 KiB)"), "{text}");
        assert!(
            lines[1].starts_with("├───/nix/store/") && lines[1].contains("liba-1.0"),
            "{text}"
        );
        assert!(
            lines[2].starts_with("│   └───") && lines[2].contains("zlib-1.3"),
            "{text}"
        );
        assert!(
            lines[3].starts_with("└───") && lines[3].contains("libb-1.0"),
            "{text}"
        );
        assert!(lines[4].starts_with("    └───"), "{text}");
        assert!(text.contains("2 chains"));
        assert_eq!(why.added_size, 4096);
        let capped = super::why(&g, 0, 3, 1);
        assert!(capped.truncated);
        assert!(dot(&g, &why).contains("\"liba-1.0\" -> \"zlib-1.3\""));
        assert_eq!(plain(&why).lines().count(), 3);
    }

    #[test]
    fn summary_and_diff() {
        let g = sample();
        let summary = closure_summary(&g, 0, 2);
        assert_eq!(summary.biggest[0].path, g.node(3).path.to_string());
        let mut other = sample();
        other.nodes[3].path = other.nodes[3]
            .path
            .replace("zlib-1.3", "zlib-1.4")
            .into_boxed_str();
        let diff = closure_diff(&g, 0, &other, 0);
        assert_eq!(diff.changed.len(), 1);
        assert!(closure_diff_text(&diff).contains("1.3 -> 1.4"));
        // The view colours rows by kind; the text is the same rows.
        let kinds: Vec<DiffRowKind> = diff.rows().iter().map(|row| row.kind).collect();
        assert_eq!(
            kinds,
            [
                DiffRowKind::Heading,
                DiffRowKind::Heading,
                DiffRowKind::Changed
            ]
        );
        let text: String = diff
            .rows()
            .iter()
            .map(|row| row.text.clone() + "\n")
            .collect();
        assert_eq!(text, closure_diff_text(&diff));
        let same = closure_diff(&g, 0, &g, 0);
        assert_eq!(same.rows().last().unwrap().text, "  no differences");
    }
}
