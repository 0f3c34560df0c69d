//! Doc comments: RFC 145 `/** */` markdown with `# Type` and `# Examples` sections, legacy `/* */`
//! blocks with `Type:` and `Example:` paragraphs, and runs of `#` line comments.

/// The parts of a doc comment nixbench shows separately.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocComment {
    /// Markdown without the `# Type` and `# Examples` sections.
    pub body: String,
    pub type_sig: Option<String>,
    pub examples: Vec<String>,
}

/// Parses the raw text of one comment token (with its delimiters) or several `#` lines joined by
/// newlines.
pub fn parse_comment(raw: &str) -> DocComment {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix("/**").and_then(|s| s.strip_suffix("*/")) {
        parse_markdown(&dedent(inner))
    } else if let Some(inner) = raw.strip_prefix("/*").and_then(|s| s.strip_suffix("*/")) {
        parse_legacy(&dedent(inner))
    } else {
        let text: Vec<&str> = raw
            .lines()
            .map(|line| {
                let line = line.trim_start().trim_start_matches('#');
                line.strip_prefix(' ').unwrap_or(line)
            })
            .collect();
        parse_legacy(&text.join("\n"))
    }
}

/// Removes the common leading indentation (the first line counts only when it has text).
pub fn dedent(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            out.push(line.trim());
        } else if line.len() >= indent {
            out.push(line[indent..].trim_end());
        } else {
            out.push(line.trim());
        }
    }
    out.join("\n").trim().to_string()
}

fn parse_markdown(text: &str) -> DocComment {
    let mut doc = DocComment::default();
    let mut body = Vec::new();
    let mut section = Section::Body;
    let mut in_fence = false;
    let mut fence = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if !in_fence && trimmed.starts_with("# ") {
            section = match trimmed[2..].trim().to_ascii_lowercase().as_str() {
                "type" => Section::Type,
                "examples" | "example" => Section::Examples,
                _ => {
                    body.push(line.to_string());
                    Section::Body
                }
            };
            continue;
        }
        if trimmed.starts_with("```") {
            if in_fence {
                in_fence = false;
                let code = fence.join("\n");
                fence.clear();
                match section {
                    Section::Type if doc.type_sig.is_none() => doc.type_sig = Some(code),
                    Section::Examples => doc.examples.push(code),
                    _ => {
                        body.push(line.to_string());
                    }
                }
            } else {
                in_fence = true;
                if section == Section::Body {
                    body.push(line.to_string());
                }
            }
            continue;
        }
        if in_fence {
            fence.push(line.to_string());
            if section == Section::Body {
                body.push(line.to_string());
            }
            continue;
        }
        if section == Section::Body {
            body.push(line.to_string());
        }
    }
    doc.body = body.join("\n").trim().to_string();
    doc
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Body,
    Type,
    Examples,
}

/// Legacy comments: free text, optionally `Type: sig` and `Example:` followed by indented code.
fn parse_legacy(text: &str) -> DocComment {
    let mut doc = DocComment::default();
    let mut body = Vec::new();
    let mut example: Option<Vec<String>> = None;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("Type:") {
            let mut sig = rest.trim().to_string();
            while let Some(next) = lines.peek() {
                if next.starts_with("  ") && !next.trim().is_empty() && !next.trim().ends_with(':')
                {
                    sig.push(' ');
                    sig.push_str(next.trim());
                    lines.next();
                } else {
                    break;
                }
            }
            doc.type_sig = Some(sig);
            continue;
        }
        if trimmed == "Example:" || trimmed == "Examples:" {
            example = Some(Vec::new());
            continue;
        }
        match &mut example {
            Some(code) => code.push(line.strip_prefix("  ").unwrap_or(line).to_string()),
            None => body.push(line),
        }
    }
    if let Some(code) = example {
        let code = dedent(&format!("\n{}", code.join("\n")));
        if !code.is_empty() {
            doc.examples.push(code);
        }
    }
    doc.body = body.join("\n").trim().to_string();
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc145_sections() {
        let raw = "/**\n    Joins strings.\n\n    # Inputs\n\n    `sep`\n    : The separator.\n\n    # Type\n\n    ```\n    f :: string -> [string] -> string\n    ```\n\n    # Examples\n    :::{.example}\n    ## usage\n\n    ```nix\n    f \"/\" [\"a\" \"b\"]\n    => \"a/b\"\n    ```\n    :::\n  */";
        let doc = parse_comment(raw);
        assert_eq!(
            doc.type_sig.as_deref(),
            Some("f :: string -> [string] -> string")
        );
        assert_eq!(
            doc.examples,
            vec!["f \"/\" [\"a\" \"b\"]\n=> \"a/b\"".to_string()]
        );
        assert!(doc.body.starts_with("Joins strings."));
        assert!(doc.body.contains("# Inputs"));
        assert!(!doc.body.contains("# Type"));
    }

    #[test]
    fn legacy_block_and_line_comments() {
        let doc = parse_comment("/* Escapes things.\n\n     Type: escape :: string -> string\n\n     Example:\n       escape \"a.b\"\n       => \"a\\\\.b\"\n  */");
        assert_eq!(doc.body, "Escapes things.");
        assert_eq!(doc.type_sig.as_deref(), Some("escape :: string -> string"));
        assert_eq!(doc.examples.len(), 1);
        assert!(doc.examples[0].starts_with("escape \"a.b\""));

        let doc = parse_comment("# Splits a string.\n# Second line.");
        assert_eq!(doc.body, "Splits a string.\nSecond line.");
    }
}
