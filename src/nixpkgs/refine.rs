//! Refining the static index with Nix's own evaluation: exact versions and meta for every package,
//! merged over what the files said, saved to the index cache.

use std::path::Path;
use std::sync::Arc;

use super::search::Searchable;

/// Evaluates nixpkgs at `root`, merges the result into `searchable`'s index and saves it to
/// `cache_path`; returns the refined index and how many packages were evaluated.
pub fn refine(
    searchable: &Searchable,
    nix: &crate::nix::NixInfo,
    root: &Path,
    cache_path: &Path,
    progress: &mut dyn FnMut(usize),
) -> Result<(Searchable, usize), String> {
    let entries = super::evaluated::evaluate(nix, root, progress)?;
    let count = entries.len();
    let mut index = searchable.to_index();
    index.merge(entries);
    // A cache that cannot be written is rebuilt next time; the refined index is still used now.
    let _ = super::cache::save(cache_path, &index);
    Ok((Searchable::new(Arc::new(index)), count))
}
