//! What happens when a batch ends, besides the notification: nothing (the
//! default); a command of the user's, run by the shell with the batch's
//! counts and folder in its environment (`FANOUT_DONE`, `FANOUT_FAILED`,
//! `FANOUT_CANCELLED`, `FANOUT_PAUSED`, `FANOUT_SECONDS`, `FANOUT_FOLDER`);
//! or suspend or power off, asked of systemd-logind over D-Bus after a
//! 60-second countdown the window shows (with `Cancel`) and a notification
//! announces. Each optionally only when nothing failed. Nothing of it runs
//! on the UI thread.

use std::time::{Duration, Instant};

use super::FanoutApp;
use super::platform::notify_desktop;
use crate::i18n::tr;
use crate::service::after_batch as after;
use crate::service::model::BatchEnd;
pub use crate::settings::AfterBatch;

pub use crate::service::after_batch::COUNTDOWN;

/// A suspend or power-off waiting for its moment (or its cancel).
pub(super) struct Countdown {
    power_off: bool,
    at: Instant,
}

/// `…suspends in 60 s.` / `…powers off in 60 s.`
fn countdown_text(power_off: bool, secs: u64) -> String {
    if power_off {
        tr!(PowerOffIn, secs = secs)
    } else {
        tr!(SuspendIn, secs = secs)
    }
}

/// The countdown's window: the seconds left and `Cancel`; at zero,
/// logind is asked on a helper thread, its answer to come in `logind`.
pub(super) fn countdown_window(
    countdown: &mut Option<Countdown>,
    logind: &mut Option<std::sync::mpsc::Receiver<Result<(), String>>>,
    ctx: &egui::Context,
    system_bus: &Option<String>,
) {
    let Some(c) = &*countdown else { return };
    let left = c.at.saturating_duration_since(Instant::now());
    if left.is_zero() {
        let (bus, power_off) = (system_bus.clone(), c.power_off);
        *countdown = None;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(after::ask_logind(bus, power_off));
        });
        *logind = Some(rx);
        return;
    }
    let text = countdown_text(c.power_off, left.as_secs() + 1);
    let mut cancel = false;
    egui::Window::new(tr!(AfterBatchLabel))
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            ui.label(text);
            cancel = ui.button(tr!(CountdownCancel)).clicked();
        });
    if cancel {
        *countdown = None;
    } else {
        ctx.request_repaint_after(Duration::from_millis(250));
    }
}

impl FanoutApp {
    /// The batch ended: a desktop notification, if the settings ask for one.
    pub(super) fn batch_ended(&mut self, end: &BatchEnd) {
        let title = tr!(NotifyTitle).to_string();
        let secs = format!("{:.1}", end.span.as_secs_f64());
        let body = if end.paused > 0 {
            tr!(
                NotifyBodyPaused,
                done = end.done,
                failed = end.failed,
                cancelled = end.cancelled,
                paused = end.paused,
                secs = secs
            )
        } else {
            tr!(
                NotifyBody,
                done = end.done,
                failed = end.failed,
                cancelled = end.cancelled,
                secs = secs
            )
        };
        if self.settings.notify && self.options.notifications {
            notify_desktop(title.clone(), body.clone());
        }
        self.told.last_notification = Some((title, body));
        self.after_batch(end);
    }

    /// Runs the after-batch command, when one is set and the batch allows.
    pub(super) fn after_batch(&mut self, end: &BatchEnd) {
        let power_off = match after::wanted(&self.settings, end) {
            None => return,
            Some(after::Act::RunCommand) => return self.run_after_command(end),
            Some(after::Act::Suspend) => false,
            Some(after::Act::PowerOff) => true,
        };
        self.desktop.countdown = Some(Countdown {
            power_off,
            at: Instant::now() + self.options.countdown,
        });
        // From the tray too: the countdown is the window's, to be seen
        // and cancelled there.
        let ctx = self.ctx.clone();
        self.set_hidden(false, &ctx);
        let text = countdown_text(power_off, self.options.countdown.as_secs());
        if self.options.notifications {
            notify_desktop("fanout".into(), text.clone());
        }
        self.told.last_notification = Some(("fanout".into(), text));
    }

    /// logind's answer, once it came: a refusal is said.
    pub(super) fn poll_logind(&mut self) {
        let Some(rx) = &self.desktop.logind else { return };
        if let Ok(answer) = rx.try_recv() {
            self.desktop.logind = None;
            if let Err(e) = answer {
                self.notify(tr!(LogindRefused, e = e));
            }
        }
    }

    fn run_after_command(&mut self, end: &BatchEnd) {
        if let Err(e) = after::run_command(&self.settings, end) {
            self.notify(tr!(AfterCommandFailed, e = e));
        }
    }
}
