//! Which connection a request goes over: the clients a backend's transfers
//! share, and what each HTTPS server is known to speak.
//!
//! - Over HTTP/1.1 a connection carries one request at a time, so `-j`
//!   files at once open at most `-j` connections, kept alive and reused.
//! - Over HTTP/2 the files to one host share one connection, multiplexed up
//!   to the server's stream limit, as curl does. hyper only waits for a
//!   host's first connection when it knows in advance that the host speaks
//!   HTTP/2; otherwise 64 files to a new host start 64 TLS handshakes at
//!   once. So the first file to a new HTTPS host goes at once (a single
//!   download never waits), and a second one that comes while the first
//!   is still unanswered asks the host what it speaks with one TLS
//!   handshake of its own (the probe, shared by every file that waits).
//!   Hosts that speak HTTP/2 then get the HTTP/2-only client, which opens
//!   one connection per host and multiplexes every file over it.
//! - The segments of one file each get a connection of their own (HTTP/1.1
//!   over TLS), because servers cap each connection, which is why segments
//!   exist.
//!
//! One TLS configuration serves every client and the probe: rustls with
//! ring, and the system's trust store (see [`tls_config`]).

use std::collections::HashMap;
use std::error::Error as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Response, Version};
use tokio::sync::OnceCell;
use url::{Host, Url};

use super::config::{EngineConfig, EngineError};
use super::cookies::Cookies;
use super::error::FetchError;
use super::http::{self, crypto_provider};
use super::proxy::Route;
use crate::sync;

/// HTTP/2 flow-control windows: how much a server may send before fanout
/// has read it. hyper's defaults (2 MiB a stream) would cap one stream at
/// 20 MB/s on a 100 ms path; curl allows 10 MiB.
const STREAM_WINDOW: u32 = 8 << 20;
const CONNECTION_WINDOW: u32 = 16 << 20;

/// What an HTTPS server answered with, or said in its TLS handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Speaks {
    Http2,
    Http1,
}

/// An HTTPS server, as its connections are pooled.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Origin {
    host: Host,
    port: u16,
}

impl Origin {
    fn of(url: &Url) -> Option<Origin> {
        (url.scheme() == "https").then_some(())?;
        Some(Origin {
            host: url.host()?.to_owned(),
            port: url.port_or_known_default()?,
        })
    }
}

enum Known {
    /// A first request is on its way; the probe's answer, once asked.
    First(Arc<OnceCell<Option<Speaks>>>),
    Answered(Speaks),
}

/// The clients of one backend. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Clients(Arc<Inner>);

struct Inner {
    /// Offers HTTP/2 and HTTP/1.1 (ALPN): first contact, plain HTTP, and
    /// HTTPS servers that answered in HTTP/1.1.
    any: reqwest::Client,
    /// HTTP/2 only: one shared connection per host.
    http2: reqwest::Client,
    /// HTTP/1.1 only: a connection per request in flight (segments).
    http1: reqwest::Client,
    tls: Arc<rustls::ClientConfig>,
    connect_timeout: Duration,
    /// Which proxy each request goes through.
    route: Route,
    known: Mutex<HashMap<Origin, Known>>,
}

/// rustls with ring, verifying against the system's trust store through
/// the platform verifier (on Linux the CA bundle, or the one `SSL_CERT_FILE`
/// or `SSL_CERT_DIR` names), loaded once for all clients.
fn tls_config() -> Result<rustls::ClientConfig, EngineError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    crypto_provider();
    Ok(rustls::ClientConfig::builder()
        .with_platform_verifier()
        .map_err(|e| EngineError::Client(format!("TLS: {e}")))?
        .with_no_client_auth())
}

fn alpn(tls: &rustls::ClientConfig, protocols: &[&[u8]]) -> rustls::ClientConfig {
    let mut tls = tls.clone();
    tls.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
    tls
}

impl Clients {
    /// Built inside the runtime that will drive the connections.
    pub(crate) fn new(config: &EngineConfig, cookies: &Arc<Cookies>) -> Result<Clients, EngineError> {
        let tls = tls_config()?;
        let route = Route::new(&config.proxy, &config.rules.proxies());
        let build = |protocols: &[&[u8]], http2_only: bool| {
            let b = http::builder(config, cookies.clone(), &route)
                .tls_backend_preconfigured(alpn(&tls, protocols))
                .http2_initial_stream_window_size(STREAM_WINDOW)
                .http2_initial_connection_window_size(CONNECTION_WINDOW);
            let b = if http2_only { b.http2_prior_knowledge() } else { b };
            b.build().map_err(|e| EngineError::Client(http::chain(&e)))
        };
        Ok(Clients(Arc::new(Inner {
            any: build(&[b"h2", b"http/1.1"], false)?,
            http2: build(&[b"h2"], true)?,
            http1: build(&[b"http/1.1"], false)?,
            tls: Arc::new(alpn(&tls, &[b"h2", b"http/1.1"])),
            connect_timeout: config.connect_timeout,
            route,
            known: Mutex::default(),
        })))
    }

