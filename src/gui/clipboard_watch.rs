//! Clipboard watching (off by default): copying http(s) URLs or magnet
//! links, or a list of them, offers them in a small notice (`Add 3 URLs?` with `Add`,
//! `Review…` and `Ignore`); URLs already queued are not offered again.
//!
//! The clipboard is read off the UI thread. On X11 (and XWayland) the
//! XFixes extension says when the CLIPBOARD selection changes hands, so
//! nothing polls; elsewhere it is read twice a second at most. What is on
//! the clipboard when watching starts is not offered: only what is copied
//! after.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use super::{ADD_CAP, Action, FanoutApp};
use crate::i18n::{self, T, tr};
use crate::input::Options;

/// The poll's pace where there are no selection events.
const POLL: Duration = Duration::from_millis(500);

/// How the clipboard is watched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum How {
    Starting,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    SelectionEvents,
    Polling,
    Unavailable(String),
}

/// The window's side of the watcher thread.
pub(super) struct Watcher {
    texts: mpsc::Receiver<Result<String, How>>,
    on: Arc<AtomicBool>,
    pub how: How,
}

/// URLs copied, offered in the notice.
pub(super) struct Offer {
    pub urls: Vec<(String, Options)>,
}

impl Watcher {
    /// Starts watching `display` (`None`: `$DISPLAY`); the thread lives as
    /// long as the window, idle while watching is off.
    pub fn start(display: Option<String>, ctx: &egui::Context) -> Watcher {
        let (tx, texts) = mpsc::channel();
        let on = Arc::new(AtomicBool::new(true));
        let (flag, ctx) = (on.clone(), ctx.clone());
        std::thread::Builder::new()
            .name("fanout-clipboard".into())
            .spawn(move || watch(display.as_deref(), &tx, &flag, &ctx))
            .expect("a thread can be started");
        Watcher {
            texts,
            on,
            how: How::Starting,
        }
    }

    pub fn set_on(&self, on: bool) {
        self.on.store(on, Ordering::Relaxed);
    }

    /// Texts copied since the last call.
    pub fn poll(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for item in self.texts.try_iter() {
            match item {
                Ok(text) => out.push(text),
                Err(how) => self.how = how,
            }
        }
        out
    }
}

/// Tells the window a text (or how it watches), and wakes it.
fn send(tx: &mpsc::Sender<Result<String, How>>, ctx: &egui::Context, item: Result<String, How>) -> bool {
    let ok = tx.send(item).is_ok();
    ctx.request_repaint();
    ok
}

fn watch(
    display: Option<&str>,
    tx: &mpsc::Sender<Result<String, How>>,
    on: &AtomicBool,
    ctx: &egui::Context,
) {
    #[cfg(target_os = "linux")]
    let why = match x11::watch(display, tx, on, ctx) {
        Ok(()) => return,
        Err(why) => why,
    };
    #[cfg(not(target_os = "linux"))]
    let why = {
        let _ = display;
        String::new()
    };
    // No X server to ask: the clipboard arboard reaches, polled.
    let Ok(mut clipboard) = arboard::Clipboard::new() else {
        send(tx, ctx, Err(How::Unavailable(why)));
        return;
    };
    send(tx, ctx, Err(How::Polling));
    let mut last = clipboard.get_text().ok();
    let mut was_on = true;
    loop {
        std::thread::sleep(POLL);
        let is_on = on.load(Ordering::Relaxed);
        let now = if is_on { clipboard.get_text().ok() } else { None };
        // Turned on again: what is there now was copied before.
        if is_on && !std::mem::replace(&mut was_on, is_on) {
            last = now;
            continue;
        }
        if now.is_some() && now != last {
            last = now.clone();
            if !send(tx, ctx, Ok(now.unwrap_or_default())) {
                return;
            }
        }
    }
}

#[cfg(target_os = "linux")]
mod x11 {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;

