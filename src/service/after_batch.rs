//! What happens when a batch ends, for every front end: nothing (the default);
//! a command of the user's, run by the shell with the batch's counts and
//! folder in its environment (`FANOUT_DONE`, `FANOUT_FAILED`,
//! `FANOUT_CANCELLED`, `FANOUT_PAUSED`, `FANOUT_SECONDS`, `FANOUT_FOLDER`);
//! or suspend or power off, asked of systemd-logind over D-Bus once a
//! countdown has passed (the window shows it with `Cancel`; `fanout serve`
//! logs it). Each optionally only when nothing failed.

use super::model::BatchEnd;
use crate::settings::{AfterBatch, Settings};

/// How long a front end counts down before it suspends or powers off.
pub const COUNTDOWN: std::time::Duration = std::time::Duration::from_secs(60);

/// What the settings ask for after this batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    RunCommand,
    Suspend,
    PowerOff,
}

/// `None`: nothing, or only when nothing failed and something did.
pub fn wanted(settings: &Settings, end: &BatchEnd) -> Option<Act> {
    if settings.after_only_if_ok && end.failed > 0 {
        return None;
    }
    match settings.after_batch {
        AfterBatch::Nothing => None,
        AfterBatch::RunCommand => Some(Act::RunCommand),
        AfterBatch::Suspend => Some(Act::Suspend),
        AfterBatch::PowerOff => Some(Act::PowerOff),
    }
}

/// Starts the after-batch command (reaped on a thread of its own); an
/// empty command does nothing.
pub fn run_command(settings: &Settings, end: &BatchEnd) -> std::io::Result<()> {
    let command = settings.after_command.trim();
    if command.is_empty() {
        return Ok(());
    }
    crate::platform::desktop::spawn_quiet(
        shell(command)
            .env("FANOUT_DONE", end.done.to_string())
            .env("FANOUT_FAILED", end.failed.to_string())
            .env("FANOUT_CANCELLED", end.cancelled.to_string())
            .env("FANOUT_PAUSED", end.paused.to_string())
            .env("FANOUT_SECONDS", format!("{:.1}", end.span.as_secs_f64()))
            .env("FANOUT_FOLDER", settings.target_dir()),
    )
}

/// Asks systemd-logind (on `bus`, else the system bus) to suspend or power
/// off; not interactive (no password prompt of polkit's).
pub fn ask_logind(bus: Option<String>, power_off: bool) -> Result<(), String> {
    let conn = match bus {
        Some(address) => zbus::blocking::connection::Builder::address(address.as_str())
            .and_then(|b| b.build())
            .map_err(|e| e.to_string())?,
        None => zbus::blocking::Connection::system().map_err(|e| e.to_string())?,
    };
    let method = if power_off { "PowerOff" } else { "Suspend" };
    conn.call_method(
        Some("org.freedesktop.login1"),
        "/org/freedesktop/login1",
        Some("org.freedesktop.login1.Manager"),
        method,
        &(false,),
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// The shell that runs the command.
fn shell(command: &str) -> std::process::Command {
    if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", command]);
        c
    } else {
        let mut c = std::process::Command::new("sh");
        c.args(["-c", command]);
        c
    }
}
