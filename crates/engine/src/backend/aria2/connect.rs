//! The engine's client of an aria2 daemon (the `aria2-rpc` crate's, built
//! with the engine's user agent, timeouts and TLS), and the check that a
//! daemon answers and takes the secret.

use std::time::Duration;

use aria2_rpc::types::Version;
use aria2_rpc::{CallError, Client};

use crate::config::{Aria2Remote, EngineConfig, EngineError};
use crate::http;

/// A daemon that stops answering counts as lost after this long.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest wait for a connection to the daemon.
const MAX_CONNECT: Duration = Duration::from_secs(10);

/// A client of the daemon at `remote`.
pub fn client(remote: &Aria2Remote, config: &EngineConfig) -> Result<Client, EngineError> {
    let url = reqwest::Url::parse(&remote.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            EngineError::Config(format!(
                "{:?} is not an aria2 RPC address: expected http://HOST:6800/jsonrpc",
                remote.url
            ))
        })?;
    http::crypto_provider();
    let built = reqwest::blocking::Client::builder()
        .user_agent(&config.user_agent)
        .connect_timeout(config.connect_timeout.min(MAX_CONNECT))
        .timeout(CALL_TIMEOUT)
        .build()
        .map_err(|e| EngineError::Client(e.to_string()))?;
    Ok(Client::new(built, url.as_str(), remote.secret.as_deref())
        .describing_errors(|e| http::transport_error(e).to_string()))
}

/// Asks the daemon for its version: `Ok(version)`, or why it cannot be
/// used (unreachable, or the secret refused).
pub fn probe(remote: &Aria2Remote, config: &EngineConfig) -> Result<String, EngineError> {
    let rpc = client(remote, config)?;
    match rpc.call_as::<Version>("aria2.getVersion", vec![]) {
        Ok(v) => Ok(v.version),
        Err(CallError::Unauthorized) => Err(EngineError::Remote(format!(
            "aria2 at {} refused the secret token: check the secret",
            remote.url
        ))),
        Err(e) => Err(EngineError::Remote(format!("aria2 at {}: {e}", remote.url))),
    }
}
