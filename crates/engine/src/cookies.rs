//! Cookies as browsers export them (the Netscape `cookies.txt` that curl,
//! wget, aria2 and yt-dlp read), in one jar per engine that each request
//! asks, redirects included: a request gets only the cookies whose domain,
//! path and scheme match it, and none that expired. Cookies a server sets
//! while downloading join the jar for the rest of the run (a download page
//! that sets a cookie, then redirects to the file, works). A download's own
//! `Cookie` header wins over the jar.
//!
//! A file is read once per engine, by the first download that names it,
//! off the caller's thread. Values are secrets: `Debug` shows names only.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderValue;
use url::Url;

use crate::sync;

/// One cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct Cookie {
    /// Without a leading dot, lower case.
    domain: String,
    /// Sent to subdomains of `domain` too.
    subdomains: bool,
    path: String,
    secure: bool,
    /// Seconds since the epoch; `None` lasts the session.
    expires: Option<u64>,
    name: String,
    value: String,
}

impl std::fmt::Debug for Cookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}=*** ({}{})", self.name, self.domain, self.path)
    }
}

/// A line of a cookies file that is not a cookie.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct CookieFileError {
    pub line: usize,
    pub reason: String,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Cookie {
    fn matches(&self, url: &Url, now: u64) -> bool {
        let Some(host) = url.host_str() else { return false };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let domain_ok = host == self.domain
            || (self.subdomains
                && host.ends_with(&self.domain)
                && host[..host.len() - self.domain.len()].ends_with('.'));
        domain_ok
            && path_matches(url.path(), &self.path)
            && (!self.secure || url.scheme() == "https")
            && self.expires.is_none_or(|t| t > now)
    }
}

/// RFC 6265's path-match: the same path, or one under it.
fn path_matches(request: &str, cookie: &str) -> bool {
    request == cookie
        || (request.starts_with(cookie)
            && (cookie.ends_with('/') || request[cookie.len()..].starts_with('/')))
}

/// Reads a Netscape cookies file: tab-separated `domain`, subdomains flag,
/// `path`, secure flag, expiry (0 for a session cookie), name, value.
/// Lines starting `#HttpOnly_` are cookies; other `#` lines are comments.
pub fn parse(text: &str) -> Result<Vec<Cookie>, CookieFileError> {
    let flag = |v: &str, line: usize, what: &str| match v.to_ascii_uppercase().as_str() {
        "TRUE" => Ok(true),
        "FALSE" => Ok(false),
        _ => Err(CookieFileError {
            line,
            reason: format!("{what} must be TRUE or FALSE, not {v:?}"),
        }),
    };
    let mut out = Vec::new();
    for (i, raw) in text.strip_prefix('\u{feff}').unwrap_or(text).lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_end_matches('\r');
        let raw = raw.strip_prefix("#HttpOnly_").unwrap_or(raw);
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = raw.split('\t').collect();
        if f.len() != 7 {
            return Err(CookieFileError {
                line,
                reason: format!("expected 7 tab-separated fields, found {}", f.len()),
            });
        }
        let expires: u64 = f[4].trim().parse().map_err(|_| CookieFileError {
            line,
            reason: format!("the expiry {:?} is not a number", f[4]),
        })?;
        let domain = f[0].trim().to_ascii_lowercase();
        out.push(Cookie {
            subdomains: flag(f[1], line, "the subdomains flag")? || domain.starts_with('.'),
            domain: domain.trim_start_matches('.').to_string(),
            path: if f[2].is_empty() {
                "/".into()
            } else {
                f[2].to_string()
            },
            secure: flag(f[3], line, "the secure flag")?,
            expires: (expires > 0).then_some(expires),
            name: f[5].to_string(),
            value: f[6].to_string(),
        });
    }
    Ok(out)
}

/// A `Set-Cookie` header from `url`'s server, as the jar keeps it; `None`
/// for one that is malformed or names another site.
fn from_set_cookie(header: &str, url: &Url, now: u64) -> Option<Cookie> {
    let mut parts = header.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let host = url.host_str()?.to_ascii_lowercase();
    let default_path = match url.path().rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => url.path()[..i].to_string(),
    };
    let mut c = Cookie {
        domain: host.clone(),
        subdomains: false,
        path: default_path,
        secure: false,
        expires: None,
        name: name.trim().to_string(),
        value: value.trim().to_string(),
    };
    for attr in parts {
        let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
        match k.trim().to_ascii_lowercase().as_str() {
            "domain" => {
                let d = v.trim().trim_start_matches('.').to_ascii_lowercase();
                // Only this host or a domain above it, never another site.
                if host != d && !host.ends_with(&format!(".{d}")) {
                    return None;
                }
                c.domain = d;
                c.subdomains = true;
            }
            "path" if v.trim().starts_with('/') => c.path = v.trim().to_string(),
            "secure" => c.secure = true,
            "max-age" => {
                let secs: i64 = v.trim().parse().ok()?;
                c.expires = Some(if secs <= 0 { 1 } else { now + secs as u64 });
            }
            _ => {}
        }
    }
    (!c.name.is_empty()).then_some(c)
}

