//! Pure rendering of `AppState`: one file per tab plus shared widgets. Nothing here spawns a process,
//! touches a file or changes state.

pub mod build;
pub mod errors;
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
        Overlay::Confirm(pending) => overlay::confirm(state, theme, frame, pending),
        Overlay::Palette { selected, .. } => overlay::palette(
            state,
            theme,
            frame,
            crate::app::update::palette_query_of(&state.focus),
            *selected,
        ),
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
    let mut room = usize::from(area.width);
    if state.status.demo.is_some() {
        spans.push(Span::styled(" DEMO ", theme.demo_badge()));
        spans.push(Span::raw(" "));
        room = room.saturating_sub(7);
    }
    if let Some(notice) = &state.notice {
        let style = if notice.is_error {
            theme.error()
        } else {
            theme.info()
        };
        spans.push(Span::styled(fit(&notice.text, room), style));
    } else {
        let demo = state
            .status
            .demo
            .as_ref()
            .map(|reason| format!("demo: {reason}"));
        let hint = narrow_hint(state, area.width);
        let segments = [
            hint.as_deref(),
            Some(state.status.project_dir.as_str()),
            Some(state.status.nix.as_str()),
            Some(state.status.nixpkgs.as_str()),
            demo.as_deref(),
        ];
        spans.push(Span::raw(status_segments(
            &segments,
            &[0, 1, 3, 2, 4],
            room,
        )));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.status()),
        area,
    );
}

/// On a narrow terminal, how to reach the pane that is not shown (list and detail take turns).
fn narrow_hint(state: &AppState, width: u16) -> Option<String> {
    use crate::app::state::Focus;
    use crate::app::Command;
    if width >= layout::NARROW || state.typing() {
        return None;
    }
    let key = |command: Command| {
        state
            .keymap
            .keys_for(state.tab.context(), command)
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    let list_or_detail = |detail: &str| match state.focus {
        Focus::List => format!("{} {detail}", key(Command::Open)),
        _ => format!("{} list", key(Command::Back)),
    };
    match state.tab {
        Tab::Packages => Some(list_or_detail("details")),
        Tab::Build => Some(list_or_detail("log")),
        Tab::Graph => Some(format!(
            "{}/{} referrers/references",
            key(Command::Left),
            key(Command::Right)
        )),
        Tab::Flake | Tab::Tour => None,
    }
}

/// Joins the segments that fit in `room` columns, shown in their own order but kept by `priority`
/// (indices, most important first): a segment is dropped whole, never cut in half.
fn status_segments(segments: &[Option<&str>], priority: &[usize], room: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    const SEPARATOR: &str = " │ ";
    let mut keep = vec![false; segments.len()];
    let mut used = 1;
    for &index in priority {
        let Some(Some(text)) = segments.get(index) else {
            continue;
        };
        let extra = text.width() + if used > 1 { SEPARATOR.width() } else { 0 };
        if used + extra <= room {
            keep[index] = true;
            used += extra;
        }
    }
    let shown: Vec<&str> = segments
        .iter()
        .zip(keep)
        .filter_map(|(segment, keep)| segment.filter(|_| keep))
        .collect();
    format!(" {}", shown.join(SEPARATOR))
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

/// Keeps the last `width` columns, with an ellipsis in front when cut: text being typed shows its
/// end.
pub fn fit_end(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
    }
    let mut tail = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        tail.push(c);
        used += w;
    }
    std::iter::once('…').chain(tail.into_iter().rev()).collect()
}

/// Shortens to `width` columns by cutting the middle (`nixpkgs/…/package.nix`), so both the start and
/// the end of a title or path stay readable.
pub fn elide_middle(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
    }
    if width < 3 {
        return fit(text, width);
    }
    let budget = width - 1;
    let (head_budget, tail_budget) = (budget - budget / 2, budget / 2);
    let mut head = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > head_budget {
            break;
        }
        head.push(c);
        used += w;
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > tail_budget {
            break;
        }
        tail.push(c);
        used += w;
    }
    let tail: String = tail.into_iter().rev().collect();
    format!("{head}…{tail}")
}

