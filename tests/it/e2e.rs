//! The real binary in a real terminal (tmux): start, switch tabs, open help, quit, and the terminal
//! is restored; a forced panic also leaves a usable shell.

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
    _home: tempfile::TempDir,
}

impl Tmux {
    fn start(extra_env: &str) -> Option<Self> {
        Self::start_with(extra_env, "--demo")
    }

    fn start_with(extra_env: &str, args: &str) -> Option<Self> {
        if !crate::require("tmux") {
            return None;
        }
        let home = tempfile::tempdir().unwrap();
        let socket = format!("nixbench-test-{}-{}", std::process::id(), rand_suffix());
        let tmux = Self {
            socket,
            _home: home,
        };
        tmux.run(&["new-session", "-d", "-x", "110", "-y", "30", "sh"]);
        let binary = env!("CARGO_BIN_EXE_nixbench");
        let home = tmux._home.path().display().to_string();
        tmux.keys(&[
            &format!(
                "PS1='$ ' HOME={home} XDG_CACHE_HOME={home}/cache XDG_STATE_HOME={home}/state {extra_env} {binary} {args}"
            ),
            "Enter",
        ]);
        Some(tmux)
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "0"])
    }

    /// Waits (up to 20 s) until the screen contains `text`.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {text:?}; screen:\n{screen}"
            );
            sleep(Duration::from_millis(100));
        }
    }

    fn alternate_screen(&self) -> bool {
        self.run(&["display-message", "-p", "-t", "0", "#{alternate_on}"])
            .trim()
            == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_007
}

#[test]
fn demo_tabs_help_and_quit_restore_the_terminal() {
    let Some(t) = Tmux::start("") else { return };
    t.wait_for("DEMO");
    t.wait_for("pkg     broken-app");
    assert!(t.alternate_screen());
    t.keys(&["/", "r", "g"]);
    let screen = t.wait_for("program      rg");
    assert!(screen.contains("ripgrep"));
    t.keys(&["Escape"]);
    sleep(Duration::from_millis(150));
    t.keys(&["2"]);
    t.wait_for("Referrers");
    t.keys(&["Tab"]);
    t.wait_for("Derivations");
    t.wait_for("FAILED");
    t.keys(&["4"]);
    t.wait_for("Explain");
    t.keys(&["5"]);
    t.wait_for("Lesson 1 of 6");
    t.keys(&["?"]);
    t.wait_for("Everywhere");
    t.keys(&["Escape"]);
    sleep(Duration::from_millis(150));
    t.keys(&["q"]);
    t.wait_for("$ ");
    sleep(Duration::from_millis(200));
    assert!(!t.alternate_screen(), "left the alternate screen");
    t.keys(&["echo still-$((40+2))", "Enter"]);
    t.wait_for("still-42");
}

#[test]
fn forced_panic_leaves_a_usable_terminal() {
    let Some(t) = Tmux::start("NIXBENCH_DEBUG_PANIC=1") else {
        return;
    };
    t.wait_for("DEMO");
    t.keys(&["j"]);
    t.wait_for("deliberate panic");
    sleep(Duration::from_millis(200));
    assert!(!t.alternate_screen());
    t.keys(&["echo alive-$((6*7))", "Enter"]);
    t.wait_for("alive-42");
}

/// The demo's flake.nix copy in this test's cache directory.
fn demo_flake(t: &Tmux) -> std::path::PathBuf {
    let cache = t._home.path().join("cache/nixbench");
    let demo = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("demo-")
        })
        .unwrap();
    demo.join("project/flake.nix")
}

#[test]
fn add_a_package_to_the_flake_see_an_outside_edit_and_undo() {
    let Some(t) = Tmux::start("") else { return };
    t.wait_for("pkg     broken-app");
    t.keys(&["/", "f", "i", "g", "l", "e", "t", "Enter"]);
    t.wait_for("program      figlet");
    t.keys(&["a"]);
    t.wait_for("Add figlet to the default dev shell?");
    let screen = t.wait_for("+          packages = with pkgs; [ ripgrep jq-mini figlet ];");
    assert!(
        screen.contains("-          packages = with pkgs; [ ripgrep jq-mini ];"),
        "{screen}"
    );
    t.keys(&["y"]);
    t.wait_for("updated");
    let path = demo_flake(&t);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[ ripgrep jq-mini figlet ]"), "{text}");

    // An edit made outside nixbench shows up (notify), and is what undo starts from.
    std::fs::write(
        &path,
        text.replace("Welcome to the greeter dev shell", "Edited elsewhere"),
    )
    .unwrap();
    t.keys(&["4"]);
    t.wait_for("Edited elsewhere");
    t.keys(&["u"]);
    t.wait_for("Undo the last change to flake.nix?");
    t.keys(&["y"]);
    t.wait_for("restored");
    let restored = std::fs::read_to_string(&path).unwrap();
    assert!(
        restored.contains("[ ripgrep jq-mini ]") && !restored.contains("figlet"),
        "{restored}"
    );
    assert!(
        restored.contains("Edited elsewhere"),
        "undo keeps the outside edit: {restored}"
    );
    t.keys(&["q"]);
}

