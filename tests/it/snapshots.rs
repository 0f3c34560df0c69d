//! Screens rendered with ratatui's TestBackend and compared with insta snapshots. Store hashes are
//! redacted so re-recording the fixtures does not churn the snapshots.

use std::sync::Arc;

use nixbench::app::keymap::KeyMap;
use nixbench::app::state::{GraphData, Startup, StatusInfo};
use nixbench::app::{update, AppState, Command, Msg};
use nixbench::build_log::{parse_line, LineSplitter};
use nixbench::nixpkgs::search::{Query, Scope, Searchable};
use nixbench::views::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::fixture;

const WIDTH: u16 = 110;
const HEIGHT: u16 = 28;

fn demo_state() -> AppState {
    let status = StatusInfo {
        project_dir: "demo project".into(),
        nix: "Nix 2.8.0".into(),
        nixpkgs: "demo nixpkgs".into(),
        nixpkgs_root: Some(fixture("nixpkgs-mini")),
        demo: Some("--demo".into()),
    };
    let mut startup = Startup::new(KeyMap::defaults(), status, (WIDTH, HEIGHT));
    startup.idle_build = nixbench::tui::DEMO_BUILD.into();
    let mut state = AppState::new(startup);
    let mut index = nixbench::nixpkgs::static_index::index_tree(&fixture("nixpkgs-mini"));
    index.merge(nixbench::nixpkgs::builtins::embedded());
    index.sort();
    let searchable = Arc::new(Searchable::new(Arc::new(index)));
    update(&mut state, Msg::IndexLoaded(Ok(searchable.clone())));
    let results = searchable
        .search(&Query::parse("", Scope::All), 500, &|| false)
        .unwrap();
    let generation = state.packages.generation;
    update(
        &mut state,
        Msg::SearchDone {
            generation,
            rows: nixbench::app::state::result_rows(&searchable, &results),
            results,
        },
    );

    for (build_time, file) in [
        (false, "path-info-greeter.json"),
        (true, "show-derivation-greeter.json"),
    ] {
        let path = fixture(&format!("golden/nix-2.8.0/{file}"));
        let graph = nixbench::graph::source::from_file(&path, build_time).unwrap();
        let sizes = nixbench::graph::algo::sizes(&graph);
        let data = GraphData {
            graph: Arc::new(graph),
            sizes: Arc::new(sizes),
            source: format!("recorded {file}"),
        };
        update(
            &mut state,
            Msg::GraphLoaded {
                build_time,
                result: Ok(data),
            },
        );
    }

    let flake = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/demo/project/flake.nix"
    ))
    .unwrap();
    let lock = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/demo/project/flake.lock"
    ))
    .unwrap();
    update(
        &mut state,
        Msg::FlakeLoaded {
            path: "/demo/project/flake.nix".into(),
            text: Ok(flake),
            lock: Some(lock),
            // A fixed "now" keeps the lock ages in the snapshot stable: 2024-12-01.
            read_at: 1_733_011_200,
        },
    );

    let log = std::fs::read(fixture(
        "golden/nix-2.8.0/build-failure-keep-going.internal-json",
    ))
    .unwrap();
    let mut events = Vec::new();
    let mut splitter = LineSplitter::default();
    let mut t = 0.0;
    splitter.feed(&log, |line| {
        t += 0.01;
        events.push((parse_line(line), t));
    });
    update(&mut state, Msg::BuildEvents { source: 0, events });
    update(
        &mut state,
        Msg::BuildEnded {
            source: 0,
            code: Some(1),
            now: t,
        },
    );
    state
}

fn screen(state: &AppState) -> String {
    screen_sized(state, WIDTH, HEIGHT)
}

fn screen_sized(state: &AppState, width: u16, height: u16) -> String {
    let theme = Theme::named("dark", true).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| nixbench::views::render(state, &theme, frame))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..height {
        let mut row = String::new();
        for x in 0..width {
            row.push_str(buffer[(x, y)].symbol());
        }
        text.push_str(row.trim_end());
        text.push('\n');
    }
    redact_hashes(&text)
}

/// The screenshot gallery: every tab, help, the palette and a tour lesson at the two sizes users
/// start with. Each is an insta snapshot, so a change that cuts text shows up in review; with
/// `NIXBENCH_SCREENS=DIR` (scripts/screens) they are also written there as text files.
#[test]
fn gallery_at_80x24_and_120x40() {
    let screens: [(&str, &[Command]); 10] = [
        ("packages", &[Command::TabPackages]),
        // On a narrow terminal Enter shows the details at the full width.
        ("packages-details", &[Command::TabPackages, Command::Open]),
        ("graph", &[Command::TabGraph]),
        ("build", &[Command::TabBuild]),
        ("build-log", &[Command::TabBuild, Command::FirstError]),
        ("flake", &[Command::TabFlake]),
        ("tour", &[Command::TabTour]),
        ("tour-lesson-2", &[Command::TabTour, Command::NextStep]),
        ("help", &[Command::TabPackages, Command::Help]),
        ("palette", &[Command::TabGraph, Command::Palette]),
    ];
    let out = std::env::var_os("NIXBENCH_SCREENS").map(std::path::PathBuf::from);
    for (width, height) in [(80u16, 24u16), (120, 40)] {
        for (name, keys) in screens {
            let mut state = demo_state();
            update(&mut state, Msg::Resize(width, height));
            press(&mut state, keys);
            let text = screen_sized(&state, width, height);
            let id = format!("{width}x{height}-{name}");
            if let Some(dir) = &out {
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(dir.join(format!("{id}.txt")), &text).unwrap();
            }
            insta::assert_snapshot!(format!("gallery-{id}"), text);
        }
    }
}

