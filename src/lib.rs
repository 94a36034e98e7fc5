//! fanout: a download manager that shows the difference between one thread,
//! a pool of threads and an event loop on the same downloads.
//!
//! [`engine`] does the downloading and knows nothing of its front ends;
//! [`cli`] is the headless `fanout get`.

pub mod cli;
/// The download engine, a crate of its own (`crates/engine`).
pub use fanout_engine as engine;
/// Lock helpers, shared with the engine.
use fanout_engine::sync;
pub mod compare;
pub mod desktop;
pub mod gui;
pub mod i18n;
pub mod input;
pub mod instance;
pub mod pattern;
mod private;
pub mod rpc;
pub mod schedule;
pub mod secrets;
pub mod service;
pub mod settings;
pub mod store;
pub mod timeline;
