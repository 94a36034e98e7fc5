//! One piece of a stream from the network: the request with the
//! download's headers (its Referer, cookies and user agent, the site rule's
//! headers), retried like any transfer, read whole into memory (pieces are
//! seconds of media) and decrypted. Keys are fetched once each, with the
//! same headers, however many lanes ask for them at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::sync::{Notify, OnceCell};
use url::Url;

use super::plan::{Key, Piece, StreamError};
use crate::config::EngineConfig;
use crate::context::WorkerContext;
use crate::error::{FetchError, Note};
use crate::job::Event;
use crate::net::Clients;
use crate::queue::{Task, TaskCtl};
use crate::sync;
use crate::transfer::{backoff, headers, pace, sleep};
use crate::{auth, http};

/// The most a playlist, a key or a piece may be: a piece is seconds of
/// media, so anything bigger is not one (and is not held in memory).
pub(crate) const MAX_PIECE: u64 = 256 * 1024 * 1024;

/// What every lane of one stream shares to fetch its pieces.
pub(crate) struct Fetcher {
    client: Clients,
    config: EngineConfig,
    pub(crate) context: Arc<WorkerContext>,
    pub(crate) ctl: Arc<TaskCtl>,
    index: usize,
    /// The download's own headers (and its rule's).
    headers: HeaderMap,
    keys: std::sync::Mutex<HashMap<Url, Arc<OnceCell<[u8; 16]>>>>,
    /// Bytes received over every piece (the row's count).
    pub(crate) received: AtomicU64,
    /// The stream is over (failed, stopped): lanes end at once.
    stop: AtomicBool,
    stopped: Notify,
}

impl Fetcher {
    pub(crate) fn new(
        client: &Clients,
        config: &EngineConfig,
        context: Arc<WorkerContext>,
        task: &Task,
    ) -> Self {
        Fetcher {
            client: client.clone(),
            config: config.clone(),
            context,
            ctl: task.ctl.clone(),
            index: task.index,
            headers: headers(task, HeaderMap::new()),
            keys: std::sync::Mutex::new(HashMap::new()),
            received: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            stopped: Notify::new(),
        }
    }

