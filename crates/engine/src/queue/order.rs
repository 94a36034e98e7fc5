//! The queue's start order: the order waiting tasks start in, and where
//! aria2's `changePosition` moves one.

use std::collections::{BTreeMap, HashMap};

use super::Task;

/// Where [`Engine::move_to`](crate::Engine::move_to) puts a task, as aria2's `changePosition`
/// says it: from the head, from where it is, or from the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    FromStart(i64),
    FromHere(i64),
    FromEnd(i64),
}

impl Place {
    /// The place in a line of `len` (more than 0) for a task now at
    /// `here`: past either end is that end, as in aria2.
    pub(super) fn resolve(self, here: usize, len: usize) -> usize {
        let last = len as i64 - 1;
        match self {
            Place::FromStart(n) => n,
            Place::FromHere(n) => (here as i64).saturating_add(n),
            Place::FromEnd(n) => last.saturating_add(n),
        }
        .clamp(0, last) as usize
    }
}

/// The waiting tasks in the order they will start: by a rank that is the
/// submission index until a task is moved, then the whole line (held
/// tasks too) is ranked again in its new order. New tasks rank after
/// every moved one (their index is at least the start order's length).
#[derive(Default)]
pub(super) struct StartOrder {
    pub(super) tasks: BTreeMap<(usize, usize), Task>,
    /// The rank of each task that was ever waiting, kept while it is held
    /// or running so a resumed task returns to its place.
    rank: HashMap<usize, usize>,
}

pub(super) fn startable(task: &Task) -> bool {
    task.slot.as_ref().is_none_or(|s| s.has_room())
}

impl StartOrder {
    pub(super) fn key(&self, index: usize) -> (usize, usize) {
        (self.rank.get(&index).copied().unwrap_or(index), index)
    }

    pub(super) fn insert(&mut self, task: Task) {
        let key = self.key(task.index);
        self.rank.insert(task.index, key.0);
        self.tasks.insert(key, task);
    }

    pub(super) fn remove(&mut self, index: usize) -> Option<Task> {
        let key = self.key(index);
        self.tasks.remove(&key)
    }

    pub(super) fn get(&self, index: usize) -> Option<&Task> {
        self.tasks.get(&self.key(index))
    }

    /// Whether a task may start: one whose per-site rule has room.
    pub(super) fn has_startable(&self) -> bool {
        self.tasks.values().any(startable)
    }

    /// The index of the task a free worker takes next, if one may start.
    pub(super) fn first_startable(&self) -> Option<usize> {
        self.tasks.values().find(|t| startable(t)).map(|t| t.index)
    }

    /// The first task that may start, its rule's place taken.
    pub(super) fn pop_startable(&mut self) -> Option<Task> {
        let key = self.tasks.iter().find(|(_, t)| startable(t)).map(|(k, _)| *k)?;
        let task = self.tasks.remove(&key)?;
        if let Some(slot) = &task.slot {
            slot.take();
        }
        Some(task)
    }

    pub(super) fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Ranks the start order again from 0 in `order`, which holds every queued
    /// task and may hold held ones (they keep the rank for their return).
    pub(super) fn rerank(&mut self, order: &[usize]) {
        let mut queued: HashMap<usize, Task> = std::mem::take(&mut self.tasks)
            .into_values()
            .map(|t| (t.index, t))
            .collect();
        for (rank, &i) in order.iter().enumerate() {
            self.rank.insert(i, rank);
            if let Some(t) = queued.remove(&i) {
                self.tasks.insert((rank, i), t);
            }
        }
        // None is left when `order` is whole; one that is keeps its rank.
        for t in queued.into_values() {
            self.insert(t);
        }
    }
}
