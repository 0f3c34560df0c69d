//! One running session: the state, the channel background work reports on, and the effect context.
//! The loop (`run.rs`) feeds it; a test can drive it the same way, step by step.

use std::time::Duration;

use ratatui::backend::Backend;
use ratatui::crossterm::event::Event;
use ratatui::Terminal;
use tokio::sync::mpsc::UnboundedReceiver;

use super::effects::{self, Context};
use crate::app::{update, AppState, Effect, Msg};
use crate::views::theme::Theme;

pub struct Session {
    pub state: AppState,
    pub theme: Theme,
    pub ctx: Context,
    rx: UnboundedReceiver<Msg>,
}

/// What the loop must do itself after a message: hand the terminal to an editor.
pub enum TerminalRequest {
    OpenEditor { path: std::path::PathBuf, line: u32 },
}

impl Session {
    pub fn new(
        mut state: AppState,
        theme: Theme,
        workspace: crate::workspace::Workspace,
        dirs: crate::config::Dirs,
    ) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        // Code is highlighted into state (once per file read) in the theme's colours.
        state.syntax = crate::views::highlight::syntax_for(&theme);
        Session {
            state,
            theme,
            ctx: Context::new(workspace, dirs, tx),
            rx,
        }
    }

    /// Starts the loaders (index, graphs, flake, builds) on the current tokio runtime.
    pub fn start(&self, build_sources: Vec<crate::build_log::source::Source>) {
        super::loaders::start(&self.ctx, build_sources);
    }

    /// The next message from background work.
    pub async fn recv(&mut self) -> Option<Msg> {
        self.rx.recv().await
    }

    /// Updates the state and starts the effects; returns what needs the terminal.
    pub fn handle(&mut self, msg: Msg) -> Vec<TerminalRequest> {
        let mut requests = Vec::new();
        for effect in update(&mut self.state, msg) {
            match effect {
                Effect::OpenEditor { path, line } => {
                    requests.push(TerminalRequest::OpenEditor { path, line })
                }
                effect => effects::run(effect, &self.state, &self.ctx),
            }
        }
        requests
    }

    pub fn draw<B: Backend>(&self, terminal: &mut Terminal<B>) -> Result<(), B::Error> {
        terminal
            .draw(|frame| crate::views::render(&self.state, &self.theme, frame))
            .map(|_| ())
    }

    /// Handles background messages until no job is pending and none is queued (or `limit` passes):
    /// what a test waits for before it presses the next key.
    pub async fn settle(&mut self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            while let Ok(msg) = self.rx.try_recv() {
                self.handle(msg);
            }
            if self.ctx.pending() == 0 && self.rx.is_empty() {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                return;
            }
            // A job may end without a message (a cancelled search): look again shortly.
            let tick = tokio::time::sleep(Duration::from_millis(10));
            tokio::select! {
                Some(msg) = self.rx.recv() => { self.handle(msg); }
                () = tick => {}
            }
        }
    }
}

/// A terminal event as the app's message; `None` for events the app does not use.
pub fn message(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => Some(Msg::Key(key)),
        Event::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        _ => None,
    }
}
