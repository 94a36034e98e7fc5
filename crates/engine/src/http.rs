//! HTTP as the engine speaks it: which URLs it takes, the one client every
//! backend shares the settings of, where redirects may go, what a transport
//! error means to a user, and the range headers and validators a resume
//! is checked by.

use std::error::Error as StdError;
use std::io;
use std::sync::Arc;

use reqwest::header::{CONTENT_RANGE, ETAG, HeaderMap, HeaderValue, IF_RANGE, LAST_MODIFIED, RANGE};
use url::Url;

use super::config::EngineConfig;
use super::cookies::Cookies;
use super::error::{FetchError, RedirectError};
use super::proxy::Route;

/// A server must not be able to bounce a download around forever.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// Only absolute http(s) URLs with a host are downloadable.
pub fn parse_url(raw: &str) -> Result<Url, FetchError> {
    let url = Url::parse(raw.trim()).map_err(|e| FetchError::InvalidUrl(format!("{e}: {raw:?}")))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(FetchError::UnsupportedScheme(other.to_string())),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::InvalidUrl(format!("no host in {raw:?}")));
    }
    Ok(url)
}

/// Follows up to ten redirects and only to http(s): never to `file://`.
/// An https URL that lands on http is followed, as curl and aria2 do; the
/// transfer notes it in the task's log.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let scheme = attempt.url().scheme().to_string();
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(RedirectError::TooMany { max: MAX_REDIRECTS })
        } else if scheme != "http" && scheme != "https" {
            attempt.error(RedirectError::Scheme(scheme))
        } else {
            attempt.follow()
        }
    })
}

/// What every client of the engine shares: the user agent, the cookie jar,
/// the proxy, the redirect rules and the timeouts (see [`super::net`] for
/// the clients).
pub(crate) fn builder(config: &EngineConfig, cookies: Arc<Cookies>, route: &Route) -> reqwest::ClientBuilder {
    let b = reqwest::Client::builder()
        .user_agent(&config.user_agent)
        .cookie_provider(cookies)
        .redirect(redirect_policy())
        .connect_timeout(config.connect_timeout)
        // A stall watchdog: applies to each read, not to the whole body.
        .read_timeout(config.read_timeout)
        // Only the route decides: not reqwest's own reading of the
        // environment.
        .no_proxy();
    match route.reqwest() {
        Some(proxy) => b.proxy(proxy),
        None => b,
    }
}

/// Makes ring the process's TLS crypto provider, once, before any client is
/// built (reqwest is built without a provider of its own, and its builder
/// panics without one). A provider installed earlier by someone else is kept.
pub fn crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// `outer: inner: root`, skipping causes whose text the parent already shows.
pub(crate) fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Whether `err`'s causes include a certificate that was not accepted.
fn untrusted_certificate(err: &(dyn StdError + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented
                    | rustls::Error::InvalidCertRevocationList(_)
            );
        }
        cur = match e.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            Some(inner) => Some(inner),
            None => e.source(),
        };
    }
    false
}

/// A body that stopped after `received` bytes (of `expected`, when
/// known) with `err`: a timeout stays one, anything else is an
/// interruption with its cause.
pub(crate) fn interrupted(
    received: u64,
    expected: Option<u64>,
    err: &(dyn StdError + 'static),
) -> FetchError {
    match transport_error(err) {
        timeout @ FetchError::Timeout(_) => timeout,
        other => FetchError::Interrupted {
            received,
            expected,
            cause: Some(other.to_string()),
        },
    }
}

/// Turns a transport error (from sending or from reading the body) into a
/// reason a user can read.
pub(crate) fn transport_error(err: &(dyn StdError + 'static)) -> FetchError {
    if untrusted_certificate(err) {
        return FetchError::Tls(chain(err));
    }
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<RedirectError>() {
            return FetchError::Redirect(r.clone());
        }
        if let Some(re) = e.downcast_ref::<reqwest::Error>() {
            if re.is_redirect()
                && let Some(r) = typed_cause::<RedirectError>(re)
            {
                return FetchError::Redirect(r);
            }
            // reqwest's own text repeats the URL, which the result already
            // carries: the causes say what went wrong.
            let text = re.source().map_or_else(|| chain(re), chain);
            if re.is_timeout() {
                return FetchError::Timeout(text);
            }
            if re.is_connect() {
                return FetchError::Connect(text);
            }
            return FetchError::Transport(text);
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::TimedOut {
                return FetchError::Timeout(chain(err));
            }
            if let Some(inner) = io.get_ref() {
                cur = Some(inner);
                continue;
            }
        }
        cur = e.source();
    }
    FetchError::Transport(chain(err))
}

fn typed_cause<T: StdError + Clone + 'static>(err: &(dyn StdError + 'static)) -> Option<T> {
    let mut cur = err.source();
    while let Some(e) = cur {
        if let Some(t) = e.downcast_ref::<T>() {
            return Some(t.clone());
        }
        cur = e.source();
    }
    None
}

