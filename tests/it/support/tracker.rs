//! A BitTorrent HTTP tracker of the tests' own on 127.0.0.1: it answers
//! `/announce` with the other peers that announced the same info hash
//! (compact form, all on 127.0.0.1), and counts who asked. Blocking, on a
//! thread of its own; nothing leaves loopback.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Swarms {
    /// Announced ports, by info hash.
    peers: HashMap<Vec<u8>, Vec<u16>>,
    /// Announces heard, by the announcing port.
    heard: HashMap<u16, usize>,
}

pub struct Tracker {
    pub addr: SocketAddr,
    swarms: Arc<Mutex<Swarms>>,
}

impl Tracker {
    pub fn start() -> Tracker {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let swarms = Arc::new(Mutex::new(Swarms::default()));
        let shared = swarms.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut line = String::new();
                if BufReader::new(&stream).read_line(&mut line).is_err() {
                    continue;
                }
                let body = answer(&shared, &line);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        Tracker { addr, swarms }
    }

    pub fn announce_url(&self) -> String {
        format!("http://{}/announce", self.addr)
    }

    /// How many announces came from the peer listening on `port`.
    pub fn heard_from(&self, port: u16) -> usize {
        self.swarms.lock().unwrap().heard.get(&port).copied().unwrap_or(0)
    }
}

/// The bencoded answer to the request line `GET /announce?… HTTP/1.1`.
fn answer(swarms: &Mutex<Swarms>, line: &str) -> Vec<u8> {
    let query = line
        .split(' ')
        .nth(1)
        .and_then(|t| t.split_once('?'))
        .map_or("", |(_, q)| q);
    let mut hash = None;
    let mut port = None;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "info_hash" => hash = Some(percent_encoding::percent_decode_str(v).collect::<Vec<u8>>()),
            "port" => port = v.parse::<u16>().ok(),
            _ => {}
        }
    }
    let (Some(hash), Some(port)) = (hash, port) else {
        return b"d14:failure reason11:bad requeste".to_vec();
    };
    let mut swarms = swarms.lock().unwrap();
    *swarms.heard.entry(port).or_default() += 1;
    let known = swarms.peers.entry(hash).or_default();
    if !known.contains(&port) {
        known.push(port);
    }
    let mut peers = Vec::new();
    for p in known.iter().filter(|&&p| p != port) {
        peers.extend_from_slice(&[127, 0, 0, 1]);
        peers.extend_from_slice(&p.to_be_bytes());
    }
    let mut body = format!("d8:intervali5e5:peers{}:", peers.len()).into_bytes();
    body.extend_from_slice(&peers);
    body.push(b'e');
    body
}
