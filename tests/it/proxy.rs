//! Proxies, with real ones on loopback: `tinyproxy` (HTTP, BasicAuth) and
//! `microsocks` (SOCKS5 with a user), started here on free ports, between
//! fanout and the in-process test server. For each kind and each engine:
//! the bytes are right, the proxy saw the requests, wrong credentials fail
//! at once with the proxy named, and `no_proxy` goes direct. Then, with the
//! real binary: HTTPS by CONNECT, verified end to end; the environment's
//! proxy and `--noproxy`; and the desktop's proxy through a portal of the
//! test's own on a private session bus.
//!
//! Needs `tinyproxy` and `microsocks` (and `dbus-daemon` for the portal);
//! without them each test is skipped with a message, except in CI.

use crate::support;

use std::process::Output;
use std::sync::Arc;

use fanout::engine::{
    BackendKind, Engine, EngineConfig, Event, FetchError, Job, ProxyChoice, ProxyConfig, ProxyServer,
    TaskResult,
};
use support::programs::{private_bus, require};
use support::proxy::Proxy;
use support::wait::{error_of, results, saved_path};
use support::{TestServer, body_for};

const ALICE: (&str, &str) = ("alice", "s3cret");

fn manual(url: &str, no_proxy: Option<&str>) -> ProxyConfig {
    ProxyConfig {
        choice: ProxyChoice::Manual(ProxyServer::parse(url, None).unwrap()),
        no_proxy: no_proxy.map(str::to_string),
    }
}

/// Runs `urls` through an engine with `proxy`; the results in submission
/// order, every event, and what the engine said its proxy was.
fn run(
    kind: BackendKind,
    proxy: ProxyConfig,
    urls: &[String],
) -> (Vec<TaskResult>, Vec<Event>, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        retry_delay: std::time::Duration::from_millis(10),
        proxy,
        ..EngineConfig::new(kind)
    };
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config, tx, Arc::new(|| {})).unwrap();
    let shown = engine.proxy();
    for u in urls {
        engine.submit(Job::new(u.clone(), dir.path()));
    }
    let (mut done, events) = results(&rx, urls.len());
    for r in &done {
        if let Ok(saved) = &r.outcome {
            let path = r.url.rsplit('/').next().unwrap().split('?').next().unwrap();
            let size = r.url.split("size=").nth(1).map_or(1024, |s| s.parse().unwrap());
            assert!(
                std::fs::read(&saved.path).unwrap() == body_for(&format!("/px/{path}"), size),
                "{}: wrong bytes",
                r.url
            );
        }
    }
    done.sort_by_key(|r| r.index);
    (done, events, shown)
}

fn retried(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::Retrying { .. }))
}

each_backend!(through_an_http_proxy_with_credentials_the_files_arrive_whole, 4);
fn through_an_http_proxy_with_credentials_the_files_arrive_whole(kind: BackendKind) {
    let Some(proxy) = Proxy::tinyproxy(Some(ALICE)) else {
        return;
    };
    let server = TestServer::start();
    let urls: Vec<String> = (0..3)
        .map(|i| server.url(&format!("/px/{i}.bin?size=200000")))
        .collect();
    let (done, _, shown) = run(kind, manual(&proxy.url("http", Some(ALICE)), None), &urls);
    for r in &done {
        saved_path(r);
    }
    // The proxy carried each request, and said so to the server.
    assert_eq!(proxy.requests().len(), 3, "tinyproxy's log: {}", proxy.log());
    let via = server.headers_for("/px/0.bin");
    assert!(
        via[0]
            .get("via")
            .is_some_and(|v| v.to_str().unwrap().contains("tinyproxy")),
        "no Via header from the proxy: {via:?}"
    );
    // What the status bar shows: the proxy, without its password.
    assert_eq!(shown, Some(format!("http://alice:***@127.0.0.1:{}/", proxy.port)));
}

