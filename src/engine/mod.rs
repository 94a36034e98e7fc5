//! Everything that downloads. No GUI type appears below this module: the GUI
//! and the CLI are two front ends that hand the engine a channel and a waker.
//!
//! Data flows one way: `Engine::submit` -> backend workers -> [`Event`]s on
//! the channel (plus a call of the waker) -> the listener, which may put
//! results through a [`fan_in::FanIn`] to release them in submission order.

pub mod backend;
pub mod fan_in;
pub mod fetch;
pub mod hash;
pub mod job;
pub mod limit;
pub mod naming;
mod queue;
mod segment;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use backend::Backend;
pub use fan_in::{FanIn, Order};
pub use job::{Event, FetchError, Job, Note, Saved, TaskResult, hex, parse_sha256};
pub use limit::parse_rate;
use limit::{Budget, RateLimit};
use queue::{Cancel, Pause, Queue, Settled, Task};

/// Called after events are sent, so a sleeping listener (an egui window) can
/// schedule a repaint. It must be cheap and must not block; the GUI coalesces.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Which way downloads are fanned out: the three versions of the note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// One worker thread, one download after another.
    Sequential,
    /// A pool of OS threads with blocking HTTP, each pulling the next task.
    Threads { workers: usize },
    /// Tokio tasks with async HTTP, at most `limit` in flight; 0 = unbounded.
    Async { limit: usize },
    /// An aria2 daemon over JSON-RPC ([`EngineConfig::aria2`]), at most
    /// `limit` downloads handed to it at once.
    Aria2 { limit: usize },
}

impl BackendKind {
    /// The note's `ThreadPoolExecutor(max_workers=20)`.
    pub const DEFAULT_THREADS: usize = 20;
    /// Enough to keep a typical album in flight at once.
    pub const DEFAULT_ASYNC_LIMIT: usize = 64;
    /// aria2's own default for `max-concurrent-downloads` is 5; more handed
    /// over at once would wait in its queue.
    pub const DEFAULT_ARIA2_LIMIT: usize = 5;

    /// The most downloads this backend runs at once; `None` is unbounded.
    pub fn limit(&self) -> Option<usize> {
        match *self {
            BackendKind::Sequential => Some(1),
            BackendKind::Threads { workers } => Some(workers),
            BackendKind::Async { limit: 0 } => None,
            BackendKind::Async { limit } | BackendKind::Aria2 { limit } => Some(limit),
        }
    }
}

/// How the engine talks HTTP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    pub backend: BackendKind,
    /// Give up on a connection attempt after this long.
    pub connect_timeout: Duration,
    /// Give up on an attempt when no byte arrived for this long (a stall
    /// watchdog, not a limit on the whole transfer: a 10 GB file may take
    /// hours). The attempt is then retried.
    pub read_timeout: Duration,
    /// Attempts after the first for a lost connection, a stall, a short
    /// body or a 5xx; each continues from the bytes already on disk when
    /// the server supports ranges.
    pub retries: usize,
    /// The first pause before a retry; it doubles (with jitter) up to 30 s.
    pub retry_delay: Duration,
    pub user_agent: String,
    /// Connections for one file when the server takes ranges and the file
    /// is at least `segment_threshold` bytes (1 = never split). Each one
    /// counts against the backend's worker limit.
    pub segments: usize,
    pub segment_threshold: u64,
    /// Where the aria2 backend sends its downloads.
    pub aria2: Option<Aria2Remote>,
}

/// An aria2 daemon: its JSON-RPC address and secret token. The secret is
/// never printed (`Debug` shows `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct Aria2Remote {
    /// `http://HOST:6800/jsonrpc` (or https).
    pub url: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for Aria2Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aria2Remote")
            .field("url", &self.url)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

impl EngineConfig {
    /// At most this many connections for one file.
    pub const MAX_SEGMENTS: usize = 32;
    pub const DEFAULT_SEGMENTS: usize = 8;
    pub const DEFAULT_SEGMENT_THRESHOLD: u64 = 16 * 1024 * 1024;

