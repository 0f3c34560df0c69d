//! Nix syntax highlighting with syntect and two-face's maintained Nix grammar. The syntax set loads
//! once (warm it from a background task with [`warm`]). It lives in `app` because highlighted
//! flake.nix lines are kept in state, made once per file read rather than on every frame.

use std::sync::OnceLock;

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use syntect::highlighting::ThemeSet;
use syntect::parsing::SyntaxSet;

/// Which colours highlighted code gets: none (monochrome), or syntect's light or dark theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Syntax {
    Plain,
    Light,
    #[default]
    Dark,
}

struct Assets {
    syntaxes: SyntaxSet,
    themes: ThemeSet,
}

fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| Assets {
        syntaxes: two_face::syntax::extra_newlines(),
        themes: ThemeSet::load_defaults(),
    })
}

/// Loads the grammar ahead of the first render.
pub fn warm() {
    let _ = assets();
}

/// Highlights Nix source into lines; plain lines for `Syntax::Plain`.
pub fn nix(code: &str, colours: Syntax) -> Vec<Line<'static>> {
    let plain = || code.lines().map(|l| Line::raw(l.to_string())).collect();
    let theme_name = match colours {
        Syntax::Plain => return plain(),
        Syntax::Light => "InspiredGitHub",
        Syntax::Dark => "base16-ocean.dark",
    };
    let assets = assets();
    let Some(syntax) = assets.syntaxes.find_syntax_by_extension("nix") else {
        return plain();
    };
    let Some(syntect_theme) = assets.themes.themes.get(theme_name) else {
        return plain();
    };
    let mut highlighter = HighlightLines::new(syntax, syntect_theme);
    let mut lines = Vec::new();
    for line in syntect::util::LinesWithEndings::from(code) {
        let Ok(ranges) = highlighter.highlight_line(line, &assets.syntaxes) else {
            lines.push(Line::raw(line.trim_end_matches('\n').to_string()));
            continue;
        };
        let spans: Vec<Span<'static>> = ranges
            .into_iter()
            .map(|(style, text)| {
                let fg = style.foreground;
                Span::styled(
                    text.trim_end_matches('\n').to_string(),
                    Style::default().fg(Color::Rgb(fg.r, fg.g, fg.b)),
                )
            })
            .collect();
        lines.push(Line::from(spans));
    }
    lines
}
