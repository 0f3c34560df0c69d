//! Graph questions: closures and their sizes, added size through a dominator tree, why-chains, and
//! closure diffs. Every algorithm is linear or near-linear in nodes + edges, or bounded by a cap.

use std::collections::{BTreeMap, VecDeque};

use super::{split_name_version, Graph, NodeId};

/// Nodes reachable from `start` (itself included), as a membership vector.
pub fn reachable(graph: &Graph, start: &[NodeId]) -> Vec<bool> {
    let mut seen = vec![false; graph.len()];
    let mut stack: Vec<NodeId> = start.to_vec();
    for &s in start {
        seen[s as usize] = true;
    }
    while let Some(node) = stack.pop() {
        for &next in graph.references.of(node) {
            if !seen[next as usize] {
                seen[next as usize] = true;
                stack.push(next);
            }
        }
    }
    seen
}

pub fn closure_size(graph: &Graph, start: NodeId) -> u64 {
    reachable(graph, &[start])
        .iter()
        .enumerate()
        .filter(|(_, &inside)| inside)
        .map(|(i, _)| graph.nodes[i].nar_size)
        .sum()
}

/// Sizes of every node: its NAR size, its closure size and its added size (what removing it from
/// the roots' closure would save: the size of everything it dominates).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sizes {
    pub closure: Vec<u64>,
    pub added: Vec<u64>,
    /// Immediate dominator of each node (`None` for roots and unreachable nodes).
    pub idom: Vec<Option<NodeId>>,
}

/// Computes closure sizes (one walk per node: sharing results between nodes would double-count in a
/// DAG) and added sizes via the Cooper-Harvey-Kennedy dominator algorithm from a virtual root above
/// all roots.
pub fn sizes(graph: &Graph) -> Sizes {
    let (added, idom) = added_sizes(graph);
    Sizes {
        closure: closure_sizes(graph),
        added,
        idom,
    }
}

/// Added size of every node and the immediate dominators, without closure sizes: near-linear, so
/// `nixbench why` stays fast on wide closures.
pub fn added_sizes(graph: &Graph) -> (Vec<u64>, Vec<Option<NodeId>>) {
    let idom = dominators(graph);
    // Subtree sums over the dominator tree: children come after their dominator in reverse
    // postorder, so walking it backwards adds each node into its parent after it is complete.
    let order = reverse_postorder(graph);
    let mut added: Vec<u64> = graph.nodes.iter().map(|node| node.nar_size).collect();
    for &node in order.iter().rev() {
        if let Some(parent) = idom[node as usize] {
            added[parent as usize] += added[node as usize];
        }
    }
    (added, idom)
}

/// Closure sizes with one reusable visited-stamp array: O(sum of closure sizes), no allocation per
/// node.
fn closure_sizes(graph: &Graph) -> Vec<u64> {
    let n = graph.len();
    let mut stamp = vec![u32::MAX; n];
    let mut result = vec![0u64; n];
    let mut stack = Vec::new();
    for start in 0..n as NodeId {
        let mut total = 0;
        stack.clear();
        stack.push(start);
        stamp[start as usize] = start;
        while let Some(node) = stack.pop() {
            total += graph.nodes[node as usize].nar_size;
            for &next in graph.references.of(node) {
                if stamp[next as usize] != start {
                    stamp[next as usize] = start;
                    stack.push(next);
                }
            }
        }
        result[start as usize] = total;
    }
    result
}

/// Reverse postorder of a DFS from the roots (then from any node not yet seen, so cycles and
/// rootless components are covered).
fn reverse_postorder(graph: &Graph) -> Vec<NodeId> {
    let n = graph.len();
    let mut visited = vec![false; n];
    let mut post = Vec::with_capacity(n);
    let starts = graph.roots.iter().copied().chain(0..n as NodeId);
    for start in starts {
        if visited[start as usize] {
            continue;
        }
        visited[start as usize] = true;
        let mut stack: Vec<(NodeId, usize)> = vec![(start, 0)];
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let refs = graph.references.of(node);
            if *next < refs.len() {
                let child = refs[*next];
                *next += 1;
                if !visited[child as usize] {
                    visited[child as usize] = true;
                    stack.push((child, 0));
                }
            } else {
                post.push(node);
                stack.pop();
            }
        }
    }
    post.reverse();
    post
}