each_backend!(wrong_or_missing_proxy_credentials_fail_at_once, 2);
fn wrong_or_missing_proxy_credentials_fail_at_once(kind: BackendKind) {
    let Some(proxy) = Proxy::tinyproxy(Some(ALICE)) else {
        return;
    };
    let server = TestServer::start();
    let url = vec![server.url("/px/a.bin")];
    // No credentials: the proxy's 407, named as the proxy's.
    let (done, events, _) = run(kind, manual(&proxy.url("http", None), None), &url);
    match error_of(&done[0]) {
        FetchError::Proxy { proxy: shown, reason } => {
            assert!(
                shown.contains(&proxy.port.to_string()) && reason.contains("407"),
                "{reason}"
            );
        }
        other => panic!("not the proxy's failure: {other:?}"),
    }
    assert!(!retried(&events), "a proxy's refusal was retried: {events:?}");
    // Wrong ones: tinyproxy answers 401 (not 407); final all the same.
    let (done, events, _) = run(
        kind,
        manual(&proxy.url("http", Some(("alice", "wrong"))), None),
        &url,
    );
    assert!(
        matches!(error_of(&done[0]), FetchError::Http { status: 401, .. }),
        "{:?}",
        done[0].outcome
    );
    assert!(!retried(&events), "wrong credentials were retried: {events:?}");
    assert_eq!(server.requests(), 0, "a refused request reached the server");
    // A proxy that is not there: final too, and named.
    let gone = support::programs::free_port();
    let (done, events, _) = run(kind, manual(&format!("http://127.0.0.1:{gone}"), None), &url);
    assert!(
        matches!(error_of(&done[0]), FetchError::Proxy { reason, .. } if reason.contains("refused")),
        "{:?}",
        done[0].outcome
    );
    assert!(!retried(&events));
}

each_backend!(
    through_a_socks5_proxy_the_files_arrive_and_bad_credentials_fail,
    4
);
fn through_a_socks5_proxy_the_files_arrive_and_bad_credentials_fail(kind: BackendKind) {
    let bob = ("bob", "pw");
    let Some(proxy) = Proxy::microsocks(Some(bob)) else {
        return;
    };
    let server = TestServer::start();
    let urls: Vec<String> = (0..3)
        .map(|i| server.url(&format!("/px/{i}.bin?size=100000")))
        .collect();
    let (done, _, shown) = run(kind, manual(&proxy.url("socks5h", Some(bob)), None), &urls);
    for r in &done {
        saved_path(r);
    }
    let port = server
        .url("/")
        .split(':')
        .nth(2)
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let through = proxy.requests();
    assert!(
        !through.is_empty() && through.iter().all(|l| l.ends_with(&format!("127.0.0.1:{port}"))),
        "microsocks's log: {}",
        proxy.log()
    );
    assert_eq!(shown, Some(format!("socks5h://bob:***@127.0.0.1:{}", proxy.port)));
    let (done, events, _) = run(
        kind,
        manual(&proxy.url("socks5h", Some(("bob", "no"))), None),
        &urls[..1],
    );
    assert!(
        matches!(error_of(&done[0]), FetchError::Proxy { reason, .. } if reason.contains("credentials")),
        "{:?}",
        done[0].outcome
    );
    assert!(!retried(&events));
}

each_backend!(no_proxy_hosts_go_direct, 2);
fn no_proxy_hosts_go_direct(kind: BackendKind) {
    // Both kinds of proxy, each listing this host as one to skip.
    let Some(http) = Proxy::tinyproxy(None) else {
        return;
    };
    let Some(socks) = Proxy::microsocks(None) else {
        return;
    };
    for (proxy, scheme) in [(&http, "http"), (&socks, "socks5h")] {
        let server = TestServer::start();
        let urls = vec![server.url("/px/d.bin?size=5000")];
        let config = manual(&proxy.url(scheme, None), Some("example.org, 127.0.0.1"));
        let (done, _, _) = run(kind, config, &urls);
        saved_path(&done[0]);
        assert!(
            proxy.requests().is_empty(),
            "went through {scheme}: {}",
            proxy.log()
        );
        assert_eq!(server.requests(), 1);
    }
}

/// Runs the binary with `args`, in a clean proxy environment plus `env`.
fn fanout(args: &[&str], env: &[(&str, &str)]) -> Output {
    support::programs::fanout(args, None, env)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn https_through_an_http_proxy_goes_by_connect_and_is_verified_end_to_end() {
    let Some(proxy) = Proxy::tinyproxy(Some(ALICE)) else {
        return;
    };
    let (server, cert) = TestServer::start_https();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, cert).unwrap();
    let via = proxy.url("http", Some(ALICE));
    for engine in ["sequential", "threads", "async"] {
        let out_dir = dir.path().join(engine);
        let url = server.url(&format!("/px/{engine}.bin?size=300000"));
        let o = fanout(
            &[
                "get",
                "-e",
                engine,
                "-x",
                &via,
                "-o",
                out_dir.to_str().unwrap(),
                "--json",
                &url,
            ],
            &[("SSL_CERT_FILE", ca.to_str().unwrap())],
        );
        assert!(
            o.status.success(),
            "{engine}: {}{}",
            stdout(&o),
            String::from_utf8_lossy(&o.stderr)
        );
        let got = std::fs::read(out_dir.join(format!("{engine}.bin"))).unwrap();
        assert!(
            got == body_for(&format!("/px/{engine}.bin"), 300_000),
            "{engine}: wrong bytes"
        );
    }
    // Through the proxy, as tunnels: it saw CONNECTs and no request inside.
    let log = proxy.log();
    let connects = proxy
        .requests()
        .iter()
        .filter(|l| l.contains("CONNECT 127.0.0.1:"))
        .count();
    assert!(connects >= 3, "tinyproxy's log: {log}");
    // End to end: without the test CA the server is not trusted, proxy or not.
    let o = fanout(
        &[
            "get",
            "-x",
            &via,
            "-o",
            dir.path().to_str().unwrap(),
            &server.url("/px/x.bin"),
        ],
        &[("SSL_CERT_FILE", "/nonexistent")],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("not trusted"), "{}", stdout(&o));
}

