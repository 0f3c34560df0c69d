//! Nix code in a view, coloured to suit the theme (the highlighter itself is `app::highlight`).

use ratatui::text::Line;

pub use crate::app::highlight::warm;
use crate::app::highlight::Syntax;

use super::theme::Theme;

/// The code colours that go with `theme`.
pub fn syntax_for(theme: &Theme) -> Syntax {
    if theme.mono {
        Syntax::Plain
    } else if theme.is_light() {
        Syntax::Light
    } else {
        Syntax::Dark
    }
}

/// Highlights a short piece of Nix (a signature, an example) for the theme.
pub fn nix(code: &str, theme: &Theme) -> Vec<Line<'static>> {
    crate::app::highlight::nix(code, syntax_for(theme))
}
