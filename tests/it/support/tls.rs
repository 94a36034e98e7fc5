//! A TLS server on 127.0.0.1:0 with a fresh self-signed certificate, on a
//! thread of its own: it counts handshakes and answers every request it
//! reads (over a completed handshake) with `302 Found` to a given URL.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct TlsServer {
    pub port: u16,
    /// Connections accepted (each a handshake attempt).
    pub connections: Arc<AtomicUsize>,
    /// The certificate, PEM, for a client that should trust it.
    pub cert_pem: String,
}

impl TlsServer {
    /// Serves `302 Found` to `location` for every request.
    pub fn start(location: &str) -> TlsServer {
        let key = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("a self-signed certificate");
        let cert_pem = key.cert.pem();
        let chain = vec![key.cert.der().clone()];
        let private = rustls::pki_types::PrivateKeyDer::try_from(key.signing_key.serialize_der())
            .expect("the key in DER");
        let config = Arc::new(
            rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(chain, private)
                .expect("a server config"),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let (count, location) = (connections.clone(), location.to_string());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut tcp) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let (config, location) = (config.clone(), location.clone());
                std::thread::spawn(move || {
                    let Ok(mut conn) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
                    let mut buf = [0u8; 4096];
                    let mut head = Vec::new();
                    // A client that refuses the certificate ends here.
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let answer = format!(
                        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let _ = tls.write_all(answer.as_bytes());
                    let _ = tls.flush();
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        TlsServer {
            port,
            connections,
            cert_pem,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }
}
