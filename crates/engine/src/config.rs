//! The engine's settings: which backend fans out, how HTTP behaves, where
//! a remote aria2 is, and why an engine could not start.

use std::time::Duration;

use super::auth::Logins;
use super::proxy::ProxyConfig;
use super::rules::SiteRules;
use super::sort::Categories;

/// Which way downloads are fanned out: the three versions of the Python note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// One worker thread, one download after another.
    Sequential,
    /// A pool of OS threads, each taking the next task and blocked on it.
    Threads { workers: usize },
    /// Tokio tasks with async HTTP, at most `limit` in flight; 0 = unbounded.
    Async { limit: usize },
    /// An aria2 daemon over JSON-RPC ([`EngineConfig::aria2`]), at most
    /// `limit` downloads handed to it at once.
    Aria2 { limit: usize },
}

impl BackendKind {
    /// The Python note's `ThreadPoolExecutor(max_workers=20)`.
    pub const DEFAULT_THREADS: usize = 20;
    /// Enough to keep a typical album in flight at once.
    pub const DEFAULT_ASYNC_LIMIT: usize = 64;
    /// aria2's own default for `max-concurrent-downloads` is 5; more handed
    /// over at once would wait in its queue.
    pub const DEFAULT_ARIA2_LIMIT: usize = 5;

    /// The most downloads this backend runs at once; `None` is unbounded.
    pub fn limit(&self) -> Option<usize> {
        match *self {
            BackendKind::Sequential => Some(1),
            BackendKind::Threads { workers } => Some(workers),
            BackendKind::Async { limit: 0 } => None,
            BackendKind::Async { limit } | BackendKind::Aria2 { limit } => Some(limit),
        }
    }
}

/// What to do when a download's file is already in its folder (the
/// window saves the choice by these names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IfExists {
    /// Save the new one beside it as `NAME (1).ext`.
    #[default]
    Rename,
    /// Keep it and fetch nothing (curl's `--skip-existing`, wget's `-nc`).
    Skip,
    /// Ask the server whether it changed (`If-Modified-Since`,
    /// `If-None-Match`) and replace it only with a whole new copy, stamped
    /// with the server's date (wget's `-N`, aria2's `--conditional-get`).
    Update,
}

impl IfExists {
    pub const ALL: [IfExists; 3] = [IfExists::Rename, IfExists::Skip, IfExists::Update];
}

/// How the engine talks HTTP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    pub backend: BackendKind,
    /// Give up on a connection attempt after this long.
    pub connect_timeout: Duration,
    /// Give up on an attempt when no byte arrived for this long (a stall
    /// watchdog, not a limit on the whole transfer: a 10 GB file may take
    /// hours). The attempt is then retried.
    pub read_timeout: Duration,
    /// Attempts after the first for a lost connection, a stall, a short
    /// body or a 5xx; each continues from the bytes already on disk when
    /// the server supports ranges.
    pub retries: usize,
    /// The first pause before a retry; it doubles (with jitter) up to 30 s.
    pub retry_delay: Duration,
    pub user_agent: String,
    /// Connections for one file when the server takes ranges and the file
    /// is at least `segment_threshold` bytes (1 = never split). Each one
    /// counts against the backend's worker limit.
    pub segments: usize,
    pub segment_threshold: u64,
    /// Where the aria2 backend sends its downloads.
    pub aria2: Option<Aria2Remote>,
    /// Which proxy requests go through.
    pub proxy: ProxyConfig,
    /// Send a URL's own user and password over plain HTTP to a public
    /// address too (see [`super::auth::plain_auth_refused`]).
    pub allow_plain_auth: bool,
    /// Logins for sites whose URLs name none (saved ones, a netrc file).
    pub logins: Logins,
    pub if_exists: IfExists,
    /// Sort finished files into subfolders by type (`None`: off).
    pub sort: Option<std::sync::Arc<Categories>>,
    /// Per-site rules, first match first.
    pub rules: SiteRules,
    /// Torrents' listen port and peer discovery.
    pub torrent: TorrentConfig,
}

/// An aria2 daemon: its JSON-RPC address and secret token. The secret is
/// never printed (`Debug` shows `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct Aria2Remote {
    /// `http://HOST:6800/jsonrpc` (or https).
    pub url: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for Aria2Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aria2Remote")
            .field("url", &self.url)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

impl EngineConfig {
    /// At most this many connections for one file.
    pub const MAX_SEGMENTS: usize = 32;
    pub const DEFAULT_SEGMENTS: usize = 8;
    pub const DEFAULT_SEGMENT_THRESHOLD: u64 = 16 * 1024 * 1024;

    pub fn new(backend: BackendKind) -> Self {
        EngineConfig {
            backend,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(30),
            retries: 5,
            retry_delay: Duration::from_secs(1),
            user_agent: concat!("fanout/", env!("CARGO_PKG_VERSION")).to_string(),
            segments: Self::DEFAULT_SEGMENTS,
            segment_threshold: Self::DEFAULT_SEGMENT_THRESHOLD,
            aria2: None,
            proxy: ProxyConfig::default(),
            allow_plain_auth: false,
            logins: Logins::default(),
            if_exists: IfExists::default(),
            sort: None,
            rules: SiteRules::default(),
            torrent: TorrentConfig::default(),
        }
    }
}

/// The BitTorrent side of the engine, used once a torrent is added (the
/// session starts then, not before).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TorrentConfig {
    /// The port peers connect to; `None`: one the system picks.
    pub port: Option<u16>,
    /// The DHT and local peer discovery: off, peers come only from
    /// trackers and those given.
    pub dht: bool,
    /// Bytes per second every torrent uploads at most; `None`: no limit.
    /// A torrent's own `upload_limit` replaces it.
    pub upload_limit: Option<u64>,
}

impl Default for TorrentConfig {
    fn default() -> Self {
        TorrentConfig {
            port: None,
            dht: true,
            upload_limit: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("invalid engine settings: {0}")]
    Config(String),
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
    #[error("cannot start workers: {0}")]
    Spawn(#[from] std::io::Error),
    #[error("{0}")]
    Remote(String),
}
