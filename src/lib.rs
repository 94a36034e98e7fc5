//! fanout: a download manager that shows the difference between one thread,
//! a pool of threads and an event loop on the same downloads.
//!
//! The app over the engine, in floors; a module imports only from its own
//! floor's modules below it and from lower floors (tests/it/layout.rs
//! checks there is no circle, and that no front end imports another):
//!
//! - front ends: [`gui`] (the window) and [`cli`] (`fanout get`, and the
//!   flags of `fanout serve`);
//! - [`service`]: the downloads apart from any front end (the list, its
//!   store, the schedule, the timeline and the engine comparison, the
//!   headless `fanout serve`), and [`settings`], what it remembers;
//! - [`rpc`]: the aria2-compatible JSON-RPC server, over a `Host` the
//!   service implements;
//! - [`input`] (lines, batch patterns, Metalink files) and [`i18n`] (the
//!   words in English and Chinese, sizes and speeds);
//! - [`platform`]: the operating system (one instance per data folder,
//!   the credential store, files only the user reads, the desktop entry);
//! - the crates below: [`engine`] (`crates/engine`, everything that
//!   downloads) and `aria2_rpc` (`crates/aria2-rpc`, aria2's protocol).

pub mod cli;
pub mod gui;
pub mod i18n;
pub mod input;
pub mod platform;
pub mod rpc;
pub mod service;
pub mod settings;
/// The download engine, a crate of its own (`crates/engine`).
pub use fanout_engine as engine;
/// Lock helpers, shared with the engine.
use fanout_engine::sync;
