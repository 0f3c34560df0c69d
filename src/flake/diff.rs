//! Unified diffs of two texts, line by line (LCS; flake files are small).

/// A unified diff with `context` lines around each change; empty when the texts are equal.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str, context: usize) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    // The edit script: (tag, old line number, new line number, text).
    let mut ops: Vec<(char, usize, usize, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', i, j, a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Deletions before insertions, as diff(1) prints them.
            ops.push(('-', i, j, a[i]));
            i += 1;
        } else {
            ops.push(('+', i, j, b[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.0 != ' ')
        .map(|(k, _)| k)
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    let mut k = 0;
    while k < changed.len() {
        let first = changed[k].saturating_sub(context);
        let mut last = changed[k];
        while k + 1 < changed.len() && changed[k + 1] <= last + 2 * context + 1 {
            k += 1;
            last = changed[k];
        }
        let last = (last + context).min(ops.len() - 1);
        let hunk = &ops[first..=last];
        let old_count = hunk.iter().filter(|op| op.0 != '+').count();
        let new_count = hunk.iter().filter(|op| op.0 != '-').count();
        let old_start = hunk[0].1 + usize::from(old_count > 0);
        let new_start = hunk[0].2 + usize::from(new_count > 0);
        out.push_str(&format!(
            "@@ -{old_start},{old_count} +{new_start},{new_count} @@\n"
        ));
        for (tag, _, _, text) in hunk {
            out.push(*tag);
            out.push_str(text);
            out.push('\n');
        }
        k += 1;
    }
    out
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
        assert!(added.contains("@@ -1,1 +1,2 @@\n x\n+y\n"), "{added}");
    }
}
