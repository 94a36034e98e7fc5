//! A JSON-RPC client for one aria2 daemon: the secret token goes first in
//! every call's parameters, as aria2 wants, and is never logged; replies are
//! read into the types of [`super::types`].

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::types::Version;
use crate::config::{Aria2Remote, EngineConfig, EngineError};
use crate::http;

/// A daemon that stops answering counts as lost after this long.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest wait for a connection to the daemon.
const MAX_CONNECT: Duration = Duration::from_secs(10);

/// Why a call did not get a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// No answer (connection refused, timeout, not JSON-RPC): try again.
    #[error("cannot reach aria2: {0}")]
    Unreachable(String),
    /// The daemon refused the secret token.
    #[error("aria2 refused the secret token (Unauthorized)")]
    Unauthorized,
    /// The daemon answered the call with an error.
    #[error("aria2 error {code}: {message}")]
    Fault { code: i64, message: String },
    /// The answer came but does not read as what was asked for.
    #[error("aria2 answered {method} with something unexpected: {why}")]
    Unexpected { method: String, why: String },
}

pub struct Rpc {
    client: reqwest::blocking::Client,
    url: String,
    token: Option<String>,
}

impl Rpc {
    pub fn new(remote: &Aria2Remote, config: &EngineConfig) -> Result<Rpc, EngineError> {
        let url = reqwest::Url::parse(&remote.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                EngineError::Config(format!(
                    "{:?} is not an aria2 RPC address: expected http://HOST:6800/jsonrpc",
                    remote.url
                ))
            })?;
        crate::http::crypto_provider();
        let client = reqwest::blocking::Client::builder()
            .user_agent(&config.user_agent)
            .connect_timeout(config.connect_timeout.min(MAX_CONNECT))
            .timeout(CALL_TIMEOUT)
            .build()
            .map_err(|e| EngineError::Client(e.to_string()))?;
        Ok(Rpc {
            client,
            url: url.to_string(),
            token: remote.secret.as_ref().map(|s| format!("token:{s}")),
        })
    }

    /// The parameters of a call, with the token in front.
    fn params(&self, params: Vec<Value>) -> Vec<Value> {
        let mut out = Vec::with_capacity(params.len() + 1);
        if let Some(token) = &self.token {
            out.push(Value::String(token.clone()));
        }
        out.extend(params);
        out
    }

    fn post(&self, body: &Value) -> Result<Value, RpcError> {
        let unreachable = |e: reqwest::Error| RpcError::Unreachable(http::transport_error(&e).to_string());
        let resp = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .map_err(unreachable)?;
        let status = resp.status();
        let bytes = resp.bytes().map_err(unreachable)?;
        serde_json::from_slice(&bytes)
            .map_err(|_| RpcError::Unreachable(format!("HTTP {status} without a JSON-RPC answer")))
    }

    pub fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, RpcError> {
        let body = json!({"jsonrpc": "2.0", "id": "fanout", "method": method, "params": self.params(params)});
        answer(self.post(&body)?)
    }

    /// A call whose result is read as `T`.
    pub fn call_as<T: DeserializeOwned>(&self, method: &str, params: Vec<Value>) -> Result<T, RpcError> {
        read(method, self.call(method, params)?)
    }

    /// Several calls in one request; each gets its own result.
    pub fn multicall(&self, calls: &[(&str, Vec<Value>)]) -> Result<Vec<Result<Value, RpcError>>, RpcError> {
        let calls: Vec<Value> = calls
            .iter()
            .map(|(m, p)| json!({"methodName": m, "params": self.params(p.clone())}))
            .collect();
        // The token goes inside each call, not on the multicall itself.
        let body = json!({"jsonrpc": "2.0", "id": "fanout", "method": "system.multicall", "params": [calls]});
        let results: Vec<Value> = read("system.multicall", answer(self.post(&body)?)?)?;
        Ok(results
            .into_iter()
            .map(|r| match r {
                // A result comes wrapped in a one-element list; a fault as an object.
                Value::Array(mut v) if v.len() == 1 => Ok(v.remove(0)),
                Value::Object(_) => Err(fault(&r)),
                other => Err(RpcError::Unexpected {
                    method: "system.multicall".into(),
                    why: format!("an entry {other}"),
                }),
            })
            .collect())
    }
}

/// Reads a result as `T`.
pub fn read<T: DeserializeOwned>(method: &str, v: Value) -> Result<T, RpcError> {
    serde_json::from_value(v).map_err(|e| RpcError::Unexpected {
        method: method.to_string(),
        why: e.to_string(),
    })
}

fn fault(e: &Value) -> RpcError {
    let code = e.get("code").and_then(Value::as_i64).unwrap_or(0);
    let message = e
        .get("message")
        .or_else(|| e.get("faultString"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if message == "Unauthorized" {
        RpcError::Unauthorized
    } else {
        RpcError::Fault { code, message }
    }
}

fn answer(v: Value) -> Result<Value, RpcError> {
    if let Some(e) = v.get("error") {
        return Err(fault(e));
    }
    v.get("result")
        .cloned()
        .ok_or_else(|| RpcError::Unreachable("an answer without a result".into()))
}

/// Asks the daemon for its version: `Ok(version)`, or why it cannot be
/// used (unreachable, or the secret refused).
pub fn probe(remote: &Aria2Remote, config: &EngineConfig) -> Result<String, EngineError> {
    let rpc = Rpc::new(remote, config)?;
    match rpc.call_as::<Version>("aria2.getVersion", vec![]) {
        Ok(v) => Ok(v.version),
        Err(RpcError::Unauthorized) => Err(EngineError::Remote(format!(
            "aria2 at {} refused the secret token: check the secret",
            remote.url
        ))),
        Err(e) => Err(EngineError::Remote(format!("aria2 at {}: {e}", remote.url))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_token_is_told_apart_from_other_faults() {
        assert_eq!(
            fault(&json!({"code": 1, "message": "Unauthorized"})),
            RpcError::Unauthorized
        );
        assert_eq!(
            fault(&json!({"code": 1, "message": "No such method: x"})),
            RpcError::Fault {
                code: 1,
                message: "No such method: x".into()
            }
        );
    }
}