    pub fn new(backend: BackendKind) -> Self {
        EngineConfig {
            backend,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(30),
            retries: 5,
            retry_delay: Duration::from_secs(1),
            user_agent: concat!("fanout/", env!("CARGO_PKG_VERSION")).to_string(),
            segments: Self::DEFAULT_SEGMENTS,
            segment_threshold: Self::DEFAULT_SEGMENT_THRESHOLD,
            aria2: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("invalid engine settings: {0}")]
    Config(String),
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
    #[error("cannot start workers: {0}")]
    Spawn(#[from] std::io::Error),
    #[error("{0}")]
    Remote(String),
}

/// What every worker needs to report: the listener, the clock, the rank
/// counter. Shared by all backends so they report identically.
pub(crate) struct Reporter {
    events: Sender<Event>,
    waker: Waker,
    epoch: Instant,
    ranks: AtomicUsize,
    pub(crate) stopping: AtomicBool,
    pub(crate) queue: Queue,
    /// The global speed limit, over every transfer of every backend.
    pub(crate) limit: RateLimit,
}

/// A backend's connection budget, with the queue whose workers wait for it.
#[derive(Clone)]
pub(crate) struct Room {
    pub(crate) reporter: Arc<Reporter>,
    pub(crate) budget: Arc<Budget>,
}

impl Room {
    pub(crate) fn new(reporter: Arc<Reporter>, limit: Option<usize>) -> Self {
        Room {
            reporter,
            budget: Arc::new(Budget::new(limit)),
        }
    }

    /// The next task, with its first connection: see [`Queue::pop`].
    pub(crate) fn pop(&self, generation: u64) -> Option<(Task, Permit)> {
        let task = self.reporter.queue.pop(generation, &self.budget)?;
        Some((task, Permit(self.clone())))
    }

    /// One more connection for a task that already runs, if one is free.
    pub(crate) fn try_permit(&self) -> Option<Permit> {
        self.budget.try_take().then(|| Permit(self.clone()))
    }
}

/// One connection of a backend's budget, given back on drop.
pub(crate) struct Permit(Room);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.reporter.queue.release(&self.0.budget);
    }
}

impl Reporter {
    pub(crate) fn emit(&self, event: Event) {
        // A listener that went away is not an error for the workers.
        let _ = self.events.send(event);
        (self.waker)();
    }

    pub(crate) fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    pub(crate) fn started(&self, index: usize, worker: &str) -> Duration {
        let at = self.now();
        self.emit(Event::Started {
            index,
            worker: worker.to_string(),
            at,
        });
        at
    }

    /// A worker's transfer returned: report it as finished, or as paused if
    /// the user paused it.
    pub(crate) fn settle(
        &self,
        mut task: Task,
        worker: &str,
        started: Duration,
        mut attempt: fetch::Attempt,
    ) {
        let (index, url) = (task.index, task.raw_url.clone());
        let halted = matches!(attempt.outcome, Err(FetchError::Cancelled));
        // The bytes of a paused transfer wait with the task for its resume
        // (an engine going away pauses its transfers, so the next run can
        // continue them). A task that failed for good drops them.
        let paused = task.ctl.paused() || self.stopping.load(Ordering::SeqCst);
        if halted && paused {
            task.resume = attempt.resume.take();
        } else if let Some(r) = attempt.resume.take() {
            r.discard();
        }
        let ok = attempt.outcome.is_ok();
        self.queue.settle(task, ok, halted, |settled| match settled {
            Settled::Finished => self.finished(index, &url, worker, started, attempt),
            Settled::Paused => self.emit(Event::Paused {
                index,
                at: self.now(),
            }),
            Settled::Requeued => self.emit(Event::Queued {
                index,
                at: self.now(),
            }),
        });
    }

