//! The add dialog's stream variants: for one URL whose playlist is an HLS
//! master, the variants it offers (resolution, bitrate, codecs), fetched
//! on a helper thread when asked, and the one to take (the highest
//! bandwidth unless one is picked). The choice goes with the line as
//! `variant=N`, so the saved queue keeps it.

use std::sync::mpsc::{Receiver, TryRecvError};

use crate::engine::{Headers, StreamVariant, stream_variants};
use crate::i18n::tr;

/// What a look at the URL found.
enum Found {
    /// Not a master playlist: nothing to choose.
    NotMaster,
    Variants(Vec<StreamVariant>),
    Failed(String),
}

#[derive(Default)]
pub struct VariantPicker {
    /// The URL looked at, and what was found (`None` while it loads).
    looked: Option<(String, Option<Found>)>,
    waiting: Option<Receiver<Found>>,
    /// 1-based, as `--variant` takes it; `None`: the highest bandwidth.
    pub chosen: Option<usize>,
}

impl VariantPicker {
    /// The `variant=` value for the line of `url`, if one was picked there.
    pub fn choice_for(&self, url: &str) -> Option<String> {
        let (looked, _) = self.looked.as_ref()?;
        (looked == url).then_some(self.chosen?.to_string())
    }

    /// Draws the button (for `one`: the single URL of the dialog with its
    /// headers) and, once looked at, the variants to choose from.
    pub fn show(&mut self, ui: &mut egui::Ui, one: Option<(&str, &Headers)>) {
        if let Some(rx) = &self.waiting {
            match rx.try_recv() {
                Ok(found) => {
                    if let Some((_, slot)) = &mut self.looked {
                        *slot = Some(found);
                    }
                    self.waiting = None;
                }
                Err(TryRecvError::Disconnected) => self.waiting = None,
                Err(TryRecvError::Empty) => ui
                    .ctx()
                    .request_repaint_after(std::time::Duration::from_millis(100)),
            }
        }
        ui.horizontal(|ui| {
            let button = ui.add_enabled(
                one.is_some() && self.waiting.is_none(),
                egui::Button::new(tr!(VariantsLook)),
            );
            button.clone().on_disabled_hover_text(tr!(VariantsOneUrl));
            if button.clicked()
                && let Some((url, headers)) = one
            {
                self.look(ui.ctx(), url, headers);
            }
            if self.waiting.is_some() {
                ui.spinner();
            }
        });
        let current = one.map(|(url, _)| url);
        let Some((url, Some(found))) = &self.looked else {
            return;
        };
        if current != Some(url.as_str()) {
            return;
        }
        match found {
            Found::NotMaster => {
                ui.weak(tr!(VariantsNone));
            }
            Found::Failed(why) => {
                ui.colored_label(ui.visuals().error_fg_color, tr!(VariantsFailed, why = why));
            }
            Found::Variants(variants) => {
                ui.radio_value(&mut self.chosen, None, tr!(VariantsBest));
                for (i, v) in variants.iter().enumerate() {
                    ui.radio_value(&mut self.chosen, Some(i + 1), describe(i + 1, v));
                }
            }
        }
    }

    fn look(&mut self, ctx: &egui::Context, url: &str, headers: &Headers) {
        let (tx, rx) = std::sync::mpsc::channel();
        let (url_owned, headers, ctx) = (url.to_string(), headers.clone(), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("fanout-variants".into())
            .spawn(move || {
                let found = match stream_variants(&url_owned, &headers) {
                    Ok(Some(v)) if !v.is_empty() => Found::Variants(v),
                    Ok(_) => Found::NotMaster,
                    Err(e) => Found::Failed(e),
                };
                let _ = tx.send(found);
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.looked = Some((url.to_string(), None));
            self.waiting = Some(rx);
            self.chosen = None;
        }
    }
}

/// `2: 1280×720, 2.5 Mbit/s, avc1.64001f,mp4a.40.2`
fn describe(n: usize, v: &StreamVariant) -> String {
    let mut text = format!("{n}: ");
    if let Some((w, h)) = v.resolution {
        text += &format!("{w}×{h}, ");
    }
    text += &format!("{:.1} Mbit/s", v.bandwidth as f64 / 1e6);
    if let Some(codecs) = &v.codecs {
        text += &format!(", {codecs}");
    }
    if v.audio.is_some() {
        text += &format!(" + {}", tr!(VariantsAudio));
    }
    text
}