/// Splits at spaces to fit `width` columns; a word wider than that is split after a `/` or, failing
/// that, at the column edge.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        loop {
            let needed = if current.is_empty() {
                unicode_width::UnicodeWidthStr::width(word.as_str())
            } else {
                unicode_width::UnicodeWidthStr::width(current.as_str())
                    + 1
                    + unicode_width::UnicodeWidthStr::width(word.as_str())
            };
            if needed <= width {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(&word);
                break;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
                continue;
            }
            let cut = split_point(&word, width);
            let rest = word.split_off(cut);
            lines.push(word);
            word = rest;
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// Where to split a word that is wider than `width`: after its last `/` that fits, else at the edge.
fn split_point(word: &str, width: usize) -> usize {
    let mut used = 0;
    let mut edge = word.len();
    let mut slash = None;
    for (index, c) in word.char_indices() {
        used += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used > width {
            edge = index;
            break;
        }
        if c == '/' {
            slash = Some(index + 1);
        }
    }
    slash.filter(|&s| s < word.len()).unwrap_or(edge.max(1))
}

/// `outer` with "↓ more below" in its bottom border when the wrapped `lines`, scrolled down by
/// `scroll` rows, go on past the bottom of `area` (each line counts at least the rows its width
/// needs).
pub fn more_below<'a>(
    outer: Block<'a>,
    lines: &[Line<'_>],
    area: Rect,
    scroll: usize,
    theme: &Theme,
) -> Block<'a> {
    let width = usize::from(area.width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|line| line.width().div_ceil(width).max(1))
        .sum();
    if rows > scroll + usize::from(area.height.saturating_sub(2)) {
        outer.title_bottom(Line::styled(" ↓ more below ", theme.muted()).right_aligned())
    } else {
        outer
    }
}

/// A scrollbar on the right border of a bordered list `area` whose `len` rows do not all fit:
/// the sign that the list goes on, and where the view is in it.
pub fn scrollbar(frame: &mut Frame, area: Rect, len: usize, offset: usize, theme: &Theme) {
    use ratatui::widgets::{Scrollbar, ScrollbarOrientation, ScrollbarState};
    let rows = usize::from(area.height.saturating_sub(2));
    if len <= rows {
        return;
    }
    let track = area.inner(ratatui::layout::Margin {
        vertical: 1,
        horizontal: 0,
    });
    let mut state = ScrollbarState::new(len.saturating_sub(rows))
        .position(offset)
        .viewport_content_length(rows);
    frame.render_stateful_widget(
        Scrollbar::new(ScrollbarOrientation::VerticalRight)
            .begin_symbol(None)
            .end_symbol(None)
            .style(theme.muted()),
        track,
        &mut state,
    );
}

/// A message in the middle of an empty pane (loading, errors, hints).
pub fn placeholder(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, style: Style) {
    let paragraph = Paragraph::new(lines)
        .style(style)
        .wrap(ratatui::widgets::Wrap { trim: false });
    frame.render_widget(paragraph, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elide_middle_keeps_both_ends() {
        assert_eq!(elide_middle("short", 10), "short");
        assert_eq!(
            elide_middle(" runtime · recorded closure of greeter · t switches ", 30),
            " runtime · reco… · t switches "
        );
        assert_eq!(elide_middle("abcdef", 2), "a…");
    }

    #[test]
    fn status_segments_drop_whole_segments_by_priority() {
        let segments = [
            Some("~/src/app"),
            Some("Nix 2.8.0"),
            Some("nixpkgs 1a2b3c4"),
            None,
        ];
        let all = status_segments(&segments, &[0, 2, 1, 3], 80);
        assert_eq!(all, " ~/src/app │ Nix 2.8.0 │ nixpkgs 1a2b3c4");
        let narrow = status_segments(&segments, &[0, 2, 1, 3], 30);
        assert_eq!(narrow, " ~/src/app │ nixpkgs 1a2b3c4");
    }
}
