//! The engine's one queue, shared by whichever backend is current.
//!
//! Backends do not keep queues of their own: their workers pull from this one
//! when they have room. So a task that has not started belongs to no backend,
//! and switching the engine in settings applies to every task that has not
//! started, while running ones finish on the backend that started them. It is
//! also where a queued task can be paused, cancelled or taken out of turn.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use url::Url;

use super::job::Job;
use super::limit::{ConnectionCount, RateLimit};
use super::part::resume::Resume;
use crate::sync;
pub use order::Place;
use order::StartOrder;
pub use phase::Phase;

mod order;
mod phase;

/// What the user wants of a task now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Want {
    Run = 0,
    Pause = 1,
    Cancel = 2,
}

impl Want {
    fn from_u8(v: u8) -> Want {
        match v {
            1 => Want::Pause,
            2 => Want::Cancel,
            _ => Want::Run,
        }
    }
}

/// What the user wants of one task, read by its transfer at every chunk.
#[derive(Debug, Default)]
pub(crate) struct TaskCtl {
    /// A [`Want`], as its number so every connection can read it lock-free.
    state: AtomicU8,
    /// Wakes a transfer that waits for a byte, a response or a retry, so
    /// pause and cancel take effect at once.
    pub(crate) wake: tokio::sync::Notify,
    /// This task's own speed limit, changeable while it runs.
    pub(crate) limit: RateLimit,
    /// The server answered a range request wrongly once: this task uses one
    /// connection from now on.
    pub(crate) single: std::sync::atomic::AtomicBool,
    /// A running torrent's files chosen anew (0-based; `Some(None)`: all),
    /// taken by its transfer at its next look.
    pub(crate) reselect: std::sync::Mutex<Option<Option<Vec<usize>>>>,
    /// A running or queued torrent's choices replaced, taken by its
    /// transfer at its next look.
    pub(crate) retorrent: std::sync::Mutex<Option<crate::job::TorrentOptions>>,
    /// The choices a torrent's transfer last ran with, for its task.
    pub(crate) torrent_now: std::sync::Mutex<Option<crate::job::TorrentOptions>>,
}

impl TaskCtl {
    /// The transfer should stop: paused or cancelled.
    pub(crate) fn halted(&self) -> bool {
        self.state.load(Ordering::Relaxed) != Want::Run as u8
    }

    /// Paused (not cancelled): the transfer keeps its bytes.
    pub(crate) fn paused(&self) -> bool {
        self.state.load(Ordering::Relaxed) == Want::Pause as u8
    }

    fn set(&self, want: Want) {
        self.state.store(want as u8, Ordering::SeqCst);
        // Every connection of a segmented transfer waits on it; the stored
        // permit covers one that is about to wait.
        self.wake.notify_waiters();
        self.wake.notify_one();
    }

    fn get(&self) -> Want {
        Want::from_u8(self.state.load(Ordering::SeqCst))
    }
}

/// A validated download on its way to a worker.
pub(crate) struct Task {
    pub index: usize,
    pub url: Url,
    /// The URL as the user wrote it, with its password hidden: for
    /// results, logs and the `.part`'s control file.
    pub raw_url: String,
    pub dir: PathBuf,
    pub ctl: Arc<TaskCtl>,
    /// The `.part` a paused transfer left, for its next run to continue.
    pub resume: Option<Box<Resume>>,
    pub sha256: Option<[u8; 32]>,
    /// Connections wanted, instead of the engine's setting.
    pub segments: Option<usize>,
    /// The download's own headers, sent with every request.
    pub headers: reqwest::header::HeaderMap,
    /// The file's name, instead of the server's.
    pub name: Option<String>,
    /// What to take of a stream.
    pub stream: crate::job::StreamOptions,
    /// What to take of a torrent, and how long to seed it.
    pub torrent: crate::job::TorrentOptions,
    /// Other URLs of the same file, not tried yet.
    pub mirrors: VecDeque<String>,
    /// A cookies file for the engine's jar.
    pub cookies: Option<PathBuf>,
    /// A download paused on a remote engine (aria2), to be resumed there.
    pub remote: Option<RemoteGid>,
    /// `url`'s user and password are a saved or netrc login, not its own
    /// (a retry takes the login as it is then).
    pub login_added: bool,
    /// The host pattern of the per-site rule that applies, if one does.
    pub rule: Option<String>,
    /// That rule's count of files at once, when it sets a most.
    pub slot: Option<Arc<super::rules::RuleSlot>>,
}

