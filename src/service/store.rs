//! The persisted queue: every task the window was given, its state, bytes,
//! final path and error, in SQLite in the user's data folder.
//!
//! Writes are transactions in WAL mode, so a crash or power cut at any moment
//! leaves the last committed state readable. The window never writes on its
//! own thread: it sends [`Op`]s to a [`Writer`] thread, which applies what has
//! piled up in one transaction.
//!
//! Secrets are not stored here: a task's URL is stored with its password
//! hidden (`user:***@`), and its password and `Cookie`/`Authorization`
//! headers ([`TaskSecret`]) go to the keyring from the same thread
//! ([`Writer::with_secrets`]), for the tasks that may run again.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use std::collections::BTreeMap;

use crossbeam_channel::{Receiver, Sender};
use rusqlite::{Connection, params};

use crate::engine::Header;
use crate::input::Options;
use crate::platform::secrets::{QUEUE_SECRETS, Secrets};

/// Where a task stands, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredState {
    /// Not finished: queued, running or paused when last seen.
    Unfinished,
    Done,
    Failed,
    Cancelled,
}

impl StoredState {
    fn as_str(self) -> &'static str {
        match self {
            StoredState::Unfinished => "unfinished",
            StoredState::Done => "done",
            StoredState::Failed => "failed",
            StoredState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> StoredState {
        match s {
            "done" => StoredState::Done,
            "failed" => StoredState::Failed,
            "cancelled" => StoredState::Cancelled,
            _ => StoredState::Unfinished,
        }
    }
}

/// One task as stored. `id` is its place in the queue (0, 1, 2, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTask {
    pub id: usize,
    pub url: String,
    pub dir: PathBuf,
    pub state: StoredState,
    pub name: Option<String>,
    pub path: Option<PathBuf>,
    pub bytes: u64,
    pub total: Option<u64>,
    pub error: Option<String>,
    pub rank: Option<usize>,
    pub worker: Option<String>,
    /// `ETag` or `Last-Modified` of the file, as last seen.
    pub validator: Option<String>,
    /// What the line asked besides the URL, as `key=value` words
    /// (`sha256=… segments=4 limit=1M`; see [`crate::input`]).
    pub options: String,
    /// Taken off the RPC's list of results (`removeDownloadResult`); the
    /// window still shows it.
    pub forgotten: bool,
    /// Removed by the user (`Remove`): off the window's list and the
    /// RPC's. Kept as a row (a tombstone), not deleted: a task's id is its
    /// place in the list, which the engine's indices follow.
    pub removed: bool,
    /// Kept in the keyring, not in the store (see [`Writer::with_secrets`]).
    pub secret: Option<TaskSecret>,
}

/// What of a task is a secret: its whole URL when that holds a password,
/// and its secret header lines. `Debug` shows none of it.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TaskSecret {
    pub url: Option<String>,
    pub headers: Vec<String>,
}

impl std::fmt::Debug for TaskSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TaskSecret(***)")
    }
}

impl TaskSecret {
    /// Splits a task's URL and options into what may be stored (the URL
    /// with its password hidden, the options without secret headers) and
    /// its secrets, if it has any.
    pub fn split(url: &str, options: &Options) -> (String, Options, Option<TaskSecret>) {
        let shown = crate::engine::auth::redact(url);
        let mut public = options.clone();
        let (secret, open): (Vec<Header>, Vec<Header>) =
            options.headers.iter().cloned().partition(Header::is_secret);
        public.headers = open.into_iter().collect();
        let secret = TaskSecret {
            url: (shown != url).then(|| url.to_string()),
            headers: secret.iter().map(Header::line).collect(),
        };
        let any = secret.url.is_some() || !secret.headers.is_empty();
        (shown, public, any.then_some(secret))
    }

    /// Gives a restored task its secrets back: its whole URL, and the
    /// secret headers into `options`.
    pub fn restore(&self, url: &mut String, options: &mut Options) {
        if let Some(full) = &self.url {
            *url = full.clone();
        }
        for line in &self.headers {
            if let Ok(h) = Header::parse(line) {
                options.headers.push(h);
            }
        }
    }
}

/// Secrets of the tasks that may run again, by task id.
pub type QueueSecrets = BTreeMap<usize, TaskSecret>;

impl StoredTask {
    pub fn new(id: usize, url: impl Into<String>, dir: impl Into<PathBuf>) -> StoredTask {
        StoredTask {
            id,
            url: url.into(),
            dir: dir.into(),
            state: StoredState::Unfinished,
            name: None,
            path: None,
            bytes: 0,
            total: None,
            error: None,
            rank: None,
            worker: None,
            validator: None,
            options: String::new(),
            forgotten: false,
            removed: false,
            secret: None,
        }
    }
}

