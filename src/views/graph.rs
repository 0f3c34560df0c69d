//! Dependency graph: referrers | current | references, with sizes, like nix-tree.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::app::layout::Areas;
use crate::app::state::{AppState, GraphColumn, GraphData, InputTarget, Load};
use crate::graph::human_size;
use crate::graph::report::DiffRowKind;

use super::theme::Theme;
use super::{block, fit};

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let g = &state.graph;
    let data = match &g.data {
        Load::Loading => {
            frame.render_widget(
                Paragraph::new(" loading the closure…")
                    .style(theme.muted())
                    .block(block(" Graph ", false, theme)),
                areas.body,
            );
            return;
        }
        Load::Failed(error) => {
            frame.render_widget(
                Paragraph::new(super::errors::load_error_text(error))
                    .style(theme.error())
                    .block(block(" Graph ", false, theme))
                    .wrap(ratatui::widgets::Wrap { trim: false }),
                areas.body,
            );
            return;
        }
        Load::Ready(data) => data,
    };
    render_header(state, data, theme, frame, areas);
    render_referrers(state, data, theme, frame, areas);
    render_detail(state, data, theme, frame, areas);
}

/// The search box while searching, the compare input while comparing, else the current node with
/// its sizes.
fn render_header(
    state: &AppState,
    data: &GraphData,
    theme: &Theme,
    frame: &mut Frame,
    areas: &Areas,
) {
    let g = &state.graph;
    let graph = &data.graph;
    let sizes = &data.sizes;
    let node = graph.node(g.current);

    // Header: the search box while searching, else the current node with its sizes.
    let search = state.input(InputTarget::GraphSearch);
    if let Some(query) = search {
        let best = g.search_best.map_or("no match", |id| graph.node(id).name());
        let line = Line::from(vec![
            Span::raw(query.text().to_string()),
            Span::styled("▏", theme.accent()),
            Span::styled(format!("  → {best}"), theme.muted()),
        ]);
        frame.render_widget(
            Paragraph::new(line).block(block(
                " Find a path (Enter jumps, Esc cancels) ",
                true,
                theme,
            )),
            areas.header,
        );
    }
    // Derivation graphs carry no sizes: show counts instead of "0 B".
    let detail = if g.build_time {
        format!(
            "  {} direct inputs, {} referrers",
            graph.references.of(g.current).len(),
            graph.referrers.of(g.current).len()
        )
    } else {
        format!(
            "  nar {}  closure {}  added {}",
            human_size(node.nar_size),
            human_size(sizes.closure[g.current as usize]),
            human_size(sizes.added[g.current as usize])
        )
    };
    // At 80 columns the three sizes do not fit beside a long name: keep the closure size, then elide.
    let room = usize::from(areas.header.width.saturating_sub(2));
    let detail = if node.name().width() + detail.width() <= room {
        detail
    } else if g.build_time {
        format!("  {} inputs", graph.references.of(g.current).len())
    } else {
        format!(
            "  closure {}",
            human_size(sizes.closure[g.current as usize])
        )
    };
    let name = super::fit(node.name(), room.saturating_sub(detail.width()).max(12));
    let header = vec![Line::from(vec![
        Span::styled(name, theme.heading()),
        Span::styled(super::fit(&detail, room.saturating_sub(12)), theme.muted()),
    ])];
    if search.is_none() {
        let kind = if g.build_time {
            "build time"
        } else {
            "runtime"
        };
        let title = super::elide_middle(
            &format!(" {kind} · {} · t switches ", data.source),
            usize::from(areas.header.width.saturating_sub(2)),
        );
        frame.render_widget(
            Paragraph::new(header).block(block(title, false, theme)),
            areas.header,
        );
    }
    if let Some(query) = state.input(InputTarget::GraphCompare) {
        let line = Line::from(vec![
            Span::raw(query.text().to_string()),
            Span::styled("▏", theme.accent()),
        ]);
        let title =
            " Compare with: store path, ./result, .#attr, nixpkgs#x or saved .json (Enter) ";
        frame.render_widget(
            Paragraph::new(line).block(block(title, true, theme)),
            areas.header,
        );
    }
}

