//! The window: an eframe app over the same [`Engine`] as `fanout get`.
//!
//! Data flows one way. The downloads live on the service's thread
//! (`service::hub`), which applies the engine's events and answers the
//! RPC. Each frame `ui` locks them once, builds a [`view::View`] of
//! borrowed data, and hands it to the panels; each panel draws from it and
//! from its own state, and collects [`Action`]s. The lock is released
//! before the actions are applied (which may lock again, once the layout
//! is done) and before the frame is painted. The engine's waker asks for a
//! repaint a little later, so a burst of events becomes one frame, and an
//! idle window does not repaint at all.
//!
//! The files: this one holds the app's state and `run`; `app` builds it
//! and follows the service; `frame` drives a frame (`logic`, then `ui`);
//! `view` what a frame reads of the service; `actions` applies what the
//! user asked for; `inspect` what tests read. The panels, each with its own
//! state or none: `toolbar`, `sidebar` (`filter` what it lets through),
//! `table` (the list; `row_menu` a row's menu), `first_run` (what the empty
//! list says), `details` (the selected download's pane), `results`,
//! `status`, `timeline`, `compare`; the dialogs `add`, `torrent_files`,
//! `login`, `keys` (the keyboard, its confirmation and help),
//! `preferences` (its window, and the first screen's bar of the settings
//! changed often). Beside them: `platform` the desktop's services (fonts,
//! icon, clipboard, folder dialog, opening files, notifications); `rpc` the
//! RPC server the window starts (its calls are answered on the service's
//! thread, never between frames); `server` a server's downloads shown
//! instead of this computer's; `unattended` the schedule, hiding and
//! closing to the tray (`tray` the icon), `after_batch` what follows a
//! batch, `clipboard_watch` copied URLs, `vault` the keyring.

mod actions;
pub mod add;
mod add_variants;
pub mod after_batch;
mod app;
mod clipboard_watch;
pub mod compare;
mod details;
pub mod filter;
mod first_run;
mod frame;
mod inspect;
mod keys;
mod login;
mod metalinks;
mod platform;
mod preferences;
mod results;
mod row_menu;
mod rpc;
mod server;
mod sidebar;
mod status;
pub mod table;
pub mod timeline;
mod toolbar;
mod torrent_files;
pub mod tray;
pub mod unattended;
mod vault;
mod view;

use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use crate::platform::instance::Instance;
use crate::service::hub::Hub;
use crate::settings::Settings;
use crate::settings::schedule::{Clock, SystemClock};
pub use actions::{Action, MoveTo};
use add::AddDialog;
use compare::ComparePanel;
use platform::FolderPick;
pub use platform::Opener;

/// The most URLs one add may expand to.
pub const ADD_CAP: usize = crate::input::pattern::DEFAULT_CAP;

/// A waker asks for a frame this much later, so bursts coalesce: progress
/// comes ten times a second per task, and so do frames while it runs.
const WAKE_DELAY: Duration = Duration::from_millis(100);

/// The same while the window is hidden: events are still taken (the store,
/// the RPC server and the tray need them), in fewer, larger helpings.
const HIDDEN_WAKE_DELAY: Duration = Duration::from_secs(1);

/// While transfers run, speeds and ETAs are redrawn this often even without
/// events (a stalled transfer must show its speed falling).
const TICK: Duration = Duration::from_millis(500);

/// Where the app keeps its files, and what it may touch on this machine.
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// Folder of `settings.json`.
    pub config_dir: PathBuf,
    /// Folder of the queue store, `queue.sqlite3`.
    pub data_dir: PathBuf,
    /// Read the system clipboard when the add dialog opens.
    pub use_clipboard: bool,
    /// Send desktop notifications (when the settings ask for them).
    pub notifications: bool,
    /// Where an engine comparison's scratch folders go (and are removed).
    pub scratch_dir: PathBuf,
    /// Whether to serve the RPC for other programs, and on which port.
    pub serve_rpc: ServeRpc,
    /// Keep secrets in the system keyring where there is one (off in tests:
    /// they must not write into the user's keyring).
    pub keyring: bool,
    /// The system bus logind is asked on to suspend or power off (`None`:
    /// the system's; tests give a private bus with a logind of their own).
    pub system_bus: Option<String>,
    /// How long the window counts down before it suspends or powers off.
    pub countdown: Duration,
    /// The time of the week the schedule goes by (tests give their own).
    pub clock: Arc<dyn Clock>,
    /// Whether to put an icon in the tray.
    pub tray: TrayChoice,
    /// Where `Start at login` writes its entry (`~/.config/autostart`).
    pub autostart_dir: PathBuf,
    /// The binary the autostart entry starts (absolute).
    pub exe: Option<PathBuf>,
    /// Open with the window hidden (`--hidden`).
    pub start_hidden: bool,
    /// Write the number of frames drawn to this file after each
    /// (`FANOUT_FRAME_LOG`, for tests and diagnostics).
    pub frame_log: Option<PathBuf>,
    /// The X display whose clipboard is watched (`None`: `$DISPLAY`).
    pub display: Option<String>,
    /// Opens finished files and folders (tests record instead).
    pub opener: Opener,
}

