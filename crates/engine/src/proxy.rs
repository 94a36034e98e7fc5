//! Which proxy a request goes through, decided in one place for the
//! clients, the HTTP/2 probe, error messages and the status bar.
//!
//! - [`ProxyChoice::System`] (the default): the environment's `http_proxy`,
//!   `https_proxy`, `all_proxy` and `no_proxy`, as curl reads them; where
//!   none is set, the desktop's settings (GNOME, KDE, a PAC file) through
//!   the XDG desktop portal's `ProxyResolver`, when the session has one.
//! - [`ProxyChoice::Direct`]: no proxy, whatever the environment says.
//! - [`ProxyChoice::Manual`]: one proxy for every URL, HTTP, HTTPS or
//!   SOCKS5, with a user and password of its own.
//!
//! `no_proxy` (or `--noproxy`) lists hosts that go direct, as curl reads it:
//! names match themselves and their subdomains, addresses and networks
//! (`10.0.0.0/8`) match, `*` matches everything.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hyper_util::client::proxy::matcher::Matcher;
use url::Url;

use super::auth::{host_matches, redact_url, with_login};

/// Where requests go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProxyChoice {
    /// The environment's proxy variables, else the desktop's settings.
    #[default]
    System,
    /// No proxy.
    Direct,
    /// This proxy for every URL.
    Manual(ProxyServer),
}

/// A proxy: `http://`, `https://`, `socks5://` (the proxy's side resolves
/// nothing: names are looked up here) or `socks5h://` (names are looked up
/// by the proxy). Its credentials ride in the URL; `Debug` hides the
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyServer {
    url: Url,
}

impl std::fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProxyServer({})", self.shown())
    }
}

impl ProxyServer {
    /// Reads a proxy address as curl does: a missing scheme is `http://`,
    /// and `user`, when given, replaces the URL's own credentials
    /// (`USER:PASSWORD`, as `--proxy-user` takes them).
    pub fn parse(text: &str, user: Option<&str>) -> Result<ProxyServer, String> {
        let text = text.trim();
        let full = if text.contains("://") {
            text.to_string()
        } else {
            format!("http://{text}")
        };
        let mut url = Url::parse(&full).map_err(|e| format!("{}: {e}", crate::auth::redact(text)))?;
        match url.scheme() {
            "http" | "https" | "socks5" | "socks5h" => {}
            "socks" => {
                // What GNOME and KDE write for a SOCKS proxy.
                url = Url::parse(&full.replacen("socks://", "socks5h://", 1)).map_err(|e| e.to_string())?;
            }
            other => {
                return Err(format!(
                    "{other}:// is not a proxy fanout speaks: use http://, https://, socks5:// or socks5h://"
                ));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("no host in the proxy address {}", redact_url(&url)));
        }
        if let Some(user) = user {
            let (name, password) = user.split_once(':').unwrap_or((user, ""));
            // Only URLs with a host get here, and those take credentials.
            if let Some(with) = with_login(&url, name, password) {
                url = with;
            }
        }
        Ok(ProxyServer { url })
    }

    /// The address with its password, for the connection only.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The address as it may be shown: `http://alice:***@proxy:8080/`.
    pub fn shown(&self) -> String {
        redact_url(&self.url)
    }
}

/// The proxy settings of an engine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    pub choice: ProxyChoice,
    /// Hosts that go direct, instead of the environment's `no_proxy`.
    pub no_proxy: Option<String>,
}

/// The variable of `names` that is set, first found first.
fn env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| std::env::var(n).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

/// A fixed table: one proxy for http URLs, one for https, and the hosts
/// that bypass them.
struct Table {
    http: Option<ProxyServer>,
    https: Option<ProxyServer>,
    /// hyper-util's matcher, for its reading of `no_proxy` (as curl's).
    matcher: Matcher,
}

impl Table {
    fn new(http: Option<ProxyServer>, https: Option<ProxyServer>, no_proxy: &str) -> Table {
        let text = |p: &Option<ProxyServer>| p.as_ref().map_or_else(String::new, |p| p.url.to_string());
        let matcher = Matcher::builder()
            .http(text(&http))
            .https(text(&https))
            .no(no_proxy)
            .build();
        Table { http, https, matcher }
    }

    fn via(&self, url: &Url) -> Option<&ProxyServer> {
        let uri: http::Uri = url.as_str().parse().ok()?;
        self.matcher.intercept(&uri)?;
        match url.scheme() {
            "https" => self.https.as_ref(),
            _ => self.http.as_ref(),
        }
    }
}

/// How a URL's proxy is found.
enum Finder {
    Direct,
    Table(Table),
    /// The desktop's settings, asked per host and remembered.
    Portal(portal::Resolver),
}

