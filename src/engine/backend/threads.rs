//! A pool of OS threads with the blocking HTTP client: the note's
//! `ThreadPoolExecutor`. Each thread pulls the next queued task, so never more
//! than `workers` transfers run at once. With one worker it is the note's
//! single-thread version.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossbeam_channel::{Sender, unbounded};

use super::{Backend, Task};
use crate::engine::fetch;
use crate::engine::{EngineConfig, EngineError, Reporter};

pub(crate) struct ThreadPool {
    queue: Sender<Task>,
}

impl ThreadPool {
    pub(crate) fn new(
        config: &EngineConfig,
        reporter: Arc<Reporter>,
        workers: usize,
        name: impl Fn(usize) -> String,
    ) -> Result<Self, EngineError> {
        // One client for the pool: it shares connections between threads.
        let client = fetch::blocking_client(config)?;
        let (queue, tasks) = unbounded::<Task>();
        for i in 0..workers {
            let (client, tasks, reporter) = (client.clone(), tasks.clone(), reporter.clone());
            let worker = name(i);
            std::thread::Builder::new().name(worker.clone()).spawn(move || {
                // Ends when the engine (the only sender) is dropped.
                for task in tasks {
                    if reporter.stopping.load(Ordering::Relaxed) {
                        continue; // the engine is gone: drop what is queued
                    }
                    let started = reporter.started(task.index, &worker);
                    let attempt = fetch::run_blocking(&client, &reporter, task.index, &task.url, &task.dir);
                    reporter.finished(task.index, &task.raw_url, &worker, started, attempt);
                }
            })?;
        }
        Ok(ThreadPool { queue })
    }
}

impl Backend for ThreadPool {
    fn submit(&self, task: Task) {
        // The workers hold the receiver for as long as this sender lives.
        let _ = self.queue.send(task);
    }
}