/// Replaces 32-character Nix base-32 hashes followed by `-` with `<hash>`.
fn redact_hashes(text: &str) -> String {
    const ALPHABET: &str = "0123456789abcdfghijklmnpqrsvwxyz";
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 33 <= chars.len()
            && chars[i + 32] == '-'
            && chars[i..i + 32].iter().all(|c| ALPHABET.contains(*c))
        {
            out.push_str("<hash>");
            i += 32;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn press(state: &mut AppState, commands: &[Command]) {
    for command in commands {
        update(state, Msg::Run(*command));
    }
}

#[test]
fn packages_tab() {
    let state = demo_state();
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn packages_function_docs() {
    let mut state = demo_state();
    state.packages.query = "lib:concatStringsSep".into();
    let searchable = state.packages.index.ready().unwrap().clone();
    let results = searchable
        .search(
            &Query::parse(&state.packages.query, Scope::All),
            50,
            &|| false,
        )
        .unwrap();
    let generation = state.packages.generation;
    update(
        &mut state,
        Msg::SearchDone {
            generation,
            rows: nixbench::app::state::result_rows(&searchable, &results),
            results,
        },
    );
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn graph_tab_and_why() {
    let mut state = demo_state();
    press(&mut state, &[Command::TabGraph]);
    insta::assert_snapshot!("graph", screen(&state));
    press(&mut state, &[Command::Open, Command::Why]);
    insta::assert_snapshot!("graph_why", screen(&state));
}

#[test]
fn graph_build_time_search_and_docs() {
    let mut state = demo_state();
    press(&mut state, &[Command::TabGraph, Command::ToggleBuildTime]);
    insta::assert_snapshot!("graph_build_time", screen(&state));
    // `/` then typing finds a path by name; Enter walks to it.
    press(&mut state, &[Command::Search]);
    for c in "jq".chars() {
        update(
            &mut state,
            Msg::Key(ratatui::crossterm::event::KeyEvent::from(
                ratatui::crossterm::event::KeyCode::Char(c),
            )),
        );
    }
    insta::assert_snapshot!("graph_search", screen(&state));
    update(
        &mut state,
        Msg::Key(ratatui::crossterm::event::KeyEvent::from(
            ratatui::crossterm::event::KeyCode::Enter,
        )),
    );
    let current = state
        .graph
        .data
        .ready()
        .unwrap()
        .graph
        .node(state.graph.current)
        .name()
        .to_string();
    assert_eq!(current, "jq-mini-1.7.1.drv");
    // `d` shows the package in the Packages tab.
    press(&mut state, &[Command::Docs]);
    assert_eq!(state.tab, nixbench::app::Tab::Packages);
    assert_eq!(state.packages.query, "jq-mini");
}

#[test]
fn build_tab_after_failure() {
    let mut state = demo_state();
    press(&mut state, &[Command::TabBuild, Command::FirstError]);
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn flake_tab_explains_the_line() {
    let mut state = demo_state();
    press(&mut state, &[Command::TabFlake]);
    for _ in 0..18 {
        press(&mut state, &[Command::Down]);
    }
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn tour_tab_and_help_overlay() {
    let mut state = demo_state();
    press(&mut state, &[Command::TabTour, Command::Hint]);
    insta::assert_snapshot!("tour", screen(&state));
    press(&mut state, &[Command::Help]);
    insta::assert_snapshot!("help", screen(&state));
}

#[test]
fn help_lists_every_command() {
    let state = demo_state();
    let theme = Theme::named("dark", true).unwrap();
    let text: Vec<String> = nixbench::views::overlay::help_lines(&state, &theme)
        .iter()
        .map(|l| l.to_string())
        .collect();
    let text = text.join("\n");
    for command in Command::ALL {
        assert!(text.contains(command.help()), "help lacks {command:?}");
    }
}

#[test]
fn tiny_terminal_does_not_panic() {
    let state = demo_state();
    let theme = Theme::named("dark", false).unwrap();
    for (w, h) in [(1, 1), (10, 3), (20, 5), (200, 2)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal
            .draw(|frame| nixbench::views::render(&state, &theme, frame))
            .unwrap();
    }
}

fn key(state: &mut AppState, code: ratatui::crossterm::event::KeyCode) {
    update(
        state,
        Msg::Key(ratatui::crossterm::event::KeyEvent::from(code)),
    );
}

#[test]
fn build_log_search_and_show_in_graph() {
    use ratatui::crossterm::event::KeyCode;
    let mut state = demo_state();
    press(&mut state, &[Command::TabBuild]);
    let failed = state.builds[0]
        .state
        .derivations
        .iter()
        .position(|d| d.name == "chatty-0.9")
        .unwrap();
    state.builds[0].selected = failed;
    press(&mut state, &[Command::Search]);
    for c in "unit 250 of".chars() {
        key(&mut state, KeyCode::Char(c));
    }
    key(&mut state, KeyCode::Enter);
    let log: Vec<&String> = state.builds[0].state.derivations[failed]
        .log
        .iter()
        .collect();
    let bottom = log.len() - 1 - state.builds[0].scroll_from_end;
    assert!(
        log[bottom].contains("compiling unit 250 of 400"),
        "{}",
        log[bottom]
    );
    assert!(screen(&state).contains("compiling unit 250 of 400"));

    // A derivation that is not in the loaded graph says so.
    press(&mut state, &[Command::ShowInGraph]);
    assert_eq!(state.tab, nixbench::app::Tab::Graph);
    assert!(state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("not in the loaded build-time graph"));

    // One that is: greeter's own derivation.
    let drv = "/nix/store/56gc4vsgia5b24afki9h8zkaklyn9z9l-greeter-1.0.0.drv";
    let start =
        format!(r#"@nix {{"action":"start","id":99,"type":105,"fields":["{drv}","",1,1]}}"#);
    update(
        &mut state,
        Msg::BuildEvents {
            source: 0,
            events: vec![(nixbench::build_log::parse_line(&start), 1.0)],
        },
    );
    state.builds[0].selected = state.builds[0]
        .state
        .derivations
        .iter()
        .position(|d| d.drv_path == drv)
        .unwrap();
    press(&mut state, &[Command::TabBuild, Command::ShowInGraph]);
    let g = &state.graph;
    assert!(g.build_time);
    assert_eq!(
        g.data.ready().unwrap().graph.node(g.current).name(),
        "greeter-1.0.0.drv"
    );
}

#[test]
fn details_ask_for_and_show_the_source_excerpt() {
    let mut state = demo_state();
    let searchable = state.packages.index.ready().unwrap().clone();
    let results = searchable
        .search(
            &Query::parse("lib:concatStringsSep", Scope::All),
            50,
            &|| false,
        )
        .unwrap();
    let generation = state.packages.generation;
    let effects = update(
        &mut state,
        Msg::SearchDone {
            generation,
            rows: nixbench::app::state::result_rows(&searchable, &results),
            results,
        },
    );
    let (name, path, line) = effects
        .iter()
        .find_map(|e| match e {
            nixbench::app::Effect::LoadExcerpt { name, path, line } => {
                Some((name.clone(), path.clone(), *line))
            }
            _ => None,
        })
        .expect("an excerpt is requested for the selection");
    assert!(path.ends_with("lib/strings.nix"));
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<String> = text
        .lines()
        .skip(line as usize - 2)
        .take(4)
        .map(str::to_string)
        .collect();
    update(
        &mut state,
        Msg::Excerpt {
            name,
            first_line: line - 1,
            lines,
        },
    );
    // The excerpt comes after the docs: scroll the details pane down to it.
    state.packages.detail_scroll = 20;
    let screen = screen(&state);
    assert!(screen.contains("Source"), "{screen}");
    assert!(
        screen.contains("concatStringsSep = builtins.concatStringsSep;"),
        "{screen}"
    );
}

#[test]
fn mouse_clicks_on_tabs_and_rows_and_the_wheel() {
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut state = demo_state();
    let click = |column, row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // The tab bar: " 1 Packages " then " 2 Graph " ... each label's columns come from the layout.
    let labels = nixbench::app::layout::tab_labels();
    let (graph_tab, _, start, _) = labels[1].clone();
    update(&mut state, click(start + 2, 0));
    assert_eq!(state.tab, graph_tab);
    // A click on the third row of the Packages list selects it.
    update(&mut state, click(labels[0].2 + 1, 0));
    assert_eq!(state.tab, nixbench::app::Tab::Packages);
    let areas = nixbench::app::layout::areas((WIDTH, HEIGHT));
    update(&mut state, click(areas.list.x + 3, areas.list.y + 3));
    assert_eq!(state.packages.selected, 2);
    // The wheel moves the selection; clicks outside the list change nothing.
    update(
        &mut state,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: 5,
            row: 5,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(state.packages.selected, 3);
    update(&mut state, click(areas.detail.x + 5, areas.detail.y + 5));
    assert_eq!(state.packages.selected, 3);
}
