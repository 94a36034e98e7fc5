//! SHA-256 checks: the CPU-bound part of a download, where the Python note says a
//! pool of CPUs belongs. Hashing runs on a pool of threads sized to the
//! cores, never on an I/O worker (whose job is to keep the socket drained)
//! nor on the UI thread.
//!
//! A single-stream download hashes as it goes: each chunk is handed to the
//! pool, and a transfer's chunks are hashed one after another in order (a
//! serial queue per transfer on the shared pool), so the check costs almost
//! nothing once the last byte is in. A segmented download's bytes arrive out
//! of order, so its file is hashed once assembled.

use std::collections::VecDeque;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

use crate::sync::lock;

type Work = Box<dyn FnOnce() + Send>;

/// The process's hashing threads, started on first use.
fn pool() -> &'static crossbeam_channel::Sender<Work> {
    static POOL: OnceLock<crossbeam_channel::Sender<Work>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = crossbeam_channel::unbounded::<Work>();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..cores {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("fanout-hash-{i}"))
                .spawn(move || {
                    for work in rx {
                        work();
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start a hashing thread");
            }
        }
        tx
    })
}

fn spawn(work: impl FnOnce() + Send + 'static) {
    if let Err(e) = pool().send(Box::new(work)) {
        // No thread could start: hash right here rather than not at all.
        (e.into_inner())();
    }
}

/// A digest to come, or why there is none (the file could not be read).
pub(crate) type Pending = tokio::sync::oneshot::Receiver<Result<[u8; 32], std::io::Error>>;

/// Hashes the file at `path` on the pool.
pub(crate) fn file(path: PathBuf) -> Pending {
    let (tx, rx) = tokio::sync::oneshot::channel();
    spawn(move || {
        let digest = (|| {
            let mut f = std::fs::File::open(&path)?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                match f.read(&mut buf)? {
                    0 => break,
                    n => hasher.update(&buf[..n]),
                }
            }
            Ok::<_, std::io::Error>(hasher.finalize().into())
        })();
        let _ = tx.send(digest);
    });
    rx
}

/// The running hash of one transfer's bytes, fed in order.
pub(crate) struct Stream {
    inner: Arc<Mutex<StreamState>>,
}

/// Bytes a stream may have waiting for the pool. A download faster than
/// hashing would otherwise queue up the file in memory: past this, the
/// stream gives up and the file is hashed once it is complete.
const MAX_PENDING: usize = 16 * 1024 * 1024;

struct StreamState {
    pending: VecDeque<bytes::Bytes>,
    pending_bytes: usize,
    /// Taken by the pool thread that drains `pending`; at most one does.
    hasher: Option<Sha256>,
    /// Set by [`Stream::finish`]: send the digest once `pending` is empty.
    done: Option<tokio::sync::oneshot::Sender<Result<[u8; 32], std::io::Error>>>,
}

impl Stream {
    pub(crate) fn new() -> Self {
        Stream {
            inner: Arc::new(Mutex::new(StreamState {
                pending: VecDeque::new(),
                pending_bytes: 0,
                hasher: Some(Sha256::new()),
                done: None,
            })),
        }
    }

    /// Queues a chunk for hashing. False if the hashing fell too far
    /// behind: drop the stream and hash the finished file instead.
    pub(crate) fn update(&self, chunk: bytes::Bytes) -> bool {
        let mut state = lock(&self.inner);
        if state.pending_bytes + chunk.len() > MAX_PENDING {
            state.pending.clear();
            state.pending_bytes = 0;
            return false;
        }
        state.pending_bytes += chunk.len();
        state.pending.push_back(chunk);
        self.schedule(state);
        true
    }

    /// The digest of everything fed so far.
    pub(crate) fn finish(self) -> Pending {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut state = lock(&self.inner);
        state.done = Some(tx);
        self.schedule(state);
        rx
    }

    /// Starts a drain on the pool unless one runs (it holds the hasher).
    fn schedule(&self, mut state: std::sync::MutexGuard<'_, StreamState>) {
        let Some(mut hasher) = state.hasher.take() else {
            return;
        };
        drop(state);
        let inner = self.inner.clone();
        spawn(move || {
            loop {
                let mut state = lock(&inner);
                match state.pending.pop_front() {
                    Some(chunk) => {
                        state.pending_bytes -= chunk.len();
                        drop(state);
                        hasher.update(&chunk);
                    }
                    None => {
                        if let Some(done) = state.done.take() {
                            let _ = done.send(Ok(hasher.finalize().into()));
                        } else {
                            state.hasher = Some(hasher);
                        }
                        return;
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_fed_in_pieces_hashes_like_the_whole() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole: [u8; 32] = Sha256::digest(&data).into();
        let stream = Stream::new();
        for piece in data.chunks(4096) {
            assert!(stream.update(bytes::Bytes::copy_from_slice(piece)));
        }
        assert_eq!(stream.finish().blocking_recv().unwrap().unwrap(), whole);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, &data).unwrap();
        assert_eq!(file(path).blocking_recv().unwrap().unwrap(), whole);
        // A stream that falls too far behind says so instead of growing.
        let stream = Stream::new();
        let big = bytes::Bytes::from(vec![0u8; MAX_PENDING]);
        let kept = (0..8).map(|_| stream.update(big.clone())).collect::<Vec<_>>();
        assert!(kept.contains(&false));
    }
}
