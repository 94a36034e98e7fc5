//! Request headers a download carries of its own (`-H`, `--referer`,
//! `--user-agent`, an extension's `header` option): checked once, where they
//! come in, so a header that would break a request is an error on its line
//! and never reaches a server. `Cookie` and `Authorization` values are
//! secrets: `Debug` shows their names only.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// Headers fanout writes itself; a user's would break resume or framing.
const OWN: [&str; 6] = [
    "range",
    "if-range",
    "content-length",
    "transfer-encoding",
    "connection",
    "host",
];

/// Headers whose values are secrets (kept out of logs and `Debug`).
const SECRET: [&str; 3] = ["cookie", "authorization", "proxy-authorization"];

/// Why a header line was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("{0:?} is not a header: expected \"Name: value\"")]
    NoColon(String),
    #[error("{0:?} is not a valid header name")]
    Name(String),
    #[error("the value of {0} has a line break or a control character")]
    Value(String),
    #[error("{0} is set by fanout itself and cannot be given")]
    Own(String),
}

/// One checked header.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    name: HeaderName,
    value: HeaderValue,
}

impl Header {
    /// Reads `Name: value` (the value may be empty, as curl allows).
    pub fn parse(line: &str) -> Result<Header, HeaderError> {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| HeaderError::NoColon(line.into()))?;
        Header::new(name.trim(), value.trim())
    }

    pub fn new(name: &str, value: &str) -> Result<Header, HeaderError> {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| HeaderError::Name(name.into()))?;
        if OWN.contains(&name.as_str()) {
            return Err(HeaderError::Own(name.to_string()));
        }
        let value = HeaderValue::from_str(value).map_err(|_| HeaderError::Value(name.to_string()))?;
        Ok(Header { name, value })
    }

    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The value as text (lossy for non-UTF-8 bytes).
    pub fn value(&self) -> String {
        String::from_utf8_lossy(self.value.as_bytes()).into_owned()
    }

    /// Whether the value is a secret (a cookie, credentials).
    pub fn is_secret(&self) -> bool {
        SECRET.contains(&self.name.as_str())
    }

    /// The value as it may be shown or logged: a secret's is `***`.
    pub fn shown_value(&self) -> String {
        if self.is_secret() {
            super::auth::HIDDEN.to_string()
        } else {
            self.value()
        }
    }

    /// `Name: value`, as [`Header::parse`] reads it back. Holds the secret:
    /// for the saved queue, never for a log.
    pub fn line(&self) -> String {
        format!("{}: {}", self.name, self.value())
    }
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_secret() {
            write!(f, "{}: {}", self.name, self.shown_value())
        } else {
            write!(f, "{}: {:?}", self.name, self.value())
        }
    }
}

/// A download's own headers, in the order given; a later one of the same
/// name replaces an earlier one (as `-H` does in curl).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers(Vec<Header>);

impl Headers {
    pub fn push(&mut self, header: Header) {
        self.0.retain(|h| h.name != header.name);
        self.0.push(header);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.0.iter()
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|h| h.name.as_str().eq_ignore_ascii_case(name))
            .map(Header::value)
    }

    /// What every request of the download sends. reqwest drops `Cookie`
    /// and `Authorization` on a redirect to another host, as curl does.
    pub fn to_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for h in &self.0 {
            let mut value = h.value.clone();
            value.set_sensitive(h.is_secret());
            map.insert(h.name.clone(), value);
        }
        map
    }
}

impl FromIterator<Header> for Headers {
    fn from_iter<I: IntoIterator<Item = Header>>(iter: I) -> Self {
        let mut headers = Headers::default();
        for h in iter {
            headers.push(h);
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_that_would_break_a_request_is_refused() {
        assert_eq!(Header::parse("X-A: 1").unwrap().line(), "x-a: 1");
        assert!(matches!(Header::parse("no colon"), Err(HeaderError::NoColon(_))));
        assert!(matches!(Header::parse("Bad Name: 1"), Err(HeaderError::Name(_))));
        assert!(matches!(
            Header::parse("X-A: 1\r\nHost: evil"),
            Err(HeaderError::Value(_))
        ));
        assert!(matches!(
            Header::parse("Range: bytes=0-"),
            Err(HeaderError::Own(_))
        ));
    }

    #[test]
    fn secrets_stay_out_of_debug_and_a_later_header_replaces_an_earlier() {
        let h: Headers = [
            "Cookie: sid=hunter2",
            "Referer: https://a/",
            "referer: https://b/",
        ]
        .into_iter()
        .map(|l| Header::parse(l).unwrap())
        .collect();
        let shown = format!("{h:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("cookie: ***"), "{shown}");
        assert_eq!(h.get("Referer").as_deref(), Some("https://b/"));
        assert_eq!(h.to_map().len(), 2);
    }
}
