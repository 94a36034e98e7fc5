//! fanout's integration tests, as one test binary: a module per area, each
//! against real servers and programs on loopback (the helpers are in
//! `support`). One binary links the library, eframe, wgpu, reqwest and
//! librqbit once, where a binary per file linked them some forty times.
//!
//! Run one area by its module path: `cargo test --test it torrent::aria2`,
//! `cargo test --test it gui::`, or one engine's tests everywhere with
//! `cargo test --test it threads`.
//!
//! No test needs a process of its own, so there is no other test binary.
//! Checked for each: none installs a tracing subscriber but
//! `rpc::server`'s log test (already shared with the other RPC tests, its
//! lines told apart by their origins), none changes the environment or the
//! working folder (`unsafe` is forbidden), none uses `harness = false`,
//! and the library's process-wide state (the hashing pool, the TLS
//! provider installed once, "no keyring" logged once) does not depend on
//! which test comes first. `gui::kept` needs an environment variable the
//! store reads, so it runs itself again in a child process of this binary;
//! the window, tray and `fanout serve` tests spawn the built `fanout`.

// A test (or a tool) fails loudly where library code would handle the error.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod support;

mod aria2;
mod cli;
mod connections;
mod credentials;
mod desktop;
mod docs;
mod engine;
mod gui;
mod layout;
mod metalink;
mod package;
mod placing;
mod proxy;
mod remote;
mod rpc;
mod segment_map;
mod serve;
mod service;
mod stream;
mod torrent;
mod tray;
mod window;