/// A change to the stored queue.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // short-lived, on their way to the writer
pub enum Op {
    /// A new task, or a task's new state (the whole row is written).
    Put(StoredTask),
    /// Forget every task (a fresh queue).
    Clear,
}

#[derive(Debug, thiserror::Error)]
#[error("queue store {path}: {source}")]
pub struct StoreError {
    pub path: String,
    #[source]
    pub source: rusqlite::Error,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tasks (
    id      INTEGER PRIMARY KEY,
    url     TEXT NOT NULL,
    dir     TEXT NOT NULL,
    state   TEXT NOT NULL,
    name    TEXT,
    path    TEXT,
    bytes   INTEGER NOT NULL DEFAULT 0,
    total   INTEGER,
    error   TEXT,
    rank    INTEGER,
    worker  TEXT,
    validator TEXT,
    options TEXT NOT NULL DEFAULT '',
    forgotten INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0
);";

/// Creates the store's file readable by the user only before SQLite writes
/// a byte (its journal files take the database's mode).
fn make_private(path: &Path) {
    if !path.exists() {
        let _ = std::fs::File::create(path);
    }
    if let Err(e) = crate::platform::private::restrict(path) {
        tracing::warn!(path = %path.display(), error = %e, "cannot make the queue private");
    }
}

impl Store {
    /// Opens (or creates) the store. A file that is not a readable store is
    /// moved aside as `NAME.damaged` and a new one started, so a damaged file
    /// never keeps the app from opening.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let err = |source| StoreError {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        make_private(path);
        match Self::open_checked(path) {
            Ok(conn) => Ok(Store {
                conn,
                path: path.to_path_buf(),
            }),
            Err(e) if path.exists() => {
                let aside = path.with_extension("damaged");
                tracing::warn!(path = %path.display(), error = %e, aside = %aside.display(), "queue store unreadable; starting a new one");
                let _ = std::fs::rename(path, &aside);
                for ext in ["sqlite3-wal", "sqlite3-shm"] {
                    let _ = std::fs::remove_file(path.with_extension(ext));
                }
                make_private(path);
                Ok(Store {
                    conn: Self::open_checked(path).map_err(err)?,
                    path: path.to_path_buf(),
                })
            }
            Err(e) => Err(err(e)),
        }
    }

