//! Times the stages of opening a cached index: `cache_probe FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: cache_probe FILE");
    let t = std::time::Instant::now();
    let bytes = std::fs::read(&path).expect("readable");
    let read = t.elapsed();
    let t = std::time::Instant::now();
    let searchable = nixbench::nixpkgs::cache::open_bytes(bytes).expect("a cache");
    let open = t.elapsed();
    eprintln!("read {read:?}, open {open:?}, {} entries", searchable.len());
    std::mem::forget(searchable);
}
