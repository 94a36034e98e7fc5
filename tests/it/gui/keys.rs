//! The keyboard, driven as a user would: Ctrl+A, Space, Delete (with its
//! confirmation), Ctrl+F's filter, Ctrl+N, Ctrl+O and the Keyboard help.

use crate::support;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use fanout::service::model::TaskState;
use support::TestServer;
use support::gui::{Setup, add_urls, all_done, settle, step_until, type_into};

#[test]
fn space_pauses_and_resumes_and_delete_cancels_after_asking() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    let urls: Vec<String> = ["alpha", "beta", "gamma"]
        .iter()
        .map(|n| server.url(&format!("/k/{n}.bin?size=3000000&pace=20")))
        .collect();
    add_urls(&mut harness, &urls.join("\n"));
    step_until(&mut harness, "all running", |app| {
        app.core()
            .model
            .rows
            .iter()
            .all(|r| r.state == TaskState::Running)
    });
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    settle(&mut harness);
    harness.get_by_label("3 selected");
    harness.key_press(Key::Space);
    step_until(&mut harness, "all paused", |app| {
        app.core().model.rows.iter().all(|r| r.state == TaskState::Paused)
    });
    harness.key_press(Key::Space);
    step_until(&mut harness, "all going again", |app| {
        app.core().model.rows.iter().all(|r| r.state != TaskState::Paused)
    });
    // Delete asks first; Esc (or Keep them) leaves them running.
    harness.key_press(Key::Delete);
    settle(&mut harness);
    harness.get_by_label("Cancel 3 downloads? Their partial files are removed.");
    harness.get_by_label("Keep them").click();
    settle(&mut harness);
    assert!(
        harness
            .state()
            .core()
            .model
            .rows
            .iter()
            .all(|r| r.state != TaskState::Cancelled)
    );
    harness.key_press(Key::Delete);
    settle(&mut harness);
    harness.get_by_label("Cancel them").click();
    step_until(&mut harness, "all cancelled", all_done(3));
    assert!(
        harness
            .state()
            .core()
            .model
            .rows
            .iter()
            .all(|r| r.state == TaskState::Cancelled)
    );
}

#[test]
fn ctrl_f_searches_ctrl_n_adds_ctrl_o_opens_and_the_help_lists_them() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    let urls: Vec<String> = ["red.bin", "green.bin", "blue.bin"]
        .iter()
        .map(|n| server.url(&format!("/k/{n}?size=1000")))
        .collect();
    add_urls(&mut harness, &urls.join("\n"));
    step_until(&mut harness, "the downloads", all_done(3));
    settle(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::F);
    settle(&mut harness);
    type_into(&mut harness, "Search", "GREEN");
    // The table shows the one row (the Results panel lists all three).
    let names =
        |h: &egui_kittest::Harness<'_, fanout::gui::FanoutApp>, n: &str| h.query_all_by_label(n).count();
    assert_eq!(names(&harness, "green.bin"), 2);
    assert_eq!(names(&harness, "red.bin"), 1);
    // Out of the field, Ctrl+A selects what is shown; Ctrl+O opens its
    // folder.
    harness.get_by_label("Downloads").click();
    settle(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    settle(&mut harness);
    harness.get_by_label("1 selected");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::O);
    settle(&mut harness);
    assert_eq!(harness.state().last_opened(), Some(setup.downloads.path()));
    // Esc shows every row again.
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert_eq!(names(&harness, "red.bin"), 2, "Esc did not clear the filter");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    settle(&mut harness);
    harness.get_by_label("Add to queue");
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert!(
        harness.query_by_label("Add to queue").is_none(),
        "Esc closes the add dialog"
    );
    harness.get_by_label("Keyboard").click();
    settle(&mut harness);
    harness.get_by_label("Ctrl+F");
    harness.get_by_label("Cancel the selected downloads (asks first)");
}
