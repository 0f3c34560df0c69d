//! Packages & functions: search box, ranked results, and the selected entry's details.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::app::layout::Areas;
use crate::app::state::{AppState, Focus, InputTarget, Load, SelectedCode};
use crate::nixpkgs::{Entry, EntryKind};

use super::theme::Theme;
use super::{block, fit, placeholder};

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let p = &state.packages;
    // Narrow: the details take the whole body while they have the focus.
    if areas.narrow && state.focus == Focus::Detail {
        return render_detail(state, theme, frame, areas.detail, true);
    }
    let mut areas = *areas;
    if let Some(missing) = &p.pinned_missing {
        areas.list = pinned_missing_banner(missing, theme, frame, areas.list);
    }
    render_header(state, theme, frame, &areas);
    let searchable = match &p.index {
        Load::Loading => {
            placeholder(
                frame,
                areas.list,
                vec![Line::raw(" indexing nixpkgs…")],
                theme.muted(),
            );
            return;
        }
        Load::Failed(error) => {
            let text = super::errors::load_error_text(error);
            let lines: Vec<Line> = text.lines().map(|l| Line::raw(l.to_string())).collect();
            frame.render_widget(
                Paragraph::new(lines)
                    .style(theme.error())
                    .block(block(" Results ", false, theme))
                    .wrap(ratatui::widgets::Wrap { trim: false }),
                areas.list,
            );
            return;
        }
        Load::Ready(s) => s,
    };
    let title = format!(
        " {} of {} {}",
        p.results.matched,
        searchable.len(),
        if p.searching { "… " } else { "" }
    );
    render_list(state, title, theme, frame, &areas);
    if !areas.narrow {
        render_detail(state, theme, frame, areas.detail, false);
    }
}

/// The search box with its scope.
fn render_header(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let p = &state.packages;
    let scope = format!(" Search [{}] ", p.scope.label());
    let editing = state.input(InputTarget::PackageQuery).is_some();
    let room = usize::from(areas.header.width.saturating_sub(3));
    let mut input = vec![Span::raw(super::fit_end(&p.query, room))];
    if editing {
        input.push(Span::styled("▏", theme.accent()));
    } else if p.query.is_empty() {
        input.push(Span::styled(
            fit("press / and type: a package, lib function or builtin", room),
            theme.muted(),
        ));
    }
    frame.render_widget(
        Paragraph::new(Line::from(input)).block(block(scope, editing, theme)),
        areas.header,
    );
}

