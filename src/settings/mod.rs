//! What fanout remembers across runs, for the window and `fanout serve`
//! alike: one serde struct in the user's config folder, written atomically
//! (a temp file, then a rename), so a crash mid-write leaves the old
//! settings, never half a file. No egui here: the window maps `Theme` to
//! egui's own type itself. `programs` holds the settings of fanout beside
//! other programs: the RPC server it offers, the server the window shows;
//! `view` the window's own layout.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::auth::{Login, Logins};
use crate::engine::netrc::Netrc;
use crate::engine::rules::SiteRules;
use crate::engine::sort::Categories;
use crate::engine::{
    Aria2Remote, BackendKind, EngineConfig, IfExists, Order, ProxyChoice, ProxyConfig, ProxyServer,
};
use crate::i18n::{Lang, tr};
use crate::settings::schedule::Schedule;

mod programs;
pub mod schedule;
mod torrents;
mod view;
pub use programs::{RpcSettings, ServerSettings};
pub use torrents::TorrentSettings;
pub use view::{DetailsTab, ViewSettings};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineChoice {
    Sequential,
    Threads,
    Async,
    /// A remote aria2 daemon over JSON-RPC.
    Aria2,
}

impl EngineChoice {
    pub const ALL: [EngineChoice; 4] = [
        EngineChoice::Sequential,
        EngineChoice::Threads,
        EngineChoice::Async,
        EngineChoice::Aria2,
    ];

    /// In the window's language (aria2 is a name in both).
    pub fn label(self) -> &'static str {
        match self {
            EngineChoice::Sequential => tr!(EngSequential),
            EngineChoice::Threads => tr!(EngThreads),
            EngineChoice::Async => tr!(EngAsync),
            EngineChoice::Aria2 => "aria2",
        }
    }

    /// The local engine a comparison's backend is.
    pub fn of(backend: BackendKind) -> EngineChoice {
        match backend {
            BackendKind::Sequential => EngineChoice::Sequential,
            BackendKind::Threads { .. } => EngineChoice::Threads,
            BackendKind::Async { .. } => EngineChoice::Async,
            BackendKind::Aria2 { .. } => EngineChoice::Aria2,
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            EngineChoice::Sequential => tr!(EngSequentialHelp),
            EngineChoice::Threads => tr!(EngThreadsHelp),
            EngineChoice::Async => tr!(EngAsyncHelp),
            EngineChoice::Aria2 => tr!(EngAria2Help),
        }
    }
}

/// The window's colours: the desktop's light or dark (followed while the
/// window runs), or one of them always.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => tr!(ThemeSystem),
            Theme::Light => tr!(ThemeLight),
            Theme::Dark => tr!(ThemeDark),
        }
    }
}

