//! Real proxies on loopback, started by the tests: `tinyproxy` (HTTP, with
//! or without BasicAuth) and `microsocks` (SOCKS5, with or without a user).
//! Neither listens on port 0, so each gets a free port picked here. Their
//! logs say which requests went through them.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::programs::{Killed, free_port, require};

/// A proxy process and its log.
pub struct Proxy {
    _child: Killed,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
    /// What a log line of one proxied request starts with.
    request_mark: &'static str,
}

/// Waits until something listens on the port (the proxy is up).
fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the proxy did not listen on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Proxy {
    /// tinyproxy on loopback, with `user:pass` BasicAuth when given; `None`
    /// (a skip) when it is not installed.
    pub fn tinyproxy(auth: Option<(&str, &str)>) -> Option<Proxy> {
        if !require(&[("tinyproxy", "tinyproxy")]) {
            return None;
        }
        let (dir, port) = (tempfile::tempdir().unwrap(), free_port());
        let log = dir.path().join("tinyproxy.log");
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 200\nAllow 127.0.0.1\n\
             LogLevel Connect\nLogFile \"{}\"\n",
            log.display()
        );
        if let Some((user, pass)) = auth {
            conf.push_str(&format!("BasicAuth {user} {pass}\n"));
        }
        let conf_path = dir.path().join("tinyproxy.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let mut cmd = Command::new("tinyproxy");
        cmd.arg("-d").arg("-c").arg(&conf_path);
        // tinyproxy writes its own log file.
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        Some(Proxy::spawn(cmd, dir, port, log, "Request (file descriptor"))
    }

    /// microsocks on loopback, with a user when given.
    pub fn microsocks(auth: Option<(&str, &str)>) -> Option<Proxy> {
        if !require(&[("microsocks", "microsocks")]) {
            return None;
        }
        let (dir, port) = (tempfile::tempdir().unwrap(), free_port());
        let log = dir.path().join("microsocks.log");
        let mut cmd = Command::new("microsocks");
        cmd.args(["-i", "127.0.0.1", "-p", &port.to_string()]);
        if let Some((user, pass)) = auth {
            cmd.args(["-u", user, "-P", pass]);
        }
        // microsocks logs each connection on its output.
        let out = std::fs::File::create(&log).unwrap();
        cmd.stdout(out.try_clone().unwrap()).stderr(out);
        // (A bare connection without a SOCKS greeting is not logged.)
        Some(Proxy::spawn(cmd, dir, port, log, ": connected to "))
    }

    /// Starts `cmd`, listening on `port`, and waits until it does.
    fn spawn(mut cmd: Command, dir: tempfile::TempDir, port: u16, log: PathBuf, mark: &'static str) -> Proxy {
        let child = cmd.spawn().expect("the proxy starts");
        wait_listening(port);
        Proxy {
            _child: Killed(child),
            port,
            log,
            _dir: dir,
            request_mark: mark,
        }
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Log lines of requests (tinyproxy) or connections (microsocks) that
    /// went through it.
    pub fn requests(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains(self.request_mark))
            .map(str::to_string)
            .collect()
    }

    /// `http://USER:PASS@127.0.0.1:PORT` (or socks5h://).
    pub fn url(&self, scheme: &str, auth: Option<(&str, &str)>) -> String {
        match auth {
            Some((u, p)) => format!("{scheme}://{u}:{p}@127.0.0.1:{}", self.port),
            None => format!("{scheme}://127.0.0.1:{}", self.port),
        }
    }
}
