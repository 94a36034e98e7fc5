//! The test server over HTTPS, with HTTP/2 or HTTP/1.1 picked by ALPN as
//! nginx and most servers do, and a fresh self-signed certificate that the
//! client is told to trust. It serves the same router (sizes, ranges,
//! latency) and counts connections and the requests each one carried.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hyper_util::rt::{TokioExecutor, TokioIo};
use tower::ServiceExt;

use super::TestServer;

impl TestServer {
    /// Serves HTTPS on 127.0.0.1:0; returns the server and its certificate
    /// (PEM), for `SSL_CERT_FILE`.
    pub fn start_https() -> (TestServer, String) {
        let key = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("a self-signed certificate");
        let cert_pem = key.cert.pem();
        let private = rustls::pki_types::PrivateKeyDer::try_from(key.signing_key.serialize_der())
            .expect("the key in DER");
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![key.cert.der().clone()], private)
            .expect("a server config");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let server = TestServer::spawn("https", move |listener, app, stats, mut stop| async move {
            loop {
                let tcp = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((tcp, _)) => tcp,
                        Err(_) => continue,
                    },
                    _ = &mut stop => return,
                };
                stats.connections.fetch_add(1, Ordering::SeqCst);
                let served = Arc::new(AtomicUsize::new(0));
                stats.per_connection.lock().unwrap().push(served.clone());
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    // A client that only asks what the server speaks
                    // closes after the handshake.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service =
                        hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                            served.fetch_add(1, Ordering::SeqCst);
                            app.clone().oneshot(req.map(axum::body::Body::new))
                        });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        (server, cert_pem)
    }

    /// How many requests each connection carried, in the order they were
    /// accepted (HTTPS server only).
    pub fn requests_per_connection(&self) -> Vec<usize> {
        let per = self.stats.per_connection.lock().unwrap();
        per.iter().map(|n| n.load(Ordering::SeqCst)).collect()
    }
}