fn type_text(t: &Tmux, text: &str) {
    for c in text.chars() {
        t.keys(&["-l", &c.to_string()]);
    }
}

/// Opens the Tour tab and waits until `count` lessons are ticked.
fn ticks(t: &Tmux, count: usize) {
    t.keys(&["5"]);
    let start = Instant::now();
    loop {
        let screen = t.screen();
        if screen.contains("Lesson ")
            && screen.lines().filter(|l| l.starts_with("│✓ ")).count() == count
        {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "expected {count} lessons ticked:\n{screen}"
        );
        sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_whole_tour_in_demo_mode_from_real_actions() {
    let Some(t) = Tmux::start_with("", "tour --demo") else {
        return;
    };
    t.wait_for("Lesson 1 of 6");
    t.wait_for("Goal: in the Graph tab");
    // 1: walk into a store path.
    t.keys(&["2"]);
    t.wait_for("libgreet-0.4.0");
    t.keys(&["Enter"]);
    t.wait_for("1. Derivations and store paths\" done");
    ticks(&t, 1);
    // 2: search and read a lib function's docs.
    t.keys(&["1", "/"]);
    type_text(&t, "lib:concatStringsSep");
    t.keys(&["Enter"]);
    t.wait_for("concatStringsSep :: string");
    ticks(&t, 2);
    // 3: an explanation of the dev shell.
    t.keys(&["4"]);
    for _ in 0..18 {
        t.keys(&["j"]);
    }
    t.wait_for("Development environments");
    ticks(&t, 3);
    // 4: the diff that adds a package.
    t.keys(&["1", "/"]);
    type_text(&t, "figlet");
    t.keys(&["Enter"]);
    t.wait_for("program      figlet");
    t.keys(&["a"]);
    t.wait_for("Add figlet to the default dev shell?");
    t.keys(&["n"]);
    ticks(&t, 4);
    // 5 and 6: the failed build's first error, then its explanation at the end of the log.
    t.keys(&["3"]);
    t.wait_for("dep failed");
    t.keys(&["E"]);
    t.wait_for("5. Build and read the log\" done");
    t.keys(&["G"]);
    t.wait_for("6. Read common errors\" done");
    ticks(&t, 6);
    t.keys(&["q"]);
    t.wait_for("$ ");

    // Progress is kept, and --reset forgets it.
    let state = t._home.path().join("state/nixbench/tour.json");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(
        saved["completed"],
        serde_json::json!([true, true, true, true, true, true])
    );
    let binary = env!("CARGO_BIN_EXE_nixbench");
    let home = t._home.path().display().to_string();
    t.keys(&[&format!("clear; HOME={home} XDG_CACHE_HOME={home}/cache XDG_STATE_HOME={home}/state {binary} tour --demo --reset"), "Enter"]);
    let screen = t.wait_for("Goal: in the Graph tab");
    assert_eq!(
        screen.lines().filter(|l| l.starts_with("│✓ ")).count(),
        0,
        "{screen}"
    );
    t.keys(&["q"]);
}

#[test]
fn evaluate_the_index_in_the_background_from_a_project() {
    if !crate::require("nix-env") {
        return;
    }
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("default.nix"), "{ }: { }\n").unwrap();
    let nix_path = format!(
        "NIX_PATH=nixpkgs={}",
        crate::fixture("nixpkgs-mini").display()
    );
    let Some(t) = Tmux::start_with(&nix_path, &format!("-C {}", project.path().display())) else {
        return;
    };
    t.wait_for("NIX_PATH");
    t.wait_for("pkg     broken-app");
    t.keys(&["E"]);
    t.wait_for("evaluated 15 packages");
    t.keys(&["q"]);
}

#[test]
fn compare_the_closure_with_a_saved_one() {
    let Some(t) = Tmux::start("") else { return };
    t.wait_for("pkg     broken-app");
    // The demo closure with hello bumped to 2.13.
    let recorded =
        std::fs::read_to_string(crate::fixture("golden/nix-2.8.0/path-info-greeter.json")).unwrap();
    let other = t._home.path().join("other.json");
    std::fs::write(&other, recorded.replace("hello-2.12.1", "hello-2.13")).unwrap();
    t.keys(&["2"]);
    t.wait_for("Referrers");
    t.keys(&["c"]);
    t.wait_for("Compare with");
    type_text(&t, &other.display().to_string());
    t.keys(&["Enter"]);
    let screen = t.wait_for("Comparison (Esc closes)");
    let screen = if screen.contains("hello") {
        screen
    } else {
        t.wait_for("2.12.1 -> 2.13")
    };
    assert!(screen.contains("~ hello"), "{screen}");
    t.keys(&["Escape"]);
    t.wait_for("References (2)");
    t.keys(&["q"]);
}

#[test]
fn init_wizard_writes_a_template_after_showing_it() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("default.nix"), "{ }: { }\n").unwrap();
    let nix_path = format!(
        "NIX_PATH=nixpkgs={}",
        crate::fixture("nixpkgs-mini").display()
    );
    let Some(t) = Tmux::start_with(&nix_path, &format!("-C {}", project.path().display())) else {
        return;
    };
    t.wait_for("pkg     broken-app");
    t.keys(&["4"]);
    t.wait_for("This project has no flake.nix yet.");
    t.keys(&["j", "Enter"]);
    t.wait_for("Create flake.nix from the rust template?");
    t.wait_for("+            cargo");
    assert!(
        !project.path().join("flake.nix").exists(),
        "nothing is written before the answer"
    );
    t.keys(&["y"]);
    t.wait_for("flake.nix · ");
    // The write is done off the loop: wait for the file itself.
    let path = project.path().join("flake.nix");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() && Instant::now() < deadline {
        sleep(Duration::from_millis(50));
    }
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written, nixbench::flake::templates::get("rust").unwrap());
    // d looks the construct on the cursor line up in the browser: line 9 defines forAllSystems.
    for _ in 0..8 {
        t.keys(&["j"]);
    }
    t.wait_for("forAllSystems");
    t.keys(&["d"]);
    t.wait_for("Search [all]");
    t.keys(&["q"]);
}

