//! Per-site rules: a host pattern (`example.com`, `*.example.com`, `*`)
//! and what downloads from matching hosts get: connections per file, a
//! speed limit, at most so many files at once, a folder, a proxy, headers,
//! a user agent, and the user name of their login (the password is the
//! saved login's, in the keyring: never in the rules file). The first rule
//! whose pattern matches applies. Written as TOML (`rules.toml` in the
//! config folder for the window; `fanout get --rules FILE`):
//!
//! ```toml
//! [[rule]]
//! hosts = "*.example.com"
//! connections = 4
//! limit = "500K"
//! max_files = 2
//! folder = "/home/me/Downloads/example"
//! proxy = "socks5h://127.0.0.1:1080"   # or "none", "system"
//! user_agent = "Mozilla/5.0"
//! headers = ["Referer: https://example.com/"]
//! user = "alice"
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;

pub use super::auth::host_matches;
use super::headers::{Header, Headers};
use super::limit::parse_rate;
use super::proxy::{ProxyChoice, ProxyServer};

/// One rule, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteRule {
    pub hosts: String,
    pub connections: Option<usize>,
    /// Bytes per second, for each file.
    pub limit: Option<u64>,
    pub max_files: Option<usize>,
    pub folder: Option<PathBuf>,
    pub proxy: Option<ProxyChoice>,
    pub headers: Headers,
    pub user_agent: Option<String>,
    /// The login's user; its password is the saved login's.
    pub user: Option<String>,
}

/// The proxy choices of the rules that set one, by host pattern (for the
/// route, see `ProxyConfig`).
impl SiteRules {
    pub fn proxies(&self) -> Vec<(String, ProxyChoice)> {
        self.0
            .iter()
            .filter_map(|r| Some((r.hosts.clone(), r.proxy.clone()?)))
            .collect()
    }
}

/// The rules, first match first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteRules(pub Vec<SiteRule>);

/// A rule as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    hosts: String,
    connections: Option<usize>,
    limit: Option<String>,
    max_files: Option<usize>,
    folder: Option<PathBuf>,
    proxy: Option<String>,
    #[serde(default)]
    headers: Vec<String>,
    user_agent: Option<String>,
    user: Option<String>,
    /// Refused with a reason: passwords live in the keyring.
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rule: Vec<Written>,
}

impl SiteRules {
    /// Reads the rules file's text; an error names the rule and the field.
    pub fn parse(text: &str) -> Result<SiteRules, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        file.rule
            .into_iter()
            .enumerate()
            .map(|(i, w)| check(w).map_err(|e| format!("rule {}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()
            .map(SiteRules)
    }

    /// The rule for `host`, with its place in the list.
    pub fn for_host(&self, host: &str) -> Option<(usize, &SiteRule)> {
        self.0
            .iter()
            .enumerate()
            .find(|(_, r)| host_matches(&r.hosts, host))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn check(w: Written) -> Result<SiteRule, String> {
    if w.hosts.trim().is_empty() {
        return Err("hosts is empty".into());
    }
    if w.password.is_some() {
        return Err(
            "a password does not go in the rules file: fanout asks for it at the first 401 and keeps it in the keyring"
                .into(),
        );
    }
    // (More than the engine's most are cut to it where the rule applies.)
    if w.connections == Some(0) {
        return Err("connections = 0: at least 1".into());
    }
    if w.max_files == Some(0) {
        return Err("max_files = 0: at least 1".into());
    }
    let limit = match &w.limit {
        Some(text) => parse_rate(text).map_err(|e| format!("limit: {e}"))?,
        None => None,
    };
    let proxy = match w.proxy.as_deref().map(str::trim) {
        None => None,
        Some("system") => Some(ProxyChoice::System),
        Some("none" | "") => Some(ProxyChoice::Direct),
        Some(url) => Some(ProxyChoice::Manual(
            ProxyServer::parse(url, None).map_err(|e| format!("proxy: {e}"))?,
        )),
    };
    let mut headers = Headers::default();
    for line in &w.headers {
        headers.push(Header::parse(line).map_err(|e| format!("headers: {e}"))?);
    }
    if let Some(ua) = &w.user_agent {
        headers.push(Header::new("user-agent", ua).map_err(|e| format!("user_agent: {e}"))?);
    }
    Ok(SiteRule {
        hosts: w.hosts.trim().to_string(),
        connections: w.connections,
        limit,
        max_files: w.max_files,
        folder: w.folder,
        proxy,
        headers,
        user_agent: w.user_agent,
        user: w.user,
    })
}

/// How many files of one rule run now, against its `max_files`.
#[derive(Debug)]
pub(crate) struct RuleSlot {
    max: usize,
    running: AtomicUsize,
}

impl RuleSlot {
    pub(crate) fn new(max: usize) -> Arc<RuleSlot> {
        Arc::new(RuleSlot {
            max,
            running: AtomicUsize::new(0),
        })
    }

    /// Whether one more may start (asked under the queue's lock).
    pub(crate) fn has_room(&self) -> bool {
        self.running.load(Ordering::SeqCst) < self.max
    }

    pub(crate) fn take(&self) {
        self.running.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn give(&self) {
        let _ = self
            .running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_with_their_fields_and_refuse_passwords() {
        let rules = SiteRules::parse(
            "[[rule]]\nhosts = \"*.example.com\"\nconnections = 4\nlimit = \"500K\"\nmax_files = 2\n\
             proxy = \"none\"\nuser_agent = \"UA/1\"\nheaders = [\"Referer: https://example.com/\"]\n\
             [[rule]]\nhosts = \"*\"\nfolder = \"/tmp/all\"\n",
        )
        .unwrap();
        let (i, r) = rules.for_host("dl.example.com").unwrap();
        assert_eq!(
            (i, r.connections, r.limit, r.max_files),
            (0, Some(4), Some(500 * 1024), Some(2))
        );
        assert_eq!(r.proxy, Some(ProxyChoice::Direct));
        assert_eq!(r.headers.iter().count(), 2);
        assert_eq!(rules.for_host("other.org").unwrap().0, 1);
        let err = SiteRules::parse("[[rule]]\nhosts = \"a\"\npassword = \"x\"\n").unwrap_err();
        assert!(err.contains("keyring"), "{err}");
        let err = SiteRules::parse("[[rule]]\nhosts = \"a\"\nconections = 4\n").unwrap_err();
        assert!(err.contains("conections"), "{err}");
        assert!(SiteRules::parse("[[rule]]\nhosts = \"a\"\nlimit = \"fast\"\n").is_err());
    }
}
