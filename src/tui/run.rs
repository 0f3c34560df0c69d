//! The event loop: waits on terminal input and background messages, hands each to the session, and
//! redraws when something changed (at most ~30 times a second; idle means asleep). It is generic
//! over the ratatui backend and the input stream, so a test runs it with a `TestBackend` and a
//! scripted key stream.

use std::io;
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::crossterm::event::Event;
use ratatui::Terminal;

use super::session::{message, Session, TerminalRequest};
use super::terminal::Host;
use crate::app::Msg;

/// What arrives on the loop's input: a terminal event, or a request to stop (SIGTERM, SIGHUP).
pub enum Input {
    Event(Event),
    Stop,
}

/// Frames drawn, and the most drawn within any one second (the cap is ~30).
#[derive(Debug, Default, Clone, Copy)]
pub struct FrameStats {
    pub frames: usize,
    pub busiest_second: usize,
}

pub async fn run<B, I>(
    session: &mut Session,
    terminal: &mut Terminal<B>,
    mut input: I,
    host: &mut dyn Host,
) -> anyhow::Result<FrameStats>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    I: Stream<Item = io::Result<Input>> + Unpin,
{
    let mut clock = FrameClock::default();
    loop {
        if clock.due() {
            session.draw(terminal)?;
            clock.drawn();
        }
        let msg = tokio::select! {
            event = input.next() => match event {
                Some(Ok(Input::Event(event))) => match message(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Ok(Input::Stop)) | None => break,
                Some(Err(err)) => return Err(err.into()),
            },
            Some(msg) = session.recv() => msg,
            () = tokio::time::sleep(clock.wait()) => continue,
        };
        for request in session.handle(msg) {
            match request {
                TerminalRequest::OpenEditor { path, line } => {
                    edit(session, host, &path, line);
                    terminal.clear()?;
                }
            }
        }
        clock.dirty = true;
        if session.state.quit {
            break;
        }
    }
    if clock.dirty {
        session.draw(terminal)?;
    }
    Ok(clock.stats)
}

fn edit(session: &mut Session, host: &mut dyn Host, path: &std::path::Path, line: u32) {
    if let Err(err) = super::terminal::open_editor(host, path, line) {
        session.handle(Msg::Notice {
            text: err.to_string(),
            is_error: true,
        });
    }
}

const FRAME: Duration = Duration::from_millis(33);

/// Redraws when dirty, at most once a frame on average, and counts what it drew. Two frames may
/// follow each other at once when the one before them is two frames old: a keystroke's frame (the
/// typed character) and its results' frame a few milliseconds later are both drawn when they are
/// ready, while a flood of changes still gets ~30 frames a second.
struct FrameClock {
    dirty: bool,
    last: Instant,
    before_last: Instant,
    recent: std::collections::VecDeque<Instant>,
    stats: FrameStats,
}

impl Default for FrameClock {
    fn default() -> Self {
        FrameClock {
            dirty: true,
            last: Instant::now() - FRAME,
            before_last: Instant::now() - 2 * FRAME,
            recent: Default::default(),
            stats: FrameStats::default(),
        }
    }
}

impl FrameClock {
    fn due(&self) -> bool {
        self.dirty && self.until_due().is_zero()
    }

    /// How long until a frame may be drawn.
    fn until_due(&self) -> Duration {
        FRAME
            .saturating_sub(self.last.elapsed())
            .min((2 * FRAME).saturating_sub(self.before_last.elapsed()))
    }

    /// How long to sleep: until the next frame when there is something to draw, else (nearly)
    /// forever.
    fn wait(&self) -> Duration {
        if self.dirty {
            self.until_due()
        } else {
            Duration::from_secs(3600)
        }
    }

    fn drawn(&mut self) {
        self.dirty = false;
        self.before_last = self.last;
        self.last = Instant::now();
        self.stats.frames += 1;
        self.recent.push_back(self.last);
        while self
            .recent
            .front()
            .is_some_and(|t| self.last.duration_since(*t) >= Duration::from_secs(1))
        {
            self.recent.pop_front();
        }
        self.stats.busiest_second = self.stats.busiest_second.max(self.recent.len());
    }
}