impl Finder {
    fn new(choice: &ProxyChoice, no_proxy: &str) -> Finder {
        match choice {
            ProxyChoice::Direct => Finder::Direct,
            ProxyChoice::Manual(p) => Finder::Table(Table::new(Some(p.clone()), Some(p.clone()), no_proxy)),
            ProxyChoice::System => {
                let read = |names: &[&str]| {
                    env(names).and_then(|v| {
                        ProxyServer::parse(&v, None)
                            .inspect_err(|e| tracing::warn!("proxy from the environment not used: {e}"))
                            .ok()
                    })
                };
                let all = read(&["all_proxy", "ALL_PROXY"]);
                // curl reads http_proxy in lower case only (a CGI script
                // gets the request's `Proxy:` header as HTTP_PROXY).
                let http = read(&["http_proxy"]).or_else(|| all.clone());
                let https = read(&["https_proxy", "HTTPS_PROXY"]).or_else(|| all.clone());
                if http.is_some() || https.is_some() {
                    Finder::Table(Table::new(http, https, no_proxy))
                } else {
                    Finder::Portal(portal::Resolver::new(no_proxy))
                }
            }
        }
    }

    fn via(&self, url: &Url) -> Option<ProxyServer> {
        match self {
            Finder::Direct => None,
            Finder::Table(t) => t.via(url).cloned(),
            Finder::Portal(p) => p.known(url),
        }
    }

    fn shown(&self) -> Option<String> {
        match self {
            Finder::Direct => None,
            Finder::Table(t) => match (&t.http, &t.https) {
                (Some(a), Some(b)) if a != b => Some(format!("{} (http), {} (https)", a.shown(), b.shown())),
                (a, b) => a.as_ref().or(b.as_ref()).map(ProxyServer::shown),
            },
            Finder::Portal(p) => p.last().map(|s| s.shown()),
        }
    }
}

/// The engine's proxy, and those of the per-site rules that set one.
struct Routes {
    /// Host pattern and its finder, first match first.
    sites: Vec<(String, Finder)>,
    default: Finder,
}

/// The proxy of each request, for an engine's clients. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Route(Arc<Routes>);

impl Route {
    /// `sites`: the proxies per-site rules set (host pattern, choice).
    pub(crate) fn new(config: &ProxyConfig, sites: &[(String, ProxyChoice)]) -> Route {
        let no_proxy = config
            .no_proxy
            .clone()
            .or_else(|| env(&["no_proxy", "NO_PROXY"]))
            .unwrap_or_default();
        Route(Arc::new(Routes {
            sites: sites
                .iter()
                .map(|(pattern, choice)| (pattern.clone(), Finder::new(choice, "")))
                .collect(),
            default: Finder::new(&config.choice, &no_proxy),
        }))
    }

    fn finder(&self, url: &Url) -> &Finder {
        let host = url.host_str().unwrap_or_default();
        self.0
            .sites
            .iter()
            .find(|(pattern, _)| host_matches(pattern, host))
            .map_or(&self.0.default, |(_, f)| f)
    }

    /// The proxy `url` goes through, when it is known without asking.
    pub(crate) fn via(&self, url: &Url) -> Option<ProxyServer> {
        self.finder(url).via(url)
    }

    /// Learns the proxy of `url` where that takes asking (the portal), so
    /// [`Route::via`] knows it when the connection is made.
    pub(crate) async fn prepare(&self, url: &Url) {
        if let Finder::Portal(p) = self.finder(url) {
            p.ask(url).await;
        }
    }

    /// Whether every request goes direct.
    pub(crate) fn is_direct(&self) -> bool {
        let direct = |f: &Finder| matches!(f, Finder::Direct);
        direct(&self.0.default) && self.0.sites.iter().all(|(_, f)| direct(f))
    }

    /// The engine's proxy, for the status bar: the fixed one, or the last
    /// one the desktop named (a site's own shows on its rows).
    pub(crate) fn shown(&self) -> Option<String> {
        self.0.default.shown()
    }

    /// reqwest's view: the proxy of each connection, from [`Route::via`].
    pub(crate) fn reqwest(&self) -> Option<reqwest::Proxy> {
        if self.is_direct() {
            return None;
        }
        let route = self.clone();
        Some(reqwest::Proxy::custom(move |url| route.via(url).map(|p| p.url)))
    }
}

/// The XDG desktop portal's `org.freedesktop.portal.ProxyResolver`.
mod portal {
    use super::*;

    /// Scheme, host and port: what a proxy is chosen by.
    type Key = (String, String, u16);

    fn key(url: &Url) -> Option<Key> {
        Some((
            url.scheme().to_string(),
            url.host_str()?.to_string(),
            url.port_or_known_default()?,
        ))
    }

