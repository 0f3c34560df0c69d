//! Background loaders started with a session: the package index, both closure graphs, flake.nix
//! (then watched for changes), the demo's recorded build and live build sources. Each reports to
//! the loop as messages.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::effects::{read_flake_msg, Context};
use crate::app::state::GraphData;
use crate::app::Msg;
use crate::build_log::source::{stream, Feed, Source};
use crate::build_log::{parse_line, LineSplitter};
use crate::workspace;

/// Starts the background loaders; each reports over the channel when done. The index, both graphs,
/// the first read of flake.nix and a demo replay count as pending jobs until they have reported.
pub fn start(ctx: &Context, build_sources: Vec<Source>) {
    let workspace = &ctx.workspace;
    let ws = workspace.clone();
    ctx.spawn_blocking(move |tx| {
        if let Some(missing) = &ws.nixpkgs.missing {
            // The pinned nixpkgs is not here: say so, and search what is.
            let fallback = workspace::load_fallback(&ws);
            let _ = tx.send(Msg::PinnedMissing(crate::app::state::PinnedMissing {
                headline: missing.headline(),
                fetch_command: missing.fetch_command(),
                sources: fallback.sources,
                fetching: None,
            }));
            let _ = tx.send(Msg::IndexLoaded(Ok(Arc::new(fallback.searchable))));
            return;
        }
        let result = workspace::load_searchable(&ws).map(Arc::new);
        let cached = result.as_ref().ok().cloned();
        let _ = tx.send(Msg::IndexLoaded(result));
        let Some(cached) = cached else {
            return;
        };
        // Searchable at once from the cache; then, in a git checkout, a look for uncommitted
        // edits (a stat of every package file, lib read again), and the index again if there
        // were some.
        if let Some((searchable, read)) = workspace::refresh_uncommitted(&ws, &cached) {
            let what = match read {
                0 => "lib".to_string(),
                1 => "1 package file".to_string(),
                n => format!("{n} package files"),
            };
            let text = format!(
                "nixpkgs index refreshed: {what} changed since it was built (uncommitted edits)"
            );
            let _ = tx.send(Msg::IndexLoaded(Ok(Arc::new(searchable))));
            let _ = tx.send(Msg::Notice {
                text,
                is_error: false,
            });
        }
    });
    for build_time in [false, true] {
        let ws = workspace.clone();
        ctx.spawn_blocking(move |tx| {
            let result = workspace::load_graph(&ws, build_time).map(|loaded| {
                let sizes = crate::graph::algo::sizes(&loaded.graph);
                GraphData {
                    graph: Arc::new(loaded.graph),
                    sizes: Arc::new(sizes),
                    source: loaded.source,
                }
            });
            let _ = tx.send(Msg::GraphLoaded { build_time, result });
        });
    }
    if let Some(path) = workspace.flake_nix() {
        let first = path.clone();
        ctx.spawn_blocking(move |tx| {
            let _ = tx.send(read_flake_msg(&first));
        });
        tokio::spawn(watch_flake(path, ctx.tx.clone()));
    }
    if build_sources.is_empty() {
        if let Some(log) = workspace::demo_build_log(workspace) {
            ctx.spawn(replay_log(log, ctx.tx.clone()));
        }
    }
    // With several sources, their notices (reconnecting, unreachable) say whose they are.
    let labels = Source::labels(&build_sources);
    let several = build_sources.len() > 1;
    for (index, (source, label)) in build_sources.into_iter().zip(labels).enumerate() {
        let prefix = if several {
            format!("[{label}] ")
        } else {
            String::new()
        };
        ctx.spawn(forward_build(index, prefix, source, ctx.tx.clone()));
    }
}

/// Runs build source number `index` and turns what it reports into messages for the loop; its
/// notices start with `prefix`.
async fn forward_build(index: usize, prefix: String, source: Source, tx: UnboundedSender<Msg>) {
    let (feed_tx, mut feed_rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(stream(source, feed_tx));
    let started = Instant::now();
    while let Some(feed) = feed_rx.recv().await {
        let now = started.elapsed().as_secs_f64();
        let msg = match feed {
            Feed::Events(events) => Msg::BuildEvents {
                source: index,
                events: events.into_iter().map(|e| (e, now)).collect(),
            },
            Feed::Status(text) => Msg::Notice {
                text: format!("{prefix}{text}"),
                is_error: false,
            },
            Feed::Error(text) => Msg::BuildSourceFailed {
                source: index,
                text: format!("{prefix}{text}"),
            },
            Feed::Stdout(bytes) => Msg::BuildStdout {
                source: index,
                bytes,
            },
            Feed::Ended { code } => Msg::BuildEnded {
                source: index,
                code,
                now,
            },
        };
        if tx.send(msg).is_err() {
            break;
        }
    }
    task.abort();
}

/// Reloads flake.nix (and flake.lock) whenever they change on disk, so an edit made elsewhere is
/// shown, never overwritten.
async fn watch_flake(path: PathBuf, tx: UnboundedSender<Msg>) {
    use notify::Watcher;
    let (wake_tx, mut wake_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let names = [
        std::ffi::OsString::from("flake.nix"),
        std::ffi::OsString::from("flake.lock"),
    ];
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Our own reads of the files are events too: only changes count.
        let ours = event
            .map(|e| {
                crate::fsutil::is_change(&e)
                    && e.paths
                        .iter()
                        .any(|p| p.file_name().is_some_and(|n| names.iter().any(|x| x == n)))
            })
            .unwrap_or(false);
        if ours {
            let _ = wake_tx.send(());
        }
    });
    let Ok(mut watcher) = watcher else { return };
    let Some(dir) = path.parent() else { return };
    if watcher
        .watch(dir, notify::RecursiveMode::NonRecursive)
        .is_err()
    {
        return;
    }
    while wake_rx.recv().await.is_some() {
        // Let a burst of events (write, rename) settle before reading.
        tokio::time::sleep(Duration::from_millis(50)).await;
        while wake_rx.try_recv().is_ok() {}
        if tx.send(read_flake_msg(&path)).is_err() {
            return;
        }
    }
}

/// Replays a recorded log at a watchable pace, as if the build were running now.
async fn replay_log(path: PathBuf, tx: UnboundedSender<Msg>) {
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return;
    };
    let mut lines = Vec::new();
    let mut splitter = LineSplitter::default();
    splitter.feed(&bytes, |line| lines.push(parse_line(line)));
    splitter.finish(|line| lines.push(parse_line(line)));
    let started = Instant::now();
    for chunk in lines.chunks(40) {
        let now = started.elapsed().as_secs_f64();
        let batch = chunk.iter().cloned().map(|event| (event, now)).collect();
        if tx
            .send(Msg::BuildEvents {
                source: 0,
                events: batch,
            })
            .is_err()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let _ = tx.send(Msg::BuildEnded {
        source: 0,
        code: Some(1),
        now: started.elapsed().as_secs_f64(),
    });
}
