//! Outside programs the tests start (Xvfb, dbus-daemon, tinyproxy,
//! microsocks…): whether one is installed, skipping (or, in CI, failing)
//! when it is not, killing it at the end, and a private session bus.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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
