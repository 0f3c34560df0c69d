//! Work spread over the cores on scoped threads. A worker's panic is a bug: it is passed on to the
//! caller, never turned into missing results.

/// How many workers to start: the cores available (`fallback` when that is unknown), at most `cap`.
pub fn workers(fallback: usize, cap: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(fallback, |n| n.get())
        .min(cap)
}

/// Runs `work(0)` .. `work(count - 1)` on threads of their own and returns the results in order.
pub fn run_each<T: Send>(count: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count).map(|i| scope.spawn(move || work(i))).collect();
        handles.into_iter().map(join).collect()
    })
}

/// Waits for a scoped thread, passing its panic on.
pub fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