    /// A GET for a whole file (or the rest of one): over the host's shared
    /// HTTP/2 connection when it has one. A transport error there (not a
    /// timeout, which would only wait again, nor a redirect refused) is
    /// asked again at once over a connection that offers both versions (a
    /// redirect may lead to a server without HTTP/2).
    pub(crate) async fn get(&self, url: &Url, headers: HeaderMap) -> reqwest::Result<Response> {
        self.0.route.prepare(url).await;
        let speaks = self.speaks(url).await;
        let send = |client: &reqwest::Client| client.get(url.clone()).headers(headers.clone()).send();
        let sent = match speaks {
            Some(Speaks::Http2) => match send(&self.0.http2).await {
                Err(e) if !(e.is_timeout() || e.is_redirect()) => {
                    tracing::debug!(url = %super::auth::redact_url(url), error = %http::chain(&e), "HTTP/2 connection failed; asking again");
                    send(&self.0.any).await
                }
                other => other,
            },
            _ => send(&self.0.any).await,
        };
        if let Ok(resp) = &sent {
            self.answered(resp.url(), resp.version());
        }
        sent
    }

    /// What a failed request means to a user: through a proxy, a failure
    /// to connect is the proxy's (it refused, or would not let the request
    /// through), which is final: asking again would not get past it.
    pub(crate) fn failure(&self, url: &Url, err: &reqwest::Error) -> FetchError {
        let plain = http::transport_error(err);
        match self.0.route.via(url) {
            // The server's certificate, checked end to end through the tunnel.
            _ if matches!(plain, FetchError::Tls(_)) => plain,
            Some(proxy) if err.is_connect() => {
                let text = http::chain(err.source().unwrap_or(err));
                let text = text.strip_prefix("client error (Connect): ").unwrap_or(&text);
                let reason = match text {
                    "tunnel error: unsuccessful" => format!(
                        "it refused the tunnel (CONNECT) to {}:{} (wrong credentials, or a port it does not allow)",
                        url.host_str().unwrap_or_default(),
                        url.port_or_known_default().unwrap_or_default()
                    ),
                    "tunnel error: proxy authorization required" => {
                        "it wants a user and password (407)".to_string()
                    }
                    other => other.to_string(),
                };
                FetchError::Proxy {
                    proxy: proxy.shown(),
                    reason,
                }
            }
            _ => plain,
        }
    }

    /// A proxy's own refusal of a plain-HTTP request (407), as the reason
    /// the task fails: not the server's answer, and never retried.
    pub(crate) fn refused(&self, url: &Url, status: reqwest::StatusCode) -> Option<FetchError> {
        let proxy = self.0.route.via(url)?;
        (status == reqwest::StatusCode::PROXY_AUTHENTICATION_REQUIRED).then(|| FetchError::Proxy {
            proxy: proxy.shown(),
            reason: "it wants a user and password, or refused the ones given (407)".into(),
        })
    }

    /// The proxy requests go through, as it may be shown.
    pub(crate) fn proxy_shown(&self) -> Option<String> {
        self.0.route.shown()
    }

    /// A GET for one segment: on a connection of its own.
    pub(crate) fn segment(&self, url: &Url, headers: HeaderMap) -> reqwest::RequestBuilder {
        let client = if url.scheme() == "https" {
            &self.0.http1
        } else {
            &self.0.any
        };
        client.get(url.clone()).headers(headers)
    }

    /// What the host of `url` speaks, when that matters and is known or
    /// can be learned without making a lone first request wait.
    async fn speaks(&self, url: &Url) -> Option<Speaks> {
        let origin = Origin::of(url)?;
        let cell = {
            let mut known = sync::lock(&self.0.known);
            match known.get(&origin) {
                Some(Known::Answered(s)) => return Some(*s),
                Some(Known::First(cell)) => cell.clone(),
                None => {
                    known.insert(origin, Known::First(Arc::default()));
                    return None;
                }
            }
        };
        // Through a proxy, a direct probe would ask the wrong host (or one
        // it cannot reach).
        if self.0.route.via(url).is_some() {
            return None;
        }
        *cell.get_or_init(|| self.probe(origin)).await
    }

    /// Remembers what the server that answered speaks.
    fn answered(&self, url: &Url, version: Version) {
        if let Some(origin) = Origin::of(url) {
            let speaks = if version == Version::HTTP_2 {
                Speaks::Http2
            } else {
                Speaks::Http1
            };
            sync::lock(&self.0.known).insert(origin, Known::Answered(speaks));
        }
    }

    /// One TLS handshake with the host, to read which protocol it picks
    /// (ALPN); the connection is then closed. `None` when it cannot be
    /// asked: the request itself will say why.
    async fn probe(&self, origin: Origin) -> Option<Speaks> {
        use rustls::pki_types::ServerName;
        let (name, addr) = match &origin.host {
            Host::Domain(d) => (ServerName::try_from(d.clone()).ok()?, d.clone()),
            Host::Ipv4(ip) => (ServerName::from(std::net::IpAddr::V4(*ip)), ip.to_string()),
            Host::Ipv6(ip) => (ServerName::from(std::net::IpAddr::V6(*ip)), ip.to_string()),
        };
        let connector = tokio_rustls::TlsConnector::from(self.0.tls.clone());
        let handshake = async {
            let tcp = tokio::net::TcpStream::connect((addr.as_str(), origin.port))
                .await
                .ok()?;
            let tls = connector.connect(name, tcp).await.ok()?;
            Some(match tls.get_ref().1.alpn_protocol() {
                Some(b"h2") => Speaks::Http2,
                _ => Speaks::Http1,
            })
        };
        let speaks = tokio::time::timeout(self.0.connect_timeout, handshake)
            .await
            .ok()
            .flatten();
        tracing::debug!(
            host = %origin.host,
            port = origin.port,
            ?speaks,
            "asked what the server speaks"
        );
        speaks
    }
}
