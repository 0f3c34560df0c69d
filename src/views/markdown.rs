//! A small markdown renderer for doc comments: headings, lists, definition lists (`: text`), inline
//! code, links and fenced code (Nix code highlighted).

use ratatui::text::{Line, Span};

use super::theme::Theme;

pub fn render(markdown: &str, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut fence: Option<Vec<String>> = None;
    for raw in markdown.lines() {
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") {
            match fence.take() {
                Some(code) => lines.extend(
                    super::highlight::nix(&code.join("\n"), theme)
                        .into_iter()
                        .map(indent),
                ),
                None => fence = Some(Vec::new()),
            }
            continue;
        }
        if let Some(code) = &mut fence {
            code.push(raw.to_string());
            continue;
        }
        if trimmed.starts_with(":::") {
            continue;
        }
        if let Some(heading) = trimmed.strip_prefix('#') {
            lines.push(Line::styled(
                heading.trim_start_matches('#').trim().to_string(),
                theme.heading(),
            ));
            continue;
        }
        if let Some(definition) = trimmed.strip_prefix(": ") {
            let mut spans = vec![Span::raw("    ")];
            spans.extend(inline(definition, theme));
            lines.push(Line::from(spans));
            continue;
        }
        if let Some(item) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            let mut spans = vec![Span::styled("  • ", theme.accent())];
            spans.extend(inline(item, theme));
            lines.push(Line::from(spans));
            continue;
        }
        lines.push(Line::from(inline(raw, theme)));
    }
    if let Some(code) = fence {
        lines.extend(
            super::highlight::nix(&code.join("\n"), theme)
                .into_iter()
                .map(indent),
        );
    }
    lines
}

fn indent(line: Line<'static>) -> Line<'static> {
    let mut spans = vec![Span::raw("  ")];
    spans.extend(line.spans);
    Line::from(spans)
}

/// Inline code in backticks and `[text](url)` links.
pub fn inline(text: &str, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let tick = rest.find('`');
        let link = rest.find('[');
        match (tick, link) {
            (Some(t), l) if l.is_none_or(|l| t < l) => {
                spans.push(Span::raw(rest[..t].to_string()));
                let after = &rest[t + 1..];
                match after.find('`') {
                    Some(end) => {
                        spans.push(Span::styled(after[..end].to_string(), theme.code()));
                        rest = &after[end + 1..];
                    }
                    None => {
                        spans.push(Span::raw(rest[t..].to_string()));
                        rest = "";
                    }
                }
            }
            (_, Some(l)) => {
                let after = &rest[l + 1..];
                if let Some((label, tail)) = after.split_once("](") {
                    if let Some((url, remaining)) = tail.split_once(')') {
                        spans.push(Span::raw(rest[..l].to_string()));
                        spans.push(Span::styled(label.to_string(), theme.link()));
                        spans.push(Span::styled(format!(" <{url}>"), theme.muted()));
                        rest = remaining;
                        continue;
                    }
                }
                spans.push(Span::raw(rest[..=l].to_string()));
                rest = after;
            }
            _ => {
                spans.push(Span::raw(rest.to_string()));
                rest = "";
            }
        }
    }
    spans
}
