//! What one attempt at a task produced, and how a worker hands it back:
//! the queue decides whether the task ended, waits paused, or runs again,
//! and the listener hears which. Every backend settles through here.

use std::time::Duration;

use super::context::WorkerContext;
use super::error::FetchError;
use super::job::{Event, Saved, TaskResult, Worker};
use super::part::resume::Resume;
use super::queue::{Settled, Task};

/// What one attempt at a task produced.
pub(crate) struct Attempt {
    pub outcome: Result<Saved, FetchError>,
    pub http_status: Option<u16>,
    pub bytes: u64,
    /// What the next attempt may continue from (boxed: it holds a buffer).
    pub resume: Option<Box<Resume>>,
}

impl Attempt {
    pub(crate) fn failed(http_status: Option<u16>, bytes: u64, e: FetchError) -> Self {
        Attempt {
            outcome: Err(e),
            http_status,
            bytes,
            resume: None,
        }
    }

    /// The file at `path` was kept as it is (see [`Saved::skipped`]).
    pub(crate) fn skipped(http_status: Option<u16>, path: std::path::PathBuf) -> Self {
        Attempt::saved(
            http_status,
            Saved {
                path,
                bytes: 0,
                skipped: true,
                files: Vec::new(),
            },
        )
    }

    pub(crate) fn saved(http_status: Option<u16>, saved: Saved) -> Self {
        Attempt {
            bytes: saved.bytes,
            outcome: Ok(saved),
            http_status,
            resume: None,
        }
    }

    /// Keeps `resume` for the next attempt (or a resume after a pause).
    pub(crate) fn with_resume(mut self, resume: Option<Box<Resume>>) -> Self {
        self.resume = resume;
        self
    }

    pub(crate) fn retryable(&self) -> bool {
        self.outcome.as_ref().err().is_some_and(FetchError::is_retryable)
    }

    /// The result a listener gets for this attempt (rank and end time are
    /// the context's to fill in).
    pub(crate) fn result(self, index: usize, url: &str, worker: Worker, started: Duration) -> TaskResult {
        TaskResult {
            index,
            url: url.to_string(),
            outcome: self.outcome,
            http_status: self.http_status,
            bytes: self.bytes,
            rank: 0,
            worker,
            started,
            finished: started,
            rule: None,
        }
    }
}

/// A worker's transfer returned: report it as finished, or as paused if
/// the user paused it.
pub(crate) fn settle(
    context: &WorkerContext,
    mut task: Task,
    worker: Worker,
    started: Duration,
    mut attempt: Attempt,
) {
    let (index, url, rule) = (task.index, task.raw_url.clone(), task.rule.clone());
    let halted = matches!(attempt.outcome, Err(FetchError::Cancelled));
    // The bytes of a paused transfer wait with the task for its resume (an
    // engine going away pauses its transfers, so the next run can continue
    // them). A task that failed for good drops them.
    let paused = task.ctl.paused() || context.stopping();
    if halted && paused {
        task.resume = attempt.resume.take();
    } else if let Some(r) = attempt.resume.take() {
        r.discard();
    }
    let ok = attempt.outcome.is_ok();
    context.queue.settle(task, ok, halted, |settled| match settled {
        Settled::Finished => context.finished(TaskResult {
            rule,
            ..attempt.result(index, &url, worker, started)
        }),
        Settled::Paused => context.emit(Event::Paused {
            index,
            at: context.now(),
        }),
        Settled::Requeued => context.emit(Event::Queued {
            index,
            at: context.now(),
        }),
    });
}