#[test]
fn the_environment_proxy_is_used_and_noproxy_or_an_empty_proxy_go_direct() {
    let Some(proxy) = Proxy::tinyproxy(None) else {
        return;
    };
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let env_proxy = proxy.url("http", None);
    let env = [("http_proxy", env_proxy.as_str())];
    let o = fanout(&["get", "-o", out, &server.url("/px/e1.bin")], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        proxy.requests().len(),
        1,
        "http_proxy was not used: {}",
        proxy.log()
    );
    for direct in [&["--noproxy", "127.0.0.1"][..], &["--proxy", ""][..]] {
        let mut args = vec!["get", "-o", out];
        args.extend_from_slice(direct);
        let url = server.url("/px/e2.bin");
        args.push(&url);
        let o = fanout(&args, &env);
        assert!(
            o.status.success(),
            "{direct:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(proxy.requests().len(), 1, "{direct:?} went through the proxy");
    }
}

/// The desktop portal's proxy resolver, answering one proxy for every URI.
struct Resolver(String);

#[zbus::interface(name = "org.freedesktop.portal.ProxyResolver")]
impl Resolver {
    fn lookup(&self, uri: &str) -> Vec<String> {
        if uri.contains("/direct") {
            vec!["direct://".into()]
        } else {
            vec![self.0.clone()]
        }
    }
}

#[test]
fn without_proxy_variables_the_desktop_portal_names_the_proxy() {
    if !require(&[("dbus-daemon", "dbus-daemon")]) {
        return;
    }
    let Some(proxy) = Proxy::tinyproxy(None) else {
        return;
    };
    let server = TestServer::start();
    let (_bus, address) = private_bus();
    let _portal = support::programs::serve_on_bus(
        &address,
        "org.freedesktop.portal.Desktop",
        "/org/freedesktop/portal/desktop",
        Resolver(proxy.url("http", None)),
    );
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/px/p.bin?size=70000");
    let o = fanout(
        &["get", "-o", dir.path().to_str().unwrap(), &url],
        &[("DBUS_SESSION_BUS_ADDRESS", &address)],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(dir.path().join("p.bin")).unwrap() == body_for("/px/p.bin", 70_000));
    assert_eq!(
        proxy.requests().len(),
        1,
        "the portal's proxy was not used: {}",
        proxy.log()
    );
    // Where the portal says direct, it goes direct.
    let url = server.url("/direct/q.bin");
    let o = fanout(
        &["get", "-o", dir.path().to_str().unwrap(), &url],
        &[("DBUS_SESSION_BUS_ADDRESS", &address)],
    );
    assert!(o.status.success());
    assert_eq!(
        proxy.requests().len(),
        1,
        "went through the proxy: {}",
        proxy.log()
    );
}

each_backend!(a_site_rule_s_proxy_carries_that_site_only, 2);
fn a_site_rule_s_proxy_carries_that_site_only(kind: BackendKind) {
    let Some(proxy) = Proxy::tinyproxy(None) else {
        return;
    };
    let server = TestServer::start();
    let rules = fanout::engine::rules::SiteRules::parse(&format!(
        "[[rule]]\nhosts = \"localhost\"\nproxy = \"{}\"\n",
        proxy.url("http", None)
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        proxy: ProxyConfig {
            choice: ProxyChoice::Direct,
            no_proxy: None,
        },
        rules,
        ..EngineConfig::new(kind)
    };
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config, tx, Arc::new(|| {})).unwrap();
    let via = server.url("/px/ruled.bin").replacen("127.0.0.1", "localhost", 1);
    engine.submit(Job::new(via, dir.path()));
    engine.submit(Job::new(server.url("/px/direct.bin"), dir.path()));
    let (done, _) = results(&rx, 2);
    done.iter().for_each(|r| {
        saved_path(r);
    });
    let through = proxy.requests();
    assert_eq!(through.len(), 1, "tinyproxy's log: {}", proxy.log());
    assert!(through[0].contains("/px/ruled.bin"), "{through:?}");
}
