//! aria2's JSON-RPC protocol: the JSON-RPC 2.0 envelopes ([`wire`]), aria2's replies as types
//! ([`types`]) and a blocking client for one daemon ([`client`]); it knows no engine and no window.

pub mod client;
pub mod types;
pub mod wire;

pub use client::{CallError, Client};
pub use types::{DownloadStatus, Status, Version};
pub use wire::ErrorObject;
