//! The real `fanout serve` binary, started as a home server would: no
//! `DISPLAY`, no session bus, its own home (settings, queue, lock), the RPC
//! on a loopback port of the test's, the secret in a file.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fanout::engine::Aria2Remote;
use serde_json::{Value, json};

use super::programs::{Killed, free_port};

pub struct Serve {
    pub app: Killed,
    pub port: u16,
    pub secret: String,
    /// HOME (and so the settings, queue and lock) of this service.
    pub home: PathBuf,
    /// What it has written to stderr so far.
    pub log: Arc<Mutex<String>>,
    _tmp: Option<tempfile::TempDir>,
}

impl Serve {
    /// A service in a home of its own, downloading into `home/dl`.
    pub fn start() -> Serve {
        Serve::start_with(&[])
    }

    /// A service in a home of its own, with more arguments.
    pub fn start_with(args: &[&str]) -> Serve {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Serve::start_in(tmp.path(), args);
        s._tmp = Some(tmp);
        s
    }

    /// A service in `home` (kept: a restart finds its queue there), with
    /// more arguments (`-e threads`…).
    pub fn start_in(home: &Path, args: &[&str]) -> Serve {
        Serve::start_env(home, args, &[])
    }

    /// The same with more environment (`FANOUT_TEST_SLOW_STORE_MS`…).
    pub fn start_env(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Serve {
        Serve::start_port(home, free_port(), args, env)
    }

    /// The same on a port of the test's (a restart where clients wait).
    pub fn start_port(home: &Path, port: u16, args: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut app = Serve::spawn_port(home, port, args, env);
        let log = Arc::new(Mutex::new(String::new()));
        let ready = Arc::new(Mutex::new(false));
        let stderr = app.0.stderr.take().unwrap();
        {
            let (log, ready) = (log.clone(), ready.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if line.contains("serving the RPC on") {
                        *ready.lock().unwrap() = true;
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while !*ready.lock().unwrap() {
            if let Some(status) = app.0.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(200));
                panic!("fanout serve exited ({status}): {}", log.lock().unwrap());
            }
            assert!(
                Instant::now() < deadline,
                "fanout serve did not start: {}",
                log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Serve {
            app,
            port,
            secret: SECRET.into(),
            home: home.to_path_buf(),
            log,
            _tmp: None,
        }
    }

    /// The binary started (not waited for) in `home`, on a free port.
    pub fn spawn(home: &Path, args: &[&str]) -> (Killed, u16) {
        Serve::spawn_env(home, args, &[])
    }

    fn spawn_env(home: &Path, args: &[&str], env: &[(&str, &str)]) -> (Killed, u16) {
        let port = free_port();
        (Serve::spawn_port(home, port, args, env), port)
    }

    fn spawn_port(home: &Path, port: u16, args: &[&str], env: &[(&str, &str)]) -> Killed {
        let secret_file = home.join("rpc-secret");
        std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
        std::fs::create_dir_all(home.join("dl")).unwrap();
        let listen = format!("127.0.0.1:{port}");
        let mut command = Command::new(env!("CARGO_BIN_EXE_fanout"));
        command
            .arg("serve")
            .args(["--rpc-listen", &listen])
            .arg("--rpc-secret-file")
            .arg(&secret_file)
            .arg("-o")
            .arg(home.join("dl"))
            .args(args);
        hermetic(&mut command, home);
        command.envs(env.iter().copied());
        let app = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn fanout serve");
        Killed(app)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/jsonrpc", self.port)
    }

    pub fn folder(&self) -> PathBuf {
        self.home.join("dl")
    }

    pub fn remote(&self) -> Aria2Remote {
        Aria2Remote {
            url: self.url(),
            secret: Some(self.secret.clone()),
        }
    }

    /// One `aria2.*` call with the token; its `result` (or the error).
    pub fn call(&self, method: &str, params: Value) -> Result<Value, Value> {
        call(&self.url(), &self.secret, method, params)
    }

    /// One JSON-RPC request as it is (a `system.multicall`); the reply.
    pub fn post(&self, body: &Value) -> Value {
        post(&self.url(), body)
    }

    /// Sends a signal (`TERM`, `KILL`) with kill(1).
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.app.0.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }

    /// SIGTERM, then its exit status (20 s at most).
    pub fn stop(&mut self) -> ExitStatus {
        self.signal("TERM");
        super::programs::wait_for_exit(&mut self.app, "after SIGTERM")
    }
}

impl super::aria2::Rpcd for Serve {
    fn remote(&self) -> Aria2Remote {
        Serve::remote(self)
    }

    fn folder(&self) -> PathBuf {
        Serve::folder(self)
    }
}

const SECRET: &str = "serve-test-secret";

/// A home of the test's own, and nothing of the machine's desktop: no
/// display, no session bus, no proxy.
pub fn hermetic(command: &mut Command, home: &Path) {
    super::programs::hermetic(command);
    for k in [
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_RUNTIME_DIR",
    ] {
        command.env_remove(k);
    }
    command.env("HOME", home).env("RUST_LOG", "off,fanout=info");
}

/// One JSON-RPC call over HTTP: `Ok(result)` or `Err(error)`.
pub fn call(url: &str, secret: &str, method: &str, params: Value) -> Result<Value, Value> {
    let mut all = vec![json!(format!("token:{secret}"))];
    all.extend(params.as_array().cloned().unwrap_or_default());
    let body = json!({"jsonrpc": "2.0", "id": "t", "method": method, "params": all});
    let reply = post(url, &body);
    match reply.get("error") {
        Some(e) => Err(e.clone()),
        None => Ok(reply["result"].clone()),
    }
}

/// POSTs one request; the JSON reply.
pub fn post(url: &str, body: &Value) -> Value {
    let text = super::http_client()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap()
        .text()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}
