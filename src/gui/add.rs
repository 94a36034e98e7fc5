//! The `Add URLs` dialog: one URL a line, batch patterns expanded with a live
//! count, bad lines marked in place with their reason and kept back.

use std::sync::mpsc::Receiver;

use egui::RichText;
use egui::text::{LayoutJob, TextFormat};

use crate::engine::parse_sha256;
use crate::i18n::{self, T, tr};
use crate::input::{OptionError, Options};

pub use crate::i18n::lines::{Analysis, LineCheck, analyse, check_line};
pub use crate::input::{has_urls, take_valid};

#[derive(Default)]
pub struct AddDialog {
    pub open: bool,
    pub text: String,
    analysis: Analysis,
    analysed: String,
    /// The clipboard's text, read off the UI thread when the dialog opens.
    clipboard: Option<Receiver<String>>,
    pub note: Option<String>,
    /// The SHA-256 field: the one URL being added must have it.
    pub sha256: String,
    /// A cookies file for every URL added (a line's own `cookies=` wins).
    pub cookies: String,
    /// Give the `URLs` field the keyboard on the next frame (just opened).
    focus_urls: bool,
    /// A stream's variants, for a single URL.
    variants: super::add_variants::VariantPicker,
}

pub enum AddOutcome {
    None,
    Add(Vec<(String, Options)>),
}

impl AddDialog {
    pub fn open_with(&mut self, text: Option<String>, clipboard: Option<Receiver<String>>) {
        self.open = true;
        // What the user types next goes into the list, not nowhere.
        self.focus_urls = true;
        self.note = None;
        match text {
            Some(t) => {
                if !self.text.is_empty() && !self.text.ends_with('\n') {
                    self.text.push('\n');
                }
                self.text.push_str(&t);
            }
            None => self.clipboard = clipboard,
        }
    }

    fn refresh(&mut self, cap: usize) {
        if self.analysed != self.text {
            self.analysis = analyse(&self.text, cap);
            self.analysed = self.text.clone();
        }
    }

    /// Draws the dialog when open; returns the URLs to queue when the user
    /// presses `Add to queue`.
    pub fn show(&mut self, ctx: &egui::Context, cap: usize) -> AddOutcome {
        if !self.open {
            return AddOutcome::None;
        }
        if let Some(rx) = &self.clipboard {
            match rx.try_recv() {
                Ok(text) => {
                    if self.text.trim().is_empty() && has_urls(&text) {
                        self.text = text;
                    }
                    self.clipboard = None;
                }
                Err(std::sync::mpsc::TryRecvError::Disconnected) => self.clipboard = None,
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
            }
        }
        self.refresh(cap);
        let mut outcome = AddOutcome::None;
        let mut open = self.open;
        let mut close = false;
        egui::Window::new(tr!(AddDownloads))
            .open(&mut open)
            .collapsible(false)
            .default_width(560.0)
            .show(ctx, |ui| {
                let label = ui.label(tr!(Urls));
                ui.weak(tr!(AddHelp));
                let checks = self.analysis.lines.clone();
                let mut layouter = move |ui: &egui::Ui, text: &dyn egui::TextBuffer, wrap: f32| {
                    let job = mark_lines(ui, text.as_str(), &checks, wrap);
                    ui.ctx().fonts_mut(|f| f.layout_job(job))
                };
                egui::ScrollArea::vertical().max_height(260.0).show(ui, |ui| {
                    let field = ui
                        .add(
                            egui::TextEdit::multiline(&mut self.text)
                                .desired_rows(8)
                                .desired_width(f32::INFINITY)
                                .code_editor()
                                .hint_text("https://example.com/album/[1-64].jpg")
                                .layouter(&mut layouter),
                        )
                        .labelled_by(label.id);
                    if std::mem::take(&mut self.focus_urls) {
                        field.request_focus();
                    }
                });
                self.refresh(cap);
                let a = &self.analysis;
                ui.horizontal(|ui| {
                    if self.clipboard.is_some() {
                        ui.spinner();
                        ui.label(tr!(ReadingClipboard));
                    }
                    let over = a.urls > cap as u128;
                    if over {
                        ui.colored_label(ui.visuals().error_fg_color, tr!(OverCap, n = a.urls, cap = cap));
                    } else {
                        ui.label(i18n::plural(a.urls, T::UrlToAdd, T::UrlsToAdd));
                    }
                    if a.bad > 0 {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            i18n::plural(a.bad as u128, T::InvalidLine, T::InvalidLines),
                        );
                    }
                });
                let bad: Vec<(usize, &String)> = a
                    .lines
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| match c {
                        LineCheck::Bad(why) => Some((i + 1, why)),
                        _ => None,
                    })
                    .take(50)
                    .collect();
                if !bad.is_empty() {
                    egui::ScrollArea::vertical()
                        .id_salt("bad lines")
                        .max_height(100.0)
                        .show(ui, |ui| {
                            for (line, why) in bad {
                                ui.label(
                                    RichText::new(tr!(LineReason, line = line, why = why))
                                        .color(ui.visuals().error_fg_color),
                                );
                            }
                        });
                }
                let sha_label = ui.label(tr!(Sha256Field));
                ui.add(
                    egui::TextEdit::singleline(&mut self.sha256)
                        .desired_width(f32::INFINITY)
                        .code_editor()
                        .hint_text(tr!(Sha256Hint)),
                )
                .labelled_by(sha_label.id);
                let sha = self.sha256.trim();
                let sha_problem = if sha.is_empty() {
                    None
                } else if parse_sha256(sha).is_err() {
                    Some(i18n::option_error(&OptionError::Sha256(sha.to_string())))
                } else if a.urls != 1 {
                    Some(tr!(ShaOneFile, n = a.urls))
                } else {
                    None
                };
                if let Some(why) = &sha_problem {
                    ui.colored_label(ui.visuals().error_fg_color, why);
                }
                let cookies_label = ui.label(tr!(CookiesField));
                ui.add(
                    egui::TextEdit::singleline(&mut self.cookies)
                        .desired_width(f32::INFINITY)
                        .hint_text(tr!(CookiesHint)),
                )
                .labelled_by(cookies_label.id);
                let one = match a.urls {
                    1 => take_valid(&self.text, 1).0.into_iter().next(),
                    _ => None,
                };
                self.variants
                    .show(ui, one.as_ref().map(|(url, o)| (url.as_str(), &o.headers)));
                if let Some(note) = &self.note {
                    ui.label(note);
                }
                ui.horizontal(|ui| {
                    let can_add = a.urls > 0 && a.urls <= cap as u128 && sha_problem.is_none();
                    if ui
                        .add_enabled(can_add, egui::Button::new(tr!(AddToQueue)))
                        .clicked()
                    {
                        let (mut urls, kept) = take_valid(&self.text, cap);
                        let cookies = self.cookies.trim();
                        if !cookies.is_empty() {
                            for (_, options) in &mut urls {
                                options.cookies.get_or_insert_with(|| cookies.into());
                            }
                        }
                        if let (Ok(digest), [(_, options)]) =
                            (parse_sha256(&self.sha256), urls.as_mut_slice())
                        {
                            options.sha256 = Some(digest);
                        }
                        if let [(url, options)] = urls.as_mut_slice()
                            && let Some(variant) = self.variants.choice_for(url)
                        {
                            options.stream.variant = Some(variant);
                        }
                        self.sha256.clear();
                        let n = urls.len();
                        outcome = AddOutcome::Add(urls);
                        if kept.is_empty() {
                            close = true;
                            self.text.clear();
                        } else {
                            self.note = Some(tr!(AddedSome, n = n));
                            self.text = kept;
                        }
                    }
                    if ui.button(tr!(Close)).clicked() {
                        close = true;
                    }
                });
            });
        self.open = open && !close;
        outcome
    }
}

