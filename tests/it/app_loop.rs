//! The whole app through the real loop: the demo workspace with its loaders, effects and redraws,
//! driven by a scripted key stream into a `TestBackend`, the way a user presses keys. Each screen is
//! an insta snapshot; filters take out what changes from run to run (Nix's version, durations,
//! ages).

use std::io;
use std::time::Duration;

use nixbench::app::keymap::KeyMap;
use nixbench::app::{AppState, Tab};
use nixbench::config::Dirs;
use nixbench::tui::{self, Headless, Input, Session};
use nixbench::views::theme::Theme;
use nixbench::workspace::{OpenOptions, Workspace};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

const SETTLE: Duration = Duration::from_secs(60);

/// `keys("2j")` presses 2 then j; `<esc>`, `<enter>`, `<tab>` name the special keys.
fn keys(script: &str) -> Vec<io::Result<Input>> {
    let mut out = Vec::new();
    let mut rest = script;
    while let Some(c) = rest.chars().next() {
        let (code, len) = match c {
            '<' => {
                let end = rest.find('>').expect("closed special key") + 1;
                let code = match &rest[..end] {
                    "<esc>" => KeyCode::Esc,
                    "<enter>" => KeyCode::Enter,
                    "<tab>" => KeyCode::Tab,
                    other => panic!("unknown key {other}"),
                };
                (code, end)
            }
            c => (KeyCode::Char(c), c.len_utf8()),
        };
        out.push(Ok(Input::Event(Event::Key(KeyEvent::new(
            code,
            KeyModifiers::NONE,
        )))));
        rest = &rest[len..];
    }
    out
}

fn session(home: &std::path::Path, size: (u16, u16)) -> Session {
    let dirs = Dirs {
        config: home.join("config"),
        cache: home.join("cache"),
        state: home.join("state"),
    };
    let options = OpenOptions {
        demo: true,
        nixpkgs: None,
        directory: home.to_path_buf(),
    };
    let workspace = Workspace::open(&options, &dirs);
    let startup = tui::startup(
        &workspace,
        KeyMap::defaults(),
        5000,
        &[],
        Tab::Packages,
        &dirs,
        size,
    );
    let theme = Theme::named("dark", true).expect("built-in theme");
    Session::new(AppState::new(startup), theme, workspace, dirs)
}

/// The demo session with its loaders finished, and a test terminal of the same size.
async fn started(home: &std::path::Path, size: (u16, u16)) -> (Session, Terminal<TestBackend>) {
    let mut session = session(home, size);
    session.start(Vec::new());
    session.settle(SETTLE).await;
    let terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    (session, terminal)
}

/// Presses the keys of `script` through the real loop.
async fn press(session: &mut Session, terminal: &mut Terminal<TestBackend>, script: &str) {
    tui::run(
        session,
        terminal,
        futures_util::stream::iter(keys(script)),
        &mut Headless,
    )
    .await
    .unwrap();
}

/// Presses `script`, waits for the background work it started, and snapshots the screen as `name`.
async fn snapshot_after(
    session: &mut Session,
    terminal: &mut Terminal<TestBackend>,
    name: &str,
    script: &str,
) {
    press(session, terminal, script).await;
    session.settle(SETTLE).await;
    session.draw(terminal).unwrap();
    insta::assert_snapshot!(format!("loop-{name}"), terminal.backend());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_loop_through_every_tab_of_the_demo() {
    let home = tempfile::tempdir().unwrap();
    let (mut session, mut terminal) = started(home.path(), (100, 30)).await;
    let steps = [
        ("packages", ""),
        ("packages-search", "/rg<enter>"),
        ("graph", "2<enter>"),
        ("build", "3"),
        ("flake", "4jjjjx"),
        ("tour", "5n"),
        ("help", "?"),
        ("palette", "<esc>:"),
    ];
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"Nix \d+\.\d+(\.\d+)?|no nix", "Nix [version]");
    settings.add_filter(r"\b\d+(\.\d+)?s\b", "[time]");
    settings.add_filter(
        r"\d+ (seconds?|minutes?|hours?|days?|months?|years?) old",
        "[age] old",
    );
    settings.add_filter(r"[0-9a-df-np-sv-z]{32}-", "<hash>-");
    let _guard = settings.bind_to_scope();
    for (name, script) in steps {
        snapshot_after(&mut session, &mut terminal, name, script).await;
    }
    press(&mut session, &mut terminal, "<esc>q").await;
    assert!(session.state.quit, "q quits through the loop");
    assert_eq!(session.ctx.pending(), 0, "no background job left running");
}

/// Below 100 columns list and detail take turns: Enter opens the details at the full width, Esc
/// goes back to the list, and the status bar says which key does what.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_narrow_terminal_opens_the_details_full_width() {
    let home = tempfile::tempdir().unwrap();
    let (mut session, mut terminal) = started(home.path(), (80, 24)).await;
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"Nix \d+\.\d+(\.\d+)?|no nix", "Nix [version]");
    let _guard = settings.bind_to_scope();
    for (name, script) in [
        ("narrow-list", "/rg<enter>"),
        ("narrow-details", "<enter>"),
        ("narrow-back", "<esc>"),
    ] {
        snapshot_after(&mut session, &mut terminal, name, script).await;
    }
}
