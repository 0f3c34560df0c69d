//! Embeds the demo workspace (assets/demo, including the nixpkgs-mini tree it links to) into the
//! binary, so `nixbench --demo` works on a machine with nothing else.

use std::io::Write;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, base, out);
        } else if path.is_file() {
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push((rel, std::fs::canonicalize(&path).unwrap()));
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let demo = root.join("assets/demo");
    println!("cargo:rerun-if-changed=assets/demo");
    println!("cargo:rerun-if-changed=tests/fixtures/nixpkgs-mini");
    let mut files = Vec::new();
    collect(&demo, &demo, &mut files);
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("demo_files.rs");
    let mut f = std::fs::File::create(out).unwrap();
    writeln!(f, "pub static FILES: &[(&str, &[u8])] = &[").unwrap();
    for (rel, abs) in files {
        println!("cargo:rerun-if-changed={}", abs.display());
        writeln!(
            f,
            "    ({rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        )
        .unwrap();
    }
    writeln!(f, "];").unwrap();
}
