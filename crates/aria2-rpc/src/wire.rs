//! JSON-RPC 2.0 as aria2 speaks it: one request or a batch in a body, the
//! error codes its clients check, and the envelope of every answer. Loose
//! where aria2's clients are loose (`"json-rpc"` for `"jsonrpc"`, any id,
//! no params), strict about what a method gets.

use serde_json::{Value, json};

/// What went wrong with one call, as its `error` object says it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct ErrorObject {
    pub code: i64,
    pub message: String,
}

impl ErrorObject {
    pub const PARSE: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const NO_METHOD: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL: i64 = -32603;
    /// aria2's code for everything a method refuses (`Unauthorized` too).
    pub const FAILED: i64 = 1;

    pub fn new(code: i64, message: impl Into<String>) -> ErrorObject {
        ErrorObject {
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> ErrorObject {
        ErrorObject::new(Self::FAILED, "Unauthorized")
    }

    pub fn parse(detail: impl std::fmt::Display) -> ErrorObject {
        ErrorObject::new(Self::PARSE, format!("Parse error: {detail}"))
    }

    pub fn params(detail: impl Into<String>) -> ErrorObject {
        ErrorObject::new(Self::INVALID_PARAMS, detail)
    }

    pub fn failed(detail: impl Into<String>) -> ErrorObject {
        ErrorObject::new(Self::FAILED, detail)
    }

    pub fn to_json(&self) -> Value {
        json!({"code": self.code, "message": self.message})
    }
}

/// One request of a body: its id (echoed back), method and params.
#[derive(Clone, Debug, PartialEq)]
pub struct Incoming {
    pub id: Value,
    pub method: String,
    pub params: Vec<Value>,
}

/// A body: one request, or a batch (answered as an array, in order).
#[derive(Debug)]
pub enum Body {
    One(Result<Incoming, (Value, ErrorObject)>),
    Batch(Vec<Result<Incoming, (Value, ErrorObject)>>),
}

/// Reads a body. `Err` is a parse error (answered with id `null`).
pub fn read_body(bytes: &[u8]) -> Result<Body, ErrorObject> {
    let value: Value = serde_json::from_slice(bytes).map_err(ErrorObject::parse)?;
    match value {
        Value::Array(items) if items.is_empty() => Ok(Body::One(Err((
            Value::Null,
            ErrorObject::new(ErrorObject::INVALID_REQUEST, "Invalid Request: an empty batch"),
        )))),
        Value::Array(items) => Ok(Body::Batch(items.into_iter().map(incoming).collect())),
        other => Ok(Body::One(incoming(other))),
    }
}

/// One request object.
fn incoming(value: Value) -> Result<Incoming, (Value, ErrorObject)> {
    let Value::Object(mut o) = value else {
        let e = ErrorObject::new(ErrorObject::INVALID_REQUEST, "Invalid Request: not an object");
        return Err((Value::Null, e));
    };
    let id = o.remove("id").unwrap_or(Value::Null);
    let method = match o.remove("method") {
        Some(Value::String(m)) => m,
        _ => {
            let e = ErrorObject::new(ErrorObject::INVALID_REQUEST, "Invalid Request: no method name");
            return Err((id, e));
        }
    };
    let params = match o.remove("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(p)) => p,
        Some(_) => return Err((id, ErrorObject::params("params must be an array"))),
    };
    Ok(Incoming { id, method, params })
}

/// The answer to one request.
pub fn answer(id: &Value, result: &Result<Value, ErrorObject>) -> Value {
    match result {
        Ok(v) => json!({"id": id, "jsonrpc": "2.0", "result": v}),
        Err(e) => json!({"id": id, "jsonrpc": "2.0", "error": e.to_json()}),
    }
}

/// A notification pushed over the WebSocket (`aria2.onDownloadStart`, …).
pub fn notification(method: &str, gid: &str) -> Value {
    json!({"jsonrpc": "2.0", "method": method, "params": [{"gid": gid}]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_read_loosely_and_errors_keep_their_ids() {
        let one = read_body(br#"{"json-rpc":"2.0","id":0,"method":"aria2.tellActive"}"#).unwrap();
        let Body::One(Ok(i)) = one else { panic!("{one:?}") };
        assert_eq!(
            (i.id, i.method.as_str(), i.params.len()),
            (json!(0), "aria2.tellActive", 0)
        );
        assert_eq!(read_body(b"{nope").unwrap_err().code, ErrorObject::PARSE);
        let Body::Batch(b) = read_body(br#"[{"id":"a","method":"m","params":[1]}, {"id":"b"}, 7]"#).unwrap()
        else {
            panic!()
        };
        assert!(b[0].is_ok());
        assert_eq!(b[1].as_ref().unwrap_err().0, json!("b"));
        assert_eq!(b[2].as_ref().unwrap_err().1.code, ErrorObject::INVALID_REQUEST);
        let Body::One(Err((_, e))) = read_body(br#"{"id":1,"method":"m","params":{"a":1}}"#).unwrap() else {
            panic!()
        };
        assert_eq!(e.code, ErrorObject::INVALID_PARAMS);
    }
}
