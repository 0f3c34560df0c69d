//! Where the static index spends its time on a tree: reading, tokenizing, the fast reader and the
//! full parse, single-threaded, over every pkgs/by-name package file.
//! Usage: cargo run --release --example index_probe -- NIXPKGS
use std::time::{Duration, Instant};

fn main() {
    let root =
        std::path::PathBuf::from(std::env::args().nth(1).expect("usage: index_probe NIXPKGS"));
    let mut files = Vec::new();
    let t = Instant::now();
    for shard in std::fs::read_dir(root.join("pkgs/by-name"))
        .unwrap()
        .flatten()
    {
        for pkg in std::fs::read_dir(shard.path()).unwrap().flatten() {
            files.push(pkg.path().join("package.nix"));
        }
    }
    let walk = t.elapsed();
    for threads in [1, 2, 4] {
        println!(
            "read with {threads} threads: {:.0} ms",
            parallel_read(&files, threads).as_secs_f64() * 1000.0
        );
    }
    let t = Instant::now();
    let texts: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect();
    let read = t.elapsed();
    let bytes: usize = texts.iter().map(String::len).sum();
    let t = Instant::now();
    let mut tokens = 0usize;
    for text in &texts {
        tokens += rnix::tokenize(text).count();
    }
    let tokenize = t.elapsed();
    let t = Instant::now();
    let mut fallbacks = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        if nixbench::nixpkgs::fast_package::extract(text).is_none() {
            fallbacks.push(i);
        }
    }
    let fast = t.elapsed();
    let t = Instant::now();
    for text in &texts {
        let _ = rnix::Root::parse(text);
    }
    let full = t.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} files, {:.1} MB, {} tokens: walk {:.0} ms, read {:.0} ms, tokenize {:.0} ms, fast reader {:.0} ms, full parse {:.0} ms; fast reader declined {} files",
        texts.len(), bytes as f64 / 1e6, tokens, ms(walk), ms(read), ms(tokenize), ms(fast), ms(full), fallbacks.len()
    );
    for &i in fallbacks.iter().take(3) {
        println!("--- declined: {}\n{}", files[i].display(), texts[i]);
    }
}

/// Reads every file with `threads` threads: how far reading alone scales on this machine.
fn parallel_read(files: &[std::path::PathBuf], threads: usize) -> Duration {
    let t = Instant::now();
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|s| {
        for part in files.chunks(chunk) {
            s.spawn(move || {
                let mut n = 0;
                for f in part {
                    n += std::fs::read(f).map(|b| b.len()).unwrap_or(0);
                }
                n
            });
        }
    });
    t.elapsed()
}
