//! Tokio tasks with the async HTTP client: the note's asyncio + aiohttp.
//! A semaphore keeps at most `limit` transfers in flight (0 = unbounded, like
//! `asyncio.gather`). Each running task holds a numbered slot, the lowest
//! free one, so a timeline can draw one lane per slot.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use tokio::runtime::Runtime;
use tokio::sync::Semaphore;

use super::{Backend, Task};
use crate::engine::fetch;
use crate::engine::{EngineConfig, EngineError, Reporter};

pub(crate) struct TokioBackend {
    runtime: Option<Runtime>,
    client: reqwest::Client,
    permits: Option<Arc<Semaphore>>,
    slots: Arc<Slots>,
    reporter: Arc<Reporter>,
}

/// Lowest-free slot numbers; a new number only when all are taken.
#[derive(Default)]
struct Slots {
    free: Mutex<(BTreeSet<usize>, usize)>,
}

impl Slots {
    fn take(&self) -> usize {
        let mut guard = self.free.lock().unwrap_or_else(|p| p.into_inner());
        let (free, next) = &mut *guard;
        free.pop_first().unwrap_or_else(|| {
            *next += 1;
            *next - 1
        })
    }

    fn put(&self, slot: usize) {
        self.free.lock().unwrap_or_else(|p| p.into_inner()).0.insert(slot);
    }
}

impl TokioBackend {
    pub(crate) fn new(
        config: &EngineConfig,
        reporter: Arc<Reporter>,
        limit: usize,
    ) -> Result<Self, EngineError> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("fanout-async")
            .enable_all()
            .build()?;
        // The client must be built inside the runtime it will run on.
        let client = {
            let _guard = runtime.enter();
            fetch::async_client(config)?
        };
        Ok(TokioBackend {
            runtime: Some(runtime),
            client,
            permits: (limit > 0).then(|| Arc::new(Semaphore::new(limit))),
            slots: Arc::default(),
            reporter,
        })
    }
}

impl Backend for TokioBackend {
    fn submit(&self, task: Task) {
        let (client, permits, slots, reporter) = (
            self.client.clone(),
            self.permits.clone(),
            self.slots.clone(),
            self.reporter.clone(),
        );
        let Some(runtime) = &self.runtime else { return };
        runtime.spawn(async move {
            let _permit = match permits {
                Some(p) => match p.acquire_owned().await {
                    Ok(permit) => Some(permit),
                    Err(_) => return, // closed: the engine is going away
                },
                None => None,
            };
            let slot = slots.take();
            let worker = format!("task-{slot}");
            let started = reporter.started(task.index, &worker);
            let attempt = fetch::run_async(&client, &reporter, task.index, &task.url, &task.dir).await;
            reporter.finished(task.index, &task.raw_url, &worker, started, attempt);
            slots.put(slot);
        });
    }
}

impl Drop for TokioBackend {
    /// Never block the caller (possibly the UI thread) on running transfers.
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