/// A `Content-Range: bytes FIRST-LAST/TOTAL` header, read strictly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ContentRange {
    pub first: u64,
    /// The last byte sent (inclusive, as the header says it).
    pub last: u64,
    /// The whole file's size; `None` for `*`.
    pub total: Option<u64>,
}

impl ContentRange {
    /// How many bytes the range holds; `None` for an inverted one.
    pub(crate) fn len(&self) -> Option<u64> {
        self.last.checked_add(1)?.checked_sub(self.first)
    }
}

/// `bytes FIRST-LAST/TOTAL` (TOTAL may be `*`).
pub(crate) fn content_range(headers: &HeaderMap) -> Option<ContentRange> {
    let v = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    let (range, total) = v.strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let total = if total == "*" {
        None
    } else {
        Some(total.parse().ok()?)
    };
    Some(ContentRange {
        first: a.parse().ok()?,
        last: b.parse().ok()?,
        total,
    })
}

/// The `Content-Range` a server sent, as text, for an error message.
pub(crate) fn content_range_text(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_RANGE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// `ETag`, else `Last-Modified`: what says the bytes of two responses
/// belong to the same file.
pub(crate) fn validator(headers: &HeaderMap) -> Option<String> {
    headers
        .get(ETAG)
        .or_else(|| headers.get(LAST_MODIFIED))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `Range: bytes=FROM-` (or `FROM-LAST` when `to` is given, `to` exclusive)
/// and `If-Range` with the validator, so a file that changed on the server
/// comes back whole instead of spliced. (The validator came from a response
/// header, so it is a valid header value.)
pub(crate) fn range_headers(from: u64, to: Option<u64>, validator: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    let range = match to {
        Some(to) => format!("bytes={from}-{}", to.saturating_sub(1)),
        None => format!("bytes={from}-"),
    };
    if let Ok(v) = HeaderValue::from_str(&range) {
        h.insert(RANGE, v);
    }
    if let Some(v) = validator.and_then(|v| HeaderValue::from_str(v).ok()) {
        h.insert(IF_RANGE, v);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_is_read_strictly() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(CONTENT_RANGE, v.parse().unwrap());
            m
        };
        let r = |first, last, total| Some(ContentRange { first, last, total });
        // One row per case, as xh tests its header parsing.
        let cases = [
            ("bytes 100-199/200", r(100, 199, Some(200))),
            ("bytes 0-9/*", r(0, 9, None)),
            // An inverted range parses; its length is `None`, so the
            // caller's length check refuses it without overflowing.
            ("bytes 9-0/10", r(9, 0, Some(10))),
            ("bytes */200", None),
            ("bytes 5-x/10", None),
            ("items 0-1/2", None),
            ("bytes 0-1", None),
            ("bytes 0-1/x", None),
        ];
        for (text, want) in cases {
            assert_eq!(content_range(&h(text)), want, "{text}");
        }
        assert_eq!(r(9, 0, None).and_then(|c| c.len()), None);
        assert_eq!(r(0, u64::MAX, None).and_then(|c| c.len()), None);
        assert_eq!(r(100, 199, None).and_then(|c| c.len()), Some(100));
    }

    #[test]
    fn range_headers_ask_for_the_rest_or_an_exact_range() {
        let h = range_headers(100, None, Some("\"v1\""));
        assert_eq!(h[RANGE], "bytes=100-");
        assert_eq!(h[IF_RANGE], "\"v1\"");
        let h = range_headers(0, Some(1024), None);
        assert_eq!(h[RANGE], "bytes=0-1023");
        assert!(h.get(IF_RANGE).is_none());
    }

    #[test]
    fn only_absolute_http_urls_are_accepted() {
        assert!(parse_url("http://example.com/a.jpg").is_ok());
        assert!(parse_url("  https://example.com/a.jpg  ").is_ok());
        assert!(
            matches!(parse_url("ftp://example.com/a"), Err(FetchError::UnsupportedScheme(s)) if s == "ftp")
        );
        assert!(matches!(
            parse_url("file:///etc/passwd"),
            Err(FetchError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            parse_url("example.com/a.jpg"),
            Err(FetchError::InvalidUrl(_))
        ));
        assert!(matches!(parse_url("http://"), Err(FetchError::InvalidUrl(_))));
        assert!(matches!(parse_url("not a url"), Err(FetchError::InvalidUrl(_))));
    }
}
