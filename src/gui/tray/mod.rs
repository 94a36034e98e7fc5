//! The tray icon: on Linux a StatusNotifierItem over D-Bus (ksni, on the
//! zbus that eframe already builds), with the batch's progress in its
//! tooltip and a menu (`Show fanout`/`Hide`, `Add URLs from clipboard`,
//! `Pause all`/`Resume all`, the speed limit, `Quit`). A click shows the
//! window.
//!
//! The item lives on ksni's own thread. The window tells it what to show
//! (a [`TrayView`] built on the UI thread, in the window's language) and
//! gets the user's clicks back as [`TrayCommand`]s, waking its `logic()`
//! (which eframe runs while the window is hidden too). On Windows and
//! macOS the icon is tray-icon's, on the UI thread. Without a tray host
//! (no StatusNotifierWatcher on the session bus) there is no icon, and the
//! settings say why.

use std::sync::mpsc;

use crate::settings::schedule::SpeedChoice;

/// What a click in the tray asks of the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrayCommand {
    Show,
    Hide,
    AddFromClipboard,
    PauseAll(bool),
    Speed(SpeedChoice),
    Quit,
    /// The tray host went away (`false`) or came back: the window must
    /// not hide where no icon can bring it back.
    Host(bool),
}

/// What the tray shows, in the window's language.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrayView {
    pub tooltip_title: String,
    pub tooltip: String,
    /// The window is shown (the menu offers `Hide`).
    pub visible: bool,
    pub paused: bool,
    pub speed: SpeedChoice,
    pub show: String,
    pub hide: String,
    pub add: String,
    pub pause_all: String,
    pub resume_all: String,
    pub speed_title: String,
    /// The labels of [`SpeedChoice::ALL`], in its order.
    pub speeds: [String; 3],
    pub quit: String,
}

/// Whether there is an icon.
enum Status {
    /// Not asked for (the setting, or tests).
    Off,
    /// Being set up on its thread.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Starting(mpsc::Receiver<Result<(), String>>),
    /// Shown; whether a tray host is there to show it.
    Shown(bool),
    /// See [`super::TrayChoice::Pretend`].
    Pretend,
    /// No tray host, or no session bus: why.
    Absent(String),
}

/// The window's side of the tray.
pub(super) struct Tray {
    status: Status,
    commands: mpsc::Receiver<TrayCommand>,
    sender: mpsc::Sender<TrayCommand>,
    /// To the icon's thread, which applies views (ksni's `update` waits
    /// for the item to take them: not on the UI thread).
    #[cfg(target_os = "linux")]
    to_icon: Option<mpsc::Sender<Message>>,
    /// Elsewhere the icon lives on the UI thread (tray-icon wants the
    /// thread of the event loop).
    #[cfg(not(target_os = "linux"))]
    icon: Option<other::Icon>,
    shown_view: Option<TrayView>,
}

impl Default for Tray {
    fn default() -> Self {
        let (sender, commands) = mpsc::channel();
        Tray {
            status: Status::Off,
            commands,
            sender,
            #[cfg(target_os = "linux")]
            to_icon: None,
            #[cfg(not(target_os = "linux"))]
            icon: None,
            shown_view: None,
        }
    }
}

impl Tray {
    /// Puts an icon in the tray (on a thread of its own: the session bus
    /// may be slow to answer), showing `view`.
    pub fn start(&mut self, view: TrayView, ctx: &egui::Context) {
        if matches!(self.status, Status::Starting(_) | Status::Shown(_)) {
            return;
        }
        self.shown_view = Some(view.clone());
        #[cfg(target_os = "linux")]
        {
            let (started, rx) = mpsc::channel();
            let (to_icon, messages) = mpsc::channel();
            let (commands, ctx) = (self.sender.clone(), ctx.clone());
            std::thread::Builder::new()
                .name("fanout-tray".into())
                .spawn(move || icon_thread(view, commands, started, messages, ctx))
                .expect("a thread can be started");
            self.to_icon = Some(to_icon);
            self.status = Status::Starting(rx);
        }
        #[cfg(not(target_os = "linux"))]
        match other::Icon::start(view, self.sender.clone(), ctx.clone()) {
            Ok(icon) => {
                self.icon = Some(icon);
                self.status = Status::Shown(true);
            }
            Err(why) => self.status = Status::Absent(why),
        }
    }

    /// Takes the icon out of the tray (also one still starting).
    pub fn stop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(to_icon) = self.to_icon.take() {
            let _ = to_icon.send(Message::Stop);
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.icon = None;
        }
        self.status = Status::Off;
        self.shown_view = None;
    }

    /// The clicks since the last call (and the icon's start, once done).
    pub fn poll(&mut self) -> Vec<TrayCommand> {
        if let Status::Starting(rx) = &self.status
            && let Ok(result) = rx.try_recv()
        {
            self.status = match result {
                Ok(()) => Status::Shown(true),
                Err(why) => Status::Absent(why),
            };
        }
        let commands: Vec<TrayCommand> = self.commands.try_iter().collect();
        for c in &commands {
            if let (TrayCommand::Host(online), Status::Shown(host)) = (c, &mut self.status) {
                *host = *online;
            }
        }
        commands
    }

    /// Shows `view` (when it changed).
    pub fn show(&mut self, view: TrayView) {
        if !matches!(self.status, Status::Shown(_)) || self.shown_view.as_ref() == Some(&view) {
            return;
        }
        self.shown_view = Some(view.clone());
        #[cfg(target_os = "linux")]
        if let Some(to_icon) = &self.to_icon {
            let _ = to_icon.send(Message::View(Box::new(view)));
        }
        #[cfg(not(target_os = "linux"))]
        if let Some(icon) = &mut self.icon {
            icon.show(view);
        }
    }

    /// There is an icon to bring the window back with.
    pub fn shown(&self) -> bool {
        matches!(self.status, Status::Shown(true) | Status::Pretend)
    }

    /// There is, or may soon be, such an icon: the window may stay hidden.
    pub fn may_hide(&self) -> bool {
        self.shown() || matches!(self.status, Status::Starting(_))
    }

    /// Behaves as if an icon were shown (see [`super::TrayChoice::Pretend`]).
    pub fn pretend(&mut self) {
        self.status = Status::Pretend;
    }

    /// Why there is no icon, when one was asked for.
    pub fn why_absent(&self) -> Option<String> {
        match &self.status {
            Status::Absent(why) => Some(why.clone()),
            _ => None,
        }
    }
}

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux::{Message, icon_thread};

#[cfg(not(target_os = "linux"))]
mod other;
