//! Packages & functions: search box, ranked results, and the selected entry's details.

use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::layout::{scroll_offset, Areas};
use crate::app::state::{AppState, Focus, InputTarget, Load};
use crate::nixpkgs::{Entry, EntryKind};

use super::theme::Theme;
use super::{block, fit, placeholder};

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let p = &state.packages;
    let mut areas = *areas;
    if let Some(missing) = &p.pinned_missing {
        areas.list = pinned_missing_banner(missing, theme, frame, areas.list);
    }
    let areas = &areas;
    let scope = format!(" Search [{}] ", p.scope.label());
    let editing = state.input(InputTarget::PackageQuery).is_some();
    let mut input = vec![Span::raw(p.query.clone())];
    if editing {
        input.push(Span::styled("▏", theme.accent()));
    } else if p.query.is_empty() {
        input.push(Span::styled(
            "press / and type: a package, lib function or builtin",
            theme.muted(),
        ));
    }
    frame.render_widget(
        Paragraph::new(Line::from(input)).block(block(scope, editing, theme)),
        areas.header,
    );

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
            let lines: Vec<Line> = error.lines().map(|l| Line::raw(l.to_string())).collect();
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
    let rows = areas.list_rows();
    let width = areas.list.width.saturating_sub(2) as usize;
    let offset = scroll_offset(p.selected, rows);
    let lines: Vec<Line> = p
        .results
        .hits
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, hit)| {
            let entry = searchable.entry(*hit);
            let kind = format!("{:<7}", entry.kind().label());
            let version = entry.version.as_deref().unwrap_or("");
            let name = fit(&entry.name, width.saturating_sub(9 + version.len().min(14)));
            let line = Line::from(vec![
                Span::styled(kind, theme.muted()),
                Span::raw(" "),
                Span::styled(name, theme.text()),
                Span::raw(" "),
                Span::styled(fit(version, 14), theme.muted()),
            ]);
            if i == p.selected {
                line.style(theme.selection())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(block(title, state.focus == Focus::List, theme)),
        areas.list,
    );

    let detail_block = block(" Details ", state.focus == Focus::Detail, theme);
    match p.results.hits.get(p.selected) {
        Some(hit) => {
            let entry = searchable.entry(*hit);
            let mut lines = detail_lines(&entry, theme);
            if let Some((name, first, source)) = &p.excerpt {
                if *name == entry.name {
                    lines.push(Line::raw(""));
                    lines.push(Line::styled("Source", theme.heading()));
                    let numbered = super::highlight::nix(&source.join("\n"), theme);
                    for (i, line) in numbered.into_iter().enumerate() {
                        let mut spans = vec![Span::styled(
                            format!("{:>5} ", *first as usize + i),
                            theme.muted(),
                        )];
                        spans.extend(line.spans);
                        lines.push(Line::from(spans));
                    }
                }
            }
            frame.render_widget(
                Paragraph::new(lines)
                    .block(detail_block)
                    .wrap(ratatui::widgets::Wrap { trim: false })
                    .scroll((p.detail_scroll as u16, 0)),
                areas.detail,
            );
        }
        None => frame.render_widget(
            Paragraph::new(" no matches")
                .style(theme.muted())
                .block(detail_block),
            areas.detail,
        ),
    }
}

fn field(label: &str, value: &str, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<13}"), theme.muted()),
        Span::raw(value.to_string()),
    ])
}

/// The details pane for one entry.
pub fn detail_lines(entry: &Entry, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(entry.name.clone(), theme.heading())];
    if let Some(canonical) = &entry.canonical {
        lines.push(field("alias of", canonical, theme));
    }
    match entry.kind() {
        EntryKind::Package => {
            if let Some(v) = &entry.version {
                lines.push(field("version", v, theme));
            }
            if let Some(d) = &entry.description {
                lines.push(field("description", d, theme));
            }
            if let Some(h) = &entry.homepage {
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<13}", "homepage"), theme.muted()),
                    Span::styled(h.clone(), theme.link()),
                ]));
            }
            if let Some(l) = &entry.license {
                lines.push(field("license", l, theme));
            }
            if let Some(m) = &entry.main_program {
                lines.push(field("program", m, theme));
            }
            if !entry.platforms.is_empty() {
                lines.push(field("platforms", &entry.platforms.join(" "), theme));
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
            if let Some(sig) = &entry.type_sig {
                lines.push(Line::raw(""));
                lines.extend(super::highlight::nix(sig, theme));
            }
            if let Some(doc) = &entry.doc {
                lines.push(Line::raw(""));
                lines.extend(super::markdown::render(doc, theme));
            }
            if !entry.examples.is_empty() {
                lines.push(Line::raw(""));
                lines.push(Line::styled("Examples", theme.heading()));
                for example in &entry.examples {
                    lines.extend(super::highlight::nix(example, theme).into_iter().map(|l| {
                        let mut spans = vec![Span::raw("  ")];
                        spans.extend(l.spans);
                        Line::from(spans)
                    }));
                }
            }
        }
    }
    if let Some(file) = &entry.file {
        lines.push(Line::raw(""));
        lines.push(field(
            "defined at",
            &format!("{}:{}", file, entry.line.unwrap_or(1)),
            theme,
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
