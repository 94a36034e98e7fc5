//! Fan-in: the Python note's `as_completed` versus `executor.map`.
//!
//! In completion order a result is released the moment it arrives. In
//! submission order a finished result waits until every earlier task has a
//! result (ok or failed), then everything that is ready is released at once,
//! like `executor.map` yielding in input order. Only the metadata waits here;
//! file bodies are already on disk.

use std::collections::BTreeMap;

use super::job::TaskResult;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// As tasks finish (`as_completed`).
    #[default]
    Completion,
    /// In the order they were submitted (`executor.map`).
    Submission,
}

/// The reorder buffer: items numbered 0, 1, 2, … without gaps arrive in
/// any order and leave in theirs. Results use it for submission order; a
/// stream's segments use it to be joined in playlist order.
#[derive(Debug)]
pub struct Reorder<T> {
    next: usize,
    held: BTreeMap<usize, T>,
}

impl<T> Default for Reorder<T> {
    fn default() -> Self {
        Reorder::starting_at(0)
    }
}

impl<T> Reorder<T> {
    /// A buffer whose items before `next` have already left.
    pub fn starting_at(next: usize) -> Self {
        Reorder {
            next,
            held: BTreeMap::new(),
        }
    }

    /// The number of the next item to leave.
    pub fn next(&self) -> usize {
        self.next
    }

    /// Takes item `n` and returns those that may leave now, in order.
    pub fn push(&mut self, n: usize, item: T) -> Vec<(usize, T)> {
        self.held.insert(n, item);
        let mut out = Vec::new();
        while let Some(item) = self.held.remove(&self.next) {
            out.push((self.next, item));
            self.next += 1;
        }
        out
    }

    /// Items waiting for an earlier one.
    pub fn held(&self) -> usize {
        self.held.len()
    }
}

/// The results of one engine, whose submission indices run 0, 1, 2, …
/// without gaps, in the order chosen.
#[derive(Debug, Default)]
pub struct FanIn {
    order: Order,
    buffer: Reorder<TaskResult>,
}

impl FanIn {
    pub fn new(order: Order) -> Self {
        FanIn {
            order,
            ..Default::default()
        }
    }

    /// Takes one finished result and returns those now released, in order.
    pub fn push(&mut self, result: TaskResult) -> Vec<TaskResult> {
        match self.order {
            Order::Completion => vec![result],
            // A task run again (a retry) after its turn was released.
            Order::Submission if result.index < self.buffer.next() => vec![result],
            Order::Submission => self
                .buffer
                .push(result.index, result)
                .into_iter()
                .map(|(_, r)| r)
                .collect(),
        }
    }

    /// Finished results waiting for an earlier task.
    pub fn held_back(&self) -> usize {
        self.buffer.held()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FetchError;
    use crate::job::Worker;
    use std::time::Duration;

    fn result(index: usize, rank: usize) -> TaskResult {
        TaskResult {
            index,
            url: format!("http://h/{index}"),
            outcome: Err(FetchError::Cancelled),
            http_status: None,
            bytes: 0,
            rank,
            worker: Worker::Rejected,
            started: Duration::ZERO,
            finished: Duration::ZERO,
            rule: None,
        }
    }

    fn indices(v: &[TaskResult]) -> Vec<usize> {
        v.iter().map(|r| r.index).collect()
    }

    #[test]
    fn completion_order_releases_at_once() {
        let mut f = FanIn::new(Order::Completion);
        assert_eq!(indices(&f.push(result(2, 1))), [2]);
        assert_eq!(indices(&f.push(result(0, 2))), [0]);
        assert_eq!(f.held_back(), 0);
    }

    #[test]
    fn submission_order_holds_back_until_the_gap_closes() {
        let mut f = FanIn::new(Order::Submission);
        assert!(f.push(result(2, 1)).is_empty());
        assert!(f.push(result(1, 2)).is_empty());
        assert_eq!(f.held_back(), 2);
        assert_eq!(indices(&f.push(result(0, 3))), [0, 1, 2]);
        assert_eq!(f.held_back(), 0);
        assert!(f.push(result(4, 4)).is_empty());
        assert_eq!(indices(&f.push(result(3, 5))), [3, 4]);
    }
}
