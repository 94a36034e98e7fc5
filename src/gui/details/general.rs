//! The General tab: what a download is and where it goes. Its URL (the
//! password hidden), destination, size, what the server identified the
//! file by, the rule and options that applied, and who ran it, with Copy
//! buttons for the URL and the path, as Motrix's task details have them.

use crate::engine::hex;
use crate::i18n::tr;
use crate::i18n::units::human_bytes;
use crate::service::model::Row;

/// How the validator is named: an `ETag` is quoted (`"abc"`, `W/"abc"`),
/// a `Last-Modified` is a date.
pub fn validator_text(validator: &str) -> String {
    let v = validator.trim();
    if v.starts_with('"') || v.starts_with("W/") {
        tr!(ValidatorEtag, v = v)
    } else {
        tr!(ValidatorModified, v = v)
    }
}

/// A size in units and, exactly, in bytes.
pub fn size_text(bytes: u64) -> String {
    tr!(SizeBytes, size = human_bytes(bytes), bytes = bytes)
}

pub fn show(ui: &mut egui::Ui, row: &Row) {
    egui::Grid::new("details-general")
        .num_columns(2)
        .spacing([16.0, 6.0])
        .striped(true)
        .show(ui, |ui| {
            ui.label(tr!(DUrl));
            ui.horizontal(|ui| {
                ui.label(&row.shown_url);
                // The URL as shown: a password stays out of the clipboard too.
                if ui.small_button(tr!(CopyUrl)).clicked() {
                    ui.ctx().copy_text(row.shown_url.clone());
                }
            });
            ui.end_row();

            ui.label(tr!(DSavedTo));
            let path = row.destination().display().to_string();
            ui.horizontal(|ui| {
                ui.label(&path);
                if ui.small_button(tr!(CopyPath)).clicked() {
                    ui.ctx().copy_text(path.clone());
                }
            });
            ui.end_row();

            ui.label(tr!(ColState));
            ui.label(row.state.label());
            ui.end_row();

            ui.label(tr!(DSize));
            ui.label(row.total.map_or_else(|| tr!(Unknown).to_string(), size_text));
            ui.end_row();

            ui.label(tr!(DReceived));
            ui.label(size_text(row.bytes));
            ui.end_row();

            ui.label(tr!(DValidator));
            ui.label(
                row.validator
                    .as_deref()
                    .map_or_else(|| tr!(WordNone).to_string(), validator_text),
            );
            ui.end_row();

            if let Some(sha) = &row.options.sha256 {
                ui.label(tr!(DChecksum));
                ui.label(tr!(ChecksumWanted, sha = format!("SHA-256 {}", hex(sha))));
                ui.end_row();
            }

            ui.label(tr!(DRule));
            ui.label(row.rule.as_deref().unwrap_or(tr!(WordNone)));
            ui.end_row();

            ui.label(tr!(DMirrors));
            if row.options.mirrors.is_empty() {
                ui.label(tr!(WordNone));
            } else {
                ui.vertical(|ui| {
                    for m in &row.options.mirrors {
                        ui.label(crate::engine::auth::redact(m));
                    }
                });
            }
            ui.end_row();

            if let Some(rate) = row.options.rate_limit {
                ui.label(tr!(DLimit));
                ui.label(super::super::table::speed_text(rate as f64));
                ui.end_row();
            }

            ui.label(tr!(DConnections));
            ui.label(row.connections.to_string());
            ui.end_row();

            ui.label(tr!(ColWorker));
            ui.label(
                row.worker
                    .map_or_else(|| tr!(WordNone).to_string(), |w| w.to_string()),
            );
            ui.end_row();

            ui.label(tr!(DoneNo));
            ui.label(
                row.rank
                    .map_or_else(|| tr!(WordNone).to_string(), |r| format!("#{r}")),
            );
            ui.end_row();
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_etag_is_told_from_a_date() {
        crate::i18n::set(crate::i18n::Lang::En);
        assert_eq!(validator_text("\"abc\""), "ETag \"abc\"");
        assert_eq!(validator_text("W/\"abc\""), "ETag W/\"abc\"");
        assert_eq!(
            validator_text("Wed, 21 Oct 2015 07:28:00 GMT"),
            "Last-Modified Wed, 21 Oct 2015 07:28:00 GMT"
        );
        assert_eq!(size_text(2048), "2.0 KiB (2048 bytes)");
    }
}
