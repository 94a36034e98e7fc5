//! A streaming site of the tests' own on 127.0.0.1:0: playlists, keys and
//! segments served from memory (or from a folder ffmpeg wrote), with a
//! latency on every request so concurrency shows, an optional Referer it
//! requires (as most sites do), and counts of requests in flight.
//!
//! [`Hls`] makes a stream's segments (deterministic bytes), encrypts them
//! with AES-128 (with or without `IV`, rotating keys), and writes the
//! playlist as a site would, so a test knows the exact bytes fanout must
//! join.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;

/// What the site serves at one path.
#[derive(Clone)]
pub struct File {
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

#[derive(Default)]
struct Inner {
    files: Mutex<HashMap<String, File>>,
    latency: Mutex<Duration>,
    referer: Mutex<Option<String>>,
    /// Requests per path.
    hits: Mutex<HashMap<String, usize>>,
    /// Answers given whole per path (the body handed to the connection).
    served: Mutex<HashMap<String, usize>>,
    /// Paths that wait longer than `latency` before their answer.
    slow: Mutex<HashMap<String, Duration>>,
    /// Segment requests (paths not ending in .m3u8, .mpd or .key) in flight now, and the most.
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Paths that answer 404 (a segment gone from the site).
    gone: Mutex<Vec<String>>,
    /// Paths whose first request answers 503 (a busy server).
    busy_once: Mutex<Vec<String>>,
}

pub struct Site {
    addr: SocketAddr,
    inner: Arc<Inner>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Site {
    pub fn start() -> Site {
        let inner = Arc::new(Inner::default());
        let app = Router::new().fallback(serve).with_state(inner.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let addr = super::on_loopback("test-site", move |listener| async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Site {
            addr,
            inner,
            _stop: stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Serves `body` at `path` (replacing what was there).
    pub fn put(&self, path: &str, body: impl Into<Vec<u8>>, content_type: &'static str) {
        self.inner.files.lock().unwrap().insert(
            path.to_string(),
            File {
                body: body.into(),
                content_type,
            },
        );
    }

    /// Serves every file of `dir` under `prefix` (`/hls/`).
    pub fn put_dir(&self, prefix: &str, dir: &std::path::Path) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let kind = match path.extension().and_then(|e| e.to_str()) {
                    Some("m3u8") => "application/vnd.apple.mpegurl",
                    Some("mpd") => "application/dash+xml",
                    Some("ts") => "video/mp2t",
                    _ => "application/octet-stream",
                };
                self.put(&format!("{prefix}{name}"), std::fs::read(&path).unwrap(), kind);
            }
        }
    }

    /// Every answer waits this long before its head.
    pub fn set_latency(&self, d: Duration) {
        *self.inner.latency.lock().unwrap() = d;
    }

    /// `path` waits `d` before its answer (instead of the latency); zero
    /// undoes it.
    pub fn set_slow(&self, path: &str, d: Duration) {
        let mut slow = self.inner.slow.lock().unwrap();
        match d.is_zero() {
            true => slow.remove(path),
            false => slow.insert(path.to_string(), d),
        };
    }

    /// Requests without this Referer get 403, as a site's CDN answers.
    pub fn require_referer(&self, referer: &str) {
        *self.inner.referer.lock().unwrap() = Some(referer.to_string());
    }

    /// `path` answers 404 from now on.
    pub fn remove(&self, path: &str) {
        self.inner.gone.lock().unwrap().push(path.to_string());
    }

    /// The next request for `path` answers 503; the ones after it, the file.
    pub fn busy_once(&self, path: &str) {
        self.inner.busy_once.lock().unwrap().push(path.to_string());
    }

    pub fn hits(&self, path: &str) -> usize {
        self.inner.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    /// Answers to `path` given whole (a request still waiting for its
    /// answer is counted by [`Site::hits`] only).
    pub fn served(&self, path: &str) -> usize {
        self.inner.served.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    /// The most segment requests in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.inner.max_in_flight.load(Ordering::SeqCst)
    }
}

/// Counts a segment request in flight while it lives.
struct Flight(Arc<Inner>);

impl Drop for Flight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve(State(inner): State<Arc<Inner>>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().to_string();
    *inner.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let segment = !(path.ends_with(".m3u8") || path.ends_with(".mpd") || path.contains("key"));
    let _flight = segment.then(|| {
        let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        inner.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Flight(inner.clone())
    });
    let latency = *inner.latency.lock().unwrap();
    let latency = inner.slow.lock().unwrap().get(&path).copied().unwrap_or(latency);
    tokio::time::sleep(latency).await;
    let status = |code: StatusCode| Response::builder().status(code).body(Body::empty()).unwrap();
    if let Some(want) = inner.referer.lock().unwrap().clone()
        && headers.get(header::REFERER).and_then(|v| v.to_str().ok()) != Some(want.as_str())
    {
        return status(StatusCode::FORBIDDEN);
    }
    if inner.gone.lock().unwrap().contains(&path) {
        return status(StatusCode::NOT_FOUND);
    }
    {
        let mut busy = inner.busy_once.lock().unwrap();
        if let Some(at) = busy.iter().position(|p| *p == path) {
            busy.remove(at);
            return status(StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    let Some(file) = inner.files.lock().unwrap().get(&path).cloned() else {
        return status(StatusCode::NOT_FOUND);
    };
    let total = file.body.len();
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)));
    let mut answer = Response::builder().header(header::CONTENT_TYPE, file.content_type);
    let body = match range {
        Some((a, b)) if a <= b && b < total => {
            answer = answer
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_RANGE, format!("bytes {a}-{b}/{total}"));
            file.body[a..=b].to_vec()
        }
        _ => file.body,
    };
    *inner.served.lock().unwrap().entry(path).or_default() += 1;
    answer.body(Body::from(body)).unwrap()
}

/// AES-128-CBC with PKCS#7, as `openssl enc -aes-128-cbc` and ffmpeg's
/// HLS muxer encrypt a segment.
pub fn encrypt(key: &[u8; 16], iv: &[u8; 16], plain: &[u8]) -> Vec<u8> {
    use cbc::cipher::{BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
    let mut buf = plain.to_vec();
    buf.resize(plain.len() + 16, 0);
    let n = cbc::Encryptor::<aes::Aes128>::new(key.into(), iv.into())
        .encrypt_padded::<Pkcs7>(&mut buf, plain.len())
        .unwrap()
        .len();
    buf.truncate(n);
    buf
}

/// The IV HLS uses for a segment without `IV=`: its media sequence number.
pub fn sequence_iv(sequence: u64) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[8..].copy_from_slice(&sequence.to_be_bytes());
    iv
}

/// Deterministic bytes for segment `n` of a stream named `name` (starting
/// with a TS sync byte, as MPEG-TS does).
pub fn segment_bytes(name: &str, n: usize, size: usize) -> Vec<u8> {
    let seed = name.bytes().fold((n as u32).wrapping_mul(2_654_435_761), |h, b| {
        h.rotate_left(5) ^ u32::from(b)
    });
    (0..size)
        .map(|i| match i % 188 {
            0 => 0x47,
            _ => (seed.wrapping_add((i as u32).wrapping_mul(7919)) >> 3) as u8,
        })
        .collect()
}
