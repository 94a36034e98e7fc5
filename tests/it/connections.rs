//! How many connections `fanout get` opens, counted by the loopback test
//! server: files to one HTTP/1.1 host reuse at most `-j` kept-alive
//! connections; files to one HTTPS host that speaks HTTP/2 share one
//! connection; the segments of one big file each get their own.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fanout::engine::BackendKind;
use support::{TestServer, body_for, user_files};

/// `fanout get` with `kind`'s engine and limit over the URLs in a list,
/// into `dir`, trusting `ca` (a PEM file) when given.
fn get(kind: BackendKind, urls: &[String], dir: &Path, extra: &[&str], ca: Option<&Path>) -> Output {
    let list = dir.join("urls.txt");
    std::fs::write(&list, urls.join("\n")).unwrap();
    let out = dir.join("out");
    let engine = match kind {
        BackendKind::Sequential => vec!["-e".to_string(), "sequential".into()],
        BackendKind::Threads { workers } => {
            vec!["-e".into(), "threads".into(), "-j".into(), workers.to_string()]
        }
        BackendKind::Async { limit } => vec!["-e".into(), "async".into(), "-j".into(), limit.to_string()],
        BackendKind::Aria2 { .. } => unreachable!("the local engines only"),
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_fanout"));
    command
        .arg("get")
        .args(&engine)
        .args(extra)
        .arg("-i")
        .arg(&list)
        .arg("-o")
        .arg(&out)
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY");
    if let Some(ca) = ca {
        command.env("SSL_CERT_FILE", ca).env_remove("SSL_CERT_DIR");
    }
    let output = command.output().expect("run fanout");
    assert!(
        output.status.success(),
        "{kind:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Every file landed whole.
fn all_saved(dir: &Path, names: &[String], size: usize, path: impl Fn(&str) -> String) {
    let out = dir.join("out");
    assert_eq!(user_files(&out).len(), names.len());
    for name in names {
        let bytes = std::fs::read(out.join(name)).unwrap();
        assert!(bytes == body_for(&path(name), size), "{name}: wrong bytes");
    }
}

/// The HTTPS test server, and its certificate in `dir` for `SSL_CERT_FILE`.
fn https_server(dir: &Path) -> (TestServer, PathBuf) {
    let (server, cert) = TestServer::start_https();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, cert).unwrap();
    (server, ca)
}

/// 24 files of 5,000 bytes under `/PREFIX/`, each 30 ms late: their names
/// and URLs.
fn album(server: &TestServer, prefix: &str) -> (Vec<String>, Vec<String>) {
    let names: Vec<String> = (0..24).map(|i| format!("{i}.jpg")).collect();
    let urls = names
        .iter()
        .map(|n| server.url(&format!("/{prefix}/{n}?size=5000&latency=30")))
        .collect();
    (names, urls)
}

fn files_to_one_http11_host_reuse_at_most_j_connections(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (names, urls) = album(&server, "keep");
    let files = names.len();
    get(kind, &urls, dir.path(), &[], None);
    all_saved(dir.path(), &names, 5000, |n| format!("/keep/{n}"));
    let limit = kind.limit().unwrap();
    assert_eq!(server.requests(), files);
    assert_eq!(server.max_in_flight(), limit, "{kind:?}: the limit is reached");
    let connections = server.connections();
    assert!(
        (1..=limit).contains(&connections),
        "{kind:?}: {connections} connections for {files} files at -j {limit}"
    );
}
each_backend!(files_to_one_http11_host_reuse_at_most_j_connections, 4);

fn files_to_one_https_host_share_one_http2_connection(kind: BackendKind) {
    let dir = tempfile::tempdir().unwrap();
    let (server, ca) = https_server(dir.path());
    let (names, urls) = album(&server, "h2");
    let files = names.len();
    get(kind, &urls, dir.path(), &[], Some(&ca));
    all_saved(dir.path(), &names, 5000, |n| format!("/h2/{n}"));
    let limit = kind.limit().unwrap();
    assert_eq!(server.requests(), files);
    // With HTTP/2, `-j` counts files at once, not connections.
    assert_eq!(server.max_in_flight(), limit, "{kind:?}: the limit is reached");
    // At most: the first file's connection, one handshake asking what the
    // server speaks, and the connection every other file shares.
    let per = server.requests_per_connection();
    assert!(per.len() <= 3, "{kind:?}: {} connections: {per:?}", per.len());
    let busiest = per.iter().max().copied().unwrap_or(0);
    assert!(busiest >= files - 1, "{kind:?}: requests per connection {per:?}");
}
each_backend!(files_to_one_https_host_share_one_http2_connection, 8);

fn the_segments_of_a_file_over_http2_each_get_a_connection(kind: BackendKind) {
    let dir = tempfile::tempdir().unwrap();
    let (server, ca) = https_server(dir.path());
    let size = 4 << 20;
    let url = server.url(&format!("/seg/big.bin?size={size}&pace=2"));
    get(
        kind,
        &[url],
        dir.path(),
        &["-s", "4", "--min-split-size", "1M"],
        Some(&ca),
    );
    all_saved(dir.path(), &["big.bin".to_string()], size, |n| {
        format!("/seg/{n}")
    });
    let ranged = server.ranges().len();
    assert!(ranged >= 3, "{kind:?}: {ranged} range requests");
    // The first request's connection, and one per segment: ranges are
    // never multiplexed onto a shared connection, whose cap they would share.
    let per = server.requests_per_connection();
    let used = per.iter().filter(|&&n| n > 0).count();
    assert!(used >= 4, "{kind:?}: requests per connection {per:?}");
}
each_backend!(the_segments_of_a_file_over_http2_each_get_a_connection;
    threads => BackendKind::Threads { workers: 4 },
    tokio => BackendKind::Async { limit: 4 },
);
