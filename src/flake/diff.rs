//! Unified diffs of two texts, line by line, through `similar` (Myers' algorithm).

/// A unified diff with `context` lines around each change; empty when the texts are equal. Hunk
/// headers follow diff(1): a one-line range is written as its start alone (`@@ -3 +3 @@`), and a
/// last line without a newline is marked `\ No newline at end of file`, so `patch` accepts it.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str, context: usize) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(context)
        .header(old_name, new_name)
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn small_diff_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\n";
        let new = "a\nb\nc\nD\ne\nf\ng\n";
        let diff = super::unified(old, new, "flake.nix", "flake.nix", 1);
        assert_eq!(
            diff,
            "--- flake.nix\n+++ flake.nix\n@@ -3,3 +3,3 @@\n c\n-d\n+D\n e\n"
        );
        assert_eq!(super::unified(old, old, "a", "b", 3), "");
        let added = super::unified("x\n", "x\ny\n", "a", "b", 3);
        assert!(added.contains("@@ -1 +1,2 @@\n x\n+y\n"), "{added}");
    }

    #[test]
    fn missing_final_newline_is_marked() {
        let diff = super::unified("a\nb", "a\nc\n", "a", "b", 3);
        assert_eq!(
            diff,
            "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
        );
    }
}
