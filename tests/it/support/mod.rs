//! The in-process test server: real HTTP/1.1 on 127.0.0.1:0 (or HTTPS with
//! HTTP/2 by ALPN, see `https.rs`), on its own thread with its own runtime,
//! so tests see exactly what a user's client sees from a real server,
//! including the broken ones.
//!
//! Every path serves bytes that depend only on the path and the size (see
//! [`body_for`]), so a test can check any downloaded file byte for byte.
//! Behaviour is chosen per request in the query string:
//! - `size=N` body length (default 1024)
//! - `latency=MS` wait before the response head
//! - `status=CODE` answer with that status and a small HTML page
//! - `drop=N` send N bytes of the body, then cut the connection
//! - `nolen=1` no Content-Length (chunked)
//! - `pace=MS` wait before each 16 KiB chunk of the body
//! - `pace_first=MS` the same, only for requests without `Range`
//! - `cd=VALUE` send `Content-Disposition: VALUE`; `ct=TYPE` `Content-Type`
//! - `redirect=URL` answer 302 to URL; `redirect=self` to this very URL
//! - `fail_times=K` `drop` (and `stall`) only on the first K requests for
//!   this path (default: every request)
//! - `stall=N` send N bytes of the body, then nothing (connection kept open)
//! - `etag=V` send `ETag: "V"`; `etag_change=1` makes it `"1"` on the first
//!   request for the path and `"2"` after (the file changed on the server)
//! - `status_on=K:CODE` answer the K-th request for this path with CODE and
//!   an HTML page (an error page where a resume was expected)
//! - `lm=SECS` send `Last-Modified` (seconds since 1970), and answer 304
//!   when the request's `If-Modified-Since` is as new, or its
//!   `If-None-Match` is the `etag`
//! - `auth=USER:PASS` answer 401 unless the request carries that Basic auth
//! - `norange=1` ignore `Range` (always 200 with the whole body)
//! - `badrange=1` answer a `Range` request with 206 whose Content-Range
//!   starts at 0, whatever was asked
//!
//! `Range: bytes=N-` and `bytes=N-M` are honoured (206 with Content-Range)
//! unless `If-Range` names another ETag than the current one; beyond the
//! end it is 416. Every answer says `Accept-Ranges: bytes` (so `norange`
//! and `badrange` servers lie about it).
//!
//! It counts connections, requests, and the requests in flight (from
//! arrival until the body is sent or abandoned), with the maximum reached.

#[macro_use]
pub mod aria2;
pub mod gui;
pub mod https;
pub mod programs;
pub mod proxy;
pub mod run;
pub mod serve;
pub mod streaming;
pub mod tls;
pub mod torrent;
pub mod tracker;
pub mod wait;
pub mod window;
pub mod x11;

/// One `#[test]` per backend from one test body `fn NAME(kind: BackendKind)`,
/// so `cargo test threads` runs one engine and one engine's failure does not
/// hide another's. `each_backend!(NAME, N)` runs the three local engines at
/// a limit of N; `each_backend!(NAME; test => KIND, …)` names its own.
macro_rules! each_backend {
    ($body:ident, $n:expr) => {
        each_backend!($body;
            sequential => fanout::engine::BackendKind::Sequential,
            threads => fanout::engine::BackendKind::Threads { workers: $n },
            tokio => fanout::engine::BackendKind::Async { limit: $n },
        );
    };
    ($body:ident; $($test:ident => $kind:expr),+ $(,)?) => {
        mod $body {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $test() {
                    super::$body($kind)
                }
            )+
        }
    };
}

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use futures_util::stream;

#[derive(Default)]
pub struct Stats {
    /// TCP connections accepted.
    connections: AtomicUsize,
    /// Requests served on each connection, in the order they were accepted
    /// (kept by the HTTPS server).
    per_connection: std::sync::Mutex<Vec<Arc<AtomicUsize>>>,
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Body bytes handed to clients.
    body_bytes: std::sync::atomic::AtomicU64,
    /// Requests seen per path.
    per_path: std::sync::Mutex<HashMap<String, usize>>,
    /// `Range` headers seen.
    ranges: std::sync::Mutex<Vec<String>>,
    /// Every request's path and headers, in order.
    heads: std::sync::Mutex<Vec<(String, axum::http::HeaderMap)>>,
}

