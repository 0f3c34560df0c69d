//! flake.nix and flake.lock: parsing with positions, inputs, and plain-words explanations of the part
//! under the cursor. No terminal code.

pub mod diff;
pub mod edit;
pub mod eval;
pub mod explain;
pub mod lock;
pub mod shell;
pub mod templates;
pub mod write;

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use crate::nixpkgs::static_index::body_attrset;
use crate::nixpkgs::syntax::{attrpath_text, literal_string, SourceFile};

/// A problem in flake.nix, with a 1-based position.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// One entry of the `inputs` set.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Input {
    pub name: String,
    pub url: Option<String>,
    /// `inputs.X.inputs.nixpkgs.follows = "nixpkgs"` pairs: (input of X, followed input).
    pub follows: Vec<(String, String)>,
    pub line: u32,
}

/// A parsed flake.nix: the text, its syntax tree and what we read from it.
pub struct Flake {
    pub source: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    pub description: Option<String>,
    pub inputs: Vec<Input>,
}

impl Flake {
    pub fn parse(text: String) -> Self {
        let source = SourceFile::parse(text);
        let diagnostics = source
            .errors
            .iter()
            .map(|error| {
                let mut parts = error.splitn(3, ':');
                let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(1);
                let column = parts.next().and_then(|c| c.parse().ok()).unwrap_or(1);
                let message = parts.next().unwrap_or("").trim().to_string();
                Diagnostic {
                    line,
                    column,
                    message: explain_parse_error(&message),
                }
            })
            .collect();
        let mut flake = Self {
            source,
            diagnostics,
            description: None,
            inputs: Vec::new(),
        };
        flake.read_top_level();
        flake
    }

    pub fn text(&self) -> &str {
        &self.source.text
    }

    fn read_top_level(&mut self) {
        let Some(top) = self.source.root.expr().and_then(body_attrset) else {
            if self.diagnostics.is_empty() {
                self.diagnostics.push(Diagnostic {
                    line: 1,
                    column: 1,
                    message: "flake.nix must be an attribute set: `{ description = ...; inputs = ...; outputs = ...; }`".into(),
                });
            }
            return;
        };
        let mut inputs: Vec<Input> = Vec::new();
        let mut has_outputs = false;
        for kv in top.attrpath_values() {
            let Some(path) = attrpath_text(&kv) else {
                continue;
            };
            let line = self
                .source
                .line_of(usize::from(kv.syntax().text_range().start()));
            let value = kv.value();
            let string = |v: &Option<ast::Expr>| match v {
                Some(ast::Expr::Str(s)) => literal_string(s),
                _ => None,
            };
            let parts: Vec<&str> = path.split('.').collect();
            match parts.as_slice() {
                ["description"] => self.description = string(&value),
                ["outputs"] => has_outputs = true,
                ["inputs"] => {
                    if let Some(set) = value.and_then(|v| match v {
                        ast::Expr::AttrSet(set) => Some(set),
                        _ => None,
                    }) {
                        for entry in set.attrpath_values() {
                            let Some(inner) = attrpath_text(&entry) else {
                                continue;
                            };
                            let line = self
                                .source
                                .line_of(usize::from(entry.syntax().text_range().start()));
                            let inner_parts: Vec<String> =
                                inner.split('.').map(str::to_string).collect();
                            record_input(&mut inputs, &inner_parts, entry.value(), line);
                        }
                    }
                }
                ["inputs", rest @ ..] => {
                    let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
                    record_input(&mut inputs, &rest, value, line);
                }
                _ => {}
            }
        }
        if !has_outputs && self.diagnostics.is_empty() {
            self.diagnostics.push(Diagnostic {
                line: 1,
                column: 1,
                message: "flake.nix has no `outputs`: add `outputs = { self, nixpkgs }: { ... };`"
                    .into(),
            });
        }
        self.inputs = inputs;
    }
}

fn record_input(inputs: &mut Vec<Input>, path: &[String], value: Option<ast::Expr>, line: u32) {
    let Some(name) = path.first() else { return };
    let index = match inputs.iter().position(|i| &i.name == name) {
        Some(i) => i,
        None => {
            inputs.push(Input {
                name: name.clone(),
                url: None,
                follows: Vec::new(),
                line,
            });
            inputs.len() - 1
        }
    };
    // `url = github:owner/repo;` (an old URL literal) is kept as written.
    let as_string = |v: &Option<ast::Expr>| match v {
        Some(ast::Expr::Str(s)) => literal_string(s),
        Some(ast::Expr::Literal(l)) => Some(l.syntax().text().to_string()),
        _ => None,
    };
    match &path[1..] {
        [] => {
            // `nixpkgs = { url = ...; inputs.x.follows = ...; }` or `nixpkgs.url = ...`.
            if let Some(ast::Expr::AttrSet(set)) = &value {
                for kv in set.attrpath_values() {
                    if let Some(inner) = attrpath_text(&kv) {
                        let mut full = vec![name.clone()];
                        full.extend(inner.split('.').map(str::to_string));
                        record_input(inputs, &full, kv.value(), line);
                    }
                }
            }
        }
        [field] if field == "url" => inputs[index].url = as_string(&value),
        [inputs_kw, dep, follows] if inputs_kw == "inputs" && follows == "follows" => {
            if let Some(target) = as_string(&value) {
                inputs[index].follows.push((dep.clone(), target));
            }
        }
        _ => {}
    }
}

/// Rewords rnix's parser messages for people who have not read a grammar.
fn explain_parse_error(message: &str) -> String {
    if message.contains("unexpected end of file") || message.contains("EOF") {
        format!(
            "{message}: a `{{`, `[`, `(` or string is not closed, or a `;` is missing at the end"
        )
    } else if message.contains("unexpected token") || message.contains("unexpected") {
        format!("{message}: check for a missing `;` after the previous binding, or an unbalanced bracket")
    } else {
        message.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inputs_in_both_spellings() {
        let flake = Flake::parse(
            r#"{
  description = "demo";
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs = {
    flake-utils.url = "github:numtide/flake-utils";
    rust-overlay = {
      url = "github:oxalica/rust-overlay";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };
  outputs = { self, nixpkgs, ... }: { };
}"#
            .to_string(),
        );
        assert!(flake.diagnostics.is_empty(), "{:?}", flake.diagnostics);
        assert_eq!(flake.description.as_deref(), Some("demo"));
        let names: Vec<&str> = flake.inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["nixpkgs", "flake-utils", "rust-overlay"]);
        assert_eq!(
            flake.inputs[2].follows,
            vec![("nixpkgs".to_string(), "nixpkgs".to_string())]
        );
        assert_eq!(flake.inputs[0].line, 3);
    }

    #[test]
    fn url_literals_are_read_as_written() {
        let flake = Flake::parse(
            "{\n  inputs.compat = { url = github:edolstra/flake-compat; flake = false; };\n  outputs = { self, compat }: { };\n}\n".to_string(),
        );
        assert_eq!(
            flake.inputs[0].url.as_deref(),
            Some("github:edolstra/flake-compat")
        );
    }

    #[test]
    fn broken_flake_reports_line_and_column() {
        let flake = Flake::parse(
            "{\n  inputs.nixpkgs.url = \"x\"\n  outputs = { self }: { };\n}\n".to_string(),
        );
        let first = &flake.diagnostics[0];
        assert_eq!(first.line, 3, "{first:?}");
        assert!(first.message.contains("missing `;`"), "{first:?}");
    }
}
