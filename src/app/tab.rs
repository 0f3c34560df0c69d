//! The tabs, in their order on screen, and the key-map context each one reads.

use super::keymap::Context;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Packages,
    Graph,
    Build,
    Flake,
    Tour,
}

impl Tab {
    pub const ALL: [Tab; 5] = [Tab::Packages, Tab::Graph, Tab::Build, Tab::Flake, Tab::Tour];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Packages => "Packages",
            Tab::Graph => "Graph",
            Tab::Build => "Build",
            Tab::Flake => "Flake",
            Tab::Tour => "Tour",
        }
    }

    pub fn context(self) -> Context {
        match self {
            Tab::Packages => Context::Packages,
            Tab::Graph => Context::Graph,
            Tab::Build => Context::Build,
            Tab::Flake => Context::Flake,
            Tab::Tour => Context::Tour,
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}
