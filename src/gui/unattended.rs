//! Running unattended: the weekly schedule applied to the queue and the
//! speed limit, the speed-limit choice (the setting, the alternative one,
//! none) that the tray and the schedule share, and pausing or resuming
//! everything at once.
//!
//! The schedule is asked what is in force on every `logic()` pass (which
//! eframe runs while the window is hidden too) and acts on its edges only:
//! a queue the user resumed by hand in a paused hour stays resumed until
//! the next edge. Edited rules and a restart apply what is in force at once.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::tray::{TrayCommand, TrayView};
use super::{Action, FanoutApp, TrayChoice};
use crate::i18n::tr;
use crate::settings::OnClose;
use crate::settings::schedule::{SpeedChoice, WeekTime};

/// How often the schedule is looked at while it has rules (its edges are
/// to the minute).
const SCHEDULE_TICK: Duration = Duration::from_secs(15);

/// The window's side on the desktop: the tray, hiding and closing, the
/// after-batch countdown, the one-window lock, the clipboard's watcher.
pub(super) struct Desktop {
    /// A suspend or power-off counting down after a batch.
    pub countdown: Option<super::after_batch::Countdown>,
    /// logind's answer to a suspend or power-off, on its way.
    pub logind: Option<std::sync::mpsc::Receiver<Result<(), String>>>,
    /// The lock of the one window, and URLs later starts hand over.
    pub instance: Option<crate::platform::instance::Instance>,
    pub tray: super::tray::Tray,
    /// The window is hidden (in the tray); shared with the engine's
    /// waker, which wakes a hidden window less often.
    pub hidden: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The first `logic()` pass is done.
    pub started: bool,
    /// `Quit` was chosen: the next close is not turned into hiding.
    pub quitting: bool,
    /// `Keep downloading in the tray?` is asked.
    pub close_question: bool,
    pub clipboard: Option<super::clipboard_watch::Watcher>,
    pub clip_offer: Option<super::clipboard_watch::Offer>,
}

impl Desktop {
    pub fn new(hidden: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Desktop {
        Desktop {
            countdown: None,
            logind: None,
            instance: None,
            tray: Default::default(),
            hidden,
            started: false,
            quitting: false,
            close_question: false,
            clipboard: None,
            clip_offer: None,
        }
    }
}

impl Desktop {
    /// Shows the window (in front) or hides it. Hidden, `ui()` lays out
    /// nothing and the engine wakes `logic()` once a second (see `app`).
    pub fn set_hidden(&mut self, hidden: bool, ctx: &egui::Context) {
        self.hidden.store(hidden, Ordering::Relaxed);
        ctx.send_viewport_cmd(egui::ViewportCommand::Visible(!hidden));
        if !hidden {
            ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
            ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
        }
    }