/// One column (referrers or references) as a table of names and sizes, or `empty` when it has
/// no rows.
fn render_column(
    state: &AppState,
    data: &GraphData,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    (kind, title, empty): (GraphColumn, String, &'static str),
) {
    let g = &state.graph;
    let (graph, sizes) = (&data.graph, &data.sizes);
    let items = g.column_items(kind);
    let focused = g.column == kind;
    let block = block(title, focused, theme);
    if items.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(empty, theme.muted()))
                .block(block)
                .wrap(ratatui::widgets::Wrap { trim: false }),
            area,
        );
        return;
    }
    // Derivation graphs carry no sizes: the names get the whole width.
    let size_width: u16 = if g.build_time { 0 } else { 9 };
    let name_width = usize::from(area.width.saturating_sub(3 + size_width));
    let rows = items.iter().map(|&id| {
        let size = if g.build_time {
            String::new()
        } else {
            human_size(match g.sort {
                crate::app::state::SortKey::AddedSize => sizes.added[id as usize],
                _ => sizes.closure[id as usize],
            })
        };
        Row::new([
            Cell::from(fit(graph.node(id).name(), name_width)),
            Cell::from(Line::styled(size, theme.muted()).right_aligned()),
        ])
    });
    let table = Table::new(rows, [Constraint::Fill(1), Constraint::Length(size_width)])
        .block(block)
        .row_highlight_style(theme.selection());
    let selected = g.selected_in(kind);
    let offset = g.offset_in(kind);
    let mut table_state = TableState::default()
        .with_offset(offset)
        .with_selected(focused.then_some(selected));
    frame.render_stateful_widget(table, area, &mut table_state);
    super::scrollbar(frame, area, items.len(), offset, theme);
}

fn referrers_column(state: &AppState, data: &GraphData) -> (GraphColumn, String, &'static str) {
    let count = data.graph.referrers.of(state.graph.current).len();
    (
        GraphColumn::Referrers,
        format!(" Referrers ({count}) "),
        " nothing refers to this: it is a root",
    )
}

fn references_column(state: &AppState, data: &GraphData) -> (GraphColumn, String, &'static str) {
    let g = &state.graph;
    let count = data.graph.references.of(g.current).len();
    (
        GraphColumn::References,
        format!(" References ({count}) · sorted by {} ", g.sort.label()),
        " no references: a leaf",
    )
}

fn render_referrers(
    state: &AppState,
    data: &GraphData,
    theme: &Theme,
    frame: &mut Frame,
    areas: &Areas,
) {
    // Narrow: one pane at a time: the column with the selection (←/→ switch), or why-chains and
    // comparisons in its place.
    let g = &state.graph;
    let detail_open = g.why.is_some() || g.comparison.is_some();
    if areas.narrow && (g.column == GraphColumn::References || detail_open) {
        return;
    }
    let column = referrers_column(state, data);
    render_column(state, data, theme, frame, areas.list, column);
}

/// The right pane: a comparison, why-chains, or the references.
fn render_detail(
    state: &AppState,
    data: &GraphData,
    theme: &Theme,
    frame: &mut Frame,
    areas: &Areas,
) {
    let g = &state.graph;
    // Narrow: the pane goes where the list is, under the header, when it is the one shown.
    let narrow_areas;
    let areas = if areas.narrow {
        if g.column == GraphColumn::Referrers && g.why.is_none() && g.comparison.is_none() {
            return;
        }
        narrow_areas = Areas {
            detail: areas.list,
            ..*areas
        };
        &narrow_areas
    } else {
        areas
    };
    let area = areas.detail;
    let graph = &data.graph;
    let node = graph.node(g.current);
    let root = graph.roots.first().copied().unwrap_or(0);
    if let Some(comparison) = &g.comparison {
        let lines: Vec<Line> = match comparison {
            Ok(diff) => diff
                .rows()
                .into_iter()
                .map(|row| {
                    let style = match row.kind {
                        DiffRowKind::Added => theme.ok(),
                        DiffRowKind::Removed => theme.error(),
                        DiffRowKind::Changed => theme.warn(),
                        DiffRowKind::Heading => theme.heading(),
                    };
                    Line::styled(row.text, style)
                })
                .collect(),
            Err(error) => vec![Line::styled(
                super::errors::load_error_text(error),
                theme.error(),
            )],
        };
        frame.render_widget(
            Paragraph::new(lines)
                .block(block(" Comparison (Esc closes) ", true, theme))
                .wrap(ratatui::widgets::Wrap { trim: false }),
            areas.detail,
        );
    } else if let Some(chains) = &g.why {
        let mut lines = vec![Line::styled(
            format!(
                "Why is {} in the closure of {}?",
                node.name(),
                graph.node(root).name()
            ),
            theme.heading(),
        )];
        if chains.is_empty() {
            lines.push(Line::raw("it is the root itself"));
        }
        for chain in chains {
            lines.push(Line::raw(""));
            for (depth, id) in chain.iter().enumerate() {
                let prefix = if depth == 0 {
                    String::new()
                } else {
                    format!("{}└─ ", "   ".repeat(depth - 1))
                };
                lines.push(Line::from(vec![
                    Span::styled(prefix, theme.muted()),
                    Span::raw(graph.node(*id).name().to_string()),
                ]));
            }
        }
        frame.render_widget(
            Paragraph::new(lines).block(block(" Why (Esc closes) ", true, theme)),
            areas.detail,
        );
    } else {
        let column = references_column(state, data);
        render_column(state, data, theme, frame, area, column);
    }
}
