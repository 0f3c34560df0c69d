//! Tour: the lessons list and the current lesson.

use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListState, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::layout::Areas;
use crate::app::state::AppState;

use super::block;
use super::theme::Theme;

pub fn render(state: &AppState, theme: &Theme, frame: &mut Frame, areas: &Areas) {
    let t = &state.tour;
    // Narrow: the lesson gets the whole width; its title counts the lessons instead of the list.
    let list_width = if areas.narrow { 0 } else { 36 };
    let [list_area, lesson_area] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Min(0)]).areas(areas.body);
    let done = |i: usize| t.completed.get(i).copied().unwrap_or(false);
    if !areas.narrow {
        let items = t.lessons.iter().enumerate().map(|(i, lesson)| {
            Line::from(vec![
                Span::styled(if done(i) { "✓ " } else { "  " }, theme.ok()),
                Span::raw(super::fit(&lesson.title, 32)),
            ])
        });
        let list = List::new(items)
            .block(block(" Tour ", false, theme))
            .highlight_style(theme.selection());
        let mut list_state = ListState::default().with_selected(Some(t.step));
        frame.render_stateful_widget(list, list_area, &mut list_state);
    }
    let Some(lesson) = t.lessons.get(t.step) else {
        return;
    };
    let mut lines = vec![
        Line::styled(lesson.title.clone(), theme.heading()),
        Line::raw(""),
    ];
    lines.extend(super::markdown::render(&lesson.body, theme));
    lines.push(Line::raw(""));
    if t.completed.get(t.step).copied().unwrap_or(false) {
        lines.push(Line::styled(
            "✓ Done: you did it in the real view.",
            theme.ok(),
        ));
    } else {
        let mut goal = vec![Span::styled("Goal: ", theme.accent())];
        goal.extend(super::markdown::inline(&lesson.goal, theme));
        lines.push(Line::from(goal));
    }
    lines.push(Line::raw(""));
    if t.show_hint {
        lines.push(Line::from(vec![
            Span::styled("Hint: ", theme.accent()),
            Span::raw(lesson.hint.clone()),
        ]));
    } else {
        lines.push(Line::styled("n next · p previous · H hint", theme.muted()));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(
                format!(
                    " Lesson {} of {}{} ",
                    t.step + 1,
                    t.lessons.len(),
                    if areas.narrow {
                        let done = (0..t.lessons.len()).filter(|&i| done(i)).count();
                        format!(" · {done} done")
                    } else {
                        String::new()
                    }
                ),
                true,
                theme,
            ))
            .wrap(Wrap { trim: false }),
        lesson_area,
    );
}