/// Counts a request as in flight for as long as it lives.
struct InFlight(Arc<Stats>);

impl InFlight {
    fn new(stats: &Arc<Stats>) -> Self {
        stats.requests.fetch_add(1, Ordering::SeqCst);
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(stats.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

pub struct TestServer {
    scheme: &'static str,
    addr: SocketAddr,
    stats: Arc<Stats>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestServer {
    pub fn start() -> Self {
        Self::spawn("http", |listener, app, stats, stop| async move {
            use axum::serve::ListenerExt;
            let listener = listener.tap_io(move |_| {
                stats.connections.fetch_add(1, Ordering::SeqCst);
            });
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop.await;
                })
                .await;
        })
    }

    /// Binds 127.0.0.1:0 and runs `serve` on a thread of its own (with a
    /// two-worker runtime), given the listener, the router, the stats it
    /// counts into, and the signal to stop (sent when the server is dropped).
    fn spawn<F, Fut>(scheme: &'static str, serve: F) -> TestServer
    where
        F: FnOnce(tokio::net::TcpListener, Router, Arc<Stats>, tokio::sync::oneshot::Receiver<()>) -> Fut
            + Send
            + 'static,
        Fut: Future<Output = ()>,
    {
        let stats = Arc::new(Stats::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new().fallback(serve_request).with_state(stats.clone());
        let counted = stats.clone();
        let addr = on_loopback(&format!("test-{scheme}"), move |listener| {
            serve(listener, app, counted, rx)
        });
        TestServer {
            scheme,
            addr,
            stats,
            _shutdown: tx,
        }
    }

    /// `http://127.0.0.1:PORT` + `path_and_query` (`https` for
    /// [`TestServer::start_https`]).
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}://{}{}", self.scheme, self.addr, path_and_query)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> usize {
        self.stats.requests.load(Ordering::SeqCst)
    }

    /// Body bytes sent so far, over all requests.
    pub fn body_bytes(&self) -> u64 {
        self.stats.body_bytes.load(Ordering::SeqCst)
    }

    /// Body bytes sent so far, once the count has stopped changing: after
    /// a client went away mid-body, the server may still be writing a
    /// chunk into the dead connection (it counts a chunk when written).
    pub fn body_bytes_settled(&self) -> u64 {
        let mut last = self.body_bytes();
        loop {
            std::thread::sleep(std::time::Duration::from_millis(200));
            let now = self.body_bytes();
            if now == last {
                return now;
            }
            last = now;
        }
    }

    /// The `Range` headers of all requests so far, in order.
    pub fn ranges(&self) -> Vec<String> {
        self.stats.ranges.lock().unwrap().clone()
    }

    /// The headers of every request for `path`, in order.
    pub fn headers_for(&self, path: &str) -> Vec<axum::http::HeaderMap> {
        let heads = self.stats.heads.lock().unwrap();
        heads
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// Starts counting the in-flight maximum afresh (for the next batch).
    pub fn reset_max_in_flight(&self) {
        let now = self.stats.in_flight.load(Ordering::SeqCst);
        self.stats.max_in_flight.store(now, Ordering::SeqCst);
    }

    pub fn max_in_flight(&self) -> usize {
        self.stats.max_in_flight.load(Ordering::SeqCst)
    }
}

/// The bytes served for `path` at `size`: a cheap keyed sequence, different
/// for every path and every offset, so a swapped or shifted chunk shows.
/// Binds 127.0.0.1:0 and runs `serve` with the listener on a thread of its
/// own (named `NAME-PORT`) with a two-worker runtime; the address.
pub fn on_loopback<F, Fut>(name: &str, serve: F) -> SocketAddr
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::Builder::new()
        .name(format!("{name}-{}", addr.port()))
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                serve(listener).await;
            });
        })
        .unwrap();
    addr
}