/// Lays out the field with bad lines in the error colour.
fn mark_lines(ui: &egui::Ui, text: &str, checks: &[LineCheck], wrap: f32) -> LayoutJob {
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let normal = ui.visuals().text_color();
    let bad = ui.visuals().error_fg_color;
    let mut job = LayoutJob::default();
    job.wrap.max_width = wrap;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let color = match checks.get(i) {
            Some(LineCheck::Bad(_)) => bad,
            _ => normal,
        };
        let mut format = TextFormat::simple(font.clone(), color);
        if color == bad {
            format.underline = egui::Stroke::new(1.0, bad);
        }
        job.append(line, 0.0, format);
    }
    if text.is_empty() {
        job.append("", 0.0, TextFormat::simple(font, normal));
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_and_bad_ones_kept_back() {
        let text =
            "https://h/a/[1-64].jpg\n\nnot a url\nftp://h/x\nhttps://h/{a,b}.png\n# comment\nhttp://h/[5-1]";
        let a = analyse(text, 10_000);
        assert_eq!(a.urls, 66);
        assert_eq!(a.bad, 3);
        assert!(matches!(&a.lines[2], LineCheck::Bad(why) if why.contains("not a valid URL")));
        assert!(matches!(&a.lines[3], LineCheck::Bad(why) if why.contains("ftp")));
        let (urls, kept) = take_valid(text, 10_000);
        assert_eq!(urls.len(), 66);
        assert_eq!(kept, "not a url\nftp://h/x\nhttp://h/[5-1]");
    }

    #[test]
    fn options_after_a_url_go_with_every_url_of_its_line() {
        let hash = "0f".repeat(32);
        let text = format!(
            "https://h/[1-3].iso segments=2 limit=1M\nhttps://h/one.iso sha256={hash}\nhttps://h/[1-2].bin sha256={hash}\nhttps://h/x segments=99"
        );
        let a = analyse(&text, 10_000);
        assert_eq!((a.urls, a.bad), (4, 2));
        assert!(matches!(&a.lines[2], LineCheck::Bad(why) if why.contains("one file")));
        assert!(matches!(&a.lines[3], LineCheck::Bad(why) if why.contains("1 to 32")));
        let (urls, _) = take_valid(&text, 10_000);
        assert_eq!(urls[0].0, "https://h/1.iso");
        assert_eq!(
            (urls[2].1.segments, urls[2].1.rate_limit),
            (Some(2), Some(1 << 20))
        );
        assert_eq!(urls[3].1.sha256, Some([0x0f; 32]));
    }

    #[test]
    fn a_batch_past_the_cap_is_refused() {
        assert!(
            matches!(check_line("http://h/[1-20000]", 10_000), LineCheck::Bad(why) if why.contains("10000"))
        );
        assert!(has_urls("see http://x\nhttp://h/a.jpg"));
        assert!(!has_urls("hello\nworld"));
    }
}
