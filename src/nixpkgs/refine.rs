//! Refining the static index with Nix's own evaluation: exact versions and meta for every package,
//! merged over what the files said, saved to the index cache.

use std::path::Path;
use std::sync::Arc;

use super::search::Searchable;

/// Why refining failed.
#[derive(Debug, thiserror::Error)]
pub enum RefineError {
    /// `nix-env -qaP --json --meta` could not be started, failed, or printed what is not its JSON;
    /// the message says which (the static index stays in use).
    #[error(transparent)]
    Evaluation(#[from] super::evaluated::EvalError),
}

/// The index refined by evaluation.
pub struct Refined {
    pub searchable: Searchable,
    /// How many packages Nix evaluated.
    pub evaluated: usize,
}

/// Evaluates nixpkgs at `root`, merges the result into `searchable`'s index and saves it to
/// `cache_path`.
pub fn refine(
    searchable: &Searchable,
    nix: &crate::nix::NixInfo,
    root: &Path,
    cache_path: &Path,
    progress: &mut dyn FnMut(usize),
) -> Result<Refined, RefineError> {
    let entries = super::evaluated::evaluate(nix, root, progress)?;
    let evaluated = entries.len();
    let mut index = searchable.to_index();
    index.merge(entries);
    // A cache that cannot be written is rebuilt next time; the refined index is still used now.
    let _ = super::cache::save(cache_path, &index);
    Ok(Refined {
        searchable: Searchable::new(Arc::new(index)),
        evaluated,
    })
}
