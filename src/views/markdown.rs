//! Markdown for tour lessons, doc comments and explanations, rendered with pulldown-cmark into styled
//! lines. A paragraph becomes one logical line (source line breaks are soft), so the `Paragraph` that
//! shows it wraps it to the panel's width on every resize. Emphasis, strong text, code spans, links,
//! lists, definition lists (nixpkgs' `: text` argument docs) and fenced code (Nix highlighted) are
//! drawn as styles, never as raw markup. nixpkgs' `:::{.example}` fenced divs are dropped: their
//! headings and code carry the content.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::Theme;

pub fn render(markdown: &str, theme: &Theme) -> Vec<Line<'static>> {
    let source = without_fenced_divs(markdown);
    let mut writer = Writer::new(theme);
    for event in Parser::new_ext(&source, options()) {
        writer.event(event);
    }
    writer.finish()
}

/// One line of inline markdown (a goal, a hint): code spans, emphasis and links as styles.
pub fn inline(text: &str, theme: &Theme) -> Vec<Span<'static>> {
    render(text, theme)
        .into_iter()
        .flat_map(|line| line.spans)
        .collect()
}

fn options() -> Options {
    Options::ENABLE_DEFINITION_LIST | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES
}

fn without_fenced_divs(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut in_fence = false;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        }
        if !in_fence && trimmed.starts_with(":::") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Where the text of the current block goes, and how its lines start.
struct Writer<'t> {
    theme: &'t Theme,
    lines: Vec<Line<'static>>,
    spans: Vec<Span<'static>>,
    /// Inline style modifiers in force (emphasis, strong, link, heading).
    styles: Vec<Style>,
    /// One entry per open list: the next number for ordered lists.
    lists: Vec<Option<u64>>,
    quote_depth: usize,
    code: Option<(String, bool)>,
    link: Option<String>,
    /// A blank line is owed before the next block.
    gap: bool,
}

impl<'t> Writer<'t> {
    fn new(theme: &'t Theme) -> Self {
        Writer {
            theme,
            lines: Vec::new(),
            spans: Vec::new(),
            styles: Vec::new(),
            lists: Vec::new(),
            quote_depth: 0,
            code: None,
            link: None,
            gap: false,
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => match &mut self.code {
                Some((code, _)) => code.push_str(&text),
                None => self.text(&text, Style::default()),
            },
            Event::Code(text) => self.text(&text, self.theme.code()),
            Event::InlineMath(text) | Event::DisplayMath(text) => {
                self.text(&text, self.theme.code())
            }
            Event::Html(text) | Event::InlineHtml(text) => self.text(&text, self.theme.muted()),
            Event::SoftBreak => self.text(" ", Style::default()),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.block_start();
                self.lines
                    .push(Line::styled("─".repeat(24), self.theme.muted()));
                self.gap = true;
            }
            Event::FootnoteReference(label) => self.text(&format!("[{label}]"), Style::default()),
            Event::TaskListMarker(done) => {
                self.text(if done { "[x] " } else { "[ ] " }, Style::default())
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => {
                if self.spans.is_empty() {
                    self.block_start();
                }
            }
            Tag::Heading { level, .. } => {
                self.block_start();
                let style = self.theme.heading();
                let style = if level == HeadingLevel::H1 {
                    style.add_modifier(Modifier::BOLD)
                } else {
                    style
                };
                self.styles.push(style);
            }
            Tag::BlockQuote(_) => {
                self.block_start();
                self.quote_depth += 1;
            }
            Tag::CodeBlock(kind) => {
                self.block_start();
                let nix = match kind {
                    CodeBlockKind::Fenced(lang) => {
                        let lang = lang.trim();
                        lang.is_empty() || lang == "nix"
                    }
                    CodeBlockKind::Indented => true,
                };
                self.code = Some((String::new(), nix));
            }
            Tag::List(first) => {
                if self.lists.is_empty() {
                    self.block_start();
                } else {
                    self.flush();
                }
                self.lists.push(first);
            }
            Tag::Item => {
                self.flush();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(number)) => {
                        let marker = format!("{number}. ");
                        *number += 1;
                        marker
                    }
                    _ => "• ".to_string(),
                };
                self.spans
                    .push(Span::raw(format!("{}  ", "  ".repeat(depth))));
                self.spans.push(Span::styled(marker, self.theme.accent()));
            }
            Tag::DefinitionList => self.block_start(),
            Tag::DefinitionListTitle => self.flush(),
            Tag::DefinitionListDefinition => {
                self.flush();
                self.spans.push(Span::raw("    "));
            }
            Tag::Emphasis => self
                .styles
                .push(Style::new().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.styles.push(Style::new().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self
                .styles
                .push(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.styles.push(self.theme.link());
                self.link = Some(dest_url.to_string());
            }
            Tag::Image { dest_url, .. } => {
                self.styles.push(self.theme.link());
                self.link = Some(dest_url.to_string());
            }
            Tag::Table(_) | Tag::TableHead | Tag::TableRow => self.flush(),
            Tag::TableCell => {
                if !self.spans.is_empty() {
                    self.text(" │ ", self.theme.muted());
                }
            }
            Tag::HtmlBlock
            | Tag::FootnoteDefinition(_)
            | Tag::MetadataBlock(_)
            | Tag::Superscript
            | Tag::Subscript => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph if self.lists.is_empty() => {
                self.flush();
                self.gap = true;
            }
            TagEnd::Heading(_) => {
                self.styles.pop();
                self.flush();
                self.gap = true;
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.quote_depth = self.quote_depth.saturating_sub(1);
                self.gap = true;
            }
            TagEnd::CodeBlock => {
                if let Some((code, nix)) = self.code.take() {
                    self.code_lines(code.trim_end_matches('\n'), nix);
                }
                self.gap = true;
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                if self.lists.is_empty() {
                    self.gap = true;
                }
            }
            TagEnd::Item | TagEnd::DefinitionListTitle | TagEnd::DefinitionListDefinition => {
                self.flush()
            }
            TagEnd::DefinitionList => self.gap = true,
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link | TagEnd::Image => {
                self.styles.pop();
                if let Some(url) = self.link.take() {
                    let shown: String = self.spans.iter().map(|s| s.content.as_ref()).collect();
                    if !url.is_empty() && !shown.ends_with(url.as_str()) {
                        self.text(&format!(" <{url}>"), self.theme.muted());
                    }
                }
            }
            TagEnd::Table | TagEnd::TableHead | TagEnd::TableRow => self.flush(),
            _ => {}
        }
    }

