//! Reading graphs from Nix's JSON: `nix path-info --json --recursive` (an array before Nix 2.19, an
//! object keyed by path since) and `nix show-derivation -r` / `nix derivation show -r` (whose
//! `inputDrvs` values changed from output lists to objects in 2.18).

use std::collections::HashMap;

use serde::Deserialize;
use thiserror::Error;

use super::{Graph, GraphKind, Node, NodeId};

#[derive(Debug, Error)]
pub enum LoadError {
    #[error("not valid JSON from `nix path-info --json --recursive`: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the JSON holds no store paths; was it made with `--recursive`?")]
    Empty,
    #[error("not the output of `nix show-derivation -r` / `nix derivation show -r`: expected an object keyed by .drv paths")]
    NotDerivations,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PathInfo {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    nar_size: Option<u64>,
    #[serde(default)]
    references: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PathInfoDocument {
    /// Nix < 2.19 (and Lix): `[{"path": ..., "narSize": ..., "references": [...]}, ...]`.
    Array(Vec<PathInfo>),
    /// Nix >= 2.19: `{"/nix/store/...": {"narSize": ..., "references": [...]}, ...}`; a path that is
    /// not valid maps to null.
    Object(HashMap<String, Option<PathInfo>>),
}

/// Store paths in newer JSON may come without the store directory; give them one.
fn full_path(path: &str, store_dir: &str) -> String {
    if path.starts_with('/') {
        path.trim_end_matches('/').to_string()
    } else {
        format!("{store_dir}/{path}")
    }
}

/// Parses path-info JSON of either shape into a runtime graph.
pub fn runtime_graph(json: &[u8]) -> Result<Graph, LoadError> {
    let document: PathInfoDocument = serde_json::from_slice(json)?;
    let infos: Vec<(String, PathInfo)> = match document {
        PathInfoDocument::Array(items) => items
            .into_iter()
            .filter_map(|info| Some((info.path.clone()?, info)))
            .collect(),
        PathInfoDocument::Object(map) => {
            let mut items: Vec<(String, PathInfo)> = map
                .into_iter()
                .filter_map(|(path, info)| Some((path, info?)))
                .collect();
            items.sort_by(|a, b| a.0.cmp(&b.0));
            items
        }
    };
    if infos.is_empty() {
        return Err(LoadError::Empty);
    }
    let store_dir = infos
        .iter()
        .find_map(|(path, _)| path.rfind('/').map(|i| path[..i].to_string()))
        .unwrap_or_else(|| "/nix/store".to_string());
    let mut ids: HashMap<String, NodeId> = HashMap::with_capacity(infos.len());
    let mut nodes = Vec::with_capacity(infos.len());
    for (path, info) in &infos {
        let path = full_path(path, &store_dir);
        if ids.contains_key(&path) {
            continue;
        }
        ids.insert(path.clone(), nodes.len() as NodeId);
        nodes.push(Node {
            path: path.into_boxed_str(),
            nar_size: info.nar_size.unwrap_or(0),
        });
    }
    let mut lists = vec![Vec::new(); nodes.len()];
    for (path, info) in &infos {
        let from = ids[&full_path(path, &store_dir)];
        for reference in &info.references {
            // References outside the JSON (a non-recursive dump) are ignored rather than invented.
            if let Some(&to) = ids.get(&full_path(reference, &store_dir)) {
                lists[from as usize].push(to);
            }
        }
    }
    Ok(Graph::new(GraphKind::Runtime, nodes, lists))
}

/// Parses derivation JSON into a build-time graph of .drv files (sources as leaves).
pub fn build_time_graph(json: &[u8]) -> Result<Graph, LoadError> {
    let document: HashMap<String, serde_json::Value> =
        serde_json::from_slice(json).map_err(|_| LoadError::NotDerivations)?;
    if document.is_empty() {
        return Err(LoadError::Empty);
    }
    let store_dir = "/nix/store";
    let mut ids: HashMap<String, NodeId> = HashMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut intern = |path: String, nodes: &mut Vec<Node>| -> NodeId {
        *ids.entry(path.clone()).or_insert_with(|| {
            nodes.push(Node {
                path: path.into_boxed_str(),
                nar_size: 0,
            });
            (nodes.len() - 1) as NodeId
        })
    };
    let mut keys: Vec<&String> = document.keys().collect();
    keys.sort();
    let mut edges: Vec<(NodeId, NodeId)> = Vec::new();
    for drv in keys {
        let value = &document[drv];
        if !value.is_object() {
            return Err(LoadError::NotDerivations);
        }
        let from = intern(full_path(drv, store_dir), &mut nodes);
        if let Some(inputs) = value.get("inputDrvs").and_then(|v| v.as_object()) {
            for input in inputs.keys() {
                let to = intern(full_path(input, store_dir), &mut nodes);
                edges.push((from, to));
            }
        }
        // Nix 2.8 has `inputSrcs`; newer releases may nest sources under `inputs.srcs`.
        let sources = value
            .get("inputSrcs")
            .or_else(|| value.get("inputs").and_then(|i| i.get("srcs")));
        if let Some(sources) = sources.and_then(|v| v.as_array()) {
            for source in sources.iter().filter_map(|s| s.as_str()) {
                let to = intern(full_path(source, store_dir), &mut nodes);
                edges.push((from, to));
            }
        }
    }
    let mut lists = vec![Vec::new(); nodes.len()];
    for (from, to) in edges {
        lists[from as usize].push(to);
    }
    Ok(Graph::new(GraphKind::BuildTime, nodes, lists))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARRAY: &str = r#"[
      {"path":"/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-app-1.0","narSize":100,"references":["/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib-2.0","/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-app-1.0"],"closureSize":150},
      {"path":"/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib-2.0","narSize":50,"references":[]}
    ]"#;
    const OBJECT: &str = r#"{
      "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-app-1.0":{"narSize":100,"references":["/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib-2.0"]},
      "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib-2.0":{"narSize":50,"references":[]},
      "/nix/store/cccccccccccccccccccccccccccccccc-gone":null
    }"#;

    #[test]
    fn both_path_info_shapes_give_the_same_graph() {
        for json in [ARRAY, OBJECT] {
            let graph = runtime_graph(json.as_bytes()).unwrap();
            assert_eq!(graph.len(), 2);
            assert_eq!(graph.references.edge_count(), 1, "self-reference dropped");
            assert_eq!(graph.roots.len(), 1);
            assert_eq!(graph.node(graph.roots[0]).name(), "app-1.0");
        }
    }

    #[test]
    fn bad_json_is_an_error() {
        assert!(runtime_graph(b"[").is_err());
        assert!(matches!(runtime_graph(b"[]"), Err(LoadError::Empty)));
        assert!(build_time_graph(b"[1]").is_err());
    }
}