/// A secret (a token, a password): never written to `settings.json` (it
/// lives in the keyring, see [`crate::platform::secrets`] and `gui::vault`), never
/// shown by `Debug`, so never in a log.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub engine: EngineChoice,
    /// Workers of the thread pool (kept while another engine is chosen).
    pub threads: usize,
    /// Tasks in flight for the async engine; 0 = no limit.
    pub async_limit: usize,
    pub keep_order: bool,
    pub download_dir: PathBuf,
    pub connect_timeout_secs: u64,
    /// No byte for this long: the attempt is stalled and is retried.
    pub idle_timeout_secs: u64,
    /// Tries after the first for a lost connection, a stall or a 5xx.
    pub retries: usize,
    /// Unfinished downloads continue by themselves when the app starts
    /// (otherwise they come back paused).
    pub resume_on_start: bool,
    /// Connections for one big file.
    pub segments: usize,
    /// Over all downloads, in KiB/s; 0 = none.
    pub speed_limit_kib: u64,
    /// The aria2 engine: the daemon's JSON-RPC address, its secret token
    /// (else $FANOUT_ARIA2_SECRET), the folder on its machine, and how many
    /// downloads it is given at once.
    pub aria2_url: String,
    /// Read from an older `settings.json` (moved to the keyring at start),
    /// never written there.
    #[serde(skip_serializing)]
    pub aria2_secret: Secret,
    pub aria2_dir: String,
    pub aria2_limit: usize,
    /// The window's language; `None` follows the system's.
    pub language: Option<Lang>,
    /// Light, dark, or as the desktop is.
    pub theme: Theme,
    /// A desktop notification when a batch of downloads ends.
    pub notify: bool,
    /// The engine comparison saves into the download folder and keeps the
    /// files, instead of a scratch folder it removes.
    pub compare_keep: bool,
    /// The aria2-compatible RPC server that browser extensions feed.
    pub rpc: RpcSettings,
    /// Which downloads the window shows: this computer's, or a server's.
    pub server: ServerSettings,
    /// The server's token (kept in the keyring, never in this file).
    #[serde(skip)]
    pub server_secret: Secret,
    /// When the file is already in the folder.
    pub if_exists: IfExists,
    /// What happens when a batch ends (see `gui::after_batch`).
    pub after_batch: AfterBatch,
    pub after_command: String,
    /// Only when no download of the batch failed.
    pub after_only_if_ok: bool,
    /// Finished files go to subfolders by type.
    pub sort: bool,
    /// The categories, as `Folder: ext ext…` lines (editable).
    pub categories: String,
    /// Proxy and logins.
    pub network: NetworkSettings,
    /// The proxy's password (in the keyring).
    #[serde(skip)]
    pub proxy_password: Secret,
    /// Logins saved with `Remember for this site` (in the keyring).
    #[serde(skip)]
    pub site_logins: Vec<(String, Login)>,
    /// Logins given for this run only.
    #[serde(skip)]
    pub session_logins: Vec<(String, Login)>,
    /// The per-site rules, as `rules.toml` in the config folder holds them
    /// (a file of its own, to be edited by hand too).
    #[serde(skip)]
    pub rules: String,
    /// An icon in the tray, where the desktop has a tray.
    pub tray: bool,
    /// What closing the window does while downloads run (with a tray).
    pub on_close: OnClose,
    /// An XDG autostart entry starts fanout hidden at login.
    pub start_at_login: bool,
    /// Copied URLs are offered for download.
    pub watch_clipboard: bool,
    /// The weekly rules (see `crate::settings::schedule`).
    pub schedule: Schedule,
    /// The alternative speed limit, in KiB/s.
    pub alt_speed_limit_kib: u64,
    /// Preferences › Torrents.
    pub torrent: TorrentSettings,
    /// The window's own layout (panels shown, their sizes).
    pub view: ViewSettings,
}

/// What to do after a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AfterBatch {
    #[default]
    Nothing,
    RunCommand,
    Suspend,
    PowerOff,
}

impl AfterBatch {
    pub const ALL: [AfterBatch; 4] = [
        AfterBatch::Nothing,
        AfterBatch::RunCommand,
        AfterBatch::Suspend,
        AfterBatch::PowerOff,
    ];

    pub fn label(self) -> &'static str {
        match self {
            AfterBatch::Nothing => tr!(AfterNothing),
            AfterBatch::RunCommand => tr!(AfterRunCommand),
            AfterBatch::Suspend => tr!(AfterSuspend),
            AfterBatch::PowerOff => tr!(AfterPowerOff),
        }
    }
}

/// Closing the window while downloads run, when there is a tray icon to
/// bring it back: ask once (the answer is kept), keep downloading in the
/// tray, or quit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnClose {
    #[default]
    Ask,
    Tray,
    Quit,
}

/// `When the file exists`: the engine's choices, in the window's words.
pub fn if_exists_label(choice: IfExists) -> (&'static str, &'static str) {
    match choice {
        IfExists::Rename => (tr!(IfExistsRename), tr!(IfExistsRenameHint)),
        IfExists::Skip => (tr!(IfExistsSkip), tr!(IfExistsSkipHint)),
        IfExists::Update => (tr!(IfExistsUpdate), tr!(IfExistsUpdateHint)),
    }
}

/// How requests reach the internet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProxyMode {
    /// The environment's proxy variables, else the desktop's settings.
    #[default]
    System,
    None,
    Http,
    Socks5,
}

impl ProxyMode {
    pub const ALL: [ProxyMode; 4] = [
        ProxyMode::System,
        ProxyMode::None,
        ProxyMode::Http,
        ProxyMode::Socks5,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ProxyMode::System => tr!(ProxySystem),
            ProxyMode::None => tr!(ProxyNone),
            ProxyMode::Http => "HTTP",
            ProxyMode::Socks5 => "SOCKS5",
        }
    }
}

