//! What happens when a batch ends, besides the notification: nothing (the
//! default), or a command of the user's, run by the shell with the batch's
//! counts and folder in its environment (`FANOUT_DONE`, `FANOUT_FAILED`,
//! `FANOUT_CANCELLED`, `FANOUT_PAUSED`, `FANOUT_SECONDS`, `FANOUT_FOLDER`),
//! optionally only when nothing failed. It runs off the UI thread.

use serde::{Deserialize, Serialize};

use super::FanoutApp;
use super::i18n::tr;
use super::model::BatchEnd;

/// What to do after a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AfterBatch {
    #[default]
    Nothing,
    RunCommand,
}

impl AfterBatch {
    pub const ALL: [AfterBatch; 2] = [AfterBatch::Nothing, AfterBatch::RunCommand];

    pub fn label(self) -> &'static str {
        match self {
            AfterBatch::Nothing => tr!(AfterNothing),
            AfterBatch::RunCommand => tr!(AfterRunCommand),
        }
    }
}

/// The shell that runs the command.
fn shell(command: &str) -> std::process::Command {
    if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", command]);
        c
    } else {
        let mut c = std::process::Command::new("sh");
        c.args(["-c", command]);
        c
    }
}

impl FanoutApp {
    /// Runs the after-batch command, when one is set and the batch allows.
    pub(super) fn after_batch(&mut self, end: &BatchEnd) {
        let s = &self.settings;
        let command = s.after_command.trim().to_string();
        if s.after_batch != AfterBatch::RunCommand
            || command.is_empty()
            || (s.after_only_if_ok && end.failed > 0)
        {
            return;
        }
        let mut cmd = shell(&command);
        cmd.env("FANOUT_DONE", end.done.to_string())
            .env("FANOUT_FAILED", end.failed.to_string())
            .env("FANOUT_CANCELLED", end.cancelled.to_string())
            .env("FANOUT_PAUSED", end.paused.to_string())
            .env("FANOUT_SECONDS", format!("{:.1}", end.span.as_secs_f64()))
            .env("FANOUT_FOLDER", s.target_dir())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        match cmd.spawn() {
            Ok(mut child) => {
                // Reaped whenever it ends, off the UI thread.
                std::thread::spawn(move || child.wait());
            }
            Err(e) => self.notify(tr!(AfterCommandFailed, e = e)),
        }
    }

    /// Settings › After a batch.
    pub(super) fn after_batch_fields(&mut self, ui: &mut egui::Ui) -> bool {
        let label = ui.label(tr!(AfterBatchLabel));
        ui.horizontal_wrapped(|ui| {
            for choice in AfterBatch::ALL {
                ui.selectable_value(&mut self.settings.after_batch, choice, choice.label())
                    .labelled_by(label.id);
            }
        });
        if self.settings.after_batch == AfterBatch::Nothing {
            return false;
        }
        let l = ui.label(tr!(AfterCommand));
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut self.settings.after_command)
                    .hint_text("notify-send \"$FANOUT_DONE saved\"")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id)
            .on_hover_text(tr!(AfterCommandHint));
        ui.checkbox(&mut self.settings.after_only_if_ok, tr!(AfterOnlyIfOk));
        r.has_focus()
    }
}