/// Whether the window puts an icon in the tray.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrayChoice {
    /// None at all (tests: no session bus of theirs).
    Off,
    /// On the session bus, as the settings say (the app).
    AsSet,
    /// Behave as if an icon were shown, without one: in-process tests of
    /// closing to the tray (the real icon is tested with the binary, on a
    /// bus of the test's own, in tests/it/tray.rs).
    Pretend,
}

/// Whether the window serves the RPC for other programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServeRpc {
    /// Not at all (tests, unless one turns it on: two test windows must not
    /// race for one port).
    Off,
    /// As the settings say (the app).
    AsSet,
    /// On this port whatever the settings say; 0 takes a free one (tests).
    OnPort(u16),
}

impl AppOptions {
    /// The user's config and data folders (`~/.config/fanout` and
    /// `~/.local/share/fanout` on Linux).
    pub fn from_system() -> AppOptions {
        let crate::settings::Folders { config_dir, data_dir } = crate::settings::Folders::from_system();
        AppOptions {
            config_dir,
            data_dir,
            use_clipboard: true,
            notifications: true,
            scratch_dir: std::env::temp_dir(),
            serve_rpc: ServeRpc::AsSet,
            keyring: true,
            system_bus: None,
            countdown: after_batch::COUNTDOWN,
            clock: Arc::new(SystemClock),
            tray: TrayChoice::AsSet,
            autostart_dir: dirs::config_dir()
                .map(|d| d.join("autostart"))
                .unwrap_or_else(|| PathBuf::from(".fanout/autostart")),
            exe: std::env::current_exe().and_then(|e| e.canonicalize()).ok(),
            start_hidden: false,
            frame_log: None,
            display: None,
            opener: Opener::Desktop,
        }
    }

    /// Both folders in one (tests, portable use).
    pub fn in_dir(dir: &Path) -> AppOptions {
        AppOptions {
            config_dir: dir.to_path_buf(),
            data_dir: dir.to_path_buf(),
            use_clipboard: false,
            notifications: false,
            scratch_dir: dir.join("scratch"),
            serve_rpc: ServeRpc::Off,
            keyring: false,
            system_bus: None,
            countdown: after_batch::COUNTDOWN,
            clock: Arc::new(SystemClock),
            tray: TrayChoice::Off,
            autostart_dir: dir.join("autostart"),
            exe: None,
            start_hidden: false,
            frame_log: None,
            display: None,
            opener: Opener::recording(),
        }
    }

    pub fn settings_path(&self) -> PathBuf {
        self.config_dir.join(crate::settings::SETTINGS_FILE)
    }

    /// The per-site rules (TOML), beside the settings.
    pub fn rules_path(&self) -> PathBuf {
        self.config_dir.join(crate::settings::RULES_FILE)
    }

    pub fn queue_path(&self) -> PathBuf {
        self.data_dir.join(crate::settings::QUEUE_FILE)
    }
}

/// What the central panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Downloads,
    Timeline,
    Compare,
}

/// A message in the status bar, gone after a while.
struct Notice {
    text: String,
    at: Instant,
    /// Says the engine could not be started or changed: gone as soon as
    /// one runs with the settings as they are.
    about_engine: bool,
}

