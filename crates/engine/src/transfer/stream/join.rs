//! One track of a stream: its pieces fanned out over lanes and joined in
//! playlist order. This is the Python note's lesson on one download: the lanes
//! finish pieces in any order (`as_completed`), and the reorder buffer
//! writes them in the order they were listed (`executor.map`).
//!
//! How the lanes run follows the engine the user chose: the sequential
//! engine fetches one piece at a time; the thread pool runs each lane on
//! an OS thread of its own, blocked on its request; the async engine runs
//! each lane as a tokio task. A lane beyond the first takes a connection
//! from the engine's budget, as a segmented download does, so the limit
//! the user set holds across everything that runs.
//!
//! Memory stays bounded: a lane takes a piece only while fewer than
//! `window` pieces are fetched or in flight and not yet written.
//!
//! Nothing that arrived whole is lost to a kill: each join is recorded
//! beside the part as it happens, a piece that arrives before its turn is
//! kept on disk too ([`KeptPieces`]) until it is joined, and a lane whose
//! piece is the next to join waits for that join's record before it takes
//! another. So a run killed at any moment leaves at most one piece a lane
//! to fetch again.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore, mpsc, watch};

use super::fetch::{Fetcher, redact};
use super::plan::Piece;
use crate::config::{BackendKind, EngineConfig};
use crate::context::{ConnectionBudget, ConnectionPermit};
use crate::error::FetchError;
use crate::fan_in::Reorder;
use crate::job::{Event, Worker};
use crate::part::PartFile;
use crate::part::pieces::KeptPieces;
use crate::sync;
use crate::transfer::PROGRESS_EVERY;

/// How the lanes of a stream run: the engine's own way of fanning out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fan {
    /// One piece at a time, in order.
    One,
    /// Up to N OS threads.
    Threads(usize),
    /// Up to N tokio tasks.
    Tasks(usize),
}

impl Fan {
    /// The lanes of the engine `config` describes: its workers. An
    /// unbounded async engine still fans a stream out over at most 32
    /// lanes, since a server would take more as an attack.
    pub(crate) fn of(config: &EngineConfig) -> Fan {
        match config.backend {
            BackendKind::Sequential | BackendKind::Aria2 { .. } => Fan::One,
            BackendKind::Threads { workers } => Fan::Threads(workers.max(1)),
            BackendKind::Async { limit: 0 } => Fan::Tasks(32),
            BackendKind::Async { limit } => Fan::Tasks(limit),
        }
    }

    fn lanes(self) -> usize {
        match self {
            Fan::One => 1,
            Fan::Threads(n) | Fan::Tasks(n) => n,
        }
    }
}

/// The pieces lanes take from, in order; a live recording's grows.
#[derive(Default)]
struct PieceQueue {
    pieces: Vec<Piece>,
    taken: usize,
    /// Pieces taken whose fetch was given up while the stream went on (a
    /// pause undone before the joiner saw it): taken again first.
    again: Vec<usize>,
    /// No piece will be added.
    closed: bool,
    /// Pieces an earlier run kept on disk: read from there, not fetched.
    kept: BTreeSet<usize>,
}

/// What the lanes and the joiner of one track share.
struct Shared {
    fetcher: Arc<Fetcher>,
    queue: std::sync::Mutex<PieceQueue>,
    more: Notify,
    /// Pieces a lane may take before the joiner has written them.
    window: Semaphore,
    /// The joiner is gone: lanes stop.
    over: AtomicBool,
    /// Where pieces that arrive before their turn wait; none for a live
    /// recording, which never continues an earlier run.
    kept: Option<KeptPieces>,
    /// The next piece to join.
    next: AtomicUsize,
    /// The pieces joined and recorded beside the part (`usize::MAX` once
    /// the join is over): a lane whose piece was the next waits for it.
    recorded: watch::Sender<usize>,
}

/// A piece a lane finished (or failed).
struct Fetched {
    number: usize,
    /// The lane that fetched it, when (engine time).
    lane: Worker,
    started: Duration,
    finished: Duration,
    result: Result<Vec<u8>, FetchError>,
    /// Its bytes are kept on disk too, until it is joined.
    on_disk: bool,
}

/// What a track's join ended with.
pub(crate) enum Ended {
    /// Every piece is in the part (or a recording was stopped).
    Joined,
    /// The user paused or cancelled, or the engine is closing.
    Halted,
    Failed(FetchError),
}