/// The proxy (its password is [`Settings::proxy_password`]) and where
/// logins come from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkSettings {
    pub proxy: ProxyMode,
    /// `host:port` (or a whole `http://`, `https://` URL for HTTP).
    pub proxy_address: String,
    pub proxy_user: String,
    /// Hosts that go direct, as `no_proxy` lists them.
    pub no_proxy: String,
    /// Logins from `~/.netrc` for URLs that name none.
    pub netrc: bool,
    /// Send a URL's password over plain HTTP to the internet too.
    pub allow_plain_auth: bool,
}

impl NetworkSettings {
    /// The proxy setting for the engine; `Err` says what is wrong with
    /// the address (the engine then follows the system's).
    pub fn proxy(&self, password: &str) -> Result<ProxyChoice, String> {
        let address = self.proxy_address.trim();
        let user =
            (!self.proxy_user.trim().is_empty()).then(|| format!("{}:{password}", self.proxy_user.trim()));
        let scheme = match self.proxy {
            ProxyMode::System => return Ok(ProxyChoice::System),
            ProxyMode::None => return Ok(ProxyChoice::Direct),
            ProxyMode::Http => "http",
            // Names are looked up by the proxy (as browsers do over SOCKS5).
            ProxyMode::Socks5 => "socks5h",
        };
        if address.is_empty() {
            return Err(tr!(ProxyNoAddress).to_string());
        }
        let url = match address.split_once("://") {
            Some((given, _)) if self.proxy == ProxyMode::Http && matches!(given, "http" | "https") => {
                address.to_string()
            }
            Some((_, rest)) => format!("{scheme}://{rest}"),
            None => format!("{scheme}://{address}"),
        };
        ProxyServer::parse(&url, user.as_deref()).map(ProxyChoice::Manual)
    }
}

impl Default for Settings {
    fn default() -> Self {
        let engine = EngineConfig::new(BackendKind::Sequential);
        Settings {
            engine: EngineChoice::Async,
            threads: BackendKind::DEFAULT_THREADS,
            async_limit: BackendKind::DEFAULT_ASYNC_LIMIT,
            keep_order: false,
            download_dir: default_download_dir(),
            connect_timeout_secs: engine.connect_timeout.as_secs(),
            idle_timeout_secs: engine.read_timeout.as_secs(),
            retries: engine.retries,
            resume_on_start: false,
            segments: engine.segments,
            speed_limit_kib: 0,
            aria2_url: "http://127.0.0.1:6800/jsonrpc".into(),
            aria2_secret: Secret::default(),
            aria2_dir: String::new(),
            aria2_limit: BackendKind::DEFAULT_ARIA2_LIMIT,
            server: ServerSettings::default(),
            server_secret: Secret::default(),
            language: None,
            theme: Theme::System,
            notify: true,
            compare_keep: false,
            rpc: RpcSettings::default(),
            if_exists: IfExists::default(),
            after_batch: AfterBatch::default(),
            after_command: String::new(),
            after_only_if_ok: false,
            sort: false,
            categories: Categories::default().to_lines(),
            network: NetworkSettings::default(),
            proxy_password: Secret::default(),
            site_logins: Vec::new(),
            session_logins: Vec::new(),
            rules: String::new(),
            tray: true,
            on_close: OnClose::Ask,
            start_at_login: false,
            watch_clipboard: false,
            schedule: Schedule::default(),
            alt_speed_limit_kib: 512,
            torrent: TorrentSettings::default(),
            view: ViewSettings::default(),
        }
    }
}

/// The settings, in the config folder.
pub const SETTINGS_FILE: &str = "settings.json";
/// The per-site rules (TOML, edited by hand too), beside the settings.
pub const RULES_FILE: &str = "rules.toml";
/// The queue's store, in the data folder.
pub const QUEUE_FILE: &str = "queue.sqlite3";

/// Where fanout keeps its files: the same for the window and `fanout serve`.
#[derive(Clone, Debug)]
pub struct Folders {
    /// `settings.json`, `rules.toml`, `secrets.json` (`~/.config/fanout`).
    pub config_dir: PathBuf,
    /// The queue and the lock (`~/.local/share/fanout`).
    pub data_dir: PathBuf,
}

