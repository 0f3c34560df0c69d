//! Build log: progress on top, derivations with status on the left, the selected one's log right.

use ratatui::layout::Constraint;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::app::layout::Areas;
use crate::app::state::{AppState, Focus, InputTarget};
use crate::build_log::DrvStatus;

use super::theme::Theme;
use super::{block, fit};

fn status_style(status: DrvStatus, theme: &Theme) -> ratatui::style::Style {
    match status {
        DrvStatus::Built | DrvStatus::Substituted => theme.ok(),
        DrvStatus::Failed => theme.error(),
        DrvStatus::DependencyFailed | DrvStatus::Cancelled => theme.warn(),
        DrvStatus::Building | DrvStatus::Substituting => theme.info(),
        DrvStatus::Queued | DrvStatus::NotStarted => theme.muted(),
    }
}

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    render_header(state, theme, frame, areas);
    if !areas.narrow {
        render_list(state, theme, frame, areas);
        render_detail(state, theme, frame, areas);
    } else if state.focus == Focus::List {
        render_list(state, theme, frame, areas);
    } else {
        // Narrow: the log takes the list's place under the header while it has the focus.
        let areas = Areas {
            detail: areas.list,
            ..*areas
        };
        render_detail(state, theme, frame, &areas);
    }
}

/// Where the build stands and its counts.
fn render_header(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let b = state.shown_build();
    let s = &b.state;
    let phase = if b.source_error.is_some() && s.derivations.is_empty() {
        Span::styled("cannot read the log", theme.error())
    } else if s.evaluating && !s.finished {
        Span::styled("evaluating…", theme.info())
    } else if b.running {
        Span::styled("building", theme.info())
    } else if s.is_success() {
        Span::styled("done", theme.ok())
    } else {
        Span::styled("failed", theme.error())
    };
    let failed = s.count(DrvStatus::Failed);
    let failed_style = if failed > 0 {
        theme.error()
    } else {
        theme.muted()
    };
    // Shown in this order; when the header is narrow, the last of `keep` are dropped whole.
    let segments = [
        Span::styled(format!("built {}", s.count(DrvStatus::Built)), theme.text()),
        Span::styled(
            format!("fetched {}", s.count(DrvStatus::Substituted)),
            theme.text(),
        ),
        Span::styled(format!("failed {failed}"), failed_style),
        Span::styled(
            format!(
                "running {} of {}",
                s.builds.running,
                s.builds.expected.max(s.derivations.len() as u64)
            ),
            theme.text(),
        ),
    ];
    let room = usize::from(areas.header.width.saturating_sub(2)).saturating_sub(phase.width());
    let mut keep = [false; 4];
    let mut used = 0;
    for index in [2, 0, 3, 1] {
        let width = segments[index].width() + 2;
        if used + width <= room {
            keep[index] = true;
            used += width;
        }
    }
    let mut spans = vec![phase];
    for (segment, keep) in segments.into_iter().zip(keep) {
        if keep {
            spans.push(Span::raw("  "));
            spans.push(segment);
        }
    }
    let header = Line::from(spans);
    frame.render_widget(
        Paragraph::new(header).block(block(
            format!(
                " {} ",
                fit(&b.source, areas.header.width.saturating_sub(4) as usize)
            ),
            false,
            theme,
        )),
        areas.header,
    );
}

/// What the list says after a derivation's name: its phase and time left while it runs, else how
/// long it took.
fn progress(state: &AppState, d: &crate::build_log::state::Derivation) -> String {
    let s = &state.shown_build().state;
    let eta = state
        .build_history
        .expected(&d.name)
        .zip(d.started)
        .map(|(expected, started)| {
            let left = expected - (s.now - started);
            if left > 0.0 {
                format!(" ~{left:.0}s left")
            } else {
                " overdue".to_string()
            }
        });
    match (&d.phase, d.status.is_running()) {
        (Some(phase), true) => format!("{phase}{}", eta.unwrap_or_default()),
        _ => d
            .started
            .zip(d.finished)
            .map(|(a, z)| format!("{:.1}s", z - a))
            .unwrap_or_default(),
    }
}

