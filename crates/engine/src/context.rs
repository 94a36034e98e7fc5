//! What every backend's workers share: the listener and its clock
//! ([`WorkerContext`]), the engine's one queue, the global speed limit, the
//! cookie jar, and a
//! backend's connection budget ([`ConnectionBudget`], [`ConnectionPermit`]).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use super::cookies::Cookies;
use super::event_loop;
use super::job::{Event, TaskResult, Worker};
use super::limit::{ConnectionCount, RateLimit};
use super::queue::{Queue, Task};
use super::swarm::Swarm;
use crate::sync;

/// Called after events are sent (once for a batch), so a sleeping listener
/// (an egui window) can schedule a repaint. It must be cheap and must not
/// block; the GUI coalesces.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Events on their way to the listener, in the order they were emitted.
///
/// On the I/O loop, events wait until the loop has run every task that was
/// ready (a flush task spawned behind them), then go out together with one
/// wake: 64 transfers finishing in one turn of the loop wake a window or
/// the CLI once, not 192 times. From any other thread (a worker of the
/// threads engine, the window's own calls) an event goes out at once, with
/// everything waiting before it.
struct Outbox {
    waiting: Mutex<Vec<Event>>,
    events: Sender<Event>,
    waker: Waker,
}

impl Outbox {
    fn push(self: &Arc<Self>, event: Event) {
        let mut waiting = sync::lock(&self.waiting);
        waiting.push(event);
        let on_loop = event_loop::on_loop()
            .then(tokio::runtime::Handle::try_current)
            .and_then(Result::ok);
        match on_loop {
            None => self.send(waiting),
            Some(handle) if waiting.len() == 1 => {
                let outbox = self.clone();
                handle.spawn(async move { outbox.flush() });
            }
            // A flush is already on its way.
            Some(_) => {}
        }
    }

    fn flush(&self) {
        self.send(sync::lock(&self.waiting));
    }

    fn send(&self, mut waiting: MutexGuard<'_, Vec<Event>>) {
        if waiting.is_empty() {
            return;
        }
        for event in waiting.drain(..) {
            // A listener that went away is not an error for the workers.
            let _ = self.events.send(event);
        }
        drop(waiting);
        (self.waker)();
    }
}

/// What every worker needs to report: the listener, the clock, the rank
/// counter. Shared by all backends so they report identically.
pub(crate) struct WorkerContext {
    outbox: Arc<Outbox>,
    epoch: Instant,
    ranks: AtomicUsize,
    pub(crate) stopping: AtomicBool,
    pub(crate) queue: Queue,
    /// The global speed limit, over every transfer of every backend.
    pub(crate) limit: RateLimit,
    /// The cookie jar every backend's client asks.
    pub(crate) cookies: Arc<Cookies>,
    /// The BitTorrent session, started by the first torrent.
    pub(crate) swarm: Swarm,
}

impl WorkerContext {
    pub(crate) fn new(events: Sender<Event>, waker: Waker) -> Self {
        WorkerContext {
            outbox: Arc::new(Outbox {
                waiting: Mutex::default(),
                events,
                waker,
            }),
            epoch: Instant::now(),
            ranks: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
            queue: Queue::default(),
            limit: RateLimit::default(),
            cookies: Arc::default(),
            swarm: Swarm::default(),
        }
    }

    pub(crate) fn emit(&self, event: Event) {
        self.outbox.push(event);
    }

    /// Time since the engine started: the clock of every event's `at`.
    pub(crate) fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    /// The engine is closing: transfers stop at their next chunk.
    pub(crate) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    pub(crate) fn started(&self, index: usize, worker: Worker) -> Duration {
        let at = self.now();
        self.emit(Event::Started { index, worker, at });
        at
    }

    /// Completion ranks continue after `rank`.
    pub(crate) fn continue_ranks_after(&self, rank: usize) {
        self.ranks.fetch_max(rank, Ordering::SeqCst);
    }

    /// Sends a task's result, with the next completion rank and the time
    /// it ended (`rank` and `finished` of `result` are set here).
    pub(crate) fn finished(&self, mut result: TaskResult) {
        result.finished = self.now();
        result.rank = self.ranks.fetch_add(1, Ordering::SeqCst) + 1;
        let (index, rank, worker) = (result.index, result.rank, result.worker);
        match &result.outcome {
            Ok(saved) => {
                tracing::debug!(index, rank, %worker, path = %saved.path.display(), "saved")
            }
            Err(e) => tracing::debug!(index, rank, %worker, url = result.url, error = %e, "failed"),
        }
        self.emit(Event::Finished(result));
    }
}

/// A backend's connection budget, with the queue whose workers wait for it.
#[derive(Clone)]
pub(crate) struct ConnectionBudget {
    pub(crate) context: Arc<WorkerContext>,
    pub(crate) count: Arc<ConnectionCount>,
}

impl ConnectionBudget {
    pub(crate) fn new(context: Arc<WorkerContext>, limit: Option<usize>) -> Self {
        ConnectionBudget {
            context,
            count: Arc::new(ConnectionCount::new(limit)),
        }
    }

    /// The next task, with its first connection: see [`Queue::pop`].
    pub(crate) fn pop(&self, generation: u64) -> Option<(Task, ConnectionPermit)> {
        let task = self.context.queue.pop(generation, &self.count)?;
        Some((task, ConnectionPermit(self.clone())))
    }

    /// [`ConnectionBudget::pop`] for a dispatcher on the I/O loop.
    pub(crate) async fn next(&self, generation: u64) -> Option<(Task, ConnectionPermit)> {
        let task = self.context.queue.next(generation, &self.count).await?;
        Some((task, ConnectionPermit(self.clone())))
    }

    /// One more connection for a task that already runs, if one is free.
    pub(crate) fn try_permit(&self) -> Option<ConnectionPermit> {
        self.count.try_take().then(|| ConnectionPermit(self.clone()))
    }
}

/// One connection of a backend's budget, given back on drop.
pub(crate) struct ConnectionPermit(ConnectionBudget);

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        self.0.context.queue.release(&self.0.count);
    }
}
