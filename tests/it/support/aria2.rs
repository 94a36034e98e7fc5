//! A real `aria2c --enable-rpc` on loopback for the aria2 engine's tests,
//! and what every aria2-speaking daemon gives them ([`Rpcd`]): aria2c
//! itself, or a fanout window serving the same RPC.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use fanout::engine::{Aria2Remote, BackendKind, Engine, EngineConfig, Event};

use super::TestServer;
use super::programs::free_port;

/// A running `aria2c` daemon, killed on drop.
pub struct Daemon {
    child: Child,
    pub url: String,
    pub secret: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    /// Starts one, or says why not (skip, or fail in CI).
    pub fn start() -> Option<Daemon> {
        Daemon::start_with(&[])
    }

    /// The same with more of aria2c's options (a torrent's: DHT off…).
    pub fn start_with(more: &[&str]) -> Option<Daemon> {
        if Command::new("aria2c")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            let why = "aria2c is not installed (apt-get install aria2)";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "in CI: {why}");
            eprintln!("skipped: {why}");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let secret = "fanout-test-secret".to_string();
        let child = Command::new("aria2c")
            .args([
                "--enable-rpc",
                "--rpc-listen-all=false",
                &format!("--rpc-listen-port={port}"),
                &format!("--rpc-secret={secret}"),
                "--quiet=true",
                "--no-conf=true",
                "--max-tries=1",
                "--retry-wait=0",
                "--auto-file-renaming=false",
            ])
            .args(more)
            .arg(format!("--dir={}", dir.path().display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aria2c starts");
        let daemon = Daemon {
            child,
            url: format!("http://127.0.0.1:{port}/jsonrpc"),
            secret,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while fanout::engine::probe_aria2(
            &Rpcd::remote(&daemon),
            &EngineConfig::new(BackendKind::Sequential),
        )
        .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "aria2c did not answer on {}",
                daemon.url
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(daemon)
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -{name}");
    }
}

/// A daemon that speaks aria2's JSON-RPC, for the same test body to run
/// against aria2c and against a fanout window.
pub trait Rpcd {
    fn remote(&self) -> Aria2Remote;
    /// Where it saves (a folder on this machine for both).
    fn folder(&self) -> PathBuf;

    /// An engine of fanout that hands its downloads to this daemon.
    fn engine(&self, limit: usize) -> (Engine, Receiver<Event>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let config = EngineConfig {
            aria2: Some(self.remote()),
            ..EngineConfig::new(BackendKind::Aria2 { limit })
        };
        (
            Engine::new(config, tx, Arc::new(|| {})).expect("engine starts"),
            rx,
        )
    }

    /// Hands a slow file (`size` bytes, `pace` ms per 16 KiB) to the daemon
    /// and waits until it is under way there; its path on the test server.
    fn start_slow(
        &self,
        engine: &Engine,
        rx: &Receiver<Event>,
        server: &TestServer,
        name: &str,
        size: usize,
        pace: u64,
    ) -> String {
        let path = format!("/{name}");
        let index = engine.submit(fanout::engine::Job::new(
            server.url(&format!("{path}?size={size}&pace={pace}&etag=x")),
            self.folder(),
        ));
        super::wait::wait_for_progress(rx, index, 0);
        path
    }
}

impl Rpcd for Daemon {
    fn remote(&self) -> Aria2Remote {
        Aria2Remote {
            url: self.url.clone(),
            secret: Some(self.secret.clone()),
        }
    }

    fn folder(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Rpcd for super::window::Window {
    fn remote(&self) -> Aria2Remote {
        super::window::Window::remote(self)
    }

    fn folder(&self) -> PathBuf {
        super::window::Window::folder(self)
    }
}

/// One `#[test]` per daemon from one body `fn NAME(daemon: &dyn Rpcd)`:
/// `aria2c` (skipped where it is not installed, failed in CI),
/// `fanout_window`, a window serving aria2's RPC, and `fanout_serve`, the
/// headless service (the real binary, no display, no session bus).
macro_rules! each_daemon {
    ($body:ident) => {
        mod $body {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn aria2c() {
                if let Some(d) = support::aria2::Daemon::start() {
                    super::$body(&d)
                }
            }

            #[test]
            fn fanout_window() {
                super::$body(&support::window::Window::start())
            }

            #[test]
            fn fanout_serve() {
                super::$body(&support::serve::Serve::start())
            }
        }
    };
}