/// A track being joined into its part file.
pub(crate) struct Join<'a> {
    pub(crate) fetcher: &'a Arc<Fetcher>,
    pub(crate) part: &'a mut PartFile,
    /// The key its progress is recorded under beside the part.
    pub(crate) key: &'a str,
    /// Pieces (the init section first) already in the part, and their bytes.
    pub(crate) done: usize,
    pub(crate) bytes: u64,
}

/// A live playlist's reloads: the next pieces come from `reload`.
pub(crate) trait Source: Send {
    /// When to ask for more pieces.
    fn next_reload(&self) -> Option<Instant>;
    /// New pieces, and whether the playlist has ended.
    fn reload(&mut self) -> impl Future<Output = Result<(Vec<Piece>, bool), FetchError>> + Send;
    /// Whether the recording has what was asked for (`--duration`), with
    /// `seconds` of media joined.
    fn enough(&self, seconds: f64) -> bool;
}

/// A playlist that is complete: nothing to reload.
pub(crate) struct Fixed;

impl Source for Fixed {
    fn next_reload(&self) -> Option<Instant> {
        None
    }

    async fn reload(&mut self) -> Result<(Vec<Piece>, bool), FetchError> {
        Ok((Vec::new(), true))
    }

    fn enough(&self, _: f64) -> bool {
        false
    }
}