    use x11rb::connection::Connection;
    use x11rb::protocol::Event;
    use x11rb::protocol::xfixes::{ConnectionExt as _, SelectionEventMask};
    use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, WindowClass};

    use super::{How, send};

    /// The most text read from one copy.
    const MAX_TEXT: u32 = 1 << 20;

    /// Waits for CLIPBOARD to change owner, then asks the new owner for its
    /// text. `Err`: no X server or no XFixes (the caller polls instead).
    pub fn watch(
        display: Option<&str>,
        tx: &mpsc::Sender<Result<String, How>>,
        on: &AtomicBool,
        ctx: &egui::Context,
    ) -> Result<(), String> {
        let (conn, screen) = x11rb::connect(display).map_err(|e| e.to_string())?;
        let fail = |e: &dyn std::fmt::Display| e.to_string();
        conn.xfixes_query_version(5, 0)
            .map_err(|e| fail(&e))?
            .reply()
            .map_err(|e| fail(&e))?;
        let atom = |name: &[u8]| -> Result<u32, String> {
            Ok(conn
                .intern_atom(false, name)
                .map_err(|e| fail(&e))?
                .reply()
                .map_err(|e| fail(&e))?
                .atom)
        };
        let (clipboard, utf8, property) = (atom(b"CLIPBOARD")?, atom(b"UTF8_STRING")?, atom(b"FANOUT_CLIP")?);
        let root = conn.setup().roots[screen].root;
        let window = conn.generate_id().map_err(|e| fail(&e))?;
        conn.create_window(
            0,
            window,
            root,
            0,
            0,
            1,
            1,
            0,
            WindowClass::INPUT_ONLY,
            0,
            &Default::default(),
        )
        .map_err(|e| fail(&e))?;
        conn.xfixes_select_selection_input(window, clipboard, SelectionEventMask::SET_SELECTION_OWNER)
            .map_err(|e| fail(&e))?;
        conn.flush().map_err(|e| fail(&e))?;
        send(tx, ctx, Err(How::SelectionEvents));
        loop {
            let event = conn.wait_for_event().map_err(|e| fail(&e))?;
            match event {
                Event::XfixesSelectionNotify(e) if e.owner != x11rb::NONE && on.load(Ordering::Relaxed) => {
                    conn.convert_selection(window, clipboard, utf8, property, e.selection_timestamp)
                        .map_err(|e| fail(&e))?;
                    conn.flush().map_err(|e| fail(&e))?;
                }
                Event::SelectionNotify(e) if e.requestor == window && e.property != x11rb::NONE => {
                    // A lost connection ends the watch; an X error for one
                    // copy (an owner that went away) skips that copy.
                    let Ok(reply) = conn
                        .get_property(true, window, property, AtomEnum::ANY, 0, MAX_TEXT / 4)
                        .map_err(|e| fail(&e))?
                        .reply()
                    else {
                        continue;
                    };
                    // An owner that hands text over in pieces (INCR) does
                    // so for large ones, which are no list of URLs to offer.
                    if reply.type_ == utf8 || reply.type_ == u32::from(AtomEnum::STRING) {
                        let text = String::from_utf8_lossy(&reply.value).into_owned();
                        if !send(tx, ctx, Ok(text)) {
                            return Ok(());
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// The notice: `Add 3 URLs?`, `Add`, `Review…`, `Ignore`; not modal, at
/// the top right (the status bar may take two lines).
pub(super) fn clipboard_notice(
    clip_offer: &mut Option<Offer>,
    ctx: &egui::Context,
    actions: &mut Vec<Action>,
) {
    let Some(offer) = &*clip_offer else {
        return;
    };
    #[derive(Clone, Copy)]
    enum Answer {
        Add,
        Review,
        Ignore,
    }
    let mut answer = None;
    egui::Window::new(tr!(ClipTitle))
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-12.0, 40.0))
        .show(ctx, |ui| {
            ui.label(i18n::plural(offer.urls.len() as u128, T::ClipAddOne, T::ClipAdd));
            if let Some((first, _)) = offer.urls.first() {
                ui.weak(first);
            }
            ui.horizontal(|ui| {
                if ui.button(tr!(ClipAddButton)).clicked() {
                    answer = Some(Answer::Add);
                }
                if ui.button(tr!(ClipReview)).clicked() {
                    answer = Some(Answer::Review);
                }
                if ui.button(tr!(ClipIgnore)).clicked() {
                    answer = Some(Answer::Ignore);
                }
            });
        });
    let Some(answer) = answer else { return };
    let Some(offer) = clip_offer.take() else {
        return;
    };
    match answer {
        Answer::Add => actions.push(Action::Add(offer.urls)),
        Answer::Review => {
            let text: Vec<String> = offer.urls.into_iter().map(|(u, _)| u).collect();
            actions.push(Action::OpenAdd(Some(text.join("\n"))));
        }
        Answer::Ignore => {}
    }
}

impl FanoutApp {
    /// Starts or stops watching as the setting says, and offers what was
    /// copied.
    pub(super) fn watch_clipboard(&mut self) {
        let on = self.settings.watch_clipboard;
        match &mut self.desktop.clipboard {
            None if on => {
                self.desktop.clipboard = Some(Watcher::start(self.options.display.clone(), &self.ctx));
            }
            Some(w) => w.set_on(on),
            None => {}
        }
        let Some(watcher) = &mut self.desktop.clipboard else {
            return;
        };
        for text in watcher.poll() {
            if !on {
                continue;
            }
            let queued: HashSet<String> = self.core().model.rows.iter().map(|r| normal(&r.url)).collect();
            let mut seen = HashSet::new();
            let (urls, _) = super::add::take_valid(&text, ADD_CAP);
            let urls: Vec<_> = urls
                .into_iter()
                .filter(|(u, _)| offered(u))
                .filter(|(u, _)| !queued.contains(&normal(u)) && seen.insert(normal(u)))
                .collect();
            if !urls.is_empty() {
                self.desktop.clip_offer = Some(Offer { urls });
            }
        }
    }

    /// How the clipboard is watched, for the settings (none while off).
    pub(super) fn clipboard_how(&self) -> Option<String> {
        let w = self
            .desktop
            .clipboard
            .as_ref()
            .filter(|_| self.settings.watch_clipboard)?;
        Some(match &w.how {
            How::Starting => return None,
            How::SelectionEvents => tr!(ClipByEvents).to_string(),
            How::Polling => tr!(ClipByPolling).to_string(),
            How::Unavailable(why) if std::env::var_os("WAYLAND_DISPLAY").is_some() => {
                tr!(ClipWayland, why = why)
            }
            How::Unavailable(why) => tr!(ClipUnavailable, why = why),
        })
    }
}

/// What copying offers: web addresses and magnet links (not a path that
/// happens to name a `.torrent` file, which is copied for other reasons).
fn offered(url: &str) -> bool {
    let scheme = url.split_once(':').map_or("", |(s, _)| s);
    ["http", "https", "magnet"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s))
}

/// A URL as the url crate writes it, so `http://Host/a` and `http://host/a`
/// are one.
fn normal(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.to_string())
}
