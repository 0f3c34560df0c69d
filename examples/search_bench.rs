//! In-process search benchmarks over a cached index: per-keystroke latency (typing queries one
//! character at a time, as the TUI searches) and nucleo-matcher vs fuzzy-matcher scoring the same
//! names. Usage: `search_bench CACHE_FILE`. Run by scripts/bench.

use std::time::Instant;

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;
use nixbench::nixpkgs::search::{Query, Scope};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: search_bench CACHE_FILE");
    let searchable =
        nixbench::nixpkgs::cache::open(std::path::Path::new(&path)).expect("a cache file");
    println!("entries: {}", searchable.len());

    // Per keystroke: every prefix of each query is one search, like typing in the Packages tab.
    let only = std::env::var("SEARCH_BENCH_ONLY").ok();
    let all = [
        "ripgrep",
        "python requests",
        "concatStrSep",
        "mapAttrs",
        "kalo",
        "lib:fold",
        "fast json parser",
        "zz",
    ];
    let queries: Vec<&str> = match &only {
        Some(text) => vec![text.as_str(); 20],
        None => all.to_vec(),
    };
    let mut times = Vec::new();
    for query in queries {
        for end in 1..=query.len() {
            let text = &query[..end];
            let started = Instant::now();
            let results = searchable
                .search(&Query::parse(text, Scope::All), 500, &|| false)
                .unwrap();
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            times.push(ms);
            if std::env::var_os("SEARCH_BENCH_EACH").is_some() {
                println!("  {text:?}: {ms:.2} ms, {} matched", results.matched);
            }
            std::hint::black_box(results);
        }
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "per keystroke ({} searches): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal: p99 <= 10 ms)",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().unwrap()
    );

    // Matchers head to head: fuzzy-score every name for a few needles.
    let names: Vec<String> = (0..searchable.len())
        .map(|i| searchable.entry_at(i).name.to_lowercase())
        .collect();
    let needles = ["rg", "kalo", "concatstrsep", "pyreq"];
    let started = Instant::now();
    let mut nucleo = nucleo_matcher::Matcher::new(nucleo_matcher::Config::DEFAULT);
    let (mut buf, mut nbuf) = (Vec::new(), Vec::new());
    let mut nucleo_hits = 0;
    for needle in needles {
        let n = nucleo_matcher::Utf32Str::new(needle, &mut nbuf);
        for name in &names {
            if nucleo
                .fuzzy_match(nucleo_matcher::Utf32Str::new(name, &mut buf), n)
                .is_some()
            {
                nucleo_hits += 1;
            }
        }
    }
    let nucleo_time = started.elapsed().as_secs_f64() * 1000.0;
    let skim = SkimMatcherV2::default();
    let started = Instant::now();
    let mut skim_hits = 0;
    for needle in needles {
        for name in &names {
            if skim.fuzzy_match(name, needle).is_some() {
                skim_hits += 1;
            }
        }
    }
    let skim_time = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "fuzzy scoring of {} names x {} needles: nucleo-matcher {:.1} ms ({} matches), fuzzy-matcher {:.1} ms ({} matches): nucleo {:.1}x faster",
        names.len(),
        needles.len(),
        nucleo_time,
        nucleo_hits,
        skim_time,
        skim_hits,
        skim_time / nucleo_time
    );
    std::mem::forget(searchable);
}