/// Immediate dominators with respect to a virtual root that points at every root (and at every node
/// the roots do not reach). A node whose only dominator is the virtual root gets `None`.
pub fn dominators(graph: &Graph) -> Vec<Option<NodeId>> {
    let n = graph.len();
    let order = reverse_postorder(graph);
    // Positions in reverse postorder; the virtual root is position 0, nodes are shifted by one.
    let mut rpo_index = vec![0usize; n];
    for (i, &node) in order.iter().enumerate() {
        rpo_index[node as usize] = i + 1;
    }
    const VIRTUAL: usize = 0;
    let mut idom: Vec<Option<usize>> = vec![None; n + 1];
    idom[VIRTUAL] = Some(VIRTUAL);
    let mut is_entry = vec![false; n];
    for &root in &graph.roots {
        is_entry[root as usize] = true;
    }
    // Nodes reached only through cycles with no root above them hang off the virtual root too.
    let from_roots = reachable(graph, &graph.roots);
    for (node, inside) in from_roots.iter().enumerate() {
        if !inside {
            is_entry[node] = true;
        }
    }
    let intersect = |idom: &Vec<Option<usize>>, mut a: usize, mut b: usize| -> usize {
        while a != b {
            while a > b {
                a = idom[a].unwrap_or(VIRTUAL);
            }
            while b > a {
                b = idom[b].unwrap_or(VIRTUAL);
            }
        }
        a
    };
    let mut changed = true;
    while changed {
        changed = false;
        for &node in &order {
            let me = rpo_index[node as usize];
            let mut new_idom: Option<usize> = is_entry[node as usize].then_some(VIRTUAL);
            for &pred in graph.referrers.of(node) {
                let p = rpo_index[pred as usize];
                if idom[p].is_none() {
                    continue;
                }
                new_idom = Some(match new_idom {
                    None => p,
                    Some(current) => intersect(&idom, p, current),
                });
            }
            if new_idom.is_some() && idom[me] != new_idom {
                idom[me] = new_idom;
                changed = true;
            }
        }
    }
    let mut result = vec![None; n];
    for node in 0..n {
        let me = rpo_index[node];
        result[node] = match idom[me] {
            Some(VIRTUAL) | None => None,
            Some(d) => Some(order[d - 1]),
        };
    }
    result
}

/// The default cap on why-chains; `--all` raises it to [`WHY_CHAINS_ALL`].
pub const WHY_CHAINS_DEFAULT: usize = 20;
pub const WHY_CHAINS_ALL: usize = 10_000;

/// The shortest chains from `root` to `target`, at most `cap` of them. BFS layers restrict the walk
/// to edges on shortest paths that can still reach the target, so each chain costs its length and
/// the work is O(nodes + edges + cap * length).
pub fn why_chains(graph: &Graph, root: NodeId, target: NodeId, cap: usize) -> Vec<Vec<NodeId>> {
    let n = graph.len();
    // Distance from root.
    let mut dist = vec![u32::MAX; n];
    dist[root as usize] = 0;
    let mut queue = VecDeque::from([root]);
    while let Some(node) = queue.pop_front() {
        if node == target {
            continue;
        }
        for &next in graph.references.of(node) {
            if dist[next as usize] == u32::MAX {
                dist[next as usize] = dist[node as usize] + 1;
                queue.push_back(next);
            }
        }
    }
    if dist[target as usize] == u32::MAX || cap == 0 {
        return Vec::new();
    }
    // Nodes on some shortest path: walk back from the target along edges that decrease distance.
    let mut on_path = vec![false; n];
    on_path[target as usize] = true;
    let mut queue = VecDeque::from([target]);
    while let Some(node) = queue.pop_front() {
        for &prev in graph.referrers.of(node) {
            if dist[prev as usize] != u32::MAX
                && dist[prev as usize] + 1 == dist[node as usize]
                && !on_path[prev as usize]
            {
                on_path[prev as usize] = true;
                queue.push_back(prev);
            }
        }
    }
    let mut chains = Vec::new();
    let mut chain = vec![root];
    let mut cursor: Vec<usize> = vec![0];
    while let Some(&node) = chain.last() {
        if node == target {
            chains.push(chain.clone());
            if chains.len() >= cap {
                break;
            }
            chain.pop();
            cursor.pop();
            continue;
        }
        let refs = graph.references.of(node);
        let position = cursor.last_mut().expect("cursor tracks chain");
        let next = refs[*position..].iter().position(|&next| {
            on_path[next as usize] && dist[next as usize] == dist[node as usize] + 1
        });
        match next {
            Some(offset) => {
                let child = refs[*position + offset];
                *position += offset + 1;
                chain.push(child);
                cursor.push(0);
            }
            None => {
                chain.pop();
                cursor.pop();
            }
        }
    }
    chains
}

/// One line of a closure comparison, grouped by package name (without hash and version).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DiffLine {
    pub name: String,
    pub before: Vec<String>,
    pub after: Vec<String>,
    pub size_before: u64,
    pub size_after: u64,
}