/// A download that lives on an aria2 daemon, by its GID. Discarding it
/// (the task was cancelled while paused) asks the backend to remove it there.
pub(crate) struct RemoteGid {
    pub gid: String,
    pub discard: crossbeam_channel::Sender<String>,
}

impl RemoteGid {
    pub(crate) fn discard(self) {
        let _ = self.discard.send(self.gid);
    }
}

impl Task {
    /// A torrent's choices as its transfer last ran with them, and any
    /// changed after its last look: what it starts with next.
    fn take_torrent_changes(&mut self) {
        let ctl = &self.ctl;
        if let Some(o) = sync::lock(&ctl.torrent_now).take() {
            self.torrent = o;
        }
        if let Some(o) = sync::lock(&ctl.retorrent).take() {
            self.torrent = o;
        }
        if let Some(files) = sync::lock(&ctl.reselect).take() {
            self.torrent.select = files;
        }
    }

    /// A task that has not run yet.
    pub(crate) fn new(index: usize, url: Url, job: Job) -> Task {
        let ctl = TaskCtl::default();
        ctl.limit.set(job.rate_limit);
        Task {
            index,
            url,
            raw_url: super::auth::redact(&job.url),
            dir: job.dir,
            ctl: Arc::new(ctl),
            resume: None,
            sha256: job.sha256,
            segments: job.segments,
            headers: job.headers.to_map(),
            name: job.name,
            stream: job.stream,
            torrent: job.torrent,
            mirrors: job.mirrors.into(),
            cookies: job.cookies,
            remote: None,
            login_added: false,
            rule: None,
            slot: None,
        }
    }
}

/// Where a task is, as far as the queue knows.
#[derive(Default)]
struct State {
    /// Waiting for a worker, in submission order unless moved.
    pending: StartOrder,
    /// Paused before (or while) running; back to `pending` on resume. Each
    /// keeps its place in the start order (its rank in `pending`), as
    /// aria2 keeps paused downloads in its waiting list.
    held: BTreeMap<usize, Task>,
    /// Picked up by a worker.
    running: HashMap<usize, Arc<TaskCtl>>,
    /// Failed or cancelled after starting; kept so they can be retried.
    ended: HashMap<usize, Task>,
    /// Bumped when the backend changes: workers of an older one stop taking.
    generation: u64,
    paused: bool,
    closed: bool,
}

/// What became of a task's transfer, as the queue decides it.
pub(crate) enum Settled {
    /// It ended (done, failed or cancelled): report the result.
    Finished,
    /// It was paused mid-way and now waits in the held set.
    Paused,
    /// It was paused and resumed before it noticed: it runs again.
    Requeued,
}

/// What a worker finds when it asks for the next task.
enum Next {
    Task(Box<Task>),
    /// Nothing it may take now: wait for a change.
    Wait,
    /// Its backend was replaced or the engine is gone.
    Exit,
}

