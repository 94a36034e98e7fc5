//! After a batch: a command of the user's runs with the batch's counts and
//! folder in its environment, and `Only if nothing failed` holds it back
//! after a batch with a failure.
// A test (or a tool) fails loudly where library code would handle the error.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use fanout::gui::after_batch::AfterBatch;
use fanout::gui::settings::Settings;
use support::TestServer;
use support::gui::{Setup, add_urls, all_done, step_until};

/// Waits for `path` to be written (the command runs off the UI thread).
fn read_when_there(path: &std::path::Path) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return Some(text);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn a_command_runs_after_a_batch_with_its_counts_and_folder() {
    let server = TestServer::start();
    let setup = Setup::new();
    let out = setup.config.path().join("after.txt");
    let mut settings = Settings::load(&setup.options().settings_path());
    settings.after_batch = AfterBatch::RunCommand;
    settings.after_command = format!(
        "printf '%s %s %s %s\\n' \"$FANOUT_DONE\" \"$FANOUT_FAILED\" \"$FANOUT_CANCELLED\" \"$FANOUT_FOLDER\" >> '{}'",
        out.display()
    );
    settings.after_only_if_ok = true;
    settings.save(&setup.options().settings_path()).unwrap();
    let mut harness = setup.harness();
    // A batch with a failure: held back.
    add_urls(
        &mut harness,
        &[server.url("/ab/a.bin"), server.url("/ab/gone.bin?status=404")].join("\n"),
    );
    step_until(&mut harness, "the first batch", all_done(2));
    step_until(&mut harness, "its end", |app| app.last_notification.is_some());
    std::thread::sleep(Duration::from_millis(300));
    assert!(!out.exists(), "ran after a batch with a failure");
    // A clean batch: it runs, with the counts and the folder.
    add_urls(
        &mut harness,
        &[server.url("/ab/b.bin"), server.url("/ab/c.bin")].join("\n"),
    );
    step_until(&mut harness, "the second batch", all_done(4));
    let folder = setup.downloads.path().display().to_string();
    assert_eq!(
        read_when_there(&out).as_deref(),
        Some(format!("2 0 0 {folder}\n").as_str())
    );
}
