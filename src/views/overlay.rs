//! The help overlay and command palette, both generated from the key map and the command list.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use crate::app::state::AppState;
use crate::app::update::palette_matches;

use super::theme::Theme;

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// The help text as lines: one section per context, each command with its keys and help.
pub fn help_lines(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (context, commands) in state.keymap.groups() {
        lines.push(Line::styled(context.label().to_string(), theme.heading()));
        for (command, keys) in commands {
            let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<16}", keys.join(" ")), theme.accent()),
                Span::raw(command.help().to_string()),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines
}

pub fn help(state: &AppState, theme: &Theme, frame: &mut Frame, scroll: usize) {
    let area = centered(frame.area(), 64, frame.area().height.saturating_sub(4));
    frame.render_widget(Clear, area);
    let lines = help_lines(state, theme);
    let block = super::block(" Keys  (Esc closes, j/k scroll) ", true, theme);
    let visible = area.height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0)),
        area,
    );
}

/// A pending file change: its diff, and how to answer.
pub fn confirm(theme: &Theme, frame: &mut Frame, pending: &crate::app::state::PendingWrite) {
    let area = centered(frame.area(), 90, frame.area().height.saturating_sub(4));
    frame.render_widget(Clear, area);
    let mut lines = vec![
        Line::styled(pending.title.clone(), theme.heading()),
        Line::styled(pending.path.display().to_string(), theme.muted()),
        Line::raw(""),
    ];
    for line in pending.diff.lines() {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            theme.muted()
        } else if line.starts_with('+') {
            theme.ok()
        } else if line.starts_with('-') {
            theme.error()
        } else if line.starts_with("@@") {
            theme.info()
        } else {
            theme.text()
        };
        lines.push(Line::styled(line.to_string(), style));
    }
    let block = super::block(
        " y / Enter apply · n / Esc cancel · j/k scroll ",
        true,
        theme,
    );
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((pending.scroll as u16, 0)),
        area,
    );
}

pub fn palette(state: &AppState, theme: &Theme, frame: &mut Frame, query: &str, selected: usize) {
    let matches = palette_matches(query);
    let height = (matches.len() as u16 + 4)
        .min(frame.area().height.saturating_sub(2))
        .max(5);
    let area = centered(frame.area(), 70, height);
    frame.render_widget(Clear, area);
    let mut lines = vec![Line::from(vec![
        Span::styled(": ", theme.accent()),
        Span::raw(query.to_string()),
        Span::styled("▏", theme.accent()),
    ])];
    let context = state.tab.context();
    let visible = area.height.saturating_sub(3) as usize;
    let offset = crate::app::layout::scroll_offset(selected, visible);
    for (i, command) in matches.iter().enumerate().skip(offset).take(visible) {
        let keys: Vec<String> = state
            .keymap
            .keys_for(context, *command)
            .iter()
            .map(|k| k.to_string())
            .collect();
        let line = Line::from(vec![
            Span::raw(format!(" {:<14} ", command.name())),
            Span::raw(format!("{:<44}", command.help())),
            Span::styled(keys.join(" "), theme.muted()),
        ]);
        lines.push(if i == selected {
            line.style(theme.selection())
        } else {
            line
        });
    }
    if matches.is_empty() {
        lines.push(Line::styled(" no command matches", theme.muted()));
    }
    frame.render_widget(
        Paragraph::new(lines).block(super::block(" Command palette ", true, theme)),
        area,
    );
}