#[derive(Default)]
pub(crate) struct Queue {
    state: Mutex<State>,
    /// Wakes worker threads blocked in [`Queue::pop`].
    ready: Condvar,
    /// Wakes a dispatcher waiting on the I/O loop in [`Queue::next`].
    changed: tokio::sync::Notify,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        sync::lock(&self.state)
    }

    /// Something a waiting worker may act on changed: a task, a free
    /// connection, the backend's generation, the pause or the end.
    fn wake(&self, all: bool) {
        if all {
            self.ready.notify_all();
        } else {
            self.ready.notify_one();
        }
        self.changed.notify_waiters();
    }

    /// A task from a saved queue: paused (waits for a resume) or ended
    /// (can be retried); either way it does not run now.
    pub(crate) fn restore(&self, task: Task, paused: bool) {
        let mut state = self.lock();
        if paused {
            task.ctl.set(Want::Pause);
            state.held.insert(task.index, task);
        } else {
            state.ended.insert(task.index, task);
        }
    }

    /// Changes a task that is not running (paused or ended): a restored
    /// task gets back what was kept apart from the saved queue.
    pub(crate) fn amend(&self, index: usize, change: impl FnOnce(&mut Task)) -> bool {
        let mut state = self.lock();
        let state = &mut *state;
        match state.held.get_mut(&index).or_else(|| state.ended.get_mut(&index)) {
            Some(task) => {
                change(task);
                true
            }
            None => false,
        }
    }

    /// Puts `task` back in line (in its submission place) to run, and wakes
    /// a worker. Takes the lock's guard so the caller's report, made under
    /// it, comes first.
    fn requeue(&self, mut state: MutexGuard<'_, State>, task: Task) {
        task.ctl.set(Want::Run);
        state.pending.insert(task);
        drop(state);
        self.wake(false);
    }

    pub(crate) fn push(&self, task: Task) {
        self.lock().pending.insert(task);
        self.wake(false);
    }

    /// The next task for a worker of backend `generation`, waiting while the
    /// queue is empty or paused, or while the backend's `budget` has no
    /// connection free (a segmented download may hold several). The task
    /// comes with one connection taken from `budget`, to be given back with
    /// [`Queue::release`]. `None` tells the worker to exit: its backend was
    /// replaced or the engine is gone.
    pub(crate) fn pop(&self, generation: u64, budget: &ConnectionCount) -> Option<Task> {
        let mut state = self.lock();
        loop {
            match Self::take(&mut state, generation, budget) {
                Next::Task(task) => return Some(*task),
                Next::Exit => return None,
                Next::Wait => state = sync::wait(&self.ready, state),
            }
        }
    }

    /// [`Queue::pop`] for a dispatcher on the I/O loop: it waits without
    /// blocking the loop, and a connection given back on the loop wakes it
    /// there, without a thread switch.
    pub(crate) async fn next(&self, generation: u64, budget: &ConnectionCount) -> Option<Task> {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before looking, so a change in between is not missed.
            changed.as_mut().enable();
            let next = Self::take(&mut self.lock(), generation, budget);
            match next {
                Next::Task(task) => return Some(*task),
                Next::Exit => return None,
                Next::Wait => changed.await,
            }
        }
    }

    fn take(state: &mut State, generation: u64, budget: &ConnectionCount) -> Next {
        if state.closed || state.generation > generation {
            return Next::Exit;
        }
        // A backend being built for the next generation waits its turn.
        if state.generation == generation
            && !state.paused
            && state.pending.has_startable()
            && budget.try_take()
            && let Some(task) = state.pending.pop_startable()
        {
            state.running.insert(task.index, task.ctl.clone());
            return Next::Task(Box::new(task));
        }
        Next::Wait
    }

    /// Gives a connection back to `budget` and wakes the workers waiting
    /// for one (under the lock, so none misses it between its check and
    /// its wait).
    pub(crate) fn release(&self, budget: &ConnectionCount) {
        let state = self.lock();
        budget.give();
        drop(state);
        self.wake(true);
    }

    /// The controls of a task that has not ended, to change its speed limit.
    pub(crate) fn ctl(&self, index: usize) -> Option<Arc<TaskCtl>> {
        let state = self.lock();
        state
            .running
            .get(&index)
            .cloned()
            .or_else(|| state.pending.get(index).map(|t| t.ctl.clone()))
            .or_else(|| state.held.get(&index).map(|t| t.ctl.clone()))
            .or_else(|| state.ended.get(&index).map(|t| t.ctl.clone()))
    }

    /// Called by a worker when a transfer returned: `ok` if the file is
    /// saved, `halted` if it stopped because of a pause or cancel.
    /// `report` runs under the lock for a task that is paused or queued
    /// again, so its report precedes anything said of it later (a resume, a
    /// worker's next run).
    pub(crate) fn settle(&self, mut task: Task, ok: bool, halted: bool, report: impl FnOnce(Settled)) {
        task.take_torrent_changes();
        let mut state = self.lock();
        state.running.remove(&task.index);
        if let Some(slot) = &task.slot {
            slot.give();
        }
        if ok || state.closed {
            drop(state);
            return report(Settled::Finished);
        }
        match task.ctl.get() {
            Want::Pause => {
                report(Settled::Paused);
                let index = task.index;
                state.held.insert(index, task);
                // As aria2 does: a download paused while it ran waits at
                // the head of the start order, the first to start again.
                state.put_first(index);
            }
            // Paused, then resumed before settling here: the transfer
            // stopped anyway, so it simply goes again.
            Want::Run if halted => {
                report(Settled::Requeued);
                self.requeue(state, task);
            }
            _ => {
                state.ended.insert(task.index, task);
                drop(state);
                report(Settled::Finished);
            }
        }
    }

    /// Starts a new backend generation; workers of the old one finish what
    /// they run and exit.
    pub(crate) fn next_generation(&self) -> u64 {
        let mut state = self.lock();
        state.generation += 1;
        let g = state.generation;
        drop(state);
        self.wake(true);
        g
    }

    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    pub(crate) fn set_paused(&self, paused: bool) {
        self.lock().paused = paused;
        self.wake(true);
    }

    /// The engine is going away: running transfers stop as if paused, so
    /// their `.part` files stay for the next run to continue.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        for ctl in state.running.values() {
            ctl.set(Want::Pause);
        }
        drop(state);
        self.wake(true);
    }

    /// Pauses a queued or running task. `held` reports (under the lock) a
    /// queued one that is now held.
    pub(crate) fn pause(&self, index: usize, held: impl FnOnce()) -> Pause {
        let mut state = self.lock();
        if let Some(task) = state.pending.remove(index) {
            held();
            task.ctl.set(Want::Pause);
            state.held.insert(index, task);
            return Pause::Held;
        }
        if let Some(ctl) = state.running.get(&index) {
            ctl.set(Want::Pause);
            return Pause::Stopping;
        }
        Pause::No
    }

    /// Resumes a paused task (or a running one whose pause it had not yet
    /// noticed). True if there was such a task. `queued` runs under the lock
    /// before the task can reach a worker.
    pub(crate) fn resume(&self, index: usize, queued: impl FnOnce()) -> bool {
        let mut state = self.lock();
        if let Some(task) = state.held.remove(&index) {
            queued();
            self.requeue(state, task);
            return true;
        }
        if let Some(ctl) = state.running.get(&index)
            && ctl.get() == Want::Pause
        {
            ctl.set(Want::Run);
            return true;
        }
        false
    }

    /// Cancels a task. A queued or paused one comes back to be reported as
    /// cancelled by the caller; a running one is woken, stops, and is
    /// reported by its worker.
    pub(crate) fn cancel(&self, index: usize) -> Cancel {
        let mut state = self.lock();
        if let Some(mut task) = state.pending.remove(index).or_else(|| state.held.remove(&index)) {
            task.ctl.set(Want::Cancel);
            if let Some(r) = task.resume.take() {
                r.discard(); // a cancelled download leaves no `.part`
            }
            if let Some(r) = task.remote.take() {
                r.discard(); // nor a paused download on the remote engine
            }
            let url = task.raw_url.clone();
            state.ended.insert(index, task);
            return Cancel::NotStarted(url);
        }
        if let Some(ctl) = state.running.get(&index) {
            ctl.set(Want::Cancel);
            return Cancel::Stopping;
        }
        Cancel::No
    }

    /// Queues a failed or cancelled task again; `queued` as for `resume`.
    pub(crate) fn retry(&self, index: usize, queued: impl FnOnce()) -> bool {
        let mut state = self.lock();
        match state.ended.remove(&index) {
            Some(task) => {
                queued();
                self.requeue(state, task);
                true
            }
            None => false,
        }
    }

    /// Moves a queued or paused task to `place` in the start order of both (0 is
    /// the head); its place now, or `None` if it is neither (running or
    /// ended).
    pub(crate) fn move_to(&self, index: usize, place: Place) -> Option<usize> {
        let mut state = self.lock();
        let mut order = state.waiting();
        let here = order.iter().position(|&i| i == index)?;
        let to = place.resolve(here, order.len());
        order.remove(here);
        order.insert(to, index);
        state.pending.rerank(&order);
        Some(to)
    }

    /// The queued and paused tasks in one line, the head first: aria2's
    /// waiting list. Workers take the queued ones in this order.
    pub(crate) fn waiting(&self) -> Vec<usize> {
        self.lock().waiting()
    }

    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let state = self.lock();
        (state.pending.len(), state.held.len(), state.running.len())
    }
}

