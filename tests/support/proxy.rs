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
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
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
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tinyproxy starts");
        wait_listening(port);
        Some(Proxy {
            _child: Killed(child),
            port,
            log,
            _dir: dir,
            request_mark: "Request (file descriptor",
        })
    }

    /// microsocks on loopback, with a user when given.
    pub fn microsocks(auth: Option<(&str, &str)>) -> Option<Proxy> {
        if !require(&[("microsocks", "microsocks")]) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = dir.path().join("microsocks.log");
        let mut cmd = Command::new("microsocks");
        cmd.args(["-i", "127.0.0.1", "-p", &port.to_string()]);
        if let Some((user, pass)) = auth {
            cmd.args(["-u", user, "-P", pass]);
        }
        let out = std::fs::File::create(&log).unwrap();
        let child = cmd
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("microsocks starts");
        // (A bare connection without a SOCKS greeting is not logged.)
        wait_listening(port);
        Some(Proxy {
            _child: Killed(child),
            port,
            log,
            _dir: dir,
            request_mark: ": connected to ",
        })
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
