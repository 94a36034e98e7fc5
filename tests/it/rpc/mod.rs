//! fanout's aria2-compatible JSON-RPC server: as extensions, front ends
//! and aria2p speak to it (`server`), held to what aria2c answers
//! (`aria2`), and its BitTorrent dialect (`torrent`).

mod aria2;
mod server;
mod torrent;