impl State {
    /// Queued and paused tasks in one line, by their rank in `pending`:
    /// a paused task stands where it will start once resumed.
    fn waiting(&self) -> Vec<usize> {
        let mut keys: Vec<(usize, usize)> = self
            .pending
            .tasks
            .keys()
            .copied()
            .chain(self.held.keys().map(|&i| self.pending.key(i)))
            .collect();
        keys.sort_unstable();
        keys.into_iter().map(|(_, i)| i).collect()
    }

    /// Puts a queued or paused task at the head of the start order.
    fn put_first(&mut self, index: usize) {
        let mut order = self.waiting();
        order.retain(|&i| i != index);
        order.insert(0, index);
        self.pending.rerank(&order);
    }
}

/// What `Queue::pause` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pause {
    Held,
    Stopping,
    No,
}

/// What `Queue::cancel` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cancel {
    /// It had not started; here is its URL for the report.
    NotStarted(String),
    Stopping,
    No,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue_of(n: usize) -> Queue {
        let q = Queue::default();
        for i in 0..n {
            let url = format!("http://127.0.0.1:9/{i}");
            let parsed = Url::parse(&url).unwrap();
            q.push(Task::new(i, parsed, Job::new(url, "/tmp")));
        }
        q
    }

    #[test]
    fn paused_tasks_keep_their_place_in_the_line_and_move_in_it() {
        let q = queue_of(5);
        assert_eq!(q.pause(2, || {}), Pause::Held);
        assert_eq!(q.waiting(), [0, 1, 2, 3, 4]);
        // Places count the paused ones, as aria2 counts its waiting list.
        assert_eq!(q.move_to(2, Place::FromStart(0)), Some(0));
        assert_eq!(q.waiting(), [2, 0, 1, 3, 4]);
        assert_eq!(q.move_to(2, Place::FromHere(2)), Some(2));
        assert_eq!(q.waiting(), [0, 1, 2, 3, 4]);
        assert_eq!(q.move_to(2, Place::FromEnd(0)), Some(4));
        assert_eq!(q.move_to(2, Place::FromHere(-3)), Some(1));
        assert_eq!(q.waiting(), [0, 2, 1, 3, 4]);
        // Past either end is that end; huge numbers do not overflow.
        assert_eq!(q.move_to(2, Place::FromHere(i64::MAX)), Some(4));
        assert_eq!(q.move_to(2, Place::FromEnd(i64::MIN)), Some(0));
        // A queued task moves past the paused one; the paused one stays.
        assert_eq!(q.move_to(4, Place::FromStart(0)), Some(0));
        assert_eq!(q.waiting(), [4, 2, 0, 1, 3]);
        // Resumed, it starts from where it stands.
        assert!(q.resume(2, || {}));
        let budget = ConnectionCount::new(None);
        let started: Vec<usize> = (0..5).map(|_| q.pop(0, &budget).unwrap().index).collect();
        assert_eq!(started, [4, 2, 0, 1, 3]);
        assert_eq!(q.move_to(4, Place::FromStart(0)), None, "running");
    }

    #[test]
    fn a_task_paused_while_it_ran_waits_at_the_head() {
        let q = queue_of(4);
        let budget = ConnectionCount::new(None);
        let first = q.pop(0, &budget).unwrap();
        assert_eq!(first.index, 0);
        assert_eq!(q.move_to(3, Place::FromStart(0)), Some(0));
        assert_eq!(q.waiting(), [3, 1, 2]);
        assert_eq!(q.pause(0, || {}), Pause::Stopping);
        q.settle(first, false, true, |_| {});
        assert_eq!(q.waiting(), [0, 3, 1, 2]);
        assert!(q.resume(0, || {}));
        assert_eq!(q.pop(0, &budget).unwrap().index, 0);
    }
}
