//! Pure rendering of `AppState`: one file per tab plus shared widgets. Nothing here spawns a process,
//! touches a file or changes state.

pub mod build;
pub mod flake;
pub mod graph;
pub mod highlight;
pub mod markdown;
pub mod overlay;
pub mod packages;
pub mod theme;
pub mod tour;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::app::layout::{self, Areas};
use crate::app::state::{AppState, Overlay, Tab};
use theme::Theme;

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame) {
    let areas = layout::areas((frame.area().width, frame.area().height));
    render_tabs(state, theme, frame, &areas);
    match state.tab {
        Tab::Packages => packages::render(state, theme, frame, &areas),
        Tab::Graph => graph::render(state, theme, frame, &areas),
        Tab::Build => build::render(state, theme, frame, &areas),
        Tab::Flake => flake::render(state, theme, frame, &areas),
        Tab::Tour => tour::render(state, theme, frame, &areas),
    }
    render_status(state, theme, frame, areas.status);
    match &state.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => overlay::help(state, theme, frame, *scroll),
        Overlay::Confirm(pending) => overlay::confirm(theme, frame, pending),
        Overlay::Palette { query, selected } => {
            overlay::palette(state, theme, frame, query, *selected)
        }
    }
}

fn render_tabs(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let mut spans = Vec::new();
    for (tab, label, _, _) in layout::tab_labels() {
        let style = if tab == state.tab {
            theme.active_tab()
        } else {
            theme.text()
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    let help_key = state
        .keymap
        .keys_for(state.tab.context(), crate::app::Command::Help)
        .first()
        .map(|k| k.to_string())
        .unwrap_or_else(|| "?".into());
    spans.push(Span::styled(format!(" {help_key} help"), theme.muted()));
    frame.render_widget(Paragraph::new(Line::from(spans)), areas.tabs);
}

fn render_status(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    if state.status.demo.is_some() {
        spans.push(Span::styled(" DEMO ", theme.demo_badge()));
        spans.push(Span::raw(" "));
    }
    if let Some(notice) = &state.notice {
        let style = if notice.is_error {
            theme.error()
        } else {
            theme.info()
        };
        spans.push(Span::styled(notice.text.clone(), style));
    } else {
        spans.push(Span::raw(format!(
            " {} │ {} │ {}",
            state.status.project_dir, state.status.nix, state.status.nixpkgs
        )));
        if let Some(reason) = &state.status.demo {
            spans.push(Span::raw(format!(" │ demo: {reason}")));
        }
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.status()),
        area,
    );
}

/// A bordered block with a title, highlighted when focused.
pub fn block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(title)
}

/// Truncates to `width` terminal columns, with an ellipsis when cut (Unicode-width aware).
pub fn fit(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return text.to_string();
    }
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// A message in the middle of an empty pane (loading, errors, hints).
pub fn placeholder(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, style: Style) {
    let paragraph = Paragraph::new(lines)
        .style(style)
        .wrap(ratatui::widgets::Wrap { trim: false });
    frame.render_widget(paragraph, area);
}
