//! The window's network settings and logins, driven through their labels:
//! a 401 asks for a login and retries with it (remembered in the secrets
//! store, never in settings.json); a proxy set in Settings carries the
//! downloads and shows in the status bar; `When the file exists: Skip`
//! keeps a file that is there; a queued download's password and cookie
//! stay out of the saved queue and come back after a restart.

use crate::support;

use egui_kittest::kittest::Queryable;
use fanout::settings::{NetworkSettings, ProxyMode};
use support::gui::{
    Setup, add_urls, all_done, close_preferences, open_preferences, settle, step_until, type_into,
};
use support::proxy::Proxy;
use support::{TestServer, body_for};

fn secrets_file(setup: &Setup) -> String {
    std::fs::read_to_string(setup.config.path().join("secrets.json")).unwrap_or_default()
}

fn settings_file(setup: &Setup) -> String {
    std::fs::read_to_string(setup.options().settings_path()).unwrap()
}

#[test]
fn a_401_asks_for_a_login_retries_with_it_and_remembers_it_in_the_secrets_store() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    let url = server.url("/gn/locked.bin?size=3000&auth=alice:s3cret");
    add_urls(&mut harness, &url);
    step_until(&mut harness, "the 401", all_done(1));
    settle(&mut harness);
    harness.get_by_label("127.0.0.1 asks for a user name and password (1 downloads).");
    type_into(&mut harness, "User", "alice");
    type_into(&mut harness, "Password", "s3cret");
    harness.get_by_label("Remember for this site").click();
    settle(&mut harness);
    harness.get_by_label("Log in and retry").click();
    step_until(&mut harness, "the retry", |app| {
        app.core().model.counts().done == 1
    });
    let saved = std::fs::read(setup.downloads.path().join("locked.bin")).unwrap();
    assert!(saved == body_for("/gn/locked.bin", 3000));
    // Kept in the secrets store (a file only the user can read here, where
    // tests use no keyring, and the window says so), never in settings.json.
    step_until(&mut harness, "the login saved", |_| {
        secrets_file(&setup).contains("s3cret")
    });
    assert!(!settings_file(&setup).contains("s3cret"));
    open_preferences(&mut harness, "Network");
    harness.get_by_label("alice@127.0.0.1");
    harness.get_by_label("No keyring: passwords are kept in a file only you can read");
    drop(harness);

    // After a restart the remembered login is used without asking.
    let mut harness = setup.harness();
    step_until(&mut harness, "the saved login", |app| {
        !app.settings().site_logins.is_empty()
    });
    add_urls(
        &mut harness,
        &server.url("/gn/again.bin?size=2000&auth=alice:s3cret"),
    );
    step_until(&mut harness, "the second download", |app| {
        app.core().model.counts().done == 2
    });
    assert!(harness.query_by_label_contains("asks for a user name").is_none());
}

#[test]
fn a_proxy_set_in_settings_carries_the_downloads_and_shows_in_the_status_bar() {
    let alice = ("alice", "s3cret");
    let Some(proxy) = Proxy::tinyproxy(Some(alice)) else {
        return;
    };
    let server = TestServer::start();
    let setup = Setup::new();
    setup.change_settings(|settings| {
        settings.network = NetworkSettings {
            proxy: ProxyMode::Http,
            proxy_address: format!("127.0.0.1:{}", proxy.port),
            proxy_user: "alice".into(),
            ..NetworkSettings::default()
        };
    });
    let mut harness = setup.harness();
    // The password is typed in the window, as a user would; Esc closes
    // Preferences, leaving the field: applied.
    open_preferences(&mut harness, "Network");
    type_into(&mut harness, "Password", "s3cret");
    close_preferences(&mut harness);
    add_urls(&mut harness, &server.url("/gn/via.bin?size=40000"));
    step_until(&mut harness, "the download", all_done(1));
    assert_eq!(harness.state().core().model.counts().done, 1);
    assert_eq!(proxy.requests().len(), 1, "tinyproxy's log: {}", proxy.log());
    harness.get_by_label(&format!("Proxy: http://alice:***@127.0.0.1:{}/", proxy.port));
    step_until(&mut harness, "the password saved", |_| {
        secrets_file(&setup).contains("s3cret")
    });
    assert!(!settings_file(&setup).contains("s3cret"));
}

#[test]
fn skip_in_settings_keeps_a_file_that_is_there_and_fetches_nothing() {
    let server = TestServer::start();
    let setup = Setup::new();
    std::fs::write(setup.downloads.path().join("here.bin"), b"mine").unwrap();
    let mut harness = setup.harness();
    open_preferences(&mut harness, "General");
    harness.get_by_label("Skip").click();
    settle(&mut harness);
    close_preferences(&mut harness);
    add_urls(&mut harness, &server.url("/gn/here.bin?size=9000"));
    step_until(&mut harness, "the skip", all_done(1));
    assert_eq!(harness.state().core().model.counts().done, 1);
    assert_eq!(
        std::fs::read(setup.downloads.path().join("here.bin")).unwrap(),
        b"mine"
    );
    assert_eq!(server.requests(), 0);
    assert!(settings_file(&setup).contains("\"if_exists\": \"Skip\""));
}

