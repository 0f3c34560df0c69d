//! Themes: colours named by meaning, from themes/*.toml embedded in the binary. Under `NO_COLOR` (or
//! the `mono` theme) every style is plain text with bold, reverse and underline only.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    names.push("mono");
    names
}

/// A theme file's colours by meaning, parsed by ratatui (a name, `#rrggbb` or an index), so a
/// typo is an error instead of a silent default.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Palette {
    name: String,
    text: Color,
    muted: Color,
    accent: Color,
    accent_text: Color,
    selection_bg: Color,
    selection_fg: Color,
    border: Color,
    border_focus: Color,
    ok: Color,
    warn: Color,
    error: Color,
    info: Color,
    code: Color,
    heading: Color,
    link: Color,
    status_bg: Color,
    status_fg: Color,
    demo_bg: Color,
    demo_fg: Color,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    /// No colours at all: NO_COLOR or the `mono` theme.
    pub mono: bool,
    colors: Palette,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown theme `{0}`; themes: {1}")]
pub struct UnknownTheme(pub String, pub String);

impl Theme {
    /// A built-in theme by name; `no_color` turns any theme monochrome.
    pub fn named(name: &str, no_color: bool) -> Result<Self, UnknownTheme> {
        if name == "mono" {
            let mut theme = Self::named("dark", true)?;
            theme.name = "mono".into();
            return Ok(theme);
        }
        let source = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text)
            .ok_or_else(|| UnknownTheme(name.to_string(), names().join(", ")))?;
        let colors: Palette = toml::from_str(source).expect("built-in themes are valid");
        Ok(Self {
            name: colors.name.clone(),
            mono: no_color,
            colors,
        })
    }

    fn fg(&self, color: Color) -> Style {
        if self.mono {
            Style::default()
        } else {
            Style::default().fg(color)
        }
    }

    pub fn text(&self) -> Style {
        self.fg(self.colors.text)
    }
    pub fn muted(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            self.fg(self.colors.muted)
        }
    }
    pub fn accent(&self) -> Style {
        self.fg(self.colors.accent).add_modifier(Modifier::BOLD)
    }
    pub fn ok(&self) -> Style {
        self.fg(self.colors.ok)
    }
    pub fn warn(&self) -> Style {
        self.fg(self.colors.warn).add_modifier(Modifier::BOLD)
    }
    pub fn error(&self) -> Style {
        self.fg(self.colors.error).add_modifier(Modifier::BOLD)
    }
    pub fn info(&self) -> Style {
        self.fg(self.colors.info)
    }
    pub fn code(&self) -> Style {
        self.fg(self.colors.code)
    }
    pub fn heading(&self) -> Style {
        self.fg(self.colors.heading).add_modifier(Modifier::BOLD)
    }
    pub fn link(&self) -> Style {
        self.fg(self.colors.link).add_modifier(Modifier::UNDERLINED)
    }
    pub fn border(&self, focused: bool) -> Style {
        match (self.mono, focused) {
            (true, true) => Style::default().add_modifier(Modifier::BOLD),
            (true, false) => Style::default(),
            (false, true) => self.fg(self.colors.border_focus),
            (false, false) => self.fg(self.colors.border),
        }
    }
    pub fn selection(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .bg(self.colors.selection_bg)
                .fg(self.colors.selection_fg)
        }
    }
    pub fn active_tab(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::default()
                .bg(self.colors.accent)
                .fg(self.colors.accent_text)
                .add_modifier(Modifier::BOLD)
        }
    }
    pub fn status(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .bg(self.colors.status_bg)
                .fg(self.colors.status_fg)
        }
    }
    pub fn demo_badge(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::default()
                .bg(self.colors.demo_bg)
                .fg(self.colors.demo_fg)
                .add_modifier(Modifier::BOLD)
        }
    }
    /// Whether syntax highlighting uses a light or dark palette.
    pub fn is_light(&self) -> bool {
        self.name == "light"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses_with_real_colours() {
        for name in names() {
            let theme = Theme::named(name, false).unwrap();
            assert_eq!(theme.name, name);
        }
        let dark = Theme::named("dark", false).unwrap();
        assert_eq!(dark.colors.selection_bg, Color::Rgb(0x26, 0x4f, 0x78));
        assert!(Theme::named("neon", false).is_err());
        let mono = Theme::named("dark", true).unwrap();
        assert_eq!(mono.error().fg, None);
    }
}
