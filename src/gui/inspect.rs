//! What tests and tools read of the window, and the few things they set
//! as a user would (the settings, the tab shown).

use std::path::Path;

use super::compare::ComparePanel;
use super::{FanoutApp, Tab};
use crate::settings::Settings;

impl FanoutApp {
    /// The settings as the window has them (saved after each frame).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The settings, to change as Preferences would: applied and saved
    /// after the next frame.
    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// The window title last sent (`fanout — 37/64`).
    pub fn title(&self) -> &str {
        &self.told.title
    }

    /// The last batch-end notification's title and text (sent or not).
    pub fn last_notification(&self) -> Option<(String, String)> {
        self.told.last_notification.clone()
    }

    /// The last file or folder handed to the desktop to open.
    pub fn last_opened(&self) -> Option<&Path> {
        self.told.last_opened.as_deref()
    }

    /// Frames drawn (`ui` passes) since the window opened.
    pub fn frames(&self) -> u64 {
        self.told.frames
    }

    /// Whether `Keep downloading in the tray?` is asked.
    pub fn close_question(&self) -> bool {
        self.desktop.close_question
    }

    /// The engine comparison: its runs, whether one runs, its error.
    pub fn compare(&self) -> &ComparePanel {
        &self.panels.compare
    }

    /// The RPC address a browser extension takes, the secret in it
    /// (Aria2 Explorer's `http://token:SECRET@host:port/jsonrpc` form);
    /// `None` while the server does not serve.
    pub fn rpc_address(&self) -> Option<String> {
        super::first_run::address(self.rpc_port()?, self.rpc_secret()?)
    }

    /// Whether Preferences is open.
    pub fn preferences_open(&self) -> bool {
        self.panels.prefs.open
    }

    /// Shows `tab` in the central panel, as a click on it would.
    pub fn show_tab(&mut self, tab: Tab) {
        self.panels.tab = tab;
    }
}
