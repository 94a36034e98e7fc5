//! The Python note's experiment, on the user's own list: the same URLs once under
//! each local engine, one after the other, each into a folder of its own.
//! What it reports is what the Python note prints ("Total use N seconds") plus the
//! peak in flight, the throughput and the order tasks completed in.
//!
//! No egui here: the window runs this on a helper thread, tests run it
//! against the loopback server.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::engine::{BackendKind, Engine, EngineConfig, Event, Job};
use crate::service::timeline::Timeline;

/// How long a stopped comparison waits for its transfers to wind down.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// One engine's run over the list.
#[derive(Clone, Debug)]
pub struct Run {
    pub backend: BackendKind,
    /// From the first submit to the last result, as a user waits for it.
    pub total: Duration,
    /// The most downloads at once.
    pub peak: usize,
    pub bytes: u64,
    pub ok: usize,
    pub failed: usize,
    /// Task indices (0-based, as listed) in the order they finished.
    pub order: Vec<usize>,
    pub timeline: Timeline,
}

impl Run {
    /// Bytes per second over the total.
    pub fn throughput(&self) -> f64 {
        self.bytes as f64 / self.total.as_secs_f64().max(1e-9)
    }
}

/// What a comparison in progress reports.
#[derive(Clone, Debug)]
pub enum Update {
    /// The `n`th engine (0-based) starts.
    Starting {
        n: usize,
        backend: BackendKind,
    },
    /// Tasks of the current engine that ended so far.
    Progress {
        n: usize,
        ended: usize,
        of: usize,
    },
    Ran(Run),
}

/// Why a comparison stopped early.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CompareError {
    #[error("the list is empty")]
    Empty,
    #[error("stopped")]
    Stopped,
    #[error("cannot make the folder {0}: {1}")]
    Folder(String, String),
    #[error("the engine did not start: {0}")]
    Engine(String),
}

/// The three local engines with the user's worker limits, as in settings.
pub fn engines(threads: usize, async_limit: usize) -> [BackendKind; 3] {
    [
        BackendKind::Sequential,
        BackendKind::Threads {
            workers: threads.max(1),
        },
        BackendKind::Async { limit: async_limit },
    ]
}

/// The folder the `n`th engine saves into.
pub fn folder(scratch: &Path, n: usize, backend: BackendKind) -> PathBuf {
    let name = match backend {
        BackendKind::Sequential => "sequential",
        BackendKind::Threads { .. } => "threads",
        BackendKind::Async { .. } => "async",
        BackendKind::Aria2 { .. } => "aria2",
    };
    scratch.join(format!("{}-{name}", n + 1))
}

/// Runs `urls` under each of `backends` in turn, with `base`'s timeouts,
/// retries and connections per file, saving into `folder(scratch, …)`.
/// `rate_limit` is the user's global speed limit, kept so a comparison does
/// not take more bandwidth than they allowed. `stop` ends it between
/// events: the running engine's tasks are cancelled, and it returns once
/// their transfers have stopped (at most [`STOP_WAIT`] later), so nothing
/// writes into `scratch` after it.
pub fn run(
    urls: &[String],
    backends: &[BackendKind],
    base: &EngineConfig,
    rate_limit: Option<u64>,
    scratch: &Path,
    stop: &AtomicBool,
    mut report: impl FnMut(Update),
) -> Result<Vec<Run>, CompareError> {
    if urls.is_empty() {
        return Err(CompareError::Empty);
    }
    let mut runs = Vec::new();
    for (n, &backend) in backends.iter().enumerate() {
        report(Update::Starting { n, backend });
        let dir = folder(scratch, n, backend);
        std::fs::create_dir_all(&dir)
            .map_err(|e| CompareError::Folder(dir.display().to_string(), e.to_string()))?;
        let config = EngineConfig {
            backend,
            aria2: None,
            ..base.clone()
        };
        let (tx, events) = crossbeam_channel::unbounded();
        let engine =
            Engine::new(config, tx, Arc::new(|| {})).map_err(|e| CompareError::Engine(e.to_string()))?;
        engine.set_rate_limit(rate_limit);
        let begun = Instant::now();
        let tasks: Vec<usize> = urls
            .iter()
            .map(|u| engine.submit(Job::new(u.clone(), &dir)))
            .collect();
        let mut timeline = Timeline::new();
        let (mut ok, mut failed) = (0, 0);
        while ok + failed < urls.len() {
            if stop.load(Ordering::SeqCst) {
                // Cancelled transfers remove their `.part`; wait (a while)
                // for them, so the caller can remove the folder for good.
                for &i in &tasks {
                    engine.cancel(i);
                }
                let deadline = Instant::now() + STOP_WAIT;
                while engine.counts().2 > 0 && Instant::now() < deadline {
                    let _ = events.recv_timeout(Duration::from_millis(20));
                }
                return Err(CompareError::Stopped);
            }
            let Ok(event) = events.recv_timeout(Duration::from_millis(100)) else {
                continue;
            };
            timeline.record(&event);
            if let Event::Finished(r) = &event {
                if r.is_ok() {
                    ok += 1;
                } else {
                    failed += 1;
                }
                report(Update::Progress {
                    n,
                    ended: ok + failed,
                    of: urls.len(),
                });
            }
        }
        let total = begun.elapsed();
        drop(engine);
        let run = Run {
            backend,
            total,
            peak: timeline.peak_in_flight(),
            bytes: timeline.bytes(),
            ok,
            failed,
            order: timeline.completion_order(),
            timeline,
        };
        report(Update::Ran(run.clone()));
        runs.push(run);
    }
    Ok(runs)
}

/// The comparison as CSV: one line per engine.
pub fn csv(runs: &[Run]) -> String {
    let mut out = String::from(
        "engine,workers,total_s,peak_in_flight,bytes,throughput_mb_s,ok,failed,completion_order\n",
    );
    for r in runs {
        let (name, workers) = match r.backend {
            BackendKind::Sequential => ("sequential", 1),
            BackendKind::Threads { workers } => ("threads", workers),
            BackendKind::Async { limit } => ("async", limit),
            BackendKind::Aria2 { limit } => ("aria2", limit),
        };
        let order: Vec<String> = r.order.iter().map(ToString::to_string).collect();
        out.push_str(&format!(
            "{name},{workers},{:.3},{},{},{:.3},{},{},{}\n",
            r.total.as_secs_f64(),
            r.peak,
            r.bytes,
            r.throughput() / 1e6,
            r.ok,
            r.failed,
            order.join(" ")
        ));
    }
    out
}
