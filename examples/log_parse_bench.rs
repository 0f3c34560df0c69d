//! Times nixbench's build-log parse against a generic JSON parse of the same file, in one process:
//! `log_parse_bench LOG [RUNS]`. nixbench's side is what `watch` does with each line (split, parse
//! into typed events, apply to the build state, finish, summarise); the other side parses every
//! `@nix` line into a `serde_json::Value` and nothing else. Runs alternate; medians are compared.

use std::time::{Duration, Instant};

fn nixbench_parse(bytes: &[u8]) -> usize {
    let mut state = nixbench::build_log::BuildState::new(5000);
    let mut splitter = nixbench::build_log::LineSplitter::default();
    splitter.feed(bytes, |line| {
        state.apply(nixbench::build_log::parse_line(line), 0.0);
    });
    splitter.finish(|line| {
        state.apply(nixbench::build_log::parse_line(line), 0.0);
    });
    state.finish(0.0);
    state.summary().derivations.len()
}

fn value_parse(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let mut parsed = 0;
    for line in text.lines() {
        if let Some(json) = line.strip_prefix("@nix ") {
            if serde_json::from_str::<serde_json::Value>(json).is_ok() {
                parsed += 1;
            }
        }
    }
    parsed
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: log_parse_bench LOG [RUNS]");
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let bytes = std::fs::read(&path).expect("a readable log");
    let lines = bytecount(&bytes);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    // One warm-up of each, then alternate so both see the same machine load.
    std::hint::black_box(nixbench_parse(&bytes));
    std::hint::black_box(value_parse(&bytes));
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(nixbench_parse(&bytes));
        ours.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(value_parse(&bytes));
        theirs.push(t.elapsed());
    }
    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "{lines} lines, {:.1} MB: nixbench parse {:.0} ms, serde_json::Value parse {:.0} ms, ratio {:.2}x (nixbench / Value; <= 1.0 required, 0.5 goal)",
        bytes.len() as f64 / 1e6,
        ours.as_secs_f64() * 1000.0,
        theirs.as_secs_f64() * 1000.0,
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
}

fn bytecount(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}