#[test]
fn quitting_does_not_wait_for_a_slow_nix() {
    // A stand-in for nix that answers --version and then hangs on anything else, as a real one
    // can while it retries an unreachable server.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("nix");
    let pids = dir.path().join("pids");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'nix (Nix) 2.8.0'; exit 0; fi\necho $$ >> {}\nexec sleep 60\n",
            pids.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join("flake.nix"), "{ outputs = { self }: { }; }\n").unwrap();
    let env = format!("NIXBENCH_NIX={}", fake.display());
    let Some(t) = Tmux::start_with(&env, &format!("-C {} ; echo exited-$?", project.display()))
    else {
        return;
    };
    t.wait_for("Nix 2.8.0");
    sleep(Duration::from_millis(500));
    t.keys(&["q"]);
    // Without the fix this waits for the stand-in's 60 seconds.
    let start = Instant::now();
    t.wait_for("exited-0");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "quit took {:?}",
        start.elapsed()
    );
    // And the slow nix did not outlive nixbench.
    let started: Vec<String> = std::fs::read_to_string(&pids)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    assert!(
        !started.is_empty(),
        "the stand-in nix was never asked to evaluate"
    );
    sleep(Duration::from_millis(300));
    for pid in started {
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| !stat.contains(") Z "));
        assert!(!alive, "nix process {pid} is still running after quit");
    }
}

#[test]
fn watching_two_logs_shows_one_and_s_switches_to_the_other() {
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden/nix-2.8.0");
    let args = format!(
        "watch --no-follow {} {}",
        golden
            .join("build-failure-keep-going.internal-json")
            .display(),
        golden.join("build-success.internal-json").display()
    );
    let Some(t) = Tmux::start_with("", &args) else {
        return;
    };
    t.wait_for("(1/2, s: next)");
    t.wait_for("broken-build");
    t.keys(&["s"]);
    t.wait_for("(2/2, s: next)");
    t.wait_for("greeter-1.0.0");
    let screen = t.screen();
    assert!(!screen.contains("broken-build"), "{screen}");
    // And back to the first.
    t.keys(&["s"]);
    t.wait_for("broken-build");
    t.keys(&["q"]);
}

#[test]
fn a_watched_log_that_cannot_be_read_says_so_in_its_view() {
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden/nix-2.8.0");
    let args = format!(
        "watch --no-follow {} /nonexistent/build.log",
        golden.join("build-success.internal-json").display()
    );
    let Some(t) = Tmux::start_with("", &args) else {
        return;
    };
    t.wait_for("greeter-1.0.0");
    t.keys(&["s"]);
    t.wait_for("cannot read the log");
    t.wait_for("No such file or directory");
    t.keys(&["q"]);
}

/// A project whose flake.lock pins a nixpkgs revision absent from the store: the Packages tab
/// names the input and revision, offers the fetch command, and builtins are still found with
/// their docs.
#[test]
fn a_missing_pinned_nixpkgs_is_named_in_the_packages_tab() {
    if !crate::require("nix") {
        return;
    }
    let project = crate::fixture("pinned-missing");
    let Some(t) = Tmux::start_with("NIX_PATH=", &format!("-C {}", project.display())) else {
        return;
    };
    t.wait_for("0123456789abcdef0123456789abcdef01234567");
    t.wait_for("press F to fetch it");
    t.wait_for("flake prefetch");
    t.keys(&["/"]);
    type_text(&t, "builtins.map");
    t.keys(&["Enter"]);
    // The docs of the installed Nix or the embedded ones: both carry this example.
    t.wait_for("builtins.map (x: x * 2)");
    t.keys(&["Escape", "q"]);
}