    fn text(&mut self, text: &str, base: Style) {
        if self.spans.is_empty() && self.quote_depth > 0 {
            self.spans.push(Span::styled(
                "│ ".repeat(self.quote_depth),
                self.theme.muted(),
            ));
        }
        let style = self.styles.iter().fold(base, |acc, s| acc.patch(*s));
        self.spans.push(Span::styled(text.to_string(), style));
    }

    fn code_lines(&mut self, code: &str, nix: bool) {
        let lines = if nix {
            super::highlight::nix(code, self.theme)
        } else {
            code.lines()
                .map(|l| Line::styled(l.to_string(), self.theme.code()))
                .collect()
        };
        let indent = "  ".repeat(self.lists.len() + 1);
        for line in lines {
            let mut spans = vec![Span::raw(indent.clone())];
            spans.extend(line.spans);
            self.lines.push(Line::from(spans));
        }
    }

    /// Ends the current line.
    fn flush(&mut self) {
        if !self.spans.is_empty() {
            self.lines.push(Line::from(std::mem::take(&mut self.spans)));
        }
    }

    /// Before a new block: the blank line owed by the previous one.
    fn block_start(&mut self) {
        self.flush();
        if self.gap && !self.lines.is_empty() {
            self.lines.push(Line::raw(""));
        }
        self.gap = false;
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        self.flush();
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn theme() -> Theme {
        Theme::named("dark", false).expect("built-in theme")
    }

    #[test]
    fn a_paragraph_is_one_line_and_markup_is_style() {
        let theme = theme();
        let lines = render(
            "Everything is a *derivation*: a recipe\nnaming a `builder`.\n\nNext **one**.",
            &theme,
        );
        assert_eq!(
            plain(&lines),
            [
                "Everything is a derivation: a recipe naming a builder.",
                "",
                "Next one."
            ]
        );
        let emphasis = &lines[0].spans[1];
        assert_eq!(emphasis.content, "derivation");
        assert!(emphasis.style.add_modifier.contains(Modifier::ITALIC));
        let code = lines[0].spans.iter().find(|s| s.content == "builder");
        assert_eq!(code.map(|s| s.style), Some(theme.code()));
    }

    #[test]
    fn nixpkgs_doc_comment_shapes() {
        let theme = theme();
        let doc = "Concatenate strings.\n\n# Inputs\n\n`sep`\n: The separator\n\n\
                   :::{.example}\n## Example\n\n```nix\nconcatStringsSep \"/\" [ \"a\" ]\n```\n:::\n";
        let text = plain(&render(doc, &theme));
        assert!(text.iter().all(|l| !l.contains(":::")), "{text:?}");
        assert!(text.contains(&"Inputs".to_string()), "{text:?}");
        assert!(text.contains(&"sep".to_string()), "{text:?}");
        assert!(text.contains(&"    The separator".to_string()), "{text:?}");
        assert!(
            text.iter().any(|l| l.contains("concatStringsSep \"/\"")),
            "{text:?}"
        );
    }

    #[test]
    fn lists_links_and_inline() {
        let theme = theme();
        let text = plain(&render(
            "- one\n  two\n- [docs](https://nix.dev)\n\n1. first",
            &theme,
        ));
        assert_eq!(
            text,
            [
                "  • one two",
                "  • docs <https://nix.dev>",
                "",
                "  1. first"
            ]
        );
        let spans = inline("press `a` to *add*", &theme);
        let joined: String = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(joined, "press a to add");
    }
}