pub fn body_for(path: &str, size: usize) -> Vec<u8> {
    let seed = path.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (0..size as u64)
        .map(|i| {
            let x = (i ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            (x >> 56) as u8
        })
        .collect()
}

const CHUNK: usize = 16 * 1024;

async fn serve_request(
    State(stats): State<Arc<Stats>>,
    uri: Uri,
    headers: axum::http::HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let guard = InFlight::new(&stats);
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok());
    let nth = {
        let mut per = stats.per_path.lock().unwrap();
        let n = per.entry(uri.path().to_string()).or_default();
        *n += 1;
        *n
    };
    stats
        .heads
        .lock()
        .unwrap()
        .push((uri.path().to_string(), headers.clone()));
    let failing = num("fail_times").is_none_or(|k| nth as u64 <= k);
    let range = headers
        .get(header::RANGE)
        .map(|v| v.to_str().unwrap_or("").to_string());
    if let Some(r) = &range {
        stats.ranges.lock().unwrap().push(r.clone());
    }
    if let Some(ms) = num("latency") {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(wanted) = q.get("auth") {
        let expected = format!("Basic {}", base64(wanted.as_bytes()));
        if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
            return Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header(header::WWW_AUTHENTICATE, "Basic realm=\"test\"")
                .body(Body::from("<html><body>401</body></html>"))
                .unwrap();
        }
    }
    if let Some(to) = q.get("redirect") {
        let to = if to == "self" { uri.to_string() } else { to.clone() };
        return Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, to)
            .body(Body::empty())
            .unwrap();
    }
    let status_now = q.get("status_on").and_then(|v| {
        let (k, code) = v.split_once(':')?;
        (k.parse::<usize>().ok()? == nth)
            .then(|| code.parse::<u64>().ok())
            .flatten()
    });
    if let Some(code) = num("status").or(status_now) {
        let status = StatusCode::from_u16(code as u16).unwrap();
        return Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::from(format!("<html><body>{status}</body></html>")))
            .unwrap();
    }
    let size = num("size").unwrap_or(1024) as usize;
    let data = body_for(uri.path(), size);
    let etag = if q.contains_key("etag_change") {
        Some(if nth == 1 {
            "\"1\"".to_string()
        } else {
            "\"2\"".to_string()
        })
    } else {
        q.get("etag").map(|v| format!("\"{v}\""))
    };
    // `lm=SECS`: Last-Modified, and 304 to a request that has a copy as
    // new (If-Modified-Since) or the same ETag (If-None-Match).
    let modified = num("lm").map(|s| std::time::UNIX_EPOCH + Duration::from_secs(s));
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| httpdate::parse_http_date(v.to_str().ok()?).ok());
    let same_etag =
        etag.is_some() && headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == etag.as_deref();
    if same_etag || matches!((modified, since), (Some(m), Some(s)) if m <= s) {
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap();
    }
    // Which part of the body this answer carries.
    let if_range_ok = match headers.get(header::IF_RANGE) {
        None => true,
        Some(v) => etag.as_deref() == v.to_str().ok(),
    };
    // `bytes=A-` or `bytes=A-B`.
    let asked = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| {
            let (a, b) = r.split_once('-')?;
            let a = a.parse::<usize>().ok()?;
            let b = if b.is_empty() {
                None
            } else {
                Some(b.parse::<usize>().ok()?)
            };
            Some((a, b))
        })
        .filter(|_| !q.contains_key("norange") && if_range_ok);
    let stop = asked.and_then(|(_, b)| b).map_or(size, |b| (b + 1).min(size));
    let asked = asked.map(|(a, _)| a);
    if let Some(start) = asked
        && start >= size
    {
        return Response::builder()
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, format!("bytes */{size}"))
            .body(Body::empty())
            .unwrap();
    }
    let start = asked.unwrap_or(0);
    let part = &data[start..stop.max(start)];
    let cut = num("drop").filter(|_| failing).map(|n| n as usize);
    let stall = num("stall").filter(|_| failing).map(|n| n as usize);
    let sent = cut.or(stall).unwrap_or(part.len()).min(part.len());
    let mut chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        part[..sent].chunks(CHUNK).map(|c| Ok(c.to_vec())).collect();
    if cut.is_some() {
        chunks.push(Err(std::io::Error::other(
            "connection dropped by the test server",
        )));
    }
    let stalls = stall.is_some();
    // In flight until the last piece of the body is handed over: released
    // just before the client can have it all, so a client that starts its
    // next request the moment a body completes is never counted twice.
    // `pace_first`: only the request without a Range is paced (the first
    // connection of a segmented download, so the others run out of work).
    let pace = match num("pace_first") {
        Some(ms) if range.is_none() => Duration::from_millis(ms),
        _ => Duration::from_millis(num("pace").unwrap_or(0)),
    };
    let counter = stats.clone();
    let body = Body::from_stream(stream::unfold(
        (chunks.into_iter(), Some(guard)),
        move |(mut it, mut guard)| {
            let counter = counter.clone();
            async move {
                let Some(item) = it.next() else {
                    if stalls {
                        // Keep the connection open and send nothing more.
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    return None;
                };
                if let Ok(bytes) = &item {
                    counter.body_bytes.fetch_add(bytes.len() as u64, Ordering::SeqCst);
                }
                if !pace.is_zero() {
                    tokio::time::sleep(pace).await;
                }
                if item.is_err() {
                    // Give the client the bytes before the cut, then cut.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                if it.len() == 0 && !stalls {
                    guard.take();
                }
                Some((item, (it, guard)))
            }
        },
    ));
    let mut resp = match asked {
        Some(start) => {
            let shown = if q.contains_key("badrange") { 0 } else { start };
            Response::builder().status(StatusCode::PARTIAL_CONTENT).header(
                header::CONTENT_RANGE,
                format!("bytes {shown}-{}/{size}", shown + part.len() - 1),
            )
        }
        None => Response::builder().status(StatusCode::OK),
    };
    if !q.contains_key("nolen") {
        resp = resp.header(header::CONTENT_LENGTH, part.len());
    }
    if let Some(etag) = &etag {
        resp = resp.header(header::ETAG, etag.as_str());
    }
    if let Some(m) = modified {
        resp = resp.header(header::LAST_MODIFIED, httpdate::fmt_http_date(m));
    }
    resp = resp.header(header::ACCEPT_RANGES, "bytes");
    if let Some(ct) = q.get("ct") {
        resp = resp.header(header::CONTENT_TYPE, ct.as_str());
    }
    if let Some(cd) = q.get("cd") {
        resp = resp.header(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_bytes(cd.as_bytes()).unwrap(),
        );
    }
    resp.body(body).unwrap()
}

/// Standard base64 with padding (for `Authorization: Basic`).
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encodes a query value.
/// A plain HTTP client for a test's own calls (to the RPC server), with the
/// TLS provider the engine installs.
pub fn http_client() -> reqwest::blocking::Client {
    fanout::engine::crypto_provider();
    reqwest::blocking::Client::new()
}

pub fn enc(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// The files a user would look at: all but fanout's `.fanout-*.json`
/// control files (which stand beside a resumable `.part`).
pub fn user_files(dir: &std::path::Path) -> Vec<String> {
    files_in(dir)
        .into_iter()
        .filter(|n| !n.starts_with(".fanout-"))
        .collect()
}

/// fanout's control files in `dir`.
pub fn control_files(dir: &std::path::Path) -> Vec<String> {
    files_in(dir)
        .into_iter()
        .filter(|n| n.starts_with(".fanout-"))
        .collect()
}

/// Names of the files in `dir`, sorted.
pub fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
