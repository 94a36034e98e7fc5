//! A pool of OS threads with the blocking HTTP client: the note's
//! `ThreadPoolExecutor`. Each thread takes the next queued task when it is
//! free, so never more than `workers` transfers run at once. With one worker
//! it is the note's single-thread version.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Backend;
use crate::engine::fetch;
use crate::engine::{EngineConfig, EngineError, Reporter, Room};

pub(crate) struct ThreadPool {
    running: Arc<AtomicUsize>,
    room: Room,
}

impl ThreadPool {
    pub(crate) fn new(
        config: &EngineConfig,
        reporter: Arc<Reporter>,
        generation: u64,
        workers: usize,
        name: impl Fn(usize) -> String,
    ) -> Result<Self, EngineError> {
        // One client for the pool: it shares connections between threads.
        let client = fetch::blocking_client(config)?;
        let running = Arc::new(AtomicUsize::new(0));
        // The pool's size is its connection budget: a segmented download
        // runs its extra connections on threads of its own, each holding a
        // connection the pool's workers then wait for.
        let room = Room::new(reporter.clone(), Some(workers));
        for i in 0..workers {
            let (client, reporter, running) = (client.clone(), reporter.clone(), running.clone());
            let (config, room) = (config.clone(), room.clone());
            let worker = name(i);
            std::thread::Builder::new().name(worker.clone()).spawn(move || {
                // Ends when the pool is replaced or the engine is dropped.
                while let Some((mut task, permit)) = room.pop(generation) {
                    running.fetch_add(1, Ordering::SeqCst);
                    let started = reporter.started(task.index, &worker);
                    let attempt = fetch::run_blocking(&client, &config, &room, &mut task);
                    reporter.settle(task, &worker, started, attempt);
                    drop(permit);
                    running.fetch_sub(1, Ordering::SeqCst);
                }
            })?;
        }
        Ok(ThreadPool { running, room })
    }
}

impl Backend for ThreadPool {
    fn busy(&self) -> bool {
        self.running.load(Ordering::SeqCst) > 0
    }

    fn connections(&self) -> usize {
        self.room.budget.used()
    }
}
