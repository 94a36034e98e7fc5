//! Linux: a StatusNotifierItem by ksni, on a thread of its own (ksni's
//! `update` waits for the item to take the new state).

use std::sync::mpsc;

use ksni::menu::{MenuItem, RadioGroup, RadioItem, StandardItem, SubMenu};

use super::{TrayCommand, TrayView};
use crate::settings::schedule::SpeedChoice;

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
        crate::gui::platform::icon()
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

/// What the window tells the icon's thread.
pub(super) enum Message {
    View(Box<TrayView>),
    Stop,
}

/// The icon's thread: sets the item up, then applies the newest view it is
/// sent (coalescing a burst into one update) until told to stop or the
/// window is gone, and takes the item down.
pub(super) fn icon_thread(
    view: TrayView,
    commands: mpsc::Sender<TrayCommand>,
    started: mpsc::Sender<Result<(), String>>,
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

type Handle = ksni::blocking::Handle<Item>;

fn spawn(view: TrayView, tx: mpsc::Sender<TrayCommand>, ctx: egui::Context) -> Result<Handle, String> {
    use ksni::blocking::TrayMethods;
    Item { view, tx, ctx }.spawn().map_err(|e| e.to_string())
}

fn update(handle: &Handle, view: TrayView) {
    handle.update(|item| item.view = view);
}

fn shutdown(handle: &Handle) {
    let _ = handle.shutdown();
}
