//! Torrents, from a seeder and a tracker of the tests' own on 127.0.0.1
//! (`support::torrent`, `support::tracker`), DHT off: on every engine
//! (`engines`), through a tracker, and trading pieces with Debian's aria2c
//! and transmission-daemon; the session's life, the progress reported, the
//! torrents refused and what a running torrent shows. The RPC's and the
//! window's torrents are `rpc::torrent` and `gui::torrent`.

mod aria2;
mod engines;
mod progress;
mod refused;
mod session;
mod tracker;
mod transmission;
mod view;
