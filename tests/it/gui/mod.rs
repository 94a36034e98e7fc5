//! The window, in this process, driven through its labels with
//! egui_kittest (`support::gui`): the real app from the library, temp
//! folders, and the loopback test server. No GPU needed. (The real binary
//! in a real X server is `window` and `tray`.)

mod after_batch;
mod app;
mod details;
mod kept;
mod keys;
mod network;
mod prefs;
mod rows;
mod server;
mod sidebar;
mod stream;
mod torrent;
mod unattended;