    /// `Keep downloading in the tray?`; the answer is kept in the settings.
    pub(super) fn close_question_window(&mut self, ctx: &egui::Context, on_close: &mut OnClose) {
        if !self.close_question {
            return;
        }
        let mut answer = None;
        egui::Window::new(tr!(CloseQuestionTitle))
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .show(ctx, |ui| {
                ui.label(tr!(CloseQuestion));
                ui.weak(tr!(CloseQuestionNote));
                ui.horizontal(|ui| {
                    if ui.button(tr!(KeepInTray)).clicked() {
                        answer = Some(OnClose::Tray);
                    }
                    if ui.button(tr!(QuitNow)).clicked() {
                        answer = Some(OnClose::Quit);
                    }
                });
            });
        let Some(answer) = answer else { return };
        self.close_question = false;
        *on_close = answer;
        match answer {
            OnClose::Tray => self.set_hidden(true, ctx),
            _ => {
                self.quitting = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }
}

impl FanoutApp {
    /// The speed limit in force, in bytes per second.
    pub(super) fn rate_limit(&self) -> Option<u64> {
        self.local().rate_limit(&self.settings)
    }

    /// Chooses the speed limit in force (the tray, the schedule).
    pub fn set_speed(&mut self, choice: SpeedChoice) {
        self.local().set_speed(choice, &self.settings);
    }

    pub fn speed(&self) -> SpeedChoice {
        self.local().speed
    }

    /// Pauses the queue and every download in it, or resumes them all.
    pub fn pause_all(&mut self, paused: bool) {
        self.local().pause_all(paused);
    }

    pub fn queue_paused(&self) -> bool {
        self.local().queue_paused
    }

    /// Applies the schedule's edges that passed since the last look, and
    /// asks to be woken for the next one.
    pub(super) fn run_schedule(&mut self) {
        if self
            .local()
            .run_schedule(&self.settings, self.options.clock.now())
        {
            self.ctx.request_repaint_after(SCHEDULE_TICK);
        }
    }
}

impl FanoutApp {
    /// Each `logic()` pass, the window shown or not: the tray's clicks, a
    /// close turned into hiding, the schedule, the clipboard, the tray's
    /// tooltip and menu.
    pub(super) fn unattended_logic(&mut self, ctx: &egui::Context) {
        if !self.desktop.started {
            // eframe shows the window after its first frame whatever the
            // builder said; this pass's commands come after that.
            self.desktop.started = true;
            if self.hidden() {
                self.set_hidden(true, ctx);
            }
        }
        for command in self.desktop.tray.poll() {
            self.tray_command(command, ctx);
        }
        // Hidden with no icon to come back by (none could be shown, the
        // tray host went away, the icon was turned off): the window comes
        // back itself.
        if self.hidden() && !self.desktop.tray.may_hide() {
            self.set_hidden(false, ctx);
        }
        self.on_close_request(ctx);
        self.run_schedule();
        self.watch_clipboard();
        // Counted and worded on every pass: only when there is an icon.
        if self.desktop.tray.shown() {
            let view = self.tray_view();
            self.desktop.tray.show(view);
        }
    }

    fn tray_command(&mut self, command: TrayCommand, ctx: &egui::Context) {
        match command {
            TrayCommand::Show => self.set_hidden(false, ctx),
            TrayCommand::Hide => self.set_hidden(true, ctx),
            TrayCommand::AddFromClipboard => {
                self.set_hidden(false, ctx);
                self.apply(Action::OpenAdd(None));
            }
            TrayCommand::PauseAll(paused) => self.pause_all(paused),
            TrayCommand::Speed(choice) => self.set_speed(choice),
            TrayCommand::Quit => {
                self.desktop.quitting = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            // Taken by the tray itself (see `may_hide`).
            TrayCommand::Host(_) => {}
        }
    }

    /// The window is hidden (in the tray).
    pub fn hidden(&self) -> bool {
        self.desktop.hidden.load(Ordering::Relaxed)
    }

    /// Shows the window (in front) or hides it. Hidden, `ui()` lays out
    /// nothing and the engine wakes `logic()` once a second (see `app`).
    pub fn set_hidden(&mut self, hidden: bool, ctx: &egui::Context) {
        self.desktop.set_hidden(hidden, ctx);
    }

    /// The window's close button: with an icon in the tray to come back
    /// by, closing while downloads run hides the window (as the user said
    /// once, when asked). Without one, or when `Quit` was chosen, it closes.
    fn on_close_request(&mut self, ctx: &egui::Context) {
        if self.desktop.quitting
            || !ctx.input(|i| i.viewport().close_requested())
            || !self.desktop.tray.shown()
        {
            return;
        }
        let running = {
            let core = self.local();
            core.model.in_flight() > 0 || core.model.counts().queued > 0
        };
        let hide = match self.settings.on_close {
            OnClose::Tray => true,
            OnClose::Ask if running => {
                self.desktop.close_question = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                return;
            }
            OnClose::Ask | OnClose::Quit => false,
        };
        if hide {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.set_hidden(true, ctx);
        }
    }

    /// What the tray shows now, in the window's language.
    fn tray_view(&self) -> TrayView {
        let ((ended, total), c, speed, paused, choice) = {
            let core = self.local();
            let speed = core.model.speed(std::time::Instant::now()) as u64;
            (
                core.model.batch_progress(),
                core.model.counts(),
                speed,
                core.queue_paused,
                core.speed,
            )
        };
        let speed = crate::i18n::units::human_bytes(speed);
        let tooltip = tr!(
            TrayTooltip,
            ended = ended,
            total = total,
            speed = speed,
            running = c.running,
            queued = c.queued,
            failed = c.failed
        );
        let kib = |k: u64| format!("{k} KiB/s");
        let setting = match self.settings.speed_limit_kib {
            0 => tr!(TraySpeedSetting, limit = tr!(NoLimit)),
            k => tr!(TraySpeedSetting, limit = kib(k)),
        };
        TrayView {
            tooltip_title: self.told.title.clone(),
            tooltip,
            visible: !self.hidden(),
            paused,
            speed: choice,
            show: tr!(TrayShow).into(),
            hide: tr!(TrayHide).into(),
            add: tr!(TrayAddClipboard).into(),
            pause_all: tr!(TrayPauseAll).into(),
            resume_all: tr!(TrayResumeAll).into(),
            speed_title: tr!(TraySpeed).into(),
            speeds: [
                tr!(TraySpeedNone).into(),
                tr!(TraySpeedAlt, limit = kib(self.settings.alt_speed_limit_kib)),
                setting,
            ],
            quit: tr!(TrayQuit).into(),
        }
    }

    /// Starts or stops the tray icon as the options and settings say.
    pub(super) fn sync_tray(&mut self) {
        match (self.options.tray, self.settings.tray) {
            (TrayChoice::AsSet, true) => {
                let view = self.tray_view();
                self.desktop.tray.start(view, &self.ctx);
            }
            (TrayChoice::Pretend, true) => self.desktop.tray.pretend(),
            _ => self.desktop.tray.stop(),
        }
    }

    /// The settings of this room changed: the tray, the autostart entry,
    /// the speed limit in force.
    pub(super) fn unattended_settings_changed(&mut self) {
        if self.settings.tray != self.saved_settings.tray {
            self.sync_tray();
        }
        if self.settings.start_at_login != self.saved_settings.start_at_login {
            let result = match &self.options.exe {
                Some(exe) => crate::platform::desktop::set_autostart(
                    &self.options.autostart_dir,
                    exe,
                    self.settings.start_at_login,
                )
                .map_err(|e| e.to_string()),
                None => Err(tr!(NoExePath).to_string()),
            };
            if let Err(e) = result {
                self.notify(tr!(AutostartFailed, e = e));
            }
        }
        if self.settings.alt_speed_limit_kib != self.saved_settings.alt_speed_limit_kib {
            let choice = self.speed();
            self.set_speed(choice);
        }
    }

    /// Counts a drawn frame (and writes the count where the options ask).
    pub(super) fn count_frame(&mut self) {
        self.told.frames += 1;
        if let Some(path) = &self.options.frame_log {
            let _ = std::fs::write(path, self.told.frames.to_string());
        }
    }
}

/// `Mon 09:00` in the window's language.
pub(super) fn when(t: WeekTime) -> String {
    format!(
        "{} {:02}:{:02}",
        day_name(t.day()),
        t.minute() / 60,
        t.minute() % 60
    )
}

/// The short name of a day (0 is Monday).
pub(super) fn day_name(day: u32) -> &'static str {
    match day {
        0 => tr!(DayMon),
        1 => tr!(DayTue),
        2 => tr!(DayWed),
        3 => tr!(DayThu),
        4 => tr!(DayFri),
        5 => tr!(DaySat),
        _ => tr!(DaySun),
    }
}