/// The engine's cookie jar.
#[derive(Default)]
pub struct Cookies {
    jar: RwLock<Vec<Cookie>>,
    /// Files already read into the jar.
    loaded: std::sync::Mutex<HashSet<PathBuf>>,
}

impl Cookies {
    /// Puts cookies in the jar; one with the same name, domain and path is
    /// replaced.
    pub fn add(&self, cookies: Vec<Cookie>) {
        let mut jar = sync::write(&self.jar);
        for c in cookies {
            jar.retain(|o| !(o.name == c.name && o.domain == c.domain && o.path == c.path));
            jar.push(c);
        }
    }

    /// Reads `path` into the jar, once: later calls for the same file do
    /// nothing. The error says which line is wrong.
    pub fn load_once(&self, path: &Path) -> Result<(), String> {
        let mut loaded = sync::lock(&self.loaded);
        if loaded.contains(path) {
            return Ok(());
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let cookies = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        self.add(cookies);
        loaded.insert(path.to_path_buf());
        Ok(())
    }

    /// The `Cookie` header for a request to `url`: longer paths first.
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let now = now();
        let jar = sync::read(&self.jar);
        let mut matching: Vec<&Cookie> = jar.iter().filter(|c| c.matches(url, now)).collect();
        if matching.is_empty() {
            return None;
        }
        matching.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        Some(
            matching
                .iter()
                .map(|c| format!("{}={}", c.name, c.value))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

impl reqwest::cookie::CookieStore for Cookies {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        let now = now();
        let set: Vec<Cookie> = headers
            .filter_map(|h| h.to_str().ok())
            .filter_map(|h| from_set_cookie(h, url, now))
            .collect();
        if !set.is_empty() {
            self.add(set);
        }
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        let mut v = HeaderValue::from_str(&self.header_for(url)?).ok()?;
        v.set_sensitive(true);
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# Netscape HTTP Cookie File\n\
        .example.com\tTRUE\t/\tFALSE\t0\tall\t1\n\
        example.com\tFALSE\t/docs\tFALSE\t0\tdocs\t2\n\
        #HttpOnly_example.com\tFALSE\t/\tTRUE\t0\tsecure\t3\n\
        example.com\tFALSE\t/\tFALSE\t1000\told\t4\n\
        other.org\tFALSE\t/\tFALSE\t0\telse\t5\n";

    fn header(jar: &Cookies, url: &str) -> Option<String> {
        jar.header_for(&Url::parse(url).unwrap())
    }

    #[test]
    fn each_request_gets_the_cookies_of_its_domain_path_and_scheme() {
        let jar = Cookies::default();
        jar.add(parse(FILE).unwrap());
        assert_eq!(header(&jar, "http://example.com/a").as_deref(), Some("all=1"));
        assert_eq!(
            header(&jar, "http://example.com/docs/x").as_deref(),
            Some("docs=2; all=1")
        );
        assert_eq!(header(&jar, "http://example.com/docsx").as_deref(), Some("all=1"));
        assert_eq!(
            header(&jar, "https://example.com/").as_deref(),
            Some("all=1; secure=3")
        );
        assert_eq!(header(&jar, "http://cdn.example.com/").as_deref(), Some("all=1"));
        assert_eq!(header(&jar, "http://badexample.com/"), None);
        assert_eq!(header(&jar, "http://other.org/").as_deref(), Some("else=5"));
        // Values stay out of Debug.
        assert!(!format!("{:?}", parse(FILE).unwrap()).contains("=1"));
    }

    #[test]
    fn a_bad_line_is_named_and_set_cookie_stays_on_its_site() {
        let e = parse("example.com\tTRUE\t/\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(parse("a\tMAYBE\t/\tFALSE\t0\tn\tv").is_err());
        let url = Url::parse("http://dl.example.com/get/file").unwrap();
        let c = from_set_cookie("token=abc; Path=/; Domain=example.com; Max-Age=60", &url, 100).unwrap();
        assert!(c.matches(&Url::parse("http://files.example.com/x").unwrap(), 100));
        assert!(from_set_cookie("t=1; Domain=evil.org", &url, 100).is_none());
        let host_only = from_set_cookie("t=1", &url, 100).unwrap();
        assert_eq!(host_only.path, "/get");
        assert!(!host_only.matches(&Url::parse("http://example.com/get").unwrap(), 100));
    }
}
