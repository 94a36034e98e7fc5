//! A JSON-RPC client for one aria2 daemon: the secret token goes first in
//! every call's parameters, as aria2 wants, and is never logged; replies are
//! read into the types of [`crate::types`].

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Why a call did not get a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
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

/// A client of one daemon: its address, its secret, and the HTTP client
/// the caller built (user agent, timeouts, TLS are the caller's).
pub struct Client {
    http: reqwest::blocking::Client,
    url: String,
    token: Option<String>,
    /// Says why a request got no answer (the caller's words for transport
    /// errors; the error's own text by default).
    describe: fn(&reqwest::Error) -> String,
}

impl Client {
    /// A client of the daemon at `url` (`http://HOST:6800/jsonrpc`), with
    /// its secret, if it has one.
    pub fn new(http: reqwest::blocking::Client, url: &str, secret: Option<&str>) -> Client {
        Client {
            http,
            url: url.to_string(),
            token: secret.map(|s| format!("token:{s}")),
            describe: |e| e.to_string(),
        }
    }

    /// The same client, saying why a request got no answer with `describe`.
    pub fn describing_errors(self, describe: fn(&reqwest::Error) -> String) -> Client {
        Client { describe, ..self }
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

    fn post(&self, body: &Value) -> Result<Value, CallError> {
        let unreachable = |e: reqwest::Error| CallError::Unreachable((self.describe)(&e));
        let resp = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .map_err(unreachable)?;
        let status = resp.status();
        let bytes = resp.bytes().map_err(unreachable)?;
        serde_json::from_slice(&bytes)
            .map_err(|_| CallError::Unreachable(format!("HTTP {status} without a JSON-RPC answer")))
    }

    pub fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, CallError> {
        let body = json!({"jsonrpc": "2.0", "id": "fanout", "method": method, "params": self.params(params)});
        answer(self.post(&body)?)
    }

    /// A call whose result is read as `T`.
    pub fn call_as<T: DeserializeOwned>(&self, method: &str, params: Vec<Value>) -> Result<T, CallError> {
        read(method, self.call(method, params)?)
    }

    /// Several calls in one request; each gets its own result.
    pub fn multicall(
        &self,
        calls: &[(&str, Vec<Value>)],
    ) -> Result<Vec<Result<Value, CallError>>, CallError> {
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
                other => Err(CallError::Unexpected {
                    method: "system.multicall".into(),
                    why: format!("an entry {other}"),
                }),
            })
            .collect())
    }
}

/// Reads a result as `T`.
pub fn read<T: DeserializeOwned>(method: &str, v: Value) -> Result<T, CallError> {
    serde_json::from_value(v).map_err(|e| CallError::Unexpected {
        method: method.to_string(),
        why: e.to_string(),
    })
}

fn fault(e: &Value) -> CallError {
    let code = e.get("code").and_then(Value::as_i64).unwrap_or(0);
    let message = e
        .get("message")
        .or_else(|| e.get("faultString"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if message == "Unauthorized" {
        CallError::Unauthorized
    } else {
        CallError::Fault { code, message }
    }
}

fn answer(v: Value) -> Result<Value, CallError> {
    if let Some(e) = v.get("error") {
        return Err(fault(e));
    }
    v.get("result")
        .cloned()
        .ok_or_else(|| CallError::Unreachable("an answer without a result".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_token_is_told_apart_from_other_faults() {
        assert_eq!(
            fault(&json!({"code": 1, "message": "Unauthorized"})),
            CallError::Unauthorized
        );
        assert_eq!(
            fault(&json!({"code": 1, "message": "No such method: x"})),
            CallError::Fault {
                code: 1,
                message: "No such method: x".into()
            }
        );
    }
}
