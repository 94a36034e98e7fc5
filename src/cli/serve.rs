//! `fanout serve`: the downloads service with no window, for a home
//! server or a seedbox. Its arguments, where its secret comes from, the
//! data folder's lock, and the signals that stop it; the service itself is
//! [`crate::service::serve`].

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::EngineArg;
use crate::platform::instance::{Claim, Holder, Instance, Places};
use crate::platform::secrets::{Kept, RPC_SECRET, Secrets};
use crate::rpc::{Addresses, Listen};
use crate::service::serve::{ServeConfig, run};
use crate::settings::{EngineChoice, Folders, Settings};

/// `fanout serve`: the queue, the RPC and the engine, without a window.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Save downloads into DIR (else the download folder of the settings).
    #[arg(short = 'o', long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The engine (else the one in the settings).
    #[arg(short = 'e', long = "engine", value_enum)]
    pub engine: Option<EngineArg>,
    /// Workers of the engine (downloads at once).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Serve the RPC on ADDR:PORT, and only there (repeatable; one port
    /// for all). Without it: 127.0.0.1 and [::1] on the port of the
    /// settings (16800). An address other than loopback lets other machines
    /// in: only with the secret, which is always required.
    #[arg(long = "rpc-listen", value_name = "ADDR:PORT")]
    pub rpc_listen: Vec<SocketAddr>,
    /// Read the RPC secret from FILE (its first line), instead of the one
    /// the window keeps (the keyring, else secrets.json). Never on the
    /// command line, where `ps` shows it.
    #[arg(long = "rpc-secret-file", value_name = "FILE")]
    pub rpc_secret_file: Option<PathBuf>,
    #[command(flatten)]
    pub swarm: super::torrent::SwarmArgs,
}

impl ServeArgs {
    /// The addresses to serve, on one port: those given, else loopback's.
    fn listen(&self, settings: &Settings) -> Result<Listen, String> {
        let Some(first) = self.rpc_listen.first() else {
            return Ok(Listen::loopback(settings.rpc.port));
        };
        let port = first.port();
        if let Some(other) = self.rpc_listen.iter().find(|a| a.port() != port) {
            return Err(format!(
                "--rpc-listen: every address takes the same port ({port}, not {})",
                other.port()
            ));
        }
        let ips: Vec<IpAddr> = self.rpc_listen.iter().map(SocketAddr::ip).collect();
        Ok(Listen {
            port,
            addresses: Addresses::Exactly(ips),
        })
    }

    /// The settings of the folders, with this run's own choices on top.
    fn settings(&self, config_dir: &Path) -> Settings {
        let mut s = Settings::load_in(config_dir);
        if let Some(dir) = &self.dir {
            s.download_dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
        }
        if let Some(engine) = self.engine {
            s.engine = match engine {
                EngineArg::Sequential => EngineChoice::Sequential,
                EngineArg::Threads => EngineChoice::Threads,
                EngineArg::Async => EngineChoice::Async,
                EngineArg::Aria2 => EngineChoice::Aria2,
            };
        }
        if let Some(n) = self.jobs {
            s.set_workers(n);
        }
        s
    }

    fn secret(&self, config_dir: &Path) -> Result<(String, String), String> {
        if let Some(file) = &self.rpc_secret_file {
            let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let secret = text.lines().next().unwrap_or("").trim().to_string();
            if secret.is_empty() {
                return Err(format!("{}: the secret file is empty", file.display()));
            }
            return Ok((secret, format!("from {}", file.display())));
        }
        let (secret, kept) = Secrets::in_dir(config_dir, true)
            .get_or_make(RPC_SECRET)
            .map_err(|e| format!("no RPC secret: {e}"))?;
        let kept = match kept {
            Kept::Keyring => "kept in the keyring".to_string(),
            Kept::File { path, why } => format!("kept in {} ({why})", path.display()),
        };
        Ok((secret, kept))
    }
}

/// Runs the service until SIGTERM or SIGINT; 0 after a clean stop.
pub fn run_serve(args: &ServeArgs, folders: &Folders) -> ExitCode {
    let settings = args.settings(&folders.config_dir);
    let listen = match args.listen(&settings) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("fanout serve: {e}");
            return ExitCode::from(super::EXIT_USAGE);
        }
    };
    let places = Places::new(&folders.data_dir);
    let instance = match Instance::claim(&places) {
        Ok(Claim::First(i)) => i,
        Ok(Claim::Running) => {
            let who = Holder::read(&places);
            eprintln!(
                "fanout serve: {who} already keeps the queue in {}; stop it first",
                folders.data_dir.display()
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("fanout serve: cannot lock {}: {e}", places.lock.display());
            return ExitCode::FAILURE;
        }
    };
    let (secret, kept) = match args.secret(&folders.config_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fanout serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stop = match stop_signals() {
        Ok(rx) => rx,
        Err(e) => {
            eprintln!("fanout serve: cannot listen for signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dir = settings.target_dir();
    let config = ServeConfig {
        queue_path: folders.data_dir.join(crate::settings::QUEUE_FILE),
        secrets: Secrets::in_dir(&folders.config_dir, true),
        listen,
        secret,
        settings,
        instance: Some(instance),
        clock: std::sync::Arc::new(crate::settings::schedule::SystemClock),
        system_bus: None,
        torrent: crate::service::TorrentOverride {
            port: args.swarm.bt_port,
            dht: args.swarm.no_dht.then_some(false),
            upload_limit: None,
        },
    };
    let result = run(config, stop, |addrs| {
        let port = addrs.first().map_or(0, SocketAddr::port);
        // A window or a second service started on this folder says who
        // holds it, and where.
        Holder::Serve { port }.write(&places);
        let shown: Vec<String> = addrs.iter().map(ToString::to_string).collect();
        tracing::info!(
            "serving the RPC on {} (the secret {kept}); downloads go to {}",
            shown.join(", "),
            dir.display()
        );
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fanout serve: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A channel that hears SIGTERM or SIGINT (Ctrl+C), each time one comes.
pub(super) fn stop_signals() -> std::io::Result<crossbeam_channel::Receiver<()>> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    #[cfg(unix)]
    let mut term = {
        let _guard = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?
    };
    std::thread::Builder::new()
        .name("fanout-signals".into())
        .spawn(move || {
            runtime.block_on(async move {
                loop {
                    #[cfg(unix)]
                    tokio::select! {
                        _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: stopping"),
                    }
                    #[cfg(not(unix))]
                    let _ = tokio::signal::ctrl_c().await;
                    if tx.send(()).is_err() {
                        break;
                    }
                }
            });
        })?;
    Ok(rx)
}