    fn open_checked(path: &Path) -> rusqlite::Result<Connection> {
        let conn = Connection::open(path)?;
        // WAL: a commit is one append; readers never see half a transaction.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        // Stores from before validators (and options) were kept get the
        // columns.
        for (column, decl) in [
            ("validator", "TEXT"),
            ("options", "TEXT NOT NULL DEFAULT ''"),
            ("forgotten", "INTEGER NOT NULL DEFAULT 0"),
            ("removed", "INTEGER NOT NULL DEFAULT 0"),
        ] {
            if conn
                .prepare(&format!("SELECT {column} FROM tasks LIMIT 0"))
                .is_err()
            {
                conn.execute_batch(&format!("ALTER TABLE tasks ADD COLUMN {column} {decl}"))?;
            }
        }
        conn.query_row("SELECT count(*) FROM tasks", [], |r| r.get::<_, i64>(0))?;
        Ok(conn)
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Every task, in queue order.
    pub fn load(&self) -> Result<Vec<StoredTask>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, url, dir, state, name, path, bytes, total, error, rank, worker, validator, options, forgotten, removed FROM tasks ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StoredTask {
                    id: r.get::<_, i64>(0)? as usize,
                    url: r.get(1)?,
                    dir: PathBuf::from(r.get::<_, String>(2)?),
                    state: StoredState::parse(&r.get::<_, String>(3)?),
                    name: r.get(4)?,
                    path: r.get::<_, Option<String>>(5)?.map(PathBuf::from),
                    bytes: r.get::<_, i64>(6)? as u64,
                    total: r.get::<_, Option<i64>>(7)?.map(|n| n as u64),
                    error: r.get(8)?,
                    rank: r.get::<_, Option<i64>>(9)?.map(|n| n as usize),
                    worker: r.get(10)?,
                    validator: r.get(11)?,
                    options: r.get(12)?,
                    forgotten: r.get::<_, i64>(13)? != 0,
                    removed: r.get::<_, i64>(14)? != 0,
                    secret: None,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Applies `ops` in one transaction: all of them or none.
    pub fn apply(&mut self, ops: &[Op]) -> Result<(), StoreError> {
        let path = self.path.display().to_string();
        let err = |source| StoreError {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO tasks (id, url, dir, state, name, path, bytes, total, error, rank, worker, validator, options, forgotten, removed)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                )
                .map_err(err)?;
            for op in ops {
                match op {
                    Op::Put(t) => {
                        put.execute(params![
                            t.id as i64,
                            t.url,
                            t.dir.to_string_lossy(),
                            t.state.as_str(),
                            t.name,
                            t.path.as_ref().map(|p| p.to_string_lossy().into_owned()),
                            t.bytes as i64,
                            t.total.map(|n| n as i64),
                            t.error,
                            t.rank.map(|n| n as i64),
                            t.worker,
                            t.validator,
                            t.options,
                            i64::from(t.forgotten),
                            i64::from(t.removed),
                        ])
                        .map_err(err)?;
                    }
                    Op::Clear => {
                        tx.execute("DELETE FROM tasks", []).map_err(err)?;
                    }
                }
            }
        }
        tx.commit().map_err(err)
    }
}

/// The store on a thread of its own. Dropping it writes what is pending and
/// waits for that.
pub struct Writer {
    ops: Option<Sender<Msg>>,
    thread: Option<JoinHandle<()>>,
    /// The last write error, for the window to show.
    pub error: Arc<Mutex<Option<String>>>,
}

/// What the writer's thread is told: a change, or to say when every
/// change sent before is committed.
#[allow(clippy::large_enum_variant)] // short-lived, as `Op`
enum Msg {
    Op(Op),
    /// Called once everything sent before is committed.
    Committed(Box<dyn FnOnce() + Send>),
}

/// Keeps the tasks' secrets in sync with what the store is told.
struct QueueSecretsKept {
    secrets: Secrets,
    kept: QueueSecrets,
}

impl QueueSecretsKept {
    /// Reads what the keyring holds (sent on `loaded` for the restore).
    fn open(secrets: Secrets, loaded: &Sender<QueueSecrets>) -> QueueSecretsKept {
        let kept: QueueSecrets = match secrets.get(QUEUE_SECRETS) {
            Ok((Some(json), _)) => serde_json::from_str(&json).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the queue's secrets are unreadable");
                QueueSecrets::new()
            }),
            Ok((None, _)) => QueueSecrets::new(),
            Err(e) => {
                tracing::warn!(error = %e, "the queue's secrets cannot be read");
                QueueSecrets::new()
            }
        };
        let _ = loaded.send(kept.clone());
        QueueSecretsKept { secrets, kept }
    }

    /// Follows `batch`: a task that may run again keeps its secrets; a
    /// finished or cancelled one, or a cleared queue, loses them. (A task
    /// saved without secrets keeps those it has here: a restored one is
    /// saved before it has them back.)
    fn follow(&mut self, batch: &[Op]) -> Result<(), String> {
        let mut changed = false;
        for op in batch {
            changed |= match op {
                Op::Put(t) => match (&t.secret, t.state) {
                    (_, StoredState::Done | StoredState::Cancelled) => self.kept.remove(&t.id).is_some(),
                    (Some(s), _) => self.kept.insert(t.id, s.clone()).as_ref() != Some(s),
                    (None, _) => false,
                },
                Op::Clear => {
                    let had = !self.kept.is_empty();
                    self.kept.clear();
                    had
                }
            };
        }
        if !changed {
            return Ok(());
        }
        let json = serde_json::to_string(&self.kept).map_err(|e| e.to_string())?;
        let value = (!self.kept.is_empty()).then_some(json);
        self.secrets
            .set(QUEUE_SECRETS, value.as_deref())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

impl Writer {
    pub fn new(store: Store) -> Writer {
        Self::start(store, None)
    }

    /// A writer that also keeps the tasks' secrets in `secrets`; what they
    /// held at start arrives on the receiver, for the restored queue.
    pub fn with_secrets(store: Store, secrets: Secrets) -> (Writer, Receiver<QueueSecrets>) {
        let (loaded, rx) = crossbeam_channel::bounded(1);
        (Self::start(store, Some((secrets, loaded))), rx)
    }

    fn start(mut store: Store, secrets: Option<(Secrets, Sender<QueueSecrets>)>) -> Writer {
        let (ops, rx): (Sender<Msg>, Receiver<Msg>) = crossbeam_channel::unbounded();
        // A test's way to make the disk slow, so that an answer sent before
        // its change is committed would be caught by a `kill -9`.
        let slow = std::env::var("FANOUT_TEST_SLOW_STORE_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map(std::time::Duration::from_millis);
        let error = Arc::new(Mutex::new(None));
        let slot = error.clone();
        let thread = std::thread::Builder::new()
            .name("fanout-store".into())
            .spawn(move || {
                let mut kept = secrets.map(|(s, loaded)| QueueSecretsKept::open(s, &loaded));
                while let Ok(first) = rx.recv() {
                    // Everything that piled up goes in one transaction;
                    // those waiting for it hear once it is committed.
                    let (mut batch, mut waiting) = (Vec::new(), Vec::new());
                    for msg in std::iter::once(first).chain(rx.try_iter()) {
                        match msg {
                            Msg::Op(op) => batch.push(op),
                            Msg::Committed(then) => waiting.push(then),
                        }
                    }
                    if let Some(pause) = slow {
                        std::thread::sleep(pause);
                    }
                    if batch.is_empty() {
                        waiting.into_iter().for_each(|then| then());
                        continue;
                    }
                    if let Err(e) = store.apply(&batch) {
                        tracing::warn!(error = %e, "queue not saved");
                        *crate::sync::lock(&slot) = Some(e.to_string());
                    }
                    if let Some(Err(e)) = kept.as_mut().map(|b| b.follow(&batch)) {
                        tracing::warn!(error = %e, "the queue's secrets not kept");
                        *crate::sync::lock(&slot) = Some(e);
                    }
                    waiting.into_iter().for_each(|then| then());
                }
            })
            .ok();
        Writer {
            ops: Some(ops),
            thread,
            error,
        }
    }

    pub fn send(&self, op: Op) {
        if let Some(ops) = &self.ops {
            let _ = ops.send(Msg::Op(op));
        }
    }

    /// Waits until every change sent before is committed (SQLite in WAL
    /// mode: it then survives a killed process). A writer whose thread is
    /// gone returns at once.
    pub fn flush(&self) {
        let (done, wait) = crossbeam_channel::bounded(1);
        self.when_committed(move || {
            let _ = done.send(());
        });
        let _ = wait.recv();
    }

    /// Runs `then` on the writer's thread once every change sent before is
    /// committed, without waiting here (the window's thread must not): an
    /// answer to send, a hand-over to acknowledge. Never run if the
    /// writer's thread is gone.
    pub fn when_committed(&self, then: impl FnOnce() + Send + 'static) {
        if let Some(ops) = &self.ops {
            let _ = ops.send(Msg::Committed(Box::new(then)));
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.ops = None; // ends the thread's loop once it has written the rest
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_round_trip_through_the_writer_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/queue.sqlite3");
        {
            let writer = Writer::new(Store::open(&path).unwrap());
            writer.send(Op::Put(StoredTask::new(0, "http://h/a", "/tmp/dl")));
            let mut done = StoredTask::new(1, "http://h/西湖.jpg", "/tmp/dl");
            done.state = StoredState::Done;
            done.path = Some("/tmp/dl/西湖.jpg".into());
            done.bytes = 42;
            done.total = Some(42);
            done.rank = Some(1);
            done.worker = Some("thread-0".into());
            done.validator = Some("\"v1\"".into());
            done.options = "segments=4 limit=1048576".into();
            writer.send(Op::Put(done.clone()));
        }
        let mut store = Store::open(&path).unwrap();
        // URLs may carry tokens: the file and its journal are the user's alone.
        #[cfg(unix)]
        for file in [path.clone(), path.with_extension("sqlite3-wal")] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", file.display());
        }
        let tasks = store.load().unwrap();
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0], StoredTask::new(0, "http://h/a", "/tmp/dl"));
        assert_eq!(tasks[1].state, StoredState::Done);
        assert_eq!(tasks[1].path.as_deref(), Some(Path::new("/tmp/dl/西湖.jpg")));
        assert_eq!(tasks[1].options, "segments=4 limit=1048576");
        // A later state of a task replaces the earlier; Clear starts afresh.
        let mut again = tasks[0].clone();
        again.state = StoredState::Failed;
        again.error = Some("HTTP 404 Not Found".into());
        store.apply(&[Op::Put(again.clone())]).unwrap();
        assert_eq!(store.load().unwrap()[0], again);
        store
            .apply(&[Op::Clear, Op::Put(StoredTask::new(0, "http://h/c", "/d"))])
            .unwrap();
        assert_eq!(store.load().unwrap(), [StoredTask::new(0, "http://h/c", "/d")]);
    }

    #[test]
    fn a_damaged_store_is_moved_aside_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite3");
        std::fs::write(&path, b"this is not a database, just bytes that look wrong").unwrap();
        let store = Store::open(&path).unwrap();
        assert!(store.load().unwrap().is_empty());
        assert!(dir.path().join("queue.damaged").exists());
    }
}
