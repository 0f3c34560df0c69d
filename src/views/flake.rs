//! Flake: highlighted flake.nix with a cursor, diagnostics, explanation, inputs and lock.

use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::app::layout::Areas;
use crate::app::state::AppState;

use super::block;
use super::theme::Theme;

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let f = &state.flake;
    let [source_area, side] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
            .areas(areas.body);
    let Some(flake) = &f.flake else {
        // No flake.nix yet: offer the templates.
        let mut lines = vec![
            Line::styled("This project has no flake.nix yet.", theme.heading()),
            Line::raw(f.error.clone().unwrap_or_default()),
            Line::raw("Choose a dev shell template (j/k) and press Enter to see the file before it is written:"),
            Line::raw(""),
        ];
        for (i, name) in crate::flake::templates::names().iter().enumerate() {
            let line = Line::raw(format!("  {name}"));
            lines.push(if i == f.template {
                line.style(theme.selection())
            } else {
                line
            });
        }
        frame.render_widget(
            Paragraph::new(lines)
                .block(block(" New flake ", true, theme))
                .wrap(Wrap { trim: false }),
            areas.body,
        );
        return;
    };
    let title = format!(
        " {} ",
        f.path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "flake.nix".into())
    );
    let height = source_area.height.saturating_sub(2) as usize;
    let offset = f.cursor_line.saturating_sub(height / 2);
    let highlighted = super::highlight::nix(flake.text(), theme);
    let lines: Vec<Line> = highlighted
        .into_iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, line)| {
            let marker = if flake.diagnostics.iter().any(|d| d.line as usize == i + 1) {
                Span::styled("✗", theme.error())
            } else {
                Span::raw(" ")
            };
            let mut spans = vec![
                marker,
                Span::styled(format!("{:>3} ", i + 1), theme.muted()),
            ];
            spans.extend(line.spans);
            let line = Line::from(spans);
            if i == f.cursor_line {
                line.style(theme.selection())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(block(title, true, theme)),
        source_area,
    );

    let mut info: Vec<Line> = Vec::new();
    for d in &flake.diagnostics {
        info.push(Line::styled(
            format!("✗ {}:{}: {}", d.line, d.column, d.message),
            theme.error(),
        ));
    }
    match &f.explanation {
        Some((title, text)) => {
            info.push(Line::styled(title.clone(), theme.heading()));
            info.extend(super::markdown::render(text, theme));
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
        info.push(Line::from(vec![
            Span::styled(format!("  {:<14}", input.name), theme.accent()),
            Span::raw(input.url.clone().unwrap_or_default()),
            Span::styled(
                if follows.is_empty() {
                    String::new()
                } else {
                    format!("  follows {}", follows.join(", "))
                },
                theme.muted(),
            ),
        ]));
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
            info.push(Line::from(vec![
                Span::styled(format!("  {:<14}", node.node), theme.accent()),
                Span::raw(format!("{} {}", node.source, rev)),
                Span::styled(age, theme.muted()),
            ]));
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
    frame.render_widget(
        Paragraph::new(info)
            .block(block(" Explain ", false, theme))
            .wrap(Wrap { trim: false }),
        side,
    );
}
