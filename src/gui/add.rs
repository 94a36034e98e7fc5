//! The `Add URLs` dialog: one URL a line, batch patterns expanded with a live
//! count, bad lines marked in place with their reason and kept back.

use std::sync::mpsc::Receiver;

use egui::RichText;
use egui::text::{LayoutJob, TextFormat};

use crate::engine::fetch::parse_url;
use crate::pattern::{self, PatternError};

/// What one line of the field amounts to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineCheck {
    Blank,
    /// It stands for this many URLs.
    Ok(u128),
    Bad(String),
}

/// The field's lines, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    pub lines: Vec<LineCheck>,
    pub urls: u128,
    pub bad: usize,
}

/// Checks a line without expanding it: the count comes from the pattern, and
/// the first and last URL it makes are parsed (the others differ only in the
/// numbers or words of the groups).
pub fn check_line(line: &str, cap: usize) -> LineCheck {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return LineCheck::Blank;
    }
    let n = match pattern::count(line) {
        Ok(n) => n,
        Err(e) => return LineCheck::Bad(e.to_string()),
    };
    if n > cap as u128 {
        return LineCheck::Bad(PatternError::TooMany { count: n, cap }.to_string());
    }
    let (first, last) = match pattern::ends(line) {
        Ok(ends) => ends,
        Err(e) => return LineCheck::Bad(e.to_string()),
    };
    for url in [first, last] {
        if let Err(e) = parse_url(&url) {
            return LineCheck::Bad(e.to_string());
        }
    }
    LineCheck::Ok(n)
}

pub fn analyse(text: &str, cap: usize) -> Analysis {
    let mut a = Analysis::default();
    for line in text.lines() {
        let check = check_line(line, cap);
        match &check {
            LineCheck::Ok(n) => a.urls += n,
            LineCheck::Bad(_) => a.bad += 1,
            LineCheck::Blank => {}
        }
        a.lines.push(check);
    }
    a
}

/// Splits the field into the URLs to queue and the text to leave in the
/// field (the bad lines, so the user can fix them).
pub fn take_valid(text: &str, cap: usize) -> (Vec<String>, String) {
    let (mut urls, mut kept) = (Vec::new(), Vec::new());
    for line in text.lines() {
        match check_line(line, cap) {
            LineCheck::Ok(_) => urls.extend(pattern::expand(line.trim(), cap).unwrap_or_default()),
            LineCheck::Bad(_) => kept.push(line),
            LineCheck::Blank => {}
        }
    }
    (urls, kept.join("\n"))
}

/// Whether pasted or dropped text looks like URLs worth opening the dialog for.
pub fn has_urls(text: &str) -> bool {
    text.lines()
        .any(|l| matches!(check_line(l, pattern::DEFAULT_CAP), LineCheck::Ok(_)))
}

#[derive(Default)]
pub struct AddDialog {
    pub open: bool,
    pub text: String,
    analysis: Analysis,
    analysed: String,
    /// The clipboard's text, read off the UI thread when the dialog opens.
    clipboard: Option<Receiver<String>>,
    pub note: Option<String>,
}

pub enum AddOutcome {
    None,
    Add(Vec<String>),
}

impl AddDialog {
    pub fn open_with(&mut self, text: Option<String>, clipboard: Option<Receiver<String>>) {
        self.open = true;
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
        egui::Window::new("Add downloads")
            .open(&mut open)
            .collapsible(false)
            .default_width(560.0)
            .show(ctx, |ui| {
                let label = ui.label("URLs");
                ui.weak("One URL a line. Patterns: [1-64], [001-064], [0-100:10], {a,b,c}.");
                let checks = self.analysis.lines.clone();
                let mut layouter = move |ui: &egui::Ui, text: &dyn egui::TextBuffer, wrap: f32| {
                    let job = mark_lines(ui, text.as_str(), &checks, wrap);
                    ui.ctx().fonts_mut(|f| f.layout_job(job))
                };
                egui::ScrollArea::vertical().max_height(260.0).show(ui, |ui| {
                    ui.add(
                        egui::TextEdit::multiline(&mut self.text)
                            .desired_rows(8)
                            .desired_width(f32::INFINITY)
                            .code_editor()
                            .hint_text("https://example.com/album/[1-64].jpg")
                            .layouter(&mut layouter),
                    )
                    .labelled_by(label.id);
                });
                self.refresh(cap);
                let a = &self.analysis;
                ui.horizontal(|ui| {
                    if self.clipboard.is_some() {
                        ui.spinner();
                        ui.label("reading the clipboard…");
                    }
                    let over = a.urls > cap as u128;
                    let count = format!("{} URL{} to add", a.urls, if a.urls == 1 { "" } else { "s" });
                    if over {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            format!("{count}: more than the limit of {cap}; add them in smaller batches"),
                        );
                    } else {
                        ui.label(count);
                    }
                    if a.bad > 0 {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            format!(
                                "{} invalid line{} (not added)",
                                a.bad,
                                if a.bad == 1 { "" } else { "s" }
                            ),
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
                                    RichText::new(format!("line {line}: {why}"))
                                        .color(ui.visuals().error_fg_color),
                                );
                            }
                        });
                }
                if let Some(note) = &self.note {
                    ui.label(note);
                }
                ui.horizontal(|ui| {
                    let can_add = a.urls > 0 && a.urls <= cap as u128;
                    if ui
                        .add_enabled(can_add, egui::Button::new("Add to queue"))
                        .clicked()
                    {
                        let (urls, kept) = take_valid(&self.text, cap);
                        let n = urls.len();
                        outcome = AddOutcome::Add(urls);
                        if kept.is_empty() {
                            close = true;
                            self.text.clear();
                        } else {
                            self.note = Some(format!(
                                "Added {n}. The lines left here were not added: fix them or close the dialog."
                            ));
                            self.text = kept;
                        }
                    }
                    if ui.button("Close").clicked() {
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
    fn a_batch_past_the_cap_is_refused() {
        assert!(
            matches!(check_line("http://h/[1-20000]", 10_000), LineCheck::Bad(why) if why.contains("10000"))
        );
        assert!(has_urls("see http://x\nhttp://h/a.jpg"));
        assert!(!has_urls("hello\nworld"));
    }
}