    /// Ends every lane's request and wait.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.stopped.notify_waiters();
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.ctl.halted() || self.context.stopping()
    }

    /// Runs `fut` unless the stream stops first (`Cancelled`).
    pub(crate) async fn unless_stopped<T>(
        &self,
        fut: impl Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        tokio::pin!(fut);
        loop {
            let (stopped, woken) = (self.stopped.notified(), self.ctl.wake.notified());
            if self.stopping() {
                return Err(FetchError::Cancelled);
            }
            tokio::select! {
                r = &mut fut => return r,
                () = stopped => {}
                () = woken => {}
            }
        }
    }

    /// A piece's bytes, decrypted.
    pub(crate) async fn piece(&self, piece: &Piece) -> Result<Vec<u8>, FetchError> {
        let key = match &piece.key {
            Some(k) => Some(self.key(k).await?),
            None => None,
        };
        let mut data = self.get(&piece.url, piece.range, true).await?;
        if let (Some(key), Some(k)) = (key, &piece.key) {
            data = decrypt(&key, &k.iv, data).map_err(|()| {
                StreamError::Invalid(format!("{} does not decrypt with its key", redact(&piece.url)))
            })?;
        }
        Ok(data)
    }

    /// The 16 bytes at `key.uri`, fetched once for every piece that uses it.
    async fn key(&self, key: &Key) -> Result<[u8; 16], FetchError> {
        let cell = sync::lock(&self.keys).entry(key.uri.clone()).or_default().clone();
        let got = cell
            .get_or_try_init(|| async {
                let bytes = self.get(&key.uri, None, false).await?;
                <[u8; 16]>::try_from(bytes.as_slice())
                    .map_err(|_| FetchError::from(StreamError::BadKey(redact(&key.uri))))
            })
            .await?;
        Ok(*got)
    }

    /// A playlist's text (a live reload, a variant's media playlist).
    pub(crate) async fn text(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        self.get(url, None, false).await
    }

    /// The body at `url` (its range `(offset, length)`), tried again like
    /// any transfer when the network or the server failed.
    async fn get(&self, url: &Url, range: Option<(u64, u64)>, counted: bool) -> Result<Vec<u8>, FetchError> {
        let mut delays = backoff(&self.config);
        let mut n = 0;
        loop {
            let error = match self.unless_stopped(self.once(url, range, counted)).await {
                Ok(body) => return Ok(body),
                Err(e) => e,
            };
            let delay = (error.is_retryable() && !self.stopping())
                .then(|| delays.next())
                .flatten();
            let Some(delay) = delay else {
                return Err(error);
            };
            n += 1;
            tracing::debug!(index = self.index, n, url = %redact(url), %error, "retrying a piece");
            self.context.emit(Event::Note {
                index: self.index,
                note: Note::Retry {
                    attempt: n,
                    error,
                    delay,
                },
            });
            sleep(&self.ctl, delay).await;
        }
    }

    /// One request and its whole body.
    async fn once(&self, url: &Url, range: Option<(u64, u64)>, counted: bool) -> Result<Vec<u8>, FetchError> {
        let mut headers = self.headers.clone();
        if let Some((at, len)) = range {
            headers.extend(http::range_headers(at, Some(at + len), None));
        }
        let mut resp = self
            .client
            .get(url, headers)
            .await
            .map_err(|e| self.client.failure(url, &e))?;
        let status = resp.status();
        if let Some(e) = self.client.refused(resp.url(), status) {
            return Err(e);
        }
        if !status.is_success() {
            let reason = status.canonical_reason().unwrap_or("").to_string();
            return Err(FetchError::Http {
                status: status.as_u16(),
                reason,
            });
        }
        let expected = resp.content_length();
        if expected.is_some_and(|n| n > MAX_PIECE) {
            return Err(
                StreamError::Invalid(format!("{} is bigger than a segment can be", redact(url))).into(),
            );
        }
        let mut body = Vec::with_capacity(expected.unwrap_or(0).min(MAX_PIECE) as usize);
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| http::interrupted(body.len() as u64, expected, &e))?
        {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > MAX_PIECE {
                return Err(
                    StreamError::Invalid(format!("{} is bigger than a segment can be", redact(url))).into(),
                );
            }
            if counted {
                self.received.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
            sleep(&self.ctl, pace(&self.context, &self.ctl, chunk.len())).await;
        }
        if let Some(expected) = expected
            && body.len() as u64 != expected
        {
            return Err(FetchError::ShortBody {
                received: body.len() as u64,
                expected,
            });
        }
        match range {
            // A server that ignores the range sends the whole file: the
            // piece is its part of it.
            Some((at, len)) if status == StatusCode::OK => {
                let (at, end) = (at as usize, (at + len) as usize);
                body.get(at..end).map(<[u8]>::to_vec).ok_or_else(|| {
                    StreamError::Invalid(format!("{} is shorter than its byte range", redact(url))).into()
                })
            }
            Some((_, len)) if body.len() as u64 != len => Err(FetchError::ShortBody {
                received: body.len() as u64,
                expected: len,
            }),
            _ => Ok(body),
        }
    }
}

/// A URL as it may be shown (no password).
pub(crate) fn redact(url: &Url) -> String {
    auth::redact_url(url)
}

/// AES-128-CBC with PKCS#7 padding, as HLS encrypts a segment.
fn decrypt(key: &[u8; 16], iv: &[u8; 16], mut data: Vec<u8>) -> Result<Vec<u8>, ()> {
    use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
    let plain = cbc::Decryptor::<aes::Aes128>::new(key.into(), iv.into())
        .decrypt_padded::<Pkcs7>(&mut data)
        .map_err(|_| ())?
        .len();
    data.truncate(plain);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_decrypts_to_its_bytes() {
        use cbc::cipher::{BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
        let (key, iv) = ([7u8; 16], [9u8; 16]);
        let plain: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let mut buf = plain.clone();
        buf.resize(plain.len() + 16, 0);
        let len = cbc::Encryptor::<aes::Aes128>::new(&key.into(), &iv.into())
            .encrypt_padded::<Pkcs7>(&mut buf, plain.len())
            .map(<[u8]>::len)
            .unwrap_or(0);
        buf.truncate(len);
        assert_eq!(decrypt(&key, &iv, buf.clone()), Ok(plain.clone()));
        // A wrong IV garbles the first block only.
        let wrong = decrypt(&key, &[0; 16], buf).unwrap_or_default();
        assert_ne!(wrong[..16], plain[..16]);
        assert_eq!(wrong[16..], plain[16..]);
    }
}
