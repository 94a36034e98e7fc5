//! The tray icon: on Linux a StatusNotifierItem over D-Bus (ksni, on the
//! zbus that eframe already builds), with the batch's progress in its
//! tooltip and a menu (`Show fanout`/`Hide`, `Add URLs from clipboard`,
//! `Pause all`/`Resume all`, the speed limit, `Quit`). A click shows the
//! window.
//!
//! The item lives on ksni's own thread. The window tells it what to show
//! (a [`TrayView`] built on the UI thread, in the window's language) and
//! gets the user's clicks back as [`TrayCommand`]s, waking its `logic()`
//! (which eframe runs while the window is hidden too). Without a tray host
//! (no StatusNotifierWatcher on the session bus) there is no icon, and the
//! settings say why.

use std::sync::mpsc;

use super::i18n::tr;
use super::unattended::SpeedChoice;

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
    Starting(mpsc::Receiver<Result<(), Option<String>>>),
    /// Shown; whether a tray host is there to show it.
    Shown(bool),
    /// See [`super::TrayChoice::Pretend`].
    Pretend,
    /// No tray host, or no session bus: why (`None`: no tray in this
    /// build for this system).
    Absent(Option<String>),
}

/// What the window tells the icon's thread.
enum Message {
    View(Box<TrayView>),
    Stop,
}

/// The window's side of the tray.
pub(super) struct Tray {
    status: Status,
    commands: mpsc::Receiver<TrayCommand>,
    sender: mpsc::Sender<TrayCommand>,
    /// To the icon's thread, which applies views (ksni's `update` waits
    /// for the item to take them: not on the UI thread).
    to_icon: Option<mpsc::Sender<Message>>,
    shown_view: Option<TrayView>,
}

impl Default for Tray {
    fn default() -> Self {
        let (sender, commands) = mpsc::channel();
        Tray {
            status: Status::Off,
            commands,
            sender,
            to_icon: None,
            shown_view: None,
        }
    }
}

/// The icon's thread: sets the item up, then applies the newest view it is
/// sent (coalescing a burst into one update) until told to stop or the
/// window is gone, and takes the item down.
fn icon_thread(
    view: TrayView,
    commands: mpsc::Sender<TrayCommand>,
    started: mpsc::Sender<Result<(), Option<String>>>,
    messages: mpsc::Receiver<Message>,
    ctx: egui::Context,
) {
    let handle = match spawn(view, commands, ctx.clone()) {
        Ok(handle) => handle,
        Err(why) => {
            let _ = started.send(Err(why));
            ctx.request_repaint();
            return;
        }
    };
    let _ = started.send(Ok(()));
    ctx.request_repaint();
    'serve: while let Ok(first) = messages.recv() {
        let mut newest = None;
        for message in std::iter::once(first).chain(messages.try_iter()) {
            match message {
                Message::View(view) => newest = Some(*view),
                Message::Stop => break 'serve,
            }
        }
        if let Some(view) = newest {
            update(&handle, view);
        }
        // At most a few updates a second: the tooltip's speed changes on
        // every pass.
        std::thread::sleep(UPDATE_PACE);
    }
    shutdown(&handle);
}

/// The least time between two updates of the icon.
const UPDATE_PACE: std::time::Duration = std::time::Duration::from_millis(250);

impl Tray {
    /// Puts an icon in the tray (on a thread of its own: the session bus
    /// may be slow to answer), showing `view`.
    pub fn start(&mut self, view: TrayView, ctx: &egui::Context) {
        if matches!(self.status, Status::Starting(_) | Status::Shown(_)) {
            return;
        }
        let (started, rx) = mpsc::channel();
        let (to_icon, messages) = mpsc::channel();
        let (commands, ctx) = (self.sender.clone(), ctx.clone());
        self.shown_view = Some(view.clone());
        std::thread::Builder::new()
            .name("fanout-tray".into())
            .spawn(move || icon_thread(view, commands, started, messages, ctx))
            .expect("a thread can be started");
        self.to_icon = Some(to_icon);
        self.status = Status::Starting(rx);
    }

    /// Takes the icon out of the tray (also one still starting).
    pub fn stop(&mut self) {
        if let Some(to_icon) = self.to_icon.take() {
            let _ = to_icon.send(Message::Stop);
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
        let (Status::Shown(_), Some(to_icon)) = (&self.status, &self.to_icon) else {
            return;
        };
        if self.shown_view.as_ref() != Some(&view) {
            self.shown_view = Some(view.clone());
            let _ = to_icon.send(Message::View(Box::new(view)));
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
            Status::Absent(Some(why)) => Some(why.clone()),
            Status::Absent(None) => Some(tr!(TrayLinuxOnly).to_string()),
            _ => None,
        }
    }
}

#[cfg(target_os = "linux")]
type Handle = ksni::blocking::Handle<linux::Item>;

#[cfg(target_os = "linux")]
fn spawn(
    view: TrayView,
    tx: mpsc::Sender<TrayCommand>,
    ctx: egui::Context,
) -> Result<Handle, Option<String>> {
    use ksni::blocking::TrayMethods;
    linux::Item { view, tx, ctx }
        .spawn()
        .map_err(|e| Some(e.to_string()))
}

#[cfg(target_os = "linux")]
fn update(handle: &Handle, view: TrayView) {
    handle.update(|item| item.view = view);
}

#[cfg(target_os = "linux")]
fn shutdown(handle: &Handle) {
    let _ = handle.shutdown();
}

#[cfg(target_os = "linux")]
mod linux {
    use std::sync::mpsc;

