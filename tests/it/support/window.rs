//! A fanout window serving its RPC on loopback, for tests that speak to it
//! as other programs do. The window lives on a thread of its own that runs
//! its frames (egui_kittest, no GPU); the test thread is the client, and
//! reaches into the window only between frames, through [`Window::with`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use egui_kittest::Harness;
use fanout::engine::Aria2Remote;
use fanout::gui::{AppOptions, FanoutApp, ServeRpc};
use fanout::i18n::Lang;
use fanout::settings::Settings;

type Chore = Box<dyn FnOnce(&mut FanoutApp) + Send>;

pub struct Window {
    pub port: u16,
    pub secret: String,
    /// The download folder (the window's setting).
    pub dir: tempfile::TempDir,
    pub config: tempfile::TempDir,
    chores: Sender<Chore>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Window {
    pub fn start() -> Window {
        Window::start_with(|_| {})
    }

    /// A window whose settings `tune` changes first. It serves on a free
    /// port unless `tune` sets one.
    pub fn start_with(tune: impl FnOnce(&mut Settings)) -> Window {
        let (w, serving) = Window::open(tune);
        if let Err(why) = serving {
            panic!("the RPC server does not serve: {why}");
        }
        w
    }

    /// A window, and whether its RPC server serves (`port` is 0 if not).
    pub fn open(tune: impl FnOnce(&mut Settings)) -> (Window, Result<(), String>) {
        Window::open_keeping(&[], tune)
    }

    /// A window whose secrets file already holds `secrets` (key, value),
    /// as an earlier run would have left it.
    pub fn open_keeping(
        secrets: &[(&'static str, &str)],
        tune: impl FnOnce(&mut Settings),
    ) -> (Window, Result<(), String>) {
        let dir = tempfile::tempdir().unwrap();
        let config = tempfile::tempdir().unwrap();
        let kept = fanout::platform::secrets::Secrets::in_dir(config.path(), false);
        for (key, value) in secrets {
            kept.set(key, Some(value)).unwrap();
        }
        let mut settings = Settings {
            download_dir: dir.path().to_path_buf(),
            language: Some(Lang::En),
            ..Settings::default()
        };
        tune(&mut settings);
        let mut options = AppOptions::in_dir(config.path());
        options.serve_rpc = match settings.rpc.port {
            // A free port, so tests do not race for 16800.
            fanout::rpc::DEFAULT_PORT => ServeRpc::OnPort(0),
            port => ServeRpc::OnPort(port),
        };
        settings.save(&options.settings_path()).unwrap();
        let (chores, todo) = crossbeam_channel::unbounded::<Chore>();
        let stop = Arc::new(AtomicBool::new(false));
        let (ready, started) = crossbeam_channel::bounded(1);
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("test-window".into())
                .spawn(move || run(options, todo, stop, ready))
                .unwrap()
        };
        let (port, secret) = started
            .recv_timeout(Duration::from_secs(60))
            .expect("the window starts");
        let window = Window {
            port: *port.as_ref().unwrap_or(&0),
            secret,
            dir,
            config,
            chores,
            stop,
            thread: Some(thread),
        };
        (window, port.map(|_| ()))
    }

    /// Runs `f` on the window between two frames and gives back its answer.
    pub fn with<T: Send + 'static>(&self, f: impl FnOnce(&mut FanoutApp) -> T + Send + 'static) -> T {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.chores
            .send(Box::new(move |app| {
                let _ = tx.send(f(app));
            }))
            .unwrap();
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the window answers")
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/jsonrpc", self.port)
    }

    pub fn remote(&self) -> Aria2Remote {
        Aria2Remote {
            url: self.url(),
            secret: Some(self.secret.clone()),
        }
    }

    pub fn folder(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

fn run(
    options: AppOptions,
    todo: Receiver<Chore>,
    stop: Arc<AtomicBool>,
    ready: Sender<(Result<u16, String>, String)>,
) {
    let mut harness: Harness<'static, FanoutApp> = Harness::builder()
        .with_size(egui::vec2(1360.0, 800.0))
        .build_eframe(move |cc| FanoutApp::new(cc, options.clone()));
    // The server starts once its secret has come (off the UI thread).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        let app = harness.state();
        let decided = app.rpc_port().is_some() || (!app.rpc_starting() && app.rpc_status().is_some());
        if decided || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let app = harness.state();
    let port = app.rpc_port().ok_or_else(|| format!("{:?}", app.rpc_status()));
    let _ = ready.send((port, app.rpc_secret().unwrap_or_default().to_string()));
    while !stop.load(Ordering::SeqCst) {
        harness.step();
        while let Ok(chore) = todo.try_recv() {
            chore(harness.state_mut());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
