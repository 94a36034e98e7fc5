//! A pool of OS threads: the note's `ThreadPoolExecutor`. Each thread takes
//! the next queued task when it is free and is blocked on that one download
//! until it ends, so never more than `workers` transfers run at once. With
//! one worker it is the note's single-thread version.
//!
//! What the threads share: one HTTP client (its connection pool) and the
//! engine's I/O loop, which drives their sockets and timers while each
//! thread polls its own transfer and writes its own file (see
//! [`crate::io`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Workers;
use crate::attempt::settle;
use crate::config::{EngineConfig, EngineError};
use crate::io::Io;
use crate::job::Worker;
use crate::report::{Reporter, Room};
use crate::transfer;

/// Starts `workers` threads, the `i`th named `name(i)`.
pub(crate) fn start(
    config: &EngineConfig,
    reporter: Arc<Reporter>,
    io: &Io,
    generation: u64,
    workers: usize,
    name: impl Fn(usize) -> Worker,
) -> Result<Workers, EngineError> {
    // One client for the pool: it shares connections between threads.
    let client = io.clients(config, &reporter.cookies)?;
    let running = Arc::new(AtomicUsize::new(0));
    // The pool's size is its connection budget: a segmented download's
    // extra connections each hold one, which the pool's threads then
    // wait for.
    let room = Room::new(reporter.clone(), Some(workers));
    for i in 0..workers {
        let (client, reporter, running, io) = (client.clone(), reporter.clone(), running.clone(), io.clone());
        let (config, room) = (config.clone(), room.clone());
        let worker = name(i);
        std::thread::Builder::new()
            .name(worker.to_string())
            .spawn(move || {
                // Ends when the pool is replaced or the engine is dropped.
                while let Some((mut task, permit)) = room.pop(generation) {
                    running.fetch_add(1, Ordering::SeqCst);
                    let started = reporter.started(task.index, worker);
                    let attempt = io.block_on(transfer::run(&client, &config, &room, &mut task));
                    io.catch_up();
                    settle(&reporter, task, worker, started, attempt);
                    drop(permit);
                    running.fetch_sub(1, Ordering::SeqCst);
                }
            })?;
    }
    Ok(Workers {
        running,
        room,
        client,
    })
}
