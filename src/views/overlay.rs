//! The help overlay and command palette, both generated from the key map and the command list.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Clear, Paragraph, Row, Table, TableState};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::app::keymap::Context;
use crate::app::state::AppState;
use crate::app::update::palette_matches;
use crate::app::Command;

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
    // Help texts wider than the box wrap under their own column.
    let column = usize::from(area.width.saturating_sub(2))
        .saturating_sub(18)
        .max(8);
    let lines: Vec<Line> = help_lines(state, theme)
        .into_iter()
        .flat_map(|line| match &line.spans[..] {
            [keys, help] if help.content.width() > column => {
                let mut wrapped = Vec::new();
                for (n, part) in super::wrap_words(&help.content, column)
                    .into_iter()
                    .enumerate()
                {
                    let lead = if n == 0 {
                        keys.clone()
                    } else {
                        Span::raw(" ".repeat(18))
                    };
                    wrapped.push(Line::from(vec![lead, Span::raw(part)]));
                }
                wrapped
            }
            _ => vec![line],
        })
        .collect();
    let mut block = super::block(" Keys  (Esc closes, j/k scroll) ", true, theme);
    let visible = area.height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    let below = lines.len().saturating_sub(scroll + visible);
    if below > 0 {
        block = block.title_bottom(
            Line::styled(format!(" ↓ {below} more lines "), theme.muted()).right_aligned(),
        );
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0)),
        area,
    );
}

/// A pending file change: its diff, and how to answer.
pub fn confirm(
    state: &AppState,
    theme: &Theme,
    frame: &mut Frame,
    pending: &crate::app::state::PendingWrite,
) {
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
    // The answers as the key map has them, so a rebinding shows here too.
    let keys = |command: Command| {
        let keys: Vec<String> = state
            .keymap
            .keys_for(Context::Confirm, command)
            .iter()
            .map(ToString::to_string)
            .collect();
        keys.join(" / ")
    };
    let title = format!(
        " {} apply · {} cancel · {} scroll ",
        keys(Command::Confirm),
        keys(Command::Cancel),
        [Command::Down, Command::Up]
            .into_iter()
            .filter_map(|c| state.keymap.keys_for(Context::Confirm, c).last().copied())
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join("/")
    );
    let block = super::block(title, true, theme);
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
    let lines = vec![Line::from(vec![
        Span::styled(": ", theme.accent()),
        Span::raw(query.to_string()),
        Span::styled("▏", theme.accent()),
    ])];
    let context = state.tab.context();
    let rows: Vec<[String; 3]> = matches
        .iter()
        .map(|command| {
            let keys: Vec<String> = state
                .keymap
                .keys_for(context, *command)
                .iter()
                .map(|k| k.to_string())
                .collect();
            [
                command.name().to_string(),
                command.help().to_string(),
                keys.join(" "),
            ]
        })
        .collect();
    let mut block = super::block(" Command palette ", true, theme);
    // More commands than rows: where the selection is, so the list is known to go on.
    if rows.len() > usize::from(area.height.saturating_sub(3)) {
        block = block.title_bottom(
            Line::styled(
                format!(" {} of {} · ↑/↓ ", selected + 1, rows.len()),
                theme.muted(),
            )
            .right_aligned(),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [input_area, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(lines), input_area);
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(" no command matches", theme.muted())),
            table_area,
        );
        return;
    }
    // Keys and names keep their whole width; the help text takes what is left and is elided.
    let width = |column: usize| {
        rows.iter()
            .map(|row| row[column].width())
            .max()
            .unwrap_or(0) as u16
    };
    let (name_width, key_width) = (width(0), width(2));
    let help_width = table_area
        .width
        .saturating_sub(name_width + key_width + 3)
        .max(8);
    let table_rows = rows.iter().map(|[name, help, keys]| {
        Row::new(vec![
            Cell::from(format!(" {name}")),
            Cell::from(super::fit(help, usize::from(help_width))),
            Cell::from(Span::styled(keys.clone(), theme.muted())),
        ])
    });
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(name_width + 1),
            Constraint::Fill(1),
            Constraint::Length(key_width),
        ],
    )
    .row_highlight_style(theme.selection());
    let mut table_state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(table, table_area, &mut table_state);
}