    /// Assigns the completion rank and sends the result.
    pub(crate) fn finished(
        &self,
        index: usize,
        url: &str,
        worker: &str,
        started: Duration,
        attempt: fetch::Attempt,
    ) {
        let finished = self.now();
        let rank = self.ranks.fetch_add(1, Ordering::SeqCst) + 1;
        match &attempt.outcome {
            Ok(saved) => tracing::debug!(index, rank, worker, path = %saved.path.display(), "saved"),
            Err(e) => tracing::debug!(index, rank, worker, url, error = %e, "failed"),
        }
        self.emit(Event::Finished(TaskResult {
            index,
            url: url.to_string(),
            outcome: attempt.outcome,
            http_status: attempt.http_status,
            bytes: attempt.bytes,
            rank,
            worker: worker.to_string(),
            started,
            finished,
        }));
    }
}

/// Checks that an aria2 daemon answers and takes the secret; its version.
pub fn probe_aria2(remote: &Aria2Remote, config: &EngineConfig) -> Result<String, EngineError> {
    backend::probe_aria2(remote, config)
}

/// The handle the front ends hold. Every call returns at once; everything
/// else arrives as [`Event`]s on the channel given to [`Engine::new`].
pub struct Engine {
    reporter: Arc<Reporter>,
    config: EngineConfig,
    backend: Box<dyn Backend>,
    /// Replaced backends whose workers still finish a transfer.
    retired: Mutex<Vec<Box<dyn Backend>>>,
    next_index: AtomicUsize,
}

impl Engine {
    pub fn new(config: EngineConfig, events: Sender<Event>, waker: Waker) -> Result<Self, EngineError> {
        let reporter = Arc::new(Reporter {
            events,
            waker,
            epoch: Instant::now(),
            ranks: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
            queue: Queue::default(),
            limit: RateLimit::default(),
        });
        let backend = backend::build(&config, reporter.clone(), reporter.queue.generation())?;
        Ok(Engine {
            reporter,
            config,
            backend,
            retired: Mutex::new(Vec::new()),
            next_index: AtomicUsize::new(0),
        })
    }

