//! The three ways of fanning out, behind one small trait.

mod threads;
mod tokio;

use std::path::PathBuf;
use std::sync::Arc;

use url::Url;

use super::{BackendKind, EngineConfig, EngineError, Reporter};

/// A validated download on its way to a worker.
pub(crate) struct Task {
    pub index: usize,
    pub url: Url,
    /// The URL as the user wrote it, for results.
    pub raw_url: String,
    pub dir: PathBuf,
}

/// Runs tasks; must return from `submit` at once (queueing, never waiting).
pub(crate) trait Backend: Send + Sync {
    fn submit(&self, task: Task);
}

pub(crate) fn build(config: &EngineConfig, reporter: Arc<Reporter>) -> Result<Box<dyn Backend>, EngineError> {
    Ok(match config.backend {
        // The note's one-thread version is a pool of exactly one thread.
        BackendKind::Sequential => Box::new(threads::ThreadPool::new(config, reporter, 1, |_| {
            "sequential".to_string()
        })?),
        BackendKind::Threads { workers: 0 } => {
            return Err(EngineError::Config(
                "the thread pool needs at least 1 worker".into(),
            ));
        }
        BackendKind::Threads { workers } => {
            Box::new(threads::ThreadPool::new(config, reporter, workers, |i| {
                format!("thread-{i}")
            })?)
        }
        BackendKind::Async { limit } => Box::new(tokio::TokioBackend::new(config, reporter, limit)?),
    })
}