impl Join<'_> {
    /// Fetches `pieces` (all of the track, the init section first; those
    /// before `self.done` are in the part already) over `fan`'s lanes and
    /// writes them in order. `total` counts pieces over every track, for
    /// the row.
    pub(crate) async fn run(
        &mut self,
        budget: &ConnectionBudget,
        fan: Fan,
        pieces: Vec<Piece>,
        source: &mut impl Source,
        progress: &mut Progress,
    ) -> Ended {
        let closed = source.next_reload().is_none();
        // A complete playlist's pieces may wait on disk, and an earlier
        // run's are taken; a live recording starts anew.
        let kept_pieces = closed.then(|| KeptPieces::new(&self.part.dir, self.key));
        let kept = kept_pieces
            .as_ref()
            .map(|k| k.found(self.done))
            .unwrap_or_default();
        // A lane beyond the first holds a connection of the engine's budget.
        let extra: Vec<ConnectionPermit> = (1..fan.lanes()).map_while(|_| budget.try_permit()).collect();
        let lanes = 1 + extra.len();
        let shared = Arc::new(Shared {
            fetcher: self.fetcher.clone(),
            queue: std::sync::Mutex::new(PieceQueue {
                pieces,
                taken: self.done,
                again: Vec::new(),
                closed,
                kept,
            }),
            more: Notify::new(),
            window: Semaphore::new((2 * lanes).max(4)),
            over: AtomicBool::new(false),
            kept: kept_pieces,
            next: AtomicUsize::new(self.done),
            recorded: watch::Sender::new(self.done),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let permits = std::iter::once(None)
            .chain(extra.into_iter().map(Some))
            .enumerate();
        let joined = async {
            let ended = self.joiner(&shared, rx, source, progress).await;
            // Lanes end at their next step, their requests at once.
            shared.over.store(true, Ordering::SeqCst);
            shared.window.close();
            shared.more.notify_waiters();
            shared.recorded.send_replace(usize::MAX);
            if let (Ended::Joined, Some(kept)) = (&ended, &shared.kept) {
                kept.clear();
            }
            ended
        };
        match fan {
            Fan::One => {
                let lane = lane(shared.clone(), tx, Worker::Sequential, None);
                tokio::join!(lane, joined).1
            }
            Fan::Tasks(_) => {
                for (i, permit) in permits {
                    tokio::spawn(lane(shared.clone(), tx.clone(), Worker::Slot(i), permit));
                }
                drop(tx);
                joined.await
            }
            Fan::Threads(_) => {
                let handle = tokio::runtime::Handle::current();
                for (i, permit) in permits {
                    let (shared, tx, handle) = (shared.clone(), tx.clone(), handle.clone());
                    let spawned = std::thread::Builder::new()
                        .name(format!("stream-lane-{i}"))
                        .spawn(move || handle.block_on(lane(shared, tx, Worker::Thread(i), permit)));
                    if let Err(e) = spawned {
                        tracing::warn!(error = %e, "no thread for a lane of a stream");
                    }
                }
                drop(tx);
                joined.await
            }
        }
    }

    async fn joiner(
        &mut self,
        shared: &Shared,
        mut rx: mpsc::UnboundedReceiver<Fetched>,
        source: &mut impl Source,
        progress: &mut Progress,
    ) -> Ended {
        let fetcher = &*shared.fetcher;
        let mut order = Reorder::starting_at(self.done);
        let mut seconds = 0.0;
        // Recorded from the start: a run killed before its first join
        // leaves a part the next run continues (or clears), not a stray.
        self.mark();
        loop {
            let complete = {
                let queue = sync::lock(&shared.queue);
                queue.closed && self.done == queue.pieces.len()
            };
            if complete || source.enough(seconds) {
                self.mark();
                return Ended::Joined;
            }
            let woken = fetcher.ctl.wake.notified();
            if fetcher.stopping() {
                self.mark();
                return Ended::Halted;
            }
            let reload = source.next_reload();
            let until = reload.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                got = rx.recv() => {
                    let Some(Fetched { number, lane, started, finished, result, on_disk }) = got else {
                        // Every lane ended without the track being whole.
                        self.mark();
                        return if fetcher.stopping() { Ended::Halted } else { Ended::Failed(FetchError::Cancelled) };
                    };
                    let data = match result {
                        Ok(data) => data,
                        Err(FetchError::Cancelled) if fetcher.stopping() => continue,
                        Err(FetchError::Cancelled) => {
                            // Given up, but the stream goes on: fetch it again,
                            // in the room it held in the window.
                            sync::lock(&shared.queue).again.push(number);
                            shared.window.add_permits(1);
                            shared.more.notify_waiters();
                            continue;
                        }
                        Err(cause) => {
                            fetcher.stop();
                            let url = redact(&sync::lock(&shared.queue).pieces[number].url);
                            return Ended::Failed(FetchError::Segment { number: number + 1, url, cause: Box::new(cause) });
                        }
                    };
                    let mut joined_from_disk = Vec::new();
                    let ready = order.push(number, (data, lane, started, finished, on_disk));
                    let wrote = !ready.is_empty();
                    for (n, (data, lane, started, finished, on_disk)) in ready {
                        if let Err(e) = self.part.file.write_all(&data) {
                            fetcher.stop();
                            return Ended::Failed(self.part.io_error(&e));
                        }
                        if on_disk {
                            joined_from_disk.push(n);
                        }
                        seconds += sync::lock(&shared.queue).pieces[self.done].seconds;
                        self.done += 1;
                        self.bytes += data.len() as u64;
                        progress.joined += 1;
                        shared.window.add_permits(1);
                        fetcher.context.emit(Event::Piece {
                            index: progress.index,
                            number: progress.offset + n,
                            lane,
                            started,
                            finished,
                            joined: fetcher.context.now(),
                        });
                    }
                    if wrote {
                        // Every join is recorded as it happens; the copies
                        // of the pieces joined go only once it is.
                        shared.next.store(self.done, Ordering::SeqCst);
                        self.mark();
                        shared.recorded.send_replace(self.done);
                        if let Some(kept) = &shared.kept {
                            joined_from_disk.iter().for_each(|&n| kept.remove(n));
                        }
                    }
                    // Caught up (a live recording waits for its next
                    // reload): the row hears the count now, not at the next piece.
                    let caught_up = sync::lock(&shared.queue).taken == self.done;
                    progress.report(fetcher, caught_up);
                }
                () = woken => {}
                () = tokio::time::sleep_until(until.into()), if reload.is_some() => {
                    match source.reload().await {
                        Ok((new, ended)) => {
                            let mut queue = sync::lock(&shared.queue);
                            progress.total = progress.total.map(|t| t + new.len());
                            queue.pieces.extend(new);
                            queue.closed = ended;
                            drop(queue);
                            shared.more.notify_waiters();
                        }
                        Err(FetchError::Cancelled) => {}
                        Err(e) => {
                            fetcher.stop();
                            return Ended::Failed(e);
                        }
                    }
                }
            }
        }
    }

    /// Records the pieces joined so far beside the part.
    fn mark(&mut self) {
        if let Err(e) = self.part.mark_stream(self.key, self.done, self.bytes) {
            tracing::debug!(error = %e, "cannot record a stream's progress");
        }
    }
}

