//! The three ways of fanning out, behind one small trait. Every backend's
//! workers take tasks from the engine's one [`Queue`](super::queue::Queue)
//! when they have room, so none holds a task that has not started.

mod aria2;
pub use aria2::StatusEvents as Aria2StatusEvents;
pub(crate) use aria2::{client as aria2_client, probe as probe_aria2};
mod threads;
mod tokio;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::config::{BackendKind, EngineConfig, EngineError};
use super::context::{ConnectionBudget, WorkerContext};
use super::event_loop::EventLoop;
use super::job::Worker;
use super::net::Clients;

/// A set of workers of one kind. Dropping it lets running transfers finish
/// (their workers stop taking new ones); see [`Backend::busy`].
pub(crate) trait Backend: Send + Sync {
    /// Some worker is still running a transfer.
    fn busy(&self) -> bool;
    /// Connections it has open now.
    fn connections(&self) -> usize;
    /// The proxy its requests go through, as it may be shown.
    fn proxy(&self) -> Option<String>;
}

/// Workers that run their transfers on the engine's I/O loop with its HTTP
/// clients: the thread pool's and the tokio backend's (aria2 runs its own).
pub(crate) struct Workers {
    /// Transfers running now.
    running: Arc<AtomicUsize>,
    budget: ConnectionBudget,
    /// Its clients, to say which proxy they use.
    client: Clients,
}

impl Backend for Workers {
    fn busy(&self) -> bool {
        self.running.load(Ordering::SeqCst) > 0
    }

    fn connections(&self) -> usize {
        self.budget.count.used()
    }

    fn proxy(&self) -> Option<String> {
        self.client.proxy_shown()
    }
}

/// Starts the workers of `config.backend` as queue generation `generation`.
pub(crate) fn build(
    config: &EngineConfig,
    context: Arc<WorkerContext>,
    event_loop: &EventLoop,
    generation: u64,
) -> Result<Box<dyn Backend>, EngineError> {
    if !(1..=EngineConfig::MAX_SEGMENTS).contains(&config.segments) {
        return Err(EngineError::Config(format!(
            "{} connections per file: use 1 to {}",
            config.segments,
            EngineConfig::MAX_SEGMENTS
        )));
    }
    Ok(match config.backend {
        // The Python note's one-thread version is a pool of exactly one thread.
        BackendKind::Sequential => Box::new(threads::start(
            config,
            context,
            event_loop,
            generation,
            1,
            |_| Worker::Sequential,
        )?),
        BackendKind::Threads { workers: 0 } => {
            return Err(EngineError::Config(
                "the thread pool needs at least 1 worker".into(),
            ));
        }
        BackendKind::Threads { workers } => Box::new(threads::start(
            config,
            context,
            event_loop,
            generation,
            workers,
            Worker::Thread,
        )?),
        BackendKind::Aria2 { limit } => {
            Box::new(aria2::Aria2Backend::new(config, context, generation, limit)?)
        }
        BackendKind::Async { limit } => {
            Box::new(tokio::start(config, context, event_loop, generation, limit)?)
        }
    })
}