impl Folders {
    /// The user's config and data folders (`~/.config/fanout` and
    /// `~/.local/share/fanout` on Linux).
    pub fn from_system() -> Folders {
        let config_dir = dirs::config_dir()
            .map(|d| d.join("fanout"))
            .unwrap_or_else(|| PathBuf::from(".fanout"));
        let data_dir = dirs::data_dir()
            .map(|d| d.join("fanout"))
            .unwrap_or_else(|| config_dir.clone());
        Folders { config_dir, data_dir }
    }
}

/// The user's Downloads folder, else their home folder. A home with a
/// `Downloads` folder but no `user-dirs.dirs` (a fresh account, a server)
/// still has one: `dirs` only reads the XDG file.
pub fn default_download_dir() -> PathBuf {
    download_dir_in(dirs::home_dir().as_deref(), dirs::download_dir())
}

/// The XDG download folder when it exists and is not the home itself
/// (`xdg-user-dirs` writes `$HOME/` for a folder it did not find), else
/// `~/Downloads` when it exists, else the home.
fn download_dir_in(home: Option<&Path>, xdg: Option<PathBuf>) -> PathBuf {
    xdg.filter(|d| d.is_dir() && Some(d.as_path()) != home)
        .or_else(|| home.map(|h| h.join("Downloads")).filter(|d| d.is_dir()))
        .or_else(|| home.map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
}

impl Settings {
    /// The language the window shows.
    pub fn lang(&self) -> Lang {
        self.language.unwrap_or_else(Lang::from_system)
    }

    pub fn backend(&self) -> BackendKind {
        match self.engine {
            EngineChoice::Sequential => BackendKind::Sequential,
            EngineChoice::Threads => BackendKind::Threads {
                workers: self.threads.max(1),
            },
            EngineChoice::Async => BackendKind::Async {
                limit: self.async_limit,
            },
            EngineChoice::Aria2 => BackendKind::Aria2 {
                limit: self.aria2_limit.max(1),
            },
        }
    }

    pub fn engine_config(&self) -> EngineConfig {
        let mut config = EngineConfig::new(self.backend());
        config.connect_timeout = Duration::from_secs(self.connect_timeout_secs.max(1));
        config.read_timeout = Duration::from_secs(self.idle_timeout_secs.max(1));
        config.retries = self.retries;
        config.segments = self.segments.clamp(1, EngineConfig::MAX_SEGMENTS);
        if self.engine == EngineChoice::Aria2 {
            let secret = Some(self.aria2_secret.0.clone())
                .filter(|s| !s.is_empty())
                .or_else(|| std::env::var("FANOUT_ARIA2_SECRET").ok());
            config.aria2 = Some(Aria2Remote {
                url: self.aria2_url.trim().to_string(),
                secret,
            });
        }
        let net = &self.network;
        config.proxy = ProxyConfig {
            choice: net.proxy(&self.proxy_password.0).unwrap_or_default(),
            no_proxy: Some(net.no_proxy.trim().to_string()).filter(|s| !s.is_empty()),
        };
        config.allow_plain_auth = net.allow_plain_auth;
        config.if_exists = self.if_exists;
        config.torrent = self.torrent.engine_config();
        config.sort = self
            .sort
            .then(|| Arc::new(Categories::from_lines(&self.categories).unwrap_or_default()));
        let netrc = net
            .netrc
            .then(crate::engine::netrc::default_path)
            .flatten()
            .and_then(|p| Netrc::load(&p).inspect_err(|e| tracing::warn!("{e}")).ok());
        config.rules = SiteRules::parse(&self.rules).unwrap_or_default();
        config.logins = Logins {
            sites: self
                .session_logins
                .iter()
                .chain(&self.site_logins)
                .cloned()
                .collect(),
            netrc,
        };
        config
    }

    /// Where new downloads go: the local folder, or the folder on the
    /// aria2 daemon's machine (empty: the daemon's own).
    pub fn target_dir(&self) -> PathBuf {
        if self.engine == EngineChoice::Aria2 {
            PathBuf::from(self.aria2_dir.trim())
        } else {
            self.download_dir.clone()
        }
    }

    /// Downloads at once under the chosen engine (aria2's
    /// `max-concurrent-downloads`).
    pub fn workers(&self) -> usize {
        match self.engine {
            EngineChoice::Sequential => 1,
            EngineChoice::Threads => self.threads,
            EngineChoice::Async => self.async_limit,
            EngineChoice::Aria2 => self.aria2_limit,
        }
    }

    /// Takes what an RPC client's `changeGlobalOption` may change (`dir`,
    /// `max-concurrent-downloads`, `max-overall-download-limit`, `split`)
    /// from `from`, and nothing else: a front end that keeps its own copy (the
    /// window's, with the secrets the keyring gave it) takes a call's
    /// changes without losing what the other copy never had.
    pub fn take_global_options(&mut self, from: &Settings) {
        self.download_dir = from.download_dir.clone();
        self.aria2_dir = from.aria2_dir.clone();
        self.threads = from.threads;
        self.async_limit = from.async_limit;
        self.aria2_limit = from.aria2_limit;
        self.speed_limit_kib = from.speed_limit_kib;
        self.segments = from.segments;
    }

    /// Sets the chosen engine's workers (`-j`, `changeGlobalOption`);
    /// sequential has one whatever is asked.
    pub fn set_workers(&mut self, n: usize) {
        match self.engine {
            EngineChoice::Sequential => {}
            EngineChoice::Threads => self.threads = n.min(512),
            EngineChoice::Async => self.async_limit = n,
            EngineChoice::Aria2 => self.aria2_limit = n.min(1000),
        }
    }

    /// The settings kept in `config_dir`, with the site rules of their
    /// own file (missing or unreadable: the defaults, no rules).
    pub fn load_in(config_dir: &Path) -> Settings {
        let mut s = Settings::load(&config_dir.join(SETTINGS_FILE));
        s.rules = std::fs::read_to_string(config_dir.join(RULES_FILE)).unwrap_or_default();
        s
    }

    /// The global speed limit in bytes per second.
    pub fn rate_limit(&self) -> Option<u64> {
        (self.speed_limit_kib > 0).then(|| self.speed_limit_kib.saturating_mul(1024))
    }

    pub fn order(&self) -> Order {
        if self.keep_order {
            Order::Submission
        } else {
            Order::Completion
        }
    }

    /// Reads the settings; a missing file gives the defaults, and so does a
    /// damaged one (with a warning: a bad file must not keep the app closed).
    pub fn load(path: &Path) -> Settings {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), error = %e, "settings unreadable; using defaults");
                Settings::default()
            }),
            Err(_) => Settings::default(),
        }
    }

    /// Writes the settings atomically, readable by the user only (they
    /// hold the aria2 secret).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let body = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::platform::private::write_atomically(path, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_go_to_the_downloads_folder_where_there_is_one() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        // No Downloads folder: the home.
        assert_eq!(download_dir_in(Some(h), None), h);
        std::fs::create_dir(h.join("Downloads")).unwrap();
        assert_eq!(download_dir_in(Some(h), None), h.join("Downloads"));
        // user-dirs.dirs naming the home (its word for "none") or a
        // folder that is gone does not win over ~/Downloads.
        assert_eq!(
            download_dir_in(Some(h), Some(h.to_path_buf())),
            h.join("Downloads")
        );
        assert_eq!(
            download_dir_in(Some(h), Some(h.join("Gone"))),
            h.join("Downloads")
        );
        std::fs::create_dir(h.join("Téléchargements")).unwrap();
        assert_eq!(
            download_dir_in(Some(h), Some(h.join("Téléchargements"))),
            h.join("Téléchargements")
        );
    }

    #[test]
    fn settings_round_trip_and_survive_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/settings.json");
        assert_eq!(Settings::load(&path), Settings::default());
        let s = Settings {
            engine: EngineChoice::Threads,
            threads: 7,
            keep_order: true,
            download_dir: "/tmp/x".into(),
            ..Settings::default()
        };
        s.save(&path).unwrap();
        assert_eq!(Settings::load(&path), s);
        assert_eq!(s.backend(), BackendKind::Threads { workers: 7 });
        // It holds the aria2 secret: the user's alone.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"{ not json").unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
        // Fields added later fall back to defaults in an older file.
        std::fs::write(&path, br#"{"engine":"Sequential"}"#).unwrap();
        let old = Settings::load(&path);
        assert_eq!(old.engine, EngineChoice::Sequential);
        assert_eq!(old.threads, BackendKind::DEFAULT_THREADS);
    }
}