    use ksni::menu::{MenuItem, RadioGroup, RadioItem, StandardItem, SubMenu};

    use super::{TrayCommand, TrayView};
    use crate::gui::unattended::SpeedChoice;

    pub struct Item {
        pub view: TrayView,
        pub tx: mpsc::Sender<TrayCommand>,
        pub ctx: egui::Context,
    }

    impl Item {
        fn send(&self, command: TrayCommand) {
            if self.tx.send(command).is_ok() {
                self.ctx.request_repaint();
            }
        }
    }

    /// A menu entry that sends `command`.
    fn entry(label: &str, command: TrayCommand) -> MenuItem<Item> {
        StandardItem {
            label: label.to_string(),
            activate: Box::new(move |item: &mut Item| item.send(command)),
            ..Default::default()
        }
        .into()
    }

    impl ksni::Tray for Item {
        fn id(&self) -> String {
            "fanout".into()
        }

        fn title(&self) -> String {
            "fanout".into()
        }

        fn icon_name(&self) -> String {
            "fanout".into()
        }

        fn icon_pixmap(&self) -> Vec<ksni::Icon> {
            // ARGB32 in network byte order, from the window's RGBA icon.
            super::super::platform::icon()
                .map(|icon| {
                    let data = icon
                        .rgba
                        .chunks_exact(4)
                        .flat_map(|p| [p[3], p[0], p[1], p[2]])
                        .collect();
                    vec![ksni::Icon {
                        width: icon.width as i32,
                        height: icon.height as i32,
                        data,
                    }]
                })
                .unwrap_or_default()
        }

        fn activate(&mut self, _x: i32, _y: i32) {
            self.send(TrayCommand::Show);
        }

        fn watcher_online(&self) {
            self.send(TrayCommand::Host(true));
        }

        fn watcher_offline(&self, _reason: ksni::OfflineReason) -> bool {
            self.send(TrayCommand::Host(false));
            true
        }

        fn tool_tip(&self) -> ksni::ToolTip {
            ksni::ToolTip {
                title: self.view.tooltip_title.clone(),
                description: self.view.tooltip.clone(),
                ..Default::default()
            }
        }

        fn menu(&self) -> Vec<MenuItem<Self>> {
            let v = &self.view;
            let selected = SpeedChoice::ALL
                .iter()
                .position(|c| *c == v.speed)
                .unwrap_or_default();
            vec![
                if v.visible {
                    entry(&v.hide, TrayCommand::Hide)
                } else {
                    entry(&v.show, TrayCommand::Show)
                },
                entry(&v.add, TrayCommand::AddFromClipboard),
                MenuItem::Separator,
                if v.paused {
                    entry(&v.resume_all, TrayCommand::PauseAll(false))
                } else {
                    entry(&v.pause_all, TrayCommand::PauseAll(true))
                },
                SubMenu {
                    label: v.speed_title.clone(),
                    submenu: vec![
                        RadioGroup {
                            selected,
                            select: Box::new(|item: &mut Item, i| {
                                if let Some(choice) = SpeedChoice::ALL.get(i) {
                                    item.send(TrayCommand::Speed(*choice));
                                }
                            }),
                            options: v
                                .speeds
                                .iter()
                                .map(|label| RadioItem {
                                    label: label.clone(),
                                    ..Default::default()
                                })
                                .collect(),
                        }
                        .into(),
                    ],
                    ..Default::default()
                }
                .into(),
                MenuItem::Separator,
                entry(&v.quit, TrayCommand::Quit),
            ]
        }
    }
}

/// Elsewhere there is no tray yet (`tray-icon` would be Windows' and
/// macOS's): the settings say so.
#[cfg(not(target_os = "linux"))]
type Handle = ();

#[cfg(not(target_os = "linux"))]
fn spawn(_: TrayView, _: mpsc::Sender<TrayCommand>, _: egui::Context) -> Result<Handle, Option<String>> {
    Err(None)
}

#[cfg(not(target_os = "linux"))]
fn update(_: &Handle, _: TrayView) {}

#[cfg(not(target_os = "linux"))]
fn shutdown(_: &Handle) {}
