//! Credentials, against the in-process test server asking for Basic auth
//! (`?auth=USER:PASS`): a URL's `user:pass@` is sent and a wrong one is
//! refused at once; a redirect to another host drops it, as curl does; a
//! netrc file's login is used for its host only; credentials never go
//! unencrypted to a public host; and a password is never printed back.

use crate::support;

use std::sync::Arc;

use fanout::engine::auth::Logins;
use fanout::engine::netrc::Netrc;
use fanout::engine::{BackendKind, Engine, EngineConfig, Event, FetchError, Job, TaskResult};
use support::TestServer;
use support::wait::{error_of, results, saved_path};

fn run(config: EngineConfig, urls: &[String]) -> (Vec<TaskResult>, Vec<Event>) {
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config, tx, Arc::new(|| {})).unwrap();
    for u in urls {
        engine.submit(Job::new(u.clone(), dir.path()));
    }
    let (mut done, events) = results(&rx, urls.len());
    for r in done.iter().filter(|r| r.is_ok()) {
        assert!(std::fs::metadata(saved_path(r)).unwrap().len() > 0);
    }
    done.sort_by_key(|r| r.index);
    (done, events)
}

fn config(kind: BackendKind) -> EngineConfig {
    EngineConfig {
        retry_delay: std::time::Duration::from_millis(10),
        ..EngineConfig::new(kind)
    }
}

/// `http://USER:PASS@127.0.0.1:PORT/PATH`.
fn with_login(url: &str, login: &str) -> String {
    url.replacen("http://", &format!("http://{login}@"), 1)
}

each_backend!(a_url_login_is_sent_and_a_wrong_one_fails_at_once, 2);
fn a_url_login_is_sent_and_a_wrong_one_fails_at_once(kind: BackendKind) {
    let server = TestServer::start();
    let url = server.url("/cr/a.bin?auth=alice:s3cret");
    let (done, events) = run(
        config(kind),
        &[
            with_login(&url, "alice:s3cret"),
            with_login(&url, "alice:wrong"),
            url.clone(),
        ],
    );
    saved_path(&done[0]);
    for r in &done[1..] {
        assert!(
            matches!(error_of(r), FetchError::Http { status: 401, .. }),
            "{r:?}"
        );
    }
    assert!(
        !events.iter().any(|e| matches!(e, Event::Retrying { .. })),
        "a 401 was retried"
    );
    // The result names the URL without its password.
    assert_eq!(done[0].url, with_login(&url, "alice:***"));
    // (The query names the password the server wants: only the URL's own
    // login must not show.)
    assert!(
        done.iter()
            .all(|r| !r.url.contains("s3cret@") && !r.url.contains("wrong@"))
    );
}

each_backend!(a_redirect_to_another_host_drops_the_login, 2);
fn a_redirect_to_another_host_drops_the_login(kind: BackendKind) {
    let server = TestServer::start();
    // 127.0.0.1 and localhost: the same server, another host to a client.
    let elsewhere = server.url("/cr/there.bin").replacen("127.0.0.1", "localhost", 1);
    let here = server.url("/cr/here.bin");
    let start = server.url(&format!("/cr/start?redirect={}", support::enc(&elsewhere)));
    let same = server.url(&format!("/cr/same?redirect={}", support::enc(&here)));
    let (done, _) = run(
        config(kind),
        &[with_login(&start, "alice:s3cret"), with_login(&same, "bob:pw")],
    );
    saved_path(&done[0]);
    saved_path(&done[1]);
    let auth = |path: &str| {
        server
            .headers_for(path)
            .iter()
            .map(|h| h.get("authorization").is_some())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        auth("/cr/start"),
        [true],
        "the login was not sent to its own host"
    );
    assert_eq!(
        auth("/cr/there.bin"),
        [false],
        "the login followed a redirect to another host"
    );
    // To the same host it stays, as with curl.
    assert_eq!(auth("/cr/here.bin"), [true]);
}

each_backend!(a_netrc_login_is_used_for_its_host_only, 2);
fn a_netrc_login_is_used_for_its_host_only(kind: BackendKind) {
    let server = TestServer::start();
    let netrc =
        Netrc::parse("machine 127.0.0.1 login alice password s3cret\nmachine other login x password y\n");
    let config = EngineConfig {
        logins: Logins {
            sites: Vec::new(),
            netrc: Some(netrc),
        },
        ..config(kind)
    };
    let mine = server.url("/cr/n.bin?auth=alice:s3cret");
    // localhost has no entry (and no default): nothing is sent there.
    let other = mine
        .replacen("127.0.0.1", "localhost", 1)
        .replace("/n.bin", "/m.bin");
    let (done, _) = run(config, &[mine, other]);
    saved_path(&done[0]);
    assert!(matches!(error_of(&done[1]), FetchError::Http { status: 401, .. }));
    assert!(server.headers_for("/cr/m.bin")[0].get("authorization").is_none());
    // The netrc login is not printed back either.
    assert!(!done[0].url.contains('@'), "{}", done[0].url);
}

fn fanout(args: &[&str]) -> std::process::Output {
    support::programs::fanout(args, None, &[])
}

#[test]
fn credentials_never_go_in_clear_to_a_public_host_and_are_never_printed() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    // A public host over plain HTTP: refused before any connection (so no
    // traffic leaves the machine), with the reason.
    let public = "http://alice:s3cret@example.com/a.iso";
    let local = with_login(&server.url("/cr/c.bin?auth=alice:s3cret"), "alice:s3cret");
    for json in [true, false] {
        let out = format!("{out}/{json}");
        let mut args = vec!["get", "-o", &out, public, &local];
        if json {
            args.insert(1, "--json");
        }
        let o = fanout(&args);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        );
        assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
        // (The query names the password the test server wants.)
        assert!(
            !stdout.contains("s3cret@") && !stderr.contains("s3cret@"),
            "{stdout}{stderr}"
        );
        assert!(stdout.contains("alice:***@example.com"), "{stdout}");
        assert!(stdout.contains("unencrypted"), "{stdout}");
        // Loopback is this machine: allowed, and the file came.
        assert!(stdout.contains("c.bin"), "{stdout}");
        if json {
            let lines: Vec<serde_json::Value> =
                stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            assert!(
                lines
                    .iter()
                    .any(|l| l["url"] == "http://alice:***@example.com/a.iso")
            );
            assert!(lines.iter().any(|l| l["status"] == "ok"));
        }
    }
}

#[test]
fn netrc_files_are_read_with_netrc_file() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let netrc = dir.path().join("netrc");
    std::fs::write(&netrc, "machine 127.0.0.1\n  login alice\n  password s3cret\n").unwrap();
    let url = server.url("/cr/nf.bin?auth=alice:s3cret");
    let out = dir.path().join("out");
    let o = fanout(&["get", "-o", out.to_str().unwrap(), &url]);
    assert_eq!(o.status.code(), Some(1), "without the netrc the server refuses");
    let o = fanout(&[
        "get",
        "--netrc-file",
        netrc.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        &url,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let o = fanout(&[
        "get",
        "--netrc-file",
        "/nonexistent/dir/netrc",
        "-o",
        out.to_str().unwrap(),
        &url,
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a missing netrc is an empty one, as with curl"
    );
}
