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
    let options = OpenOptions {
        demo: true,
        nixpkgs: None,
        directory: home.to_path_buf(),
    };
    session_with(home, size, &options)
}

fn session_with(home: &std::path::Path, size: (u16, u16), options: &OpenOptions) -> Session {
    let dirs = Dirs {
        config: home.join("config"),
        cache: home.join("cache"),
        state: home.join("state"),
    };
    let workspace = Workspace::open(options, &dirs);
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

/// A git checkout of nixpkgs with an uncommitted edit: the Packages tab opens the cached index
/// at once, finds the edit by the files' stamps in the background, and shows the index again
/// with a notice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uncommitted_edit_in_a_git_checkout_refreshes_the_index() {
    if !crate::require("git") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let tree = home.path().join("nixpkgs");
    crate::git_checkout_of("nixpkgs-mini", &tree);
    let options = OpenOptions {
        demo: false,
        nixpkgs: Some(tree.clone()),
        directory: home.path().to_path_buf(),
    };
    let version = |session: &Session| {
        let index = session.state.packages.index.ready().expect("an index");
        index.get("greeter").and_then(|e| e.version)
    };
    // The first session indexes the tree and keeps the per-file results.
    let mut first = session_with(home.path(), (100, 30), &options);
    first.start(Vec::new());
    first.settle(SETTLE).await;
    assert_eq!(version(&first).as_deref(), Some("1.0.0"));
    assert!(first.state.notice.is_none());

    crate::edit_greeter_version(&tree, "1.0.1-dev");
    let mut second = session_with(home.path(), (100, 30), &options);
    second.start(Vec::new());
    second.settle(SETTLE).await;
    assert_eq!(version(&second).as_deref(), Some("1.0.1-dev"));
    let notice = second.state.notice.as_ref().expect("a notice").text.clone();
    assert!(
        notice.contains("index refreshed: 2 package files changed"),
        "{notice}"
    );

    // Nothing changed since: no refresh. Then an edit in lib (read whole, no stamps).
    let mut third = session_with(home.path(), (100, 30), &options);
    third.start(Vec::new());
    third.settle(SETTLE).await;
    assert!(third.state.notice.is_none());
    let attrsets = tree.join("lib/attrsets.nix");
    let text = std::fs::read_to_string(&attrsets).unwrap();
    let edited = text.replace("The names of an attribute set, sorted.", "Sorted names.");
    assert_ne!(edited, text);
    std::fs::write(&attrsets, edited).unwrap();
    let mut fourth = session_with(home.path(), (100, 30), &options);
    fourth.start(Vec::new());
    fourth.settle(SETTLE).await;
    let notice = fourth.state.notice.as_ref().expect("a notice").text.clone();
    assert!(notice.contains("index refreshed: lib changed"), "{notice}");
    let index = fourth.state.packages.index.ready().unwrap();
    let doc = index.get("lib.attrsets.attrNames'").and_then(|e| e.doc);
    assert!(
        doc.as_deref().is_some_and(|d| d.contains("Sorted names.")),
        "{doc:?}"
    );
}
