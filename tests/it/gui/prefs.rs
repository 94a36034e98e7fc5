//! Preferences (issue 27): a window of its own with eight sections, each
//! opened by its name; what is changed there is saved and shown again by
//! the next start; Ctrl+, opens it and Esc closes it; and the first screen
//! keeps only the engine, its workers, Keep submission order and the
//! download folder.

use crate::support;

use egui::{Key, Modifiers, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use fanout::gui::FanoutApp;
use fanout::settings::{EngineChoice, Theme};
use support::gui::{Setup, close_preferences, open_preferences, settle};

/// Each section, and a field only it shows.
const SECTIONS: [(&str, &str); 8] = [
    ("General", "Resume unfinished downloads at start"),
    ("Engine and connections", "Connect timeout (s)"),
    ("Network", "Logins from ~/.netrc"),
    (
        "Browser and other programs",
        "Accept downloads from other programs",
    ),
    ("Torrents", "Listen port"),
    ("Schedule and unattended", "Alternative limit (KiB/s)"),
    ("Appearance", "Dark"),
    (
        "Advanced",
        "The engine comparison keeps its files (in the download folder)",
    ),
];

fn toggled(harness: &Harness<'_, FanoutApp>, label: &str) -> bool {
    let node = harness.get_by_label(label);
    node.accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
}

fn number(harness: &Harness<'_, FanoutApp>, label: &str) -> f64 {
    harness
        .get_by_label(label)
        .accesskit_node()
        .numeric_value()
        .unwrap()
}

#[test]
fn every_section_opens_by_its_name_and_shows_its_own_fields() {
    let setup = Setup::new();
    let mut harness = setup.harness();
    settle(&mut harness);
    for (section, field) in SECTIONS {
        open_preferences(&mut harness, section);
        harness.get_by_label(field);
        // Only the chosen section's fields: the others' are not there.
        for (other, their_field) in SECTIONS {
            if other != section {
                assert!(
                    harness.query_by_label(their_field).is_none(),
                    "{section} shows {other}'s {their_field}"
                );
            }
        }
    }
    // The last section is shown again when Preferences opens again.
    close_preferences(&mut harness);
    open_preferences(&mut harness, "Advanced");
    close_preferences(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Preferences").click();
    settle(&mut harness);
    harness.get_by_label(SECTIONS[7].1);
}

#[test]
fn a_value_changed_in_each_section_is_saved_and_shown_again() {
    let setup = Setup::new();
    {
        let mut harness = setup.harness();
        settle(&mut harness);
        open_preferences(&mut harness, "General");
        harness
            .get_by_label("Resume unfinished downloads at start")
            .click();
        settle(&mut harness);
        open_preferences(&mut harness, "Engine and connections");
        harness
            .get_by_label("Connect timeout (s)")
            .set_value_accesskit(17.0);
        settle(&mut harness);
        open_preferences(&mut harness, "Network");
        harness.get_by_label("Logins from ~/.netrc").click();
        settle(&mut harness);
        open_preferences(&mut harness, "Browser and other programs");
        harness
            .get_by_label("Accept downloads from other programs")
            .click();
        settle(&mut harness);
        open_preferences(&mut harness, "Torrents");
        harness.get_by_label("Listen port").set_value_accesskit(6999.0);
        settle(&mut harness);
        open_preferences(&mut harness, "Schedule and unattended");
        harness
            .get_by_label("Alternative limit (KiB/s)")
            .set_value_accesskit(300.0);
        settle(&mut harness);
        open_preferences(&mut harness, "Appearance");
        harness.get_by_label("Dark").click();
        settle(&mut harness);
        open_preferences(&mut harness, "Advanced");
        harness.get_by_label(SECTIONS[7].1).click();
        settle(&mut harness);
        close_preferences(&mut harness);
    }
    // In settings.json, as the sections said.
    let saved = setup.settings();
    assert!(saved.resume_on_start);
    assert_eq!(saved.connect_timeout_secs, 17);
    assert!(saved.network.netrc);
    assert!(!saved.rpc.enabled);
    assert_eq!(saved.torrent.port, 6999);
    assert_eq!(saved.alt_speed_limit_kib, 300);
    assert_eq!(saved.theme, Theme::Dark);
    assert!(saved.compare_keep);

    // A new window from the same folder shows each again.
    let mut harness = setup.harness();
    settle(&mut harness);
    open_preferences(&mut harness, "General");
    assert!(toggled(&harness, "Resume unfinished downloads at start"));
    open_preferences(&mut harness, "Engine and connections");
    assert_eq!(number(&harness, "Connect timeout (s)"), 17.0);
    open_preferences(&mut harness, "Network");
    assert!(toggled(&harness, "Logins from ~/.netrc"));
    open_preferences(&mut harness, "Browser and other programs");
    assert!(!toggled(&harness, "Accept downloads from other programs"));
    open_preferences(&mut harness, "Torrents");
    assert_eq!(number(&harness, "Listen port"), 6999.0);
    open_preferences(&mut harness, "Schedule and unattended");
    assert_eq!(number(&harness, "Alternative limit (KiB/s)"), 300.0);
    open_preferences(&mut harness, "Appearance");
    assert!(toggled(&harness, "Dark"));
    assert_eq!(harness.ctx.theme(), egui::Theme::Dark);
    open_preferences(&mut harness, "Advanced");
    assert!(toggled(&harness, SECTIONS[7].1));
}

#[test]
fn ctrl_comma_opens_preferences_and_esc_closes_it() {
    let setup = Setup::new();
    let mut harness = setup.harness();
    settle(&mut harness);
    assert!(
        harness
            .query_by_role_and_label(Role::Window, "Preferences")
            .is_none()
    );
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    settle(&mut harness);
    harness.get_by_role_and_label(Role::Window, "Preferences");
    harness.get_by_label(SECTIONS[0].1);
    // Esc closes it, from one of its fields too.
    open_preferences(&mut harness, "Browser and other programs");
    harness.get_by_label("Port").focus();
    settle(&mut harness);
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert!(
        harness
            .query_by_role_and_label(Role::Window, "Preferences")
            .is_none()
    );
    // The ✖ closes it too.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Window, "Preferences")
        .get_by_role_and_label(Role::Button, "Close window")
        .click();
    settle(&mut harness);
    assert!(!harness.state().preferences_open());
    // The Keyboard help lists Ctrl+,.
    harness.get_by_label("Keyboard").click();
    settle(&mut harness);
    harness.get_by_label("Ctrl+,");
    harness.get_by_label("Open Preferences");
}

#[test]
fn the_first_screen_keeps_the_engine_workers_order_and_folder_only() {
    let setup = Setup::new();
    // The window at its narrowest: the bar and the toolbar fit (they wrap).
    let mut harness = setup.harness_of(egui::vec2(720.0, 400.0));
    settle(&mut harness);
    for moved in [
        "Connect timeout (s)",
        "Retries",
        "When the file exists",
        "Sort into folders by type",
        "Proxy",
        "Accept downloads from other programs",
        "Language",
        "Theme",
        "Icon in the tray",
        "After a batch",
        "Listen port",
        "Downloads shown",
    ] {
        assert!(
            harness.query_by_label(moved).is_none(),
            "{moved} on the first screen"
        );
    }
    let width = harness.ctx.content_rect().width();
    for kept in [
        "Threads",
        "Workers",
        "Keep submission order",
        "Download folder",
        "Choose…",
    ] {
        let rect = harness.get_by_label(kept).rect();
        assert!(rect.max.x <= width, "{kept} cut off at {rect:?}");
    }
    // The bar changes the settings, saved as before.
    harness.get_by_label("Threads").click();
    settle(&mut harness);
    harness.get_by_label("Workers").set_value_accesskit(9.0);
    settle(&mut harness);
    harness.get_by_label("Keep submission order").click();
    settle(&mut harness);
    let folder = setup.downloads.path().join("quick");
    support::gui::type_folder(&mut harness, &folder);
    let saved = setup.settings();
    assert_eq!(saved.engine, EngineChoice::Threads);
    assert_eq!(saved.threads, 9);
    assert!(saved.keep_order);
    assert_eq!(saved.download_dir, folder);
}