#[test]
fn a_queued_password_and_cookie_stay_out_of_the_saved_queue_and_come_back() {
    let server = TestServer::start();
    let setup = Setup::new();
    let size = 3_000_000;
    let path = format!("/gn/secret.bin?size={size}&pace=10&etag=s&auth=alice:s3cret");
    let url = server.url(&path).replacen("http://", "http://alice:s3cret@", 1);
    {
        let mut harness = setup.harness();
        add_urls(&mut harness, &format!("{url} header=\"Cookie: sid=c00kie\""));
        step_until(&mut harness, "some progress", |app| {
            app.core().model.rows[0].bytes > 300_000
        });
    } // the window closes mid-download
    // The saved queue (and its journal) holds neither secret; the secrets
    // store does.
    for name in ["queue.sqlite3", "queue.sqlite3-wal"] {
        let bytes = std::fs::read(setup.config.path().join(name)).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("s3cret@") && !text.contains("c00kie"),
            "{name} holds a secret"
        );
    }
    let kept = secrets_file(&setup);
    assert!(kept.contains("s3cret@") && kept.contains("c00kie"), "{kept}");

    setup.change_settings(|settings| {
        settings.resume_on_start = true;
    });
    let mut harness = setup.harness();
    step_until(&mut harness, "the rest of the file", all_done(1));
    assert_eq!(
        harness.state().core().model.counts().done,
        1,
        "{:?}",
        harness.state().core().model.rows[0].state
    );
    let saved = std::fs::read(setup.downloads.path().join("secret.bin")).unwrap();
    assert!(saved == body_for("/gn/secret.bin", size));
    // The resumed request carried both (the server refuses it without the
    // password), and no label of the window shows the password.
    let last = server.headers_for("/gn/secret.bin").pop().unwrap();
    assert_eq!(last.get("cookie").unwrap(), "sid=c00kie");
    assert!(last.get("range").is_some(), "not resumed: {last:?}");
    assert!(harness.query_by_label_contains("s3cret@").is_none());
    // Done: its secrets are not kept any longer.
    step_until(&mut harness, "the secrets forgotten", |_| {
        !secrets_file(&setup).contains("c00kie")
    });
}

#[test]
fn the_rules_file_applies_to_the_window_s_downloads() {
    let server = TestServer::start();
    let setup = Setup::new();
    let ruled = setup.downloads.path().join("from-rule");
    std::fs::write(
        setup.options().rules_path(),
        format!(
            "[[rule]]\nhosts = \"127.0.0.1\"\nfolder = {:?}\n",
            ruled.to_str().unwrap()
        ),
    )
    .unwrap();
    let mut harness = setup.harness();
    add_urls(&mut harness, &server.url("/gn/ruled.bin?size=1000"));
    step_until(&mut harness, "the download", all_done(1));
    assert!(ruled.join("ruled.bin").is_file());
    let row = &harness.state().core().model.rows[0];
    assert_eq!(row.rule.as_deref(), Some("127.0.0.1"));
    // The row said where it would go before it went there.
    assert_eq!(row.dir, ruled);
    // The rules stay in their own file, not in settings.json.
    assert!(!settings_file(&setup).contains("from-rule"));
}

#[test]
fn a_queue_saved_with_secrets_by_an_older_fanout_moves_them_out_at_start() {
    let server = TestServer::start();
    let setup = Setup::new();
    let url = server
        .url("/gn/old.bin?size=2000&auth=bob:pw0")
        .replacen("http://", "http://bob:pw0@", 1);
    let mut store = fanout::service::store::Store::open(&setup.options().queue_path()).unwrap();
    let mut old = fanout::service::store::StoredTask::new(0, url, setup.downloads.path());
    old.options = "header=\"Cookie: sid=oldc00kie\"".into();
    store.apply(&[fanout::service::store::Op::Put(old)]).unwrap();
    drop(store);
    let mut harness = setup.harness();
    step_until(&mut harness, "the secrets moved", |_| {
        secrets_file(&setup).contains("oldc00kie")
    });
    let rows = fanout::service::store::Store::open(&setup.options().queue_path())
        .unwrap()
        .load()
        .unwrap();
    assert!(rows[0].url.contains("bob:***@"), "{}", rows[0].url);
    assert!(!rows[0].options.contains("oldc00kie"), "{}", rows[0].options);
    // And the task still has them: resumed at the next start, it is let in.
    drop(harness);
    setup.change_settings(|settings| {
        settings.resume_on_start = true;
    });
    let mut harness = setup.harness();
    step_until(&mut harness, "the download", all_done(1));
    assert_eq!(harness.state().core().model.counts().done, 1);
    assert_eq!(
        server.headers_for("/gn/old.bin")[0].get("cookie").unwrap(),
        "sid=oldc00kie"
    );
}
