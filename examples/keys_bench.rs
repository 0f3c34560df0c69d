//! Keystroke latency in the Packages tab, through the real loop (`tui::run` with its frame clock,
//! the update, the background search and the view): queries are typed one key at a time into a
//! session holding a cached index, and each key is timed from the moment it is sent to the first
//! frame that shows its results (the whole query in the search box, no search still running).
//! Usage: `keys_bench CACHE_FILE [MS_BETWEEN_KEYS]`. Run by scripts/bench.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nixbench::app::keymap::KeyMap;
use nixbench::app::state::Load;
use nixbench::app::{AppState, Tab};
use nixbench::config::Dirs;
use nixbench::tui::{self, Headless, Input, Session};
use nixbench::views::theme::Theme;
use nixbench::workspace::{OpenOptions, Workspace};
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Size};
use ratatui::Terminal;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

const WIDTH: u16 = 120;
const HEIGHT: u16 = 32;

/// A test backend that reports each finished frame (its time and text) on a channel.
struct Recording {
    inner: TestBackend,
    frames: UnboundedSender<(Instant, String)>,
}

impl Backend for Recording {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        let at = Instant::now();
        let buffer = self.inner.buffer();
        let text: String = buffer.content.iter().map(Cell::symbol).collect();
        let _ = self.frames.send((at, text));
        self.inner.flush()
    }
}

fn key(code: KeyCode) -> Input {
    Input::Event(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Waits for the first frame showing `query` typed and no search running; its time.
async fn frame_showing(
    frames: &mut UnboundedReceiver<(Instant, String)>,
    query: &str,
    entries: usize,
) -> Option<Instant> {
    let typed = format!("{query}▏");
    // The results title while a search runs: ` 12 of 150000 … `.
    let searching = format!(" of {entries} … ");
    loop {
        let (at, text) = tokio::time::timeout(Duration::from_secs(30), frames.recv())
            .await
            .ok()??;
        if text.contains(&typed) && !text.contains(&searching) {
            return Some(at);
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: keys_bench CACHE_FILE [MS_BETWEEN_KEYS]");
    let pause = Duration::from_millis(args.next().map_or(Ok(80), |ms| ms.parse())?);
    let searchable = nixbench::nixpkgs::cache::open(std::path::Path::new(&path))
        .ok_or_else(|| anyhow::anyhow!("{path}: not a cache file"))?;
    let entries = searchable.len();

    let home = tempfile::tempdir()?;
    let dirs = Dirs {
        config: home.path().join("config"),
        cache: home.path().join("cache"),
        state: home.path().join("state"),
    };
    let options = OpenOptions {
        demo: true,
        nixpkgs: None,
        directory: home.path().to_path_buf(),
    };
    let workspace = Workspace::open(&options, &dirs);
    let startup = tui::startup(
        &workspace,
        KeyMap::defaults(),
        5000,
        &[],
        Tab::Packages,
        &dirs,
        (WIDTH, HEIGHT),
    );
    let theme = Theme::named("dark", true).expect("built-in theme");
    let mut session = Session::new(AppState::new(startup), theme, workspace, dirs);
    // The loaders are not started: the session searches the given index only.
    session.state.packages.index = Load::Ready(Arc::new(searchable));

    let (frames_tx, mut frames) = unbounded_channel();
    let mut terminal = Terminal::new(Recording {
        inner: TestBackend::new(WIDTH, HEIGHT),
        frames: frames_tx,
    })?;
    let (keys, keys_rx) = unbounded_channel::<Input>();
    let input = Box::pin(futures_util::stream::unfold(keys_rx, |mut rx| async move {
        rx.recv().await.map(|input| (io::Result::Ok(input), rx))
    }));
    let queries = [
        "ripgrep",
        "python requests",
        "kalo",
        "fast json",
        "lib:fold",
        "zo-net",
        "haskell",
        "concatStrSep",
    ];
    let driver = async move {
        let mut latencies = Vec::new();
        let _ = keys.send(key(KeyCode::Char('/')));
        frame_showing(&mut frames, "", entries).await;
        for query in queries {
            for (i, c) in query.char_indices() {
                tokio::time::sleep(pause).await;
                let sent = Instant::now();
                let _ = keys.send(key(KeyCode::Char(c)));
                let typed = &query[..i + c.len_utf8()];
                let Some(shown) = frame_showing(&mut frames, typed, entries).await else {
                    eprintln!("keys_bench: no frame showed the results of {typed:?}");
                    break;
                };
                latencies.push((shown - sent).as_secs_f64() * 1000.0);
            }
            for _ in query.chars() {
                let _ = keys.send(key(KeyCode::Backspace));
            }
            frame_showing(&mut frames, "", entries).await;
        }
        let _ = keys.send(Input::Stop);
        latencies
    };
    let mut host = Headless;
    let looped = tui::run(&mut session, &mut terminal, input, &mut host);
    let (stats, mut latencies) = tokio::join!(looped, driver);
    let stats = stats?;
    latencies.sort_by(f64::total_cmp);
    if latencies.is_empty() {
        anyhow::bail!("no keystroke was measured");
    }
    println!(
        "Packages tab, {entries} entries, {} keystrokes {} ms apart through the real loop: key to the frame with its results p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} frames drawn, at most {} in one second)",
        latencies.len(),
        pause.as_millis(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
        stats.frames,
        stats.busiest_second,
    );
    std::mem::forget(session);
    Ok(())
}