/// The derivations with their status and progress, as a table.
fn render_list(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let b = state.shown_build();
    let s = &b.state;
    let list_title = format!(
        " Derivations ({}){} ",
        s.derivations.len(),
        if b.follow { " · following" } else { "" }
    );
    let list_block = block(list_title, state.focus == Focus::List, theme);
    if s.derivations.is_empty() {
        let body = if b.source_error.is_some() {
            Line::styled(" the log could not be read", theme.error())
        } else {
            Line::styled(" waiting for Nix to start building…", theme.muted())
        };
        frame.render_widget(Paragraph::new(body).block(list_block), areas.list);
        return;
    }
    let rows_shown = areas.list_rows();
    let offset = b.offset;
    // Only the visible rows' progress is worked out; the column is as wide as the widest of them.
    let extras: Vec<String> = s
        .derivations
        .iter()
        .skip(offset)
        .take(rows_shown)
        .map(|d| progress(state, d))
        .collect();
    let inner = usize::from(areas.list.width.saturating_sub(2));
    let extra_width = extras
        .iter()
        .map(|e| e.width())
        .max()
        .unwrap_or(0)
        .min(inner / 3);
    const STATUS: usize = 10;
    let name_width = inner.saturating_sub(STATUS + extra_width + 2);
    let rows = s.derivations.iter().enumerate().map(|(i, d)| {
        let extra = i
            .checked_sub(offset)
            .and_then(|row| extras.get(row))
            .map(|e| fit(e, extra_width))
            .unwrap_or_default();
        Row::new([
            Cell::from(Span::styled(
                d.status.label(),
                status_style(d.status, theme),
            )),
            Cell::from(fit(&d.name, name_width)),
            Cell::from(Span::styled(extra, theme.muted())),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(STATUS as u16),
            Constraint::Fill(1),
            Constraint::Length(extra_width as u16),
        ],
    )
    .block(list_block)
    .row_highlight_style(theme.selection());
    let mut table_state = TableState::default()
        .with_offset(offset)
        .with_selected(Some(b.selected));
    frame.render_stateful_widget(table, areas.list, &mut table_state);
    super::scrollbar(frame, areas.list, s.derivations.len(), offset, theme);
}

/// The selected derivation's log, or Nix's own messages before anything builds.
fn render_detail(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let b = state.shown_build();
    let log_focused = state.focus != Focus::List;
    let s = &b.state;
    let Some(drv) = s.derivations.get(b.selected) else {
        // Nothing built yet: Nix's own messages (evaluation errors above all) are the news.
        let height = areas.detail.height.saturating_sub(2) as usize;
        let mut lines: Vec<Line> = b
            .source_error
            .iter()
            .chain(&s.errors)
            .map(|e| Line::styled(e.clone(), theme.error()))
            .collect();
        lines.extend(
            s.warnings
                .iter()
                .map(|w| Line::styled(w.clone(), theme.warn())),
        );
        let rest = height.saturating_sub(lines.len());
        let skip = s.other.len().saturating_sub(rest);
        lines.extend(s.other.iter().skip(skip).map(|l| Line::raw(l.clone())));
        frame.render_widget(
            Paragraph::new(lines)
                .block(block(" Log ", log_focused, theme))
                .wrap(ratatui::widgets::Wrap { trim: false }),
            areas.detail,
        );
        return;
    };
    let height = areas.detail.height.saturating_sub(2) as usize;
    let end = drv.log.len().saturating_sub(b.scroll_from_end);
    let start = end.saturating_sub(height);
    let mut lines: Vec<Line> = drv
        .log
        .iter()
        .skip(start)
        .take(end - start)
        .map(|l| {
            let lower = l.to_lowercase();
            if lower.contains("error") {
                Line::styled(l.clone(), theme.error())
            } else if lower.contains("warning") {
                Line::styled(l.clone(), theme.warn())
            } else if l.starts_with("Running phase:") {
                Line::styled(l.clone(), theme.accent())
            } else {
                Line::raw(l.clone())
            }
        })
        .collect();
    if drv.status == DrvStatus::Failed && b.scroll_from_end == 0 {
        for error in s.errors.iter().filter(|e| e.contains(&drv.drv_path)) {
            lines.push(Line::styled(error.clone(), theme.error()));
        }
        for e in &b.explanations {
            lines.push(Line::styled(format!("● {}", e.title), theme.accent()));
            lines.push(Line::raw(format!("  {}", e.fix)));
        }
    }
    let dropped = if let Some(file) = drv.log.full_log() {
        format!(" · {} older lines in {}", drv.log.dropped, file.display())
    } else if drv.log.dropped > 0 {
        format!(" · {} older lines dropped", drv.log.dropped)
    } else {
        String::new()
    };
    if let Some(query) = state.input(InputTarget::LogSearch) {
        lines.push(Line::from(vec![
            Span::styled("/", theme.accent()),
            Span::raw(query.text().to_string()),
            Span::styled("▏ Enter finds, Esc cancels", theme.muted()),
        ]));
    }
    let title = format!(
        " {} · {}{}{} ",
        drv.name,
        drv.status.label(),
        drv.phase
            .as_deref()
            .map(|p| format!(" · {p}"))
            .unwrap_or_default(),
        dropped
    );
    render_log(
        lines,
        block(title, log_focused, theme),
        theme,
        frame,
        areas.detail,
    );
}

/// The log lines, with `›` in the right margin of each line that goes on beyond the pane.
fn render_log(
    lines: Vec<Line<'_>>,
    outer: ratatui::widgets::Block<'_>,
    theme: &Theme,
    frame: &mut Frame,
    area: ratatui::layout::Rect,
) {
    use ratatui::layout::{Constraint, Layout};
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [text_area, more_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
    let width = usize::from(text_area.width);
    let more: Vec<Line> = lines
        .iter()
        .map(|line| {
            if line.width() > width {
                Line::styled("›", theme.accent())
            } else {
                Line::raw(" ")
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), text_area);
    frame.render_widget(Paragraph::new(more), more_area);
}
