//! A pool of OS threads: the Python note's `ThreadPoolExecutor`. Each thread takes
//! the next queued task when it is free and is blocked on that one download
//! until it ends, so never more than `workers` transfers run at once. With
//! one worker it is the Python note's single-thread version.
//!
//! What the threads share: one HTTP client (its connection pool) and the
//! engine's I/O loop, which drives their sockets and timers while each
//! thread polls its own transfer and writes its own file (see
//! [`crate::event_loop`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Workers;
use crate::attempt::settle;
use crate::config::{EngineConfig, EngineError};
use crate::context::{ConnectionBudget, WorkerContext};
use crate::event_loop::EventLoop;
use crate::job::Worker;
use crate::transfer;

/// Starts `workers` threads, the `i`th named `name(i)`.
pub(crate) fn start(
    config: &EngineConfig,
    context: Arc<WorkerContext>,
    event_loop: &EventLoop,
    generation: u64,
    workers: usize,
    name: impl Fn(usize) -> Worker,
) -> Result<Workers, EngineError> {
    // One client for the pool: it shares connections between threads.
    let client = event_loop.clients(config, &context.cookies)?;
    let running = Arc::new(AtomicUsize::new(0));
    // The pool's size is its connection budget: a segmented download's
    // extra connections each hold one, which the pool's threads then
    // wait for.
    let budget = ConnectionBudget::new(context.clone(), Some(workers));
    for i in 0..workers {
        let (client, context, running, event_loop) = (
            client.clone(),
            context.clone(),
            running.clone(),
            event_loop.clone(),
        );
        let (config, budget) = (config.clone(), budget.clone());
        let worker = name(i);
        std::thread::Builder::new()
            .name(worker.to_string())
            .spawn(move || {
                // Ends when the pool is replaced or the engine is dropped.
                while let Some((mut task, permit)) = budget.pop(generation) {
                    running.fetch_add(1, Ordering::SeqCst);
                    let started = context.started(task.index, worker);
                    let attempt = event_loop.block_on(transfer::run(&client, &config, &budget, &mut task));
                    event_loop.catch_up();
                    settle(&context, task, worker, started, attempt);
                    drop(permit);
                    running.fetch_sub(1, Ordering::SeqCst);
                }
            })?;
    }
    Ok(Workers {
        running,
        budget,
        client,
    })
}