/// Compares the closures of two graphs by package name.
pub fn diff(before: &Graph, after: &Graph) -> Vec<DiffLine> {
    let mut table: BTreeMap<String, DiffLine> = BTreeMap::new();
    for (graph, is_after) in [(before, false), (after, true)] {
        for node in &graph.nodes {
            let (name, version) = split_name_version(node.name());
            let line = table.entry(name.to_string()).or_insert_with(|| DiffLine {
                name: name.to_string(),
                before: Vec::new(),
                after: Vec::new(),
                size_before: 0,
                size_after: 0,
            });
            let version = if version.is_empty() { "-" } else { version };
            if is_after {
                line.after.push(version.to_string());
                line.size_after += node.nar_size;
            } else {
                line.before.push(version.to_string());
                line.size_before += node.nar_size;
            }
        }
    }
    table
        .into_values()
        .filter(|line| line.before != line.after || line.size_before != line.size_after)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{GraphKind, Node};
    use proptest::prelude::*;

    fn graph(sizes: &[u64], edges: &[(u32, u32)]) -> Graph {
        let nodes = sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| Node {
                path: format!("/nix/store/{:032}-n{i}-1.0", i).into_boxed_str(),
                nar_size: s,
            })
            .collect();
        let mut lists = vec![Vec::new(); sizes.len()];
        for &(a, b) in edges {
            lists[a as usize].push(b);
        }
        Graph::new(GraphKind::Runtime, nodes, lists)
    }

    #[test]
    fn diamond_sizes_and_chains() {
        // 0 -> 1 -> 3, 0 -> 2 -> 3, 3 -> 4
        let g = graph(
            &[1, 10, 100, 1000, 10000],
            &[(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)],
        );
        let s = sizes(&g);
        assert_eq!(s.closure[0], 11111);
        assert_eq!(
            s.added[1], 10,
            "3 is shared, so dropping 1 saves only itself"
        );
        assert_eq!(s.added[3], 11000);
        assert_eq!(s.idom[3], Some(0));
        let chains = why_chains(&g, 0, 4, 10);
        assert_eq!(chains, vec![vec![0, 1, 3, 4], vec![0, 2, 3, 4]]);
        assert_eq!(why_chains(&g, 0, 4, 1).len(), 1);
        assert!(why_chains(&g, 4, 0, 10).is_empty());
    }

    #[test]
    fn wide_graph_chains_are_capped_not_exponential() {
        // 30 layers of 2 nodes fully connected: 2^30 shortest paths.
        let layers = 30u32;
        let mut edges = Vec::new();
        for l in 0..layers {
            for a in 0..2 {
                for b in 0..2 {
                    edges.push((1 + l * 2 + a, 1 + (l + 1) * 2 + b));
                }
            }
        }
        edges.push((0, 1));
        edges.push((0, 2));
        let n = 1 + (layers as usize + 1) * 2;
        let g = graph(&vec![1; n], &edges);
        let chains = why_chains(&g, 0, (n - 1) as u32, WHY_CHAINS_ALL);
        assert_eq!(chains.len(), WHY_CHAINS_ALL);
    }

    /// Brute force: every simple path from root to target by DFS.
    fn all_paths(g: &Graph, root: NodeId, target: NodeId) -> Vec<Vec<NodeId>> {
        fn go(
            g: &Graph,
            node: NodeId,
            target: NodeId,
            path: &mut Vec<NodeId>,
            out: &mut Vec<Vec<NodeId>>,
        ) {
            if node == target {
                out.push(path.clone());
                return;
            }
            for &next in g.references.of(node) {
                if !path.contains(&next) {
                    path.push(next);
                    go(g, next, target, path, out);
                    path.pop();
                }
            }
        }
        let mut out = Vec::new();
        go(g, root, target, &mut vec![root], &mut out);
        out
    }

    proptest! {
        #[test]
        fn matches_brute_force(n in 2usize..9, raw in proptest::collection::vec((0u32..9, 0u32..9), 0..24), weights in proptest::collection::vec(1u64..100, 9)) {
            let edges: Vec<(u32, u32)> = raw.into_iter().filter(|&(a, b)| (a as usize) < n && (b as usize) < n).collect();
            let g = graph(&weights[..n], &edges);
            let s = sizes(&g);
            for node in 0..n as NodeId {
                let inside = reachable(&g, &[node]);
                let expected: u64 = (0..n).filter(|&i| inside[i]).map(|i| g.nodes[i].nar_size).sum();
                prop_assert_eq!(s.closure[node as usize], expected);
            }
            // Added size of d = size of nodes that become unreachable from the roots without d.
            let entries: Vec<NodeId> = { let r = reachable(&g, &g.roots); g.roots.iter().copied().chain((0..n as NodeId).filter(|&i| !r[i as usize])).collect() };
            let all = reachable(&g, &entries);
            for d in 0..n as NodeId {
                if entries.contains(&d) { continue; }
                let mut blocked = g.clone();
                let mut lists: Vec<Vec<NodeId>> = (0..n as NodeId).map(|i| if i == d { vec![] } else { g.references.of(i).iter().copied().filter(|&t| t != d).collect() }).collect();
                lists[d as usize].clear();
                blocked.references = crate::graph::Adjacency::from_lists(&lists);
                let without = reachable(&blocked, &entries);
                let lost: u64 = (0..n).filter(|&i| all[i] && (!without[i] || i == d as usize)).map(|i| g.nodes[i].nar_size).sum();
                prop_assert_eq!(s.added[d as usize], lost, "node {}", d);
            }
            // Why-chains are exactly the shortest of all simple paths.
            for &root in &g.roots {
                for target in 0..n as NodeId {
                    if target == root { continue; }
                    let mut expected = all_paths(&g, root, target);
                    let shortest = expected.iter().map(Vec::len).min();
                    expected.retain(|p| Some(p.len()) == shortest);
                    let mut got = why_chains(&g, root, target, 1000);
                    expected.sort(); got.sort();
                    prop_assert_eq!(got, expected);
                }
            }
        }
    }
}