    /// Time since the engine started: the clock of its events' `at`.
    pub fn elapsed(&self) -> Duration {
        self.reporter.now()
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Switches to another backend or other settings. Tasks that have not
    /// started go to the new workers; running ones finish where they are.
    /// On an error the old settings stay in force.
    pub fn reconfigure(&mut self, config: EngineConfig) -> Result<(), EngineError> {
        if config == self.config {
            return Ok(());
        }
        // Build first, so a refused setting changes nothing; the new workers
        // wait on a generation that starts only below.
        let next = self.reporter.queue.generation() + 1;
        let backend = backend::build(&config, self.reporter.clone(), next)?;
        let generation = self.reporter.queue.next_generation();
        debug_assert_eq!(generation, next);
        let old = std::mem::replace(&mut self.backend, backend);
        let mut retired = self.retired.lock().unwrap_or_else(|p| p.into_inner());
        retired.retain(|b| b.busy());
        retired.push(old);
        self.config = config;
        Ok(())
    }

    /// Whether a replaced backend still runs a transfer (the GUI says so).
    pub fn running_on_old_backends(&self) -> bool {
        let mut retired = self.retired.lock().unwrap_or_else(|p| p.into_inner());
        retired.retain(|b| b.busy());
        !retired.is_empty()
    }

    /// Queues a download and returns its submission index. A URL that is not
    /// http(s) fails its task right here, with a reason, without a worker.
    pub fn submit(&self, job: Job) -> usize {
        let index = self.next_index.fetch_add(1, Ordering::SeqCst);
        match fetch::parse_url(&job.url) {
            Ok(url) => self.reporter.queue.push(Task::new(index, url, job)),
            Err(e) => self.reject(index, &job.url, e),
        }
        index
    }

    /// Takes back a task from a saved queue without running it, at the next
    /// index (as `submit` would give): `paused` ones wait for
    /// [`Engine::resume`], the others (finished before) can be retried. No
    /// events are sent: the caller knows what it restored.
    pub fn restore(&self, job: Job, paused: bool) -> usize {
        let index = self.next_index.fetch_add(1, Ordering::SeqCst);
        if let Ok(url) = fetch::parse_url(&job.url) {
            self.reporter.queue.restore(Task::new(index, url, job), paused);
        }
        index
    }

    /// Completion ranks continue after `rank` (the last one of a restored
    /// queue), so `Done #` never repeats.
    pub fn continue_ranks_after(&self, rank: usize) {
        self.reporter.ranks.fetch_max(rank, Ordering::SeqCst);
    }

    fn reject(&self, index: usize, url: &str, e: FetchError) {
        let now = self.reporter.now();
        self.reporter
            .finished(index, url, "-", now, fetch::Attempt::failed(None, 0, e));
    }

    /// While paused, no task starts; running ones go on.
    pub fn set_paused(&self, paused: bool) {
        self.reporter.queue.set_paused(paused);
    }

    /// Pauses a queued or running task. A running one stops at its next
    /// chunk, removes its `.part` and reports [`Event::Paused`]; on resume it
    /// starts over (resuming from the `.part` is a later milestone).
    pub fn pause(&self, index: usize) -> bool {
        let paused = || {
            let at = self.reporter.now();
            self.reporter.emit(Event::Paused { index, at })
        };
        match self.reporter.queue.pause(index, paused) {
            Pause::Held => true,
            Pause::Stopping => true,
            Pause::No => false,
        }
    }

    /// Queues a paused task again, in its submission place.
    pub fn resume(&self, index: usize) -> bool {
        // A running task whose pause it had not seen yet just goes on; a
        // held one is reported queued before a worker can pick it up.
        let queued = || {
            let at = self.reporter.now();
            self.reporter.emit(Event::Queued { index, at })
        };
        self.reporter.queue.resume(index, queued)
    }

    /// Cancels a queued, paused or running task; it ends as
    /// [`FetchError::Cancelled`] and leaves no `.part`.
    pub fn cancel(&self, index: usize) -> bool {
        match self.reporter.queue.cancel(index) {
            Cancel::NotStarted(url) => {
                self.reject(index, &url, FetchError::Cancelled);
                true
            }
            Cancel::Stopping => true,
            Cancel::No => false,
        }
    }

    /// Queues a task that failed or was cancelled once more. Its new result
    /// gets a new completion rank.
    pub fn retry(&self, index: usize) -> bool {
        let queued = || {
            let at = self.reporter.now();
            self.reporter.emit(Event::Queued { index, at })
        };
        self.reporter.queue.retry(index, queued)
    }

    /// Tasks waiting to start, paused, and running.
    pub fn counts(&self) -> (usize, usize, usize) {
        self.reporter.queue.counts()
    }

    /// Connections open now, over the current backend and any replaced one
    /// still finishing: a segmented download counts each of its own.
    pub fn connections(&self) -> usize {
        let retired = self.retired.lock().unwrap_or_else(|p| p.into_inner());
        self.backend.connections() + retired.iter().map(|b| b.connections()).sum::<usize>()
    }

    /// The speed limit over all downloads, in bytes per second; `None`
    /// lifts it. Running transfers follow it from their next chunk.
    pub fn set_rate_limit(&self, rate: Option<u64>) {
        self.reporter.limit.set(rate);
    }

    pub fn rate_limit(&self) -> Option<u64> {
        self.reporter.limit.get()
    }

    /// A speed limit for one task (besides the global one), also while it
    /// runs. False if there is no such task.
    pub fn set_task_rate_limit(&self, index: usize, rate: Option<u64>) -> bool {
        match self.reporter.queue.ctl(index) {
            Some(ctl) => {
                ctl.limit.set(rate);
                true
            }
            None => false,
        }
    }
}

impl Drop for Engine {
    /// Running transfers stop at their next chunk and remove their `.part`;
    /// queued ones are dropped. Nothing here waits on the network.
    fn drop(&mut self) {
        self.reporter.stopping.store(true, Ordering::SeqCst);
        self.reporter.queue.close();
    }
}