/// The results as a table: kind, name (elided to fit), version.
fn render_list(state: &AppState, title: String, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let p = &state.packages;
    const VERSION: usize = 14;
    let widest = |column: fn(&crate::app::state::ResultRow) -> usize| {
        p.rows.iter().map(column).max().unwrap_or(0)
    };
    let kind_width = widest(|row| row.kind.width());
    let version_width = widest(|row| row.version.width()).min(VERSION);
    let inner = usize::from(areas.list.width.saturating_sub(2));
    // The name takes what kind, version and the two column gaps leave.
    let name_width = inner.saturating_sub(kind_width + version_width + 2);
    let rows = p.rows.iter().map(|row| {
        Row::new([
            Cell::from(Span::styled(row.kind, theme.muted())),
            Cell::from(fit(&row.name, name_width)),
            Cell::from(Span::styled(fit(&row.version, VERSION), theme.muted())),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(kind_width as u16),
            Constraint::Fill(1),
            Constraint::Length(version_width as u16),
        ],
    )
    .block(block(title, state.focus == Focus::List, theme))
    .row_highlight_style(theme.selection());
    let offset = p.offset;
    let mut table_state = TableState::default()
        .with_offset(offset)
        .with_selected((!p.rows.is_empty()).then_some(p.selected));
    frame.render_stateful_widget(table, areas.list, &mut table_state);
    super::scrollbar(frame, areas.list, p.rows.len(), offset, theme);
}

/// The selected entry's details, with its source excerpt once loaded.
fn render_detail(state: &AppState, theme: &Theme, frame: &mut Frame, area: Rect, alone: bool) {
    let p = &state.packages;
    let title = if alone {
        format!(" Details · {} list ", back_key(state))
    } else {
        " Details ".to_string()
    };
    let detail_block = block(title, state.focus == Focus::Detail, theme);
    let Some(entry) = p.selected_entry() else {
        frame.render_widget(
            Paragraph::new(" no matches")
                .style(theme.muted())
                .block(detail_block),
            area,
        );
        return;
    };
    let width = usize::from(area.width.saturating_sub(2));
    let mut lines = detail_lines(entry, &p.code, width, theme);
    if let Some(excerpt) = &p.excerpt {
        if excerpt.name == entry.name {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Source", theme.heading()));
            for (i, line) in p.code.excerpt.iter().enumerate() {
                let mut spans = vec![Span::styled(
                    format!("{:>5} ", excerpt.first_line as usize + i),
                    theme.muted(),
                )];
                spans.extend(line.spans.iter().cloned());
                lines.push(Line::from(spans));
            }
        }
    }
    let detail_block = super::more_below(detail_block, &lines, area, p.detail_scroll, theme);
    frame.render_widget(
        Paragraph::new(lines)
            .block(detail_block)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .scroll((p.detail_scroll as u16, 0)),
        area,
    );
}

/// The first key that goes back (Esc by default), as help would name it.
fn back_key(state: &AppState) -> String {
    state
        .keymap
        .keys_for(state.tab.context(), crate::app::Command::Back)
        .first()
        .map_or_else(|| "Esc".into(), ToString::to_string)
}

/// `label  value`, the value in its own column that wraps under itself in `width` columns.
fn field_lines(
    label: &str,
    value: &str,
    style: Style,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    const LABEL: usize = 13;
    let column = width.saturating_sub(LABEL).max(12);
    super::wrap_words(value, column)
        .into_iter()
        .enumerate()
        .map(|(n, part)| {
            let lead = if n == 0 { label } else { "" };
            Line::from(vec![
                Span::styled(format!("{lead:<LABEL$}"), theme.muted()),
                Span::styled(part, style),
            ])
        })
        .collect()
}

/// The details pane for one entry, `width` columns wide.
pub fn detail_lines(
    entry: &Entry,
    code: &SelectedCode,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let field = |label: &str, value: &str| field_lines(label, value, theme.text(), width, theme);
    let mut lines = vec![Line::styled(entry.name.clone(), theme.heading())];
    if let Some(canonical) = &entry.canonical {
        lines.extend(field("alias of", canonical));
    }
    match entry.kind() {
        EntryKind::Package => {
            if let Some(v) = &entry.version {
                lines.extend(field("version", v));
            }
            if let Some(d) = &entry.description {
                lines.extend(field("description", d));
            }
            if let Some(h) = &entry.homepage {
                lines.extend(field_lines("homepage", h, theme.link(), width, theme));
            }
            if let Some(l) = &entry.license {
                lines.extend(field("license", l));
            }
            if let Some(m) = &entry.main_program {
                lines.extend(field("program", m));
            }
            if !entry.platforms.is_empty() {
                lines.extend(field("platforms", &entry.platforms.join(" ")));
            }
            if let Some(ld) = &entry.long_description {
                lines.push(Line::raw(""));
                lines.extend(ld.lines().map(|l| Line::raw(l.to_string())));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled("Try it", theme.heading()));
            lines.push(Line::styled(
                format!("  nix shell nixpkgs#{}", entry.name),
                theme.code(),
            ));
            lines.push(Line::styled(
                format!("  nixbench flake add {}", entry.name),
                theme.code(),
            ));
        }
        EntryKind::Function | EntryKind::Builtin => {
            if entry.type_sig.is_some() {
                lines.push(Line::raw(""));
                lines.extend(code.signature.iter().cloned());
            }
            if let Some(doc) = &entry.doc {
                lines.push(Line::raw(""));
                lines.extend(super::markdown::render(doc, theme));
            }
            if !entry.examples.is_empty() {
                lines.push(Line::raw(""));
                lines.push(Line::styled("Examples", theme.heading()));
                for example in &code.examples {
                    lines.extend(example.iter().map(|l| {
                        let mut spans = vec![Span::raw("  ")];
                        spans.extend(l.spans.iter().cloned());
                        Line::from(spans)
                    }));
                }
            }
        }
    }
    if let Some(file) = &entry.file {
        lines.push(Line::raw(""));
        lines.extend(field(
            "defined at",
            &format!("{}:{}", file, entry.line.unwrap_or(1)),
        ));
    }
    lines
}

/// The project's pinned nixpkgs is missing: which input and revision, the command that fetches
/// it (or its progress), and what is searched meanwhile. Drawn at the top of `area`; returns the
/// part left for the results.
fn pinned_missing_banner(
    missing: &crate::app::state::PinnedMissing,
    theme: &Theme,
    frame: &mut Frame,
    area: ratatui::layout::Rect,
) -> ratatui::layout::Rect {
    let mut lines = vec![Line::styled(
        format!("{}.", missing.headline),
        theme.error(),
    )];
    match (&missing.fetching, &missing.fetch_command) {
        (Some(progress), _) => lines.push(Line::from(vec![
            Span::styled("fetching: ", theme.accent()),
            Span::raw(progress.clone()),
        ])),
        (None, Some(command)) => lines.push(Line::from(vec![
            Span::styled("press F to fetch it: ", theme.accent()),
            Span::raw(command.clone()),
        ])),
        (None, None) => lines.push(Line::raw(
            "run `nix flake archive` in the project to fetch it",
        )),
    }
    lines.push(Line::styled("searching meanwhile:", theme.muted()));
    for source in &missing.sources {
        lines.push(Line::styled(format!("  · {source}"), theme.muted()));
    }
    let inner_width = area.width.saturating_sub(2).max(1) as usize;
    let wrapped: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_width).max(1))
        .sum();
    let height = (wrapped as u16 + 2).min(area.height / 2);
    let [banner, rest] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(height),
        ratatui::layout::Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(
                " nixpkgs not in the store ".to_string(),
                false,
                theme,
            ))
            .wrap(ratatui::widgets::Wrap { trim: false }),
        banner,
    );
    rest
}
