//! Where a task is in the queue the moment it is asked: what a pause,
//! resume or cancel just did shows here before its event does (the RPC
//! answers from it, see `service::host`).

use super::{Queue, Want};

/// Where a task is, as the queue knows it the moment it is asked: what a
/// pause, resume or cancel just did is here at once, before its event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// In line for a worker.
    Waiting,
    /// Paused, not running.
    Held,
    /// A worker runs it.
    Running,
    /// Running, told to pause: it stops at its next chunk.
    Pausing,
    /// Running, told to stop for good.
    Cancelling,
    /// Failed or cancelled (`cancelled`), and kept to be retried.
    Ended { cancelled: bool },
}

impl Queue {
    /// Where a task is now (`None`: done, or not known here).
    pub(crate) fn phase(&self, index: usize) -> Option<Phase> {
        let state = self.lock();
        if state.pending.get(index).is_some() {
            return Some(Phase::Waiting);
        }
        if state.held.contains_key(&index) {
            return Some(Phase::Held);
        }
        if let Some(ctl) = state.running.get(&index) {
            return Some(match ctl.get() {
                Want::Run => Phase::Running,
                Want::Pause => Phase::Pausing,
                Want::Cancel => Phase::Cancelling,
            });
        }
        let task = state.ended.get(&index)?;
        Some(Phase::Ended {
            cancelled: task.ctl.get() == Want::Cancel,
        })
    }

    /// Whether `index` is the queued task a free worker takes next (the
    /// queue is not paused, and no rule holds it back).
    pub(crate) fn is_next(&self, index: usize) -> bool {
        let state = self.lock();
        !state.paused && state.pending.first_startable() == Some(index)
    }
}