/// One lane: takes the next piece while the window has room, fetches it,
/// hands it to the joiner; until the playlist is done or the join is over.
async fn lane(
    shared: Arc<Shared>,
    tx: mpsc::UnboundedSender<Fetched>,
    worker: Worker,
    permit: Option<ConnectionPermit>,
) {
    loop {
        let Ok(budget) = shared.window.acquire().await else {
            break;
        };
        budget.forget();
        let next = loop {
            let more = shared.more.notified();
            {
                let mut queue = sync::lock(&shared.queue);
                if shared.over.load(Ordering::SeqCst) {
                    break None;
                }
                if let Some(number) = queue.again.pop() {
                    break Some((number, queue.pieces[number].clone(), false));
                }
                if queue.taken < queue.pieces.len() {
                    let number = queue.taken;
                    queue.taken += 1;
                    let kept = queue.kept.remove(&number);
                    break Some((number, queue.pieces[number].clone(), kept));
                }
                if queue.closed {
                    break None;
                }
            }
            more.await;
        };
        let Some((number, piece, on_disk)) = next else {
            break;
        };
        let context = &shared.fetcher.context;
        let started = context.now();
        let (result, kept) = obtain(&shared, number, &piece, on_disk).await;
        let finished = context.now();
        let on_disk = kept == Kept::OnDisk;
        // The next piece to join is not kept aside: this lane takes no
        // other before its join is recorded.
        let wait = result.is_ok() && kept == Kept::Next;
        let fetched = Fetched {
            number,
            lane: worker,
            started,
            finished,
            result,
            on_disk,
        };
        if tx.send(fetched).is_err() {
            break;
        }
        if wait {
            let mut recorded = shared.recorded.subscribe();
            let _ = recorded.wait_for(|&joined| joined > number).await;
        }
    }
    drop(permit);
}

/// Where a piece a lane hands over is kept until its join is recorded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kept {
    /// On disk beside the part.
    OnDisk,
    /// In memory only, and it is the next to join: its lane waits for
    /// that join's record.
    Next,
    /// In memory only (a live recording, a disk that refused it).
    Memory,
}

/// Piece `number`'s bytes, and where they are kept: read from where an
/// earlier run kept them (`on_disk`), else fetched, and kept on disk when
/// they arrive before their turn.
async fn obtain(
    shared: &Shared,
    number: usize,
    piece: &Piece,
    on_disk: bool,
) -> (Result<Vec<u8>, FetchError>, Kept) {
    let fetcher = &shared.fetcher;
    let Some(pieces) = &shared.kept else {
        return (fetcher.unless_stopped(fetcher.piece(piece)).await, Kept::Memory);
    };
    if on_disk {
        match pieces.load(number) {
            Ok(data) => {
                fetcher.received.fetch_add(data.len() as u64, Ordering::Relaxed);
                return (Ok(data), Kept::OnDisk);
            }
            Err(e) => tracing::debug!(number, error = %e, "a kept piece is gone: fetched again"),
        }
    }
    let result = fetcher.unless_stopped(fetcher.piece(piece)).await;
    let kept = match &result {
        Ok(_) if number == shared.next.load(Ordering::SeqCst) => Kept::Next,
        Ok(data) => match pieces.save(number, data) {
            // The join ended meanwhile (failed, cancelled): its kept
            // pieces are being removed, this one with them.
            Ok(()) if shared.over.load(Ordering::SeqCst) => {
                pieces.remove(number);
                Kept::Memory
            }
            Ok(()) => Kept::OnDisk,
            Err(e) => {
                tracing::debug!(number, error = %e, "cannot keep a piece aside");
                Kept::Memory
            }
        },
        Err(_) => Kept::Memory,
    };
    (result, kept)
}

/// The row's figures over every track of one stream.
pub(crate) struct Progress {
    pub(crate) index: usize,
    /// Pieces of the tracks before this one: a piece's number in the
    /// whole stream is this plus its number in its track.
    pub(crate) offset: usize,
    pub(crate) joined: usize,
    /// Pieces over every track; `None` while a live one records.
    pub(crate) total: Option<usize>,
    last: Instant,
}

impl Progress {
    pub(crate) fn new(index: usize, joined: usize, total: Option<usize>) -> Self {
        Progress {
            index,
            offset: 0,
            joined,
            total,
            last: Instant::now(),
        }
    }

    /// Tells the listener the bytes so far (with the size the pieces so far
    /// suggest) and the pieces joined; about ten times a second, or now.
    pub(crate) fn report(&mut self, fetcher: &Fetcher, now: bool) {
        if !now && self.last.elapsed() < PROGRESS_EVERY {
            return;
        }
        self.last = Instant::now();
        let bytes = fetcher.received.load(Ordering::Relaxed);
        let total = self.total.filter(|_| self.joined > 0).map(|t| {
            let each = bytes as f64 / self.joined as f64;
            (each * t as f64) as u64
        });
        fetcher.context.emit(Event::Pieces {
            index: self.index,
            done: self.joined,
            total: self.total,
        });
        fetcher.context.emit(Event::Progress {
            index: self.index,
            bytes,
            total: total.map(|t| t.max(bytes)),
        });
    }
}