    pub(super) struct Resolver {
        /// The session's portal, once looked for (`None`: there is none).
        bus: tokio::sync::OnceCell<Option<zbus::Connection>>,
        known: Mutex<HashMap<Key, Option<ProxyServer>>>,
        last: Mutex<Option<ProxyServer>>,
        bypass: Matcher,
    }

    impl Resolver {
        pub(super) fn new(no_proxy: &str) -> Resolver {
            Resolver {
                bus: Default::default(),
                known: Mutex::default(),
                last: Mutex::default(),
                // Any proxy will do: only `no` is asked.
                bypass: Matcher::builder().all("http://0.0.0.0:1").no(no_proxy).build(),
            }
        }

        pub(super) fn known(&self, url: &Url) -> Option<ProxyServer> {
            crate::sync::lock(&self.known).get(&key(url)?).cloned().flatten()
        }

        pub(super) fn last(&self) -> Option<ProxyServer> {
            crate::sync::lock(&self.last).clone()
        }

        pub(super) async fn ask(&self, url: &Url) {
            let Some(k) = key(url) else { return };
            if crate::sync::lock(&self.known).contains_key(&k) {
                return;
            }
            let bypassed = url
                .as_str()
                .parse::<http::Uri>()
                .is_ok_and(|uri| self.bypass.intercept(&uri).is_none());
            let found = if bypassed { None } else { self.lookup(url).await };
            if let Some(p) = &found {
                *crate::sync::lock(&self.last) = Some(p.clone());
            }
            crate::sync::lock(&self.known).insert(k, found);
        }

        async fn lookup(&self, url: &Url) -> Option<ProxyServer> {
            let bus = self
                .bus
                .get_or_init(|| async { zbus::Connection::session().await.ok() })
                .await
                .as_ref()?;
            let answer: Result<Vec<String>, zbus::Error> = bus
                .call_method(
                    Some("org.freedesktop.portal.Desktop"),
                    "/org/freedesktop/portal/desktop",
                    Some("org.freedesktop.portal.ProxyResolver"),
                    "Lookup",
                    &(url.as_str(),),
                )
                .await
                .and_then(|reply| reply.body().deserialize());
            let proxies = match answer {
                Ok(p) => p,
                Err(e) => {
                    tracing::debug!("no proxy from the desktop portal: {e}");
                    return None;
                }
            };
            // The first usable answer; `direct://` means none.
            let found = proxies.iter().find_map(|p| match p.as_str() {
                "direct://" => Some(None),
                p => ProxyServer::parse(p, None).ok().map(Some),
            })?;
            tracing::debug!(url = %redact_url(url), proxy = ?found, "the desktop portal's proxy");
            found
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> Url {
        Url::parse(u).unwrap()
    }

    #[test]
    fn proxy_addresses_read_as_curl_reads_them() {
        let p = ProxyServer::parse("127.0.0.1:3128", None).unwrap();
        assert_eq!(p.url().as_str(), "http://127.0.0.1:3128/");
        let p = ProxyServer::parse("socks5h://proxy:1080", Some("bob:p@ss:word")).unwrap();
        assert_eq!(p.url().username(), "bob");
        assert_eq!(p.url().password(), Some("p%40ss%3Aword"));
        assert_eq!(p.shown(), "socks5h://bob:***@proxy:1080");
        assert!(!format!("{p:?}").contains("p%40ss"));
        assert_eq!(
            ProxyServer::parse("socks://gateway:1080", None)
                .unwrap()
                .url()
                .scheme(),
            "socks5h"
        );
        assert!(ProxyServer::parse("ftp://proxy:21", None).is_err());
    }

    #[test]
    fn no_proxy_hosts_go_direct() {
        let config = ProxyConfig {
            choice: ProxyChoice::Manual(ProxyServer::parse("http://p:8080", None).unwrap()),
            no_proxy: Some("example.org, 10.0.0.0/8".into()),
        };
        let route = Route::new(&config, &[("*.direct.org".into(), ProxyChoice::Direct)]);
        assert!(route.via(&url("http://example.com/a")).is_some());
        // A site's rule goes first.
        assert!(route.via(&url("http://dl.direct.org/a")).is_none());
        assert!(route.via(&url("https://example.com/a")).is_some());
        assert!(route.via(&url("http://example.org/a")).is_none());
        assert!(route.via(&url("http://dl.example.org/a")).is_none());
        assert!(route.via(&url("http://10.1.2.3/a")).is_none());
        let direct = Route::new(
            &ProxyConfig {
                choice: ProxyChoice::Direct,
                no_proxy: None,
            },
            &[],
        );
        assert!(direct.via(&url("http://example.com/a")).is_none());
        assert!(direct.reqwest().is_none());
    }
}
