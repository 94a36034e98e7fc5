//! The desktop's services, each off the UI thread where it may wait: the
//! bundled fonts and the icon, the clipboard, the native folder dialog,
//! opening a file with its program, and desktop notifications.

use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::Instant;

use crate::i18n::tr;

/// The native folder dialog, run off the UI thread.
pub(super) struct FolderPick {
    pub(super) rx: mpsc::Receiver<Option<PathBuf>>,
    pub(super) since: Instant,
}

/// Registers the bundled CJK font as a fallback after egui's own fonts, so
/// Chinese names render the same on every machine.
pub(super) fn install_fonts(ctx: &egui::Context) {
    const CJK: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-subset.otf");
    let mut fonts = egui::FontDefinitions::default();
    fonts
        .font_data
        .insert("noto-sans-sc".into(), Arc::new(egui::FontData::from_static(CJK)));
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push("noto-sans-sc".into());
    }
    ctx.set_fonts(fonts);
}

pub fn icon() -> Option<egui::IconData> {
    eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")).ok()
}

/// Reads the clipboard's text on a helper thread (X11 clipboards answer
/// through the event loop of another program and may take a while).
pub(super) fn read_clipboard() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        if let Ok(text) = arboard::Clipboard::new().and_then(|mut c| c.get_text()) {
            let _ = tx.send(text);
        }
    });
    rx
}

/// Opens the native folder dialog on a helper thread and reports the choice.
pub(super) fn pick_folder(start: &Path, ctx: &egui::Context) -> FolderPick {
    let (tx, rx) = mpsc::channel();
    let start = start.to_path_buf();
    let ctx = ctx.clone();
    // The language is the UI thread's: take the title from here.
    let title = tr!(DownloadFolder);
    std::thread::spawn(move || {
        let mut dialog = rfd::AsyncFileDialog::new().set_title(title);
        if start.is_dir() {
            dialog = dialog.set_directory(&start);
        }
        let choice = pollster::block_on(dialog.pick_folder()).map(|h| h.path().to_path_buf());
        let _ = tx.send(choice);
        ctx.request_repaint();
    });
    FolderPick {
        rx,
        since: Instant::now(),
    }
}

/// Who opens a finished file or its folder: the desktop's default
/// program for the app; a recorder in tests, so no test starts one.
#[derive(Clone, Debug)]
pub enum Opener {
    Desktop,
    /// Keeps the paths it was asked to open, oldest first.
    Record(Arc<std::sync::Mutex<Vec<PathBuf>>>),
}

impl Opener {
    pub fn recording() -> Opener {
        Opener::Record(Arc::default())
    }

    /// What a recorder was asked to open so far (nothing for the desktop's).
    pub fn opened(&self) -> Vec<PathBuf> {
        match self {
            Opener::Desktop => Vec::new(),
            Opener::Record(paths) => crate::sync::lock(paths).clone(),
        }
    }

    pub(super) fn open(&self, path: &Path) -> std::io::Result<()> {
        match self {
            Opener::Desktop => open_in_desktop(path),
            Opener::Record(paths) => {
                crate::sync::lock(paths).push(path.to_path_buf());
                Ok(())
            }
        }
    }
}

/// Opens a file or folder with the desktop's default program, without
/// waiting for it (`xdg-open` asks the portal's OpenURI where there is
/// one, as in a Flatpak).
fn open_in_desktop(path: &Path) -> std::io::Result<()> {
    let program = if cfg!(target_os = "windows") {
        "explorer"
    } else if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    // Reaped whenever it ends, off the UI thread.
    crate::platform::desktop::spawn_quiet(std::process::Command::new(program).arg(path))
}

/// Shows a desktop notification from a helper thread (D-Bus may take a
/// moment, or not answer at all).
pub(super) fn notify_desktop(summary: String, body: String) {
    std::thread::spawn(move || {
        if let Err(e) = crate::platform::desktop::notify_now(&summary, &body) {
            tracing::info!(error = %e, "no desktop notification");
        }
    });
}
