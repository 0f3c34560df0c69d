//! Screen geometry, shared by the views (to draw) and by mouse handling (to hit-test), so the two
//! cannot disagree.

use ratatui::layout::{Constraint, Layout, Rect};

use super::tab::Tab;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub tabs: Rect,
    pub body: Rect,
    pub status: Rect,
    /// Left column: a 3-row header (search box, progress) above a bordered list.
    pub header: Rect,
    pub list: Rect,
    /// Right column: details, log, preview. On a narrow terminal the whole body: the detail is
    /// then shown instead of the list, when it has the focus.
    pub detail: Rect,
    /// Too narrow for list and detail side by side (see [`NARROW`]).
    pub narrow: bool,
}

impl Areas {
    /// Rows inside the list's border.
    pub fn list_rows(&self) -> usize {
        self.list.height.saturating_sub(2) as usize
    }
}

/// Below this many columns, list and detail take turns at the full width instead of sharing it.
pub const NARROW: u16 = 100;

pub fn areas(size: (u16, u16)) -> Areas {
    let full = Rect::new(0, 0, size.0, size.1);
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(full);
    let narrow = size.0 < NARROW;
    let [left, detail] = if narrow {
        [body, body]
    } else {
        Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(58)]).areas(body)
    };
    let [header, list] = Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(left);
    Areas {
        tabs,
        body,
        status,
        header,
        list,
        detail,
        narrow,
    }
}

/// The label of each tab in the tab bar and its column range.
pub fn tab_labels() -> Vec<(Tab, String, u16, u16)> {
    let mut x = 0u16;
    let mut labels = Vec::new();
    for (i, tab) in Tab::ALL.iter().enumerate() {
        let label = format!(" {} {} ", i + 1, tab.title());
        let width = label.chars().count() as u16;
        labels.push((*tab, label, x, x + width));
        x += width + 1;
    }
    labels
}

pub fn tab_at(areas: &Areas, column: u16, row: u16) -> Option<Tab> {
    if row != areas.tabs.y {
        return None;
    }
    tab_labels()
        .into_iter()
        .find(|(_, _, start, end)| column >= *start && column < *end)
        .map(|(tab, ..)| tab)
}

/// The row (0-based, within the visible list) under the pointer, if it is inside the list.
pub fn list_row_at(areas: &Areas, column: u16, row: u16) -> Option<usize> {
    let inner = areas.list;
    let inside = column > inner.x
        && column < inner.x + inner.width.saturating_sub(1)
        && row > inner.y
        && row < inner.y + inner.height.saturating_sub(1);
    inside.then(|| (row - inner.y - 1) as usize)
}

/// The first row to show of a list showing `rows` rows, so that `selected` is in view: `offset`
/// unless that would hide it, then scrolled only as far as needed (as ratatui's list state does).
pub fn keep_in_view(selected: usize, offset: usize, rows: usize) -> usize {
    let rows = rows.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + rows {
        selected + 1 - rows
    } else {
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::keep_in_view;

    #[test]
    fn lists_scroll_only_as_far_as_the_selection_needs() {
        assert_eq!(keep_in_view(3, 0, 10), 0);
        assert_eq!(keep_in_view(12, 0, 10), 3);
        // Moving back up inside the view does not scroll.
        assert_eq!(keep_in_view(5, 3, 10), 3);
        assert_eq!(keep_in_view(1, 3, 10), 1);
    }
}
