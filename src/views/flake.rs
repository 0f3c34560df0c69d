//! Flake: highlighted flake.nix with a cursor, diagnostics, explanation, inputs and lock.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListState, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::app::layout::Areas;
use crate::app::state::AppState;

use super::block;
use super::theme::Theme;

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let f = &state.flake;
    // Narrow: the explanation goes under the source, at the full width, instead of beside it.
    let [source_area, side] = if areas.narrow {
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(areas.body)
    } else {
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
            .areas(areas.body)
    };
    let Some(flake) = &f.flake else {
        return render_new_flake(state, theme, frame, areas.body);
    };
    let title = super::elide_middle(
        &format!(
            " {} · {} ",
            f.path
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| "flake.nix".into()),
            state.status.project_dir
        ),
        usize::from(source_area.width.saturating_sub(2)),
    );
    render_source(state, flake, theme, frame, source_area, title);
    render_explain(state, flake, theme, frame, side);
}

/// No flake.nix yet: the templates to start from, as a list.
fn render_new_flake(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect) {
    let f = &state.flake;
    let intro = vec![
            Line::styled("This project has no flake.nix yet.", theme.heading()),
            Line::raw(
                f.error
                    .as_ref()
                    .map(super::errors::load_error_text)
                    .unwrap_or_default(),
            ),
            Line::raw("Choose a dev shell template (j/k) and press Enter to see the file before it is written:"),
            Line::raw(""),
        ];
    let outer = block(" New flake ", true, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let intro_rows: usize = intro
        .iter()
        .map(|line| super::wrap_words(&line.to_string(), usize::from(inner.width).max(1)).len())
        .sum();
    let intro_rows = u16::try_from(intro_rows).unwrap_or(u16::MAX);
    let intro = Paragraph::new(intro).wrap(Wrap { trim: false });
    let [intro_area, list_area] =
        Layout::vertical([Constraint::Length(intro_rows), Constraint::Min(0)]).areas(inner);
    frame.render_widget(intro, intro_area);
    let names = crate::flake::templates::names();
    let list =
        List::new(names.iter().map(|name| format!("  {name}"))).highlight_style(theme.selection());
    let mut list_state = ListState::default().with_selected(Some(f.template));
    frame.render_stateful_widget(list, list_area, &mut list_state);
}

/// The explanation of the line under the cursor, the inputs and the lock.
fn render_explain(
    state: &AppState,
    flake: &crate::flake::Flake,
    theme: &Theme,
    frame: &mut Frame,
    side: Rect,
) {
    let f = &state.flake;
    let width = usize::from(side.width.saturating_sub(2));
    let mut info: Vec<Line> = Vec::new();
    for d in &flake.diagnostics {
        info.push(Line::styled(
            format!("✗ {}:{}: {}", d.line, d.column, d.message),
            theme.error(),
        ));
    }
    match &f.explanation {
        Some(explanation) => {
            info.push(Line::styled(explanation.title.clone(), theme.heading()));
            info.extend(super::markdown::render(explanation.body, theme));
        }
        None => info.push(Line::styled(
            "Move the cursor (j/k) onto a line: its meaning appears here.",
            theme.muted(),
        )),
    }
    info.push(Line::raw(""));
    info.push(Line::styled(
        format!("Inputs ({})", flake.inputs.len()),
        theme.heading(),
    ));
    for input in &flake.inputs {
        let follows: Vec<String> = input
            .follows
            .iter()
            .map(|(a, b)| format!("{a}→{b}"))
            .collect();
        let mut value = input.url.clone().unwrap_or_default();
        if !follows.is_empty() {
            value.push_str(&format!("  follows {}", follows.join(", ")));
        }
        info.extend(key_value(&input.name, &value, width, theme));
    }
    if !f.lock.is_empty() {
        info.push(Line::raw(""));
        info.push(Line::styled("flake.lock", theme.heading()));
        for node in &f.lock {
            let rev = node
                .rev
                .as_deref()
                .map(|r| &r[..r.len().min(8)])
                .unwrap_or("-");
            let age = node
                .last_modified
                .map(|t| format!(" · {} old", crate::flake::lock::age(t, f.read_at)))
                .unwrap_or_default();
            let value = format!("{} {rev}{age}", node.source);
            info.extend(key_value(&node.node, &value, width, theme));
        }
        for group in &f.lock_duplicates {
            info.push(Line::styled(
                format!(
                    "  ⚠ {} lock the same repository: add a `follows` to share one",
                    group.join(" and ")
                ),
                theme.warn(),
            ));
        }
        if let Some(words) = &f.lock_newer_nix {
            info.push(Line::styled(format!("  ⚠ {words}"), theme.warn()));
        }
    }
    let explain = super::more_below(block(" Explain ", false, theme), &info, side, 0, theme);
    frame.render_widget(
        Paragraph::new(info)
            .block(explain)
            .wrap(Wrap { trim: false }),
        side,
    );
}

/// flake.nix with line numbers and diagnostics, scrolled to keep the cursor in view and sideways by
/// `hscroll`; `‹`/`›` in the margins say that a line goes on beyond the pane.
fn render_source(
    state: &AppState,
    flake: &crate::flake::Flake,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    title: String,
) {
    let f = &state.flake;
    let outer = block(title, true, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [gutter_area, code_area, more_area] = Layout::horizontal([
        Constraint::Length(6),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(inner);
    let height = usize::from(inner.height);
    let offset = f.cursor_line.saturating_sub(height / 2);
    let code_width = usize::from(code_area.width);
    let mut gutter = Vec::new();
    let mut code = Vec::new();
    let mut more = Vec::new();
    for (i, line) in f.highlighted.iter().enumerate().skip(offset).take(height) {
        let selected = i == f.cursor_line;
        let style = if selected {
            theme.selection()
        } else {
            Style::default()
        };
        let diagnostic = flake.diagnostics.iter().any(|d| d.line as usize == i + 1);
        let left_cut = f.hscroll > 0 && line.width() > 0;
        gutter.push(
            Line::from(vec![
                if diagnostic {
                    Span::styled("✗", theme.error())
                } else {
                    Span::raw(" ")
                },
                Span::styled(format!("{:>3} ", i + 1), theme.muted()),
                Span::styled(if left_cut { "‹" } else { " " }, theme.accent()),
            ])
            .style(style),
        );
        more.push(if line.width() > f.hscroll + code_width {
            Line::styled("›", theme.accent())
        } else {
            Line::raw(" ")
        });
        code.push(line.clone().style(style));
    }
    frame.render_widget(Paragraph::new(gutter), gutter_area);
    frame.render_widget(
        Paragraph::new(code).scroll((0, u16::try_from(f.hscroll).unwrap_or(u16::MAX))),
        code_area,
    );
    frame.render_widget(Paragraph::new(more), more_area);
}

/// `  key  value`, the value in its own column that wraps under itself (a URL is broken at `/`
/// only when a word is wider than the column).
fn key_value(key: &str, value: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    const KEY: usize = 14;
    let indent = if width >= KEY + 20 { KEY + 2 } else { 4 };
    let column = width.saturating_sub(indent).max(8);
    let mut lines = Vec::new();
    let mut first = if indent > 4 && key.width() <= KEY {
        vec![Span::styled(format!("  {key:<KEY$}"), theme.accent())]
    } else {
        lines.push(Line::styled(format!("  {key}"), theme.accent()));
        vec![Span::raw(" ".repeat(indent))]
    };
    for (n, chunk) in super::wrap_words(value, column).into_iter().enumerate() {
        if n == 0 {
            first.push(Span::raw(chunk));
            lines.push(Line::from(std::mem::take(&mut first)));
        } else {
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::raw(chunk),
            ]));
        }
    }
    if !first.is_empty() {
        lines.push(Line::from(first));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::super::wrap_words;

    #[test]
    fn values_wrap_under_themselves_and_urls_break_at_slashes() {
        assert_eq!(
            wrap_words("github:NixOS/nixpkgs/nixos-24.11 follows x", 24),
            ["github:NixOS/nixpkgs/", "nixos-24.11 follows x"]
        );
        assert_eq!(wrap_words("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap_words("", 10), [""]);
    }
}