/// The window. Its state is grouped by who owns it: the settings, the
/// link to the downloads service, the panels' own state, the helpers'
/// results on their way, the desktop's side (tray, schedule, clipboard),
/// and what the window last told the desktop. A frame locks the service
/// once to lay out the panels (see `view`), and applies what they asked
/// for after the layout (see `actions`).
pub struct FanoutApp {
    options: AppOptions,
    settings: Settings,
    saved_settings: Settings,
    link: ServiceLink,
    /// The server whose downloads the window shows ("Connect to a server").
    server: server::Shown,
    /// The RPC server other programs hand downloads to, and its secret.
    rpc: rpc::Rpc,
    /// The keyring's thread: secrets of the settings and saved logins.
    vault: vault::Vault,
    panels: Panels,
    pending: Pending,
    desktop: unattended::Desktop,
    told: Told,
    ctx: egui::Context,
}

/// The downloads on the service's thread, and what it sends the window.
struct ServiceLink {
    /// The downloads (the list, its engine and store, the RPC's state and
    /// server) on the service's thread; see [`FanoutApp::core`].
    hub: Hub,
    /// Failed downloads, from the service's thread: some ask for a login.
    failures: crossbeam_channel::Receiver<crate::engine::TaskResult>,
    /// The last change of settings a call made that this window took.
    settings_seen: u64,
    /// How many added downloads the store has committed, as it says so.
    kept: (
        crossbeam_channel::Sender<usize>,
        crossbeam_channel::Receiver<usize>,
    ),
}

/// Each panel's and dialog's own state.
#[derive(Default)]
struct Panels {
    /// The search box, states and categories: what narrows the list.
    sidebar: sidebar::Sidebar,
    /// The list: which rows are selected.
    table: table::Table,
    /// The status bar's notice, and why no engine runs.
    status: status::StatusBar,
    /// What the central panel shows.
    tab: Tab,
    compare: ComparePanel,
    add: AddDialog,
    /// A torrent's file list, to choose what is written.
    files: torrent_files::FilePicker,
    /// Sites that answered 401, waiting for the user's login.
    login: login::LoginPrompt,
    /// The keyboard's confirmation and help.
    keys: keys::Keys,
    /// The Preferences window: open or not, and its section.
    prefs: preferences::Preferences,
}

/// Results of helpers on other threads, on their way.
#[derive(Default)]
struct Pending {
    folder_pick: Option<FolderPick>,
    dropped: Option<mpsc::Receiver<String>>,
    /// Metalinks on the web being fetched, each add's on its own.
    metalinks: Vec<mpsc::Receiver<metalinks::Fetched>>,
}

/// What the window last told the desktop (tests read it).
struct Told {
    /// The window title last sent (`fanout — 37/64`).
    title: String,
    /// The last batch-end notification's text (sent or not).
    last_notification: Option<(String, String)>,
    /// The last file or folder handed to the desktop to open.
    last_opened: Option<PathBuf>,
    /// Frames drawn (`ui` passes) since the window opened.
    frames: u64,
}

/// Opens the window; returns when it is closed. wgpu first (eframe's
/// default); if no wgpu surface can be made, the same window with glow.
/// `instance`: the lock of the one window, and the hand-overs it gets.
pub fn run(app_options: AppOptions, instance: Option<Instance>) -> eframe::Result<()> {
    use platform::icon;
    let options = |renderer| eframe::NativeOptions {
        renderer,
        viewport: {
            let mut v = egui::ViewportBuilder::default()
                .with_title("fanout")
                .with_app_id("fanout")
                .with_inner_size([1360.0, 800.0])
                .with_min_inner_size([720.0, 400.0])
                .with_visible(!app_options.start_hidden);
            if let Some(icon) = icon() {
                v = v.with_icon(icon);
            }
            v
        },
        ..Default::default()
    };
    // Taken by whichever renderer's app is built.
    let instance = std::sync::Arc::new(std::sync::Mutex::new(instance));
    let creator = || -> eframe::AppCreator<'static> {
        let (app_options, instance) = (app_options.clone(), instance.clone());
        Box::new(move |cc| {
            let mut app = FanoutApp::new(cc, app_options);
            if let Some(i) = crate::sync::lock(&instance).take() {
                app.attach_instance(i);
            }
            Ok(Box::new(app))
        })
    };
    match eframe::run_native("fanout", options(eframe::Renderer::Wgpu), creator()) {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "wgpu renderer failed; falling back to glow");
            eframe::run_native("fanout", options(eframe::Renderer::Glow), creator())
        }
    }
}
