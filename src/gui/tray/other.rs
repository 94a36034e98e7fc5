//! Windows and macOS: tray-icon (and its menus, muda), on the UI thread
//! (tray-icon wants the thread of the event loop).

use std::sync::mpsc;

use tray_icon::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tray_icon::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};

use super::{TrayCommand, TrayView};
use crate::settings::schedule::SpeedChoice;

pub struct Icon {
    tray: TrayIcon,
    view: TrayView,
}

impl Icon {
    /// Puts the icon in the tray; clicks come back on `tx` (and wake
    /// the window, hidden or not).
    pub fn start(view: TrayView, tx: mpsc::Sender<TrayCommand>, ctx: egui::Context) -> Result<Icon, String> {
        let (menu_tx, menu_ctx) = (tx.clone(), ctx.clone());
        MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
            if let Some(command) = command(event.id.as_ref())
                && menu_tx.send(command).is_ok()
            {
                menu_ctx.request_repaint();
            }
        }));
        TrayIconEvent::set_event_handler(Some(move |event: TrayIconEvent| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
                && tx.send(TrayCommand::Show).is_ok()
            {
                ctx.request_repaint();
            }
        }));
        let mut builder = TrayIconBuilder::new()
            .with_tooltip(tooltip(&view))
            .with_menu(Box::new(menu(&view)));
        if let Some(icon) = crate::gui::platform::icon()
            .and_then(|i| tray_icon::Icon::from_rgba(i.rgba, i.width, i.height).ok())
        {
            builder = builder.with_icon(icon);
        }
        let tray = builder.build().map_err(|e| e.to_string())?;
        Ok(Icon { tray, view })
    }

    pub fn show(&mut self, view: TrayView) {
        if tooltip(&view) != tooltip(&self.view) {
            let _ = self.tray.set_tooltip(Some(tooltip(&view)));
        }
        let menu_changed = (view.visible, view.paused, view.speed, &view.speeds)
            != (
                self.view.visible,
                self.view.paused,
                self.view.speed,
                &self.view.speeds,
            );
        if menu_changed || view.show != self.view.show {
            self.tray.set_menu(Some(Box::new(menu(&view))));
        }
        self.view = view;
    }
}

fn tooltip(v: &TrayView) -> String {
    format!("{}\n{}", v.tooltip_title, v.tooltip)
}

/// The menu's entries by id, as [`command`] reads them back.
fn menu(v: &TrayView) -> Menu {
    let window = if v.visible {
        MenuItem::with_id("hide", &v.hide, true, None)
    } else {
        MenuItem::with_id("show", &v.show, true, None)
    };
    let add = MenuItem::with_id("add", &v.add, true, None);
    let pause = if v.paused {
        MenuItem::with_id("resume", &v.resume_all, true, None)
    } else {
        MenuItem::with_id("pause", &v.pause_all, true, None)
    };
    let speed = Submenu::new(&v.speed_title, true);
    for (i, (choice, label)) in SpeedChoice::ALL.iter().zip(&v.speeds).enumerate() {
        let item = CheckMenuItem::with_id(format!("speed-{i}"), label, true, *choice == v.speed, None);
        let _ = speed.append(&item);
    }
    let quit = MenuItem::with_id("quit", &v.quit, true, None);
    let menu = Menu::new();
    let _ = menu.append_items(&[
        &window,
        &add,
        &PredefinedMenuItem::separator(),
        &pause,
        &speed,
        &PredefinedMenuItem::separator(),
        &quit,
    ]);
    menu
}

fn command(id: &str) -> Option<TrayCommand> {
    Some(match id {
        "show" => TrayCommand::Show,
        "hide" => TrayCommand::Hide,
        "add" => TrayCommand::AddFromClipboard,
        "pause" => TrayCommand::PauseAll(true),
        "resume" => TrayCommand::PauseAll(false),
        "quit" => TrayCommand::Quit,
        other => {
            let i: usize = other.strip_prefix("speed-")?.parse().ok()?;
            TrayCommand::Speed(*SpeedChoice::ALL.get(i)?)
        }
    })
}
