//! Outside programs the tests start (Xvfb, dbus-daemon, tinyproxy,
//! microsocks…): whether one is installed, skipping (or, in CI, failing)
//! when it is not, killing it at the end, and a private session bus.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};

/// A child process killed (and reaped) on drop.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `program` is on the PATH.
pub fn have(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Whether every `(program, Debian package)` is installed. When one is not,
/// says so and returns false (the test then skips); in CI (`CI=true`) that
/// is a failure instead.
pub fn require(programs: &[(&str, &str)]) -> bool {
    for (program, package) in programs {
        if !have(program) {
            let why = format!("{program} is not installed (apt-get install {package})");
            assert!(std::env::var("CI").as_deref() != Ok("true"), "in CI: {why}");
            eprintln!("skipped: {why}");
            return false;
        }
    }
    true
}

/// The last `lines` lines of a program's log file, for a failure's
/// message: what the other program saw when the test gave up.
pub fn log_tail(path: &std::path::Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| format!("({}: {e})", path.display()));
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A port free on loopback now, for programs that cannot listen on port 0.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private `dbus-daemon --session` (killed on drop) and its address.
pub fn private_bus() -> (Killed, String) {
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon starts");
    let mut address = String::new();
    BufReader::new(bus.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    (Killed(bus), address.trim().to_string())
}

/// Whether python3 with aria2p (an aria2 client library fanout did not
/// write) is installed; says so and skips (fails in CI) when it is not.
pub fn have_aria2p() -> bool {
    let probe = Command::new("python3").args(["-c", "import aria2p"]).output();
    if probe.is_ok_and(|o| o.status.success()) {
        return true;
    }
    let why = "python3 with aria2p is not installed (python3 -m pip install aria2p)";
    assert!(std::env::var("CI").as_deref() != Ok("true"), "in CI: {why}");
    eprintln!("skipped: {why}");
    false
}

/// Runs a Python `script` that drives an RPC server with aria2p (its
/// `sys.argv[1:]` are `args`); what it printed. It must succeed.
pub fn aria2p(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Takes the test machine's own proxies and desktop bus away from a
/// fanout started by a test: what it sees does not depend on the machine.
pub fn hermetic(command: &mut Command) {
    for k in [
        "http_proxy",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
    ] {
        command.env_remove(k);
    }
    command.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
}

/// Runs the fanout binary with `args`, `stdin` piped in, and `env` set (an
/// empty value removes a variable). No proxy comes from the test's own
/// environment and there is no desktop session bus (so no portal) unless
/// `env` gives them: what a test sees does not depend on the machine.
pub fn fanout(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fanout"));
    hermetic(&mut command);
    for (k, v) in env {
        if v.is_empty() {
            command.env_remove(k);
        } else {
            command.env(k, v);
        }
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fanout");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// Serves `object` at `path` under the well-known `name` on the bus at
/// `address` (a desktop service of the test's own: a notification server,
/// logind, a portal, a tray watcher), for as long as the connection lives.
pub fn serve_on_bus<I: zbus::object_server::Interface>(
    address: &str,
    name: &str,
    path: &str,
    object: I,
) -> zbus::blocking::Connection {
    zbus::blocking::connection::Builder::address(address)
        .unwrap()
        .name(name)
        .unwrap()
        .serve_at(path, object)
        .unwrap()
        .build()
        .unwrap_or_else(|e| panic!("{name} on the private bus: {e}"))
}

/// Waits (20 s at most) for `app` to exit, and says how.
pub fn wait_for_exit(app: &mut Killed, what: &str) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(status) = app.0.try_wait().unwrap() {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "fanout did not exit {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
