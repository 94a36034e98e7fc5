//! The listening side: `POST /jsonrpc` (one request or a batch), a
//! WebSocket on the same path (requests, and notifications pushed), CORS
//! for browser extensions, and the checks docs/browser.md lists: the
//! secret, a `Host` that is a loopback name (against DNS rebinding), a
//! capped body, and errors for bad input while the server goes on serving.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::method::{Call, Denied, Method, NOTIFICATIONS};
use super::refusals::{self, Log, RefusalReason};
use super::wire::{Body as RpcBody, ErrorObject, Incoming, answer, read_body};
use super::{Request, Shared};

/// The largest body read; a bigger one is refused unread. 10,000 `addUri`
/// calls in one multicall take about 1.5 MiB.
pub const MAX_BODY: usize = 8 << 20;

/// How long after answering `aria2.shutdown` the host is told to end:
/// time for the answer to reach the client.
const SHUTDOWN_AFTER: Duration = Duration::from_millis(100);

/// How long a call waits for the window to answer it.
const OWNER_TIMEOUT: Duration = Duration::from_secs(60);

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/jsonrpc",
            axum::routing::post(post).get(upgrade).options(preflight),
        )
        .fallback(not_here)
        .layer(axum::middleware::map_response(cors))
        .with_state(shared)
}

/// CORS on every answer: extensions call from `chrome-extension://` and
/// `moz-extension://` origins, some with no preflight. The token guards
/// the methods; the `Host` check guards against rebinding.
async fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, GET, OPTIONS"),
    );
    if !h.contains_key(header::ACCESS_CONTROL_ALLOW_HEADERS) {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Content-Type, Authorization"),
        );
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("1728000"),
    );
    r
}

async fn preflight(headers: HeaderMap) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Some(asked) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        r.headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    r
}

async fn not_here() -> Response {
    (
        StatusCode::NOT_FOUND,
        "fanout answers aria2's JSON-RPC at /jsonrpc\n",
    )
        .into_response()
}

/// Whether `Host` names this machine: `localhost`, a loopback address, or
/// an address the user chose to listen on. A page on a rebound name
/// (`evil.example` resolving to 127.0.0.1) is refused.
pub(super) fn host_allowed(headers: &HeaderMap, extra: &[String]) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => match host.rsplit_once(':') {
            Some((n, port)) if port.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => host,
        },
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        || extra.iter().any(|e| e.eq_ignore_ascii_case(name))
}

/// The `Origin` a browser sends (an extension's, a page's), for the
/// record of refusals.
fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

fn refused_host() -> Response {
    let body = json!({"id": null, "jsonrpc": "2.0",
        "error": {"code": ErrorObject::FAILED, "message": "Host is not this machine: refused (DNS rebinding)"}});
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

async fn post(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    if !host_allowed(&headers, &shared.hosts) {
        shared.refuse(RefusalReason::ForeignHost, origin(&headers));
        return refused_host();
    }
    let too_big = || {
        let e = ErrorObject::new(
            ErrorObject::INVALID_REQUEST,
            format!("the body is over {} MiB", MAX_BODY >> 20),
        );
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(answer(&Value::Null, &Err(e))),
        )
            .into_response()
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return too_big();
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return too_big();
    };
    let (status, value) = handle(&shared, &bytes, origin(&headers)).await;
    (status, axum::Json(value)).into_response()
}

async fn upgrade(State(shared): State<Arc<Shared>>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    if !host_allowed(&headers, &shared.hosts) {
        shared.refuse(RefusalReason::ForeignHost, origin(&headers));
        return refused_host();
    }
    let origin = origin(&headers).map(str::to_string);
    ws.max_message_size(MAX_BODY)
        .on_upgrade(move |socket| session(socket, shared, origin))
}

/// One WebSocket: requests answered in turn, notifications pushed between.
/// `origin`: its upgrade request's, for every call on it.
async fn session(mut socket: WebSocket, shared: Arc<Shared>, origin: Option<String>) {
    let mut notes = shared.notes.subscribe();
    loop {
        tokio::select! {
            msg = socket.recv() => {
                let bytes: Bytes = match msg {
                    Some(Ok(Message::Text(t))) => Bytes::copy_from_slice(t.as_str().as_bytes()),
                    Some(Ok(Message::Binary(b))) => b,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    _ => break,
                };
                let (_, value) = handle(&shared, &bytes, origin.as_deref()).await;
                if socket.send(Message::Text(value.to_string().into())).await.is_err() {
                    break;
                }
            }
            note = notes.recv() => match note {
                Ok(text) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
}

/// Where one call's answer comes from.
enum Slot {
    Ready(Result<Value, ErrorObject>),
    /// The n-th call sent to the host.
    Host(usize),
}

enum Plan {
    One(Slot),
    /// A multicall: each nested call's slot.
    Many(Vec<Slot>),
}

/// Answers a body: the calls the server can answer itself at once, the
/// rest in one trip to the host of the downloads, in their order.
/// `origin`: the caller's `Origin`, should a call be refused.
pub(super) async fn handle(shared: &Shared, bytes: &[u8], origin: Option<&str>) -> (StatusCode, Value) {
    let body = match read_body(bytes) {
        Ok(b) => b,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, answer(&Value::Null, &Err(e))),
    };
    let mut calls = Vec::new();
    let mut plan = |r: Result<Incoming, (Value, ErrorObject)>| match r {
        Ok(i) => (
            i.id.clone(),
            plan_call(shared, origin, i.method, i.params, &mut calls, true),
        ),
        Err((id, e)) => (id, Plan::One(Slot::Ready(Err(e)))),
    };
    let (batch, plans): (bool, Vec<(Value, Plan)>) = match body {
        RpcBody::One(r) => (false, vec![plan(r)]),
        RpcBody::Batch(items) => (true, items.into_iter().map(plan).collect()),
    };
    let mut results = if calls.is_empty() {
        Vec::new()
    } else {
        shared.ask_host(calls).await
    };
    let mut take = |slot: Slot| match slot {
        Slot::Ready(r) => r,
        Slot::Host(n) => std::mem::replace(&mut results[n], Ok(Value::Null)),
    };
    let answers: Vec<(Value, Result<Value, ErrorObject>)> = plans
        .into_iter()
        .map(|(id, p)| {
            let r = match p {
                Plan::One(slot) => take(slot),
                // aria2 wraps each success in a one-element array and puts
                // each failure inline.
                Plan::Many(slots) => Ok(Value::Array(
                    slots
                        .into_iter()
                        .map(|s| match take(s) {
                            Ok(v) => json!([v]),
                            Err(e) => e.to_json(),
                        })
                        .collect(),
                )),
            };
            (id, r)
        })
        .collect();
    if batch {
        let all = answers.iter().map(|(id, r)| answer(id, r)).collect();
        return (StatusCode::OK, Value::Array(all));
    }
    let (id, r) = &answers[0];
    let status = match r {
        Ok(_) => StatusCode::OK,
        Err(e) if e.code == ErrorObject::PARSE => StatusCode::INTERNAL_SERVER_ERROR,
        Err(_) => StatusCode::BAD_REQUEST,
    };
    (status, answer(id, r))
}

/// Decides one call: refused (a wrong secret), answered here, or for the host
/// (pushed onto `calls`). `top`: not inside a multicall. A refused call
/// (each nested one of a multicall too) is counted.
fn plan_call(
    shared: &Shared,
    origin: Option<&str>,
    name: String,
    params: Vec<Value>,
    calls: &mut Vec<Call>,
    top: bool,
) -> Plan {
    let call = match Call::authorize(&name, params, &shared.secret) {
        Ok(c) => c,
        Err(denied) => {
            if let Denied::Refused(why) = &denied {
                shared.refuse(*why, origin);
            }
            return Plan::One(Slot::Ready(Err(denied.into())));
        }
    };
    let ready = |r| Plan::One(Slot::Ready(r));
    match call.method {
        Method::ListMethods => ready(Ok(json!(
            Method::ALL.iter().map(|m| m.name()).collect::<Vec<_>>()
        ))),
        Method::ListNotifications => ready(Ok(json!(NOTIFICATIONS))),
        Method::Multicall if !top => ready(Err(ErrorObject::failed("Recursive system.multicall forbidden."))),
        Method::Multicall => {
            let Some(Value::Array(nested)) = call.params.into_iter().next() else {
                return ready(Err(ErrorObject::params("system.multicall takes a list of calls")));
            };
            let slots = nested
                .into_iter()
                .map(|c| {
                    let name = c.get("methodName").and_then(Value::as_str).map(str::to_string);
                    let params = match c.get("params") {
                        None => Some(Vec::new()),
                        Some(Value::Array(p)) => Some(p.clone()),
                        Some(_) => None,
                    };
                    match (name, params) {
                        (Some(n), Some(p)) => match plan_call(shared, origin, n, p, calls, false) {
                            Plan::One(slot) => slot,
                            Plan::Many(_) => {
                                Slot::Ready(Err(ErrorObject::failed("Recursive system.multicall forbidden.")))
                            }
                        },
                        _ => Slot::Ready(Err(ErrorObject::params(
                            "each call needs a methodName and a params list",
                        ))),
                    }
                })
                .collect();
            Plan::Many(slots)
        }
        Method::GetVersion => ready(Ok(json!({
            "version": env!("CARGO_PKG_VERSION"),
            // "fanout" tells a client (another fanout's window) which
            // server this is; aria2's clients list features as they are.
            "enabledFeatures": ["BitTorrent", "HTTPS", "Async DNS", "GZip", "fanout"],
        }))),
        Method::GetSessionInfo => ready(Ok(json!({"sessionId": shared.session}))),
        Method::Shutdown | Method::ForceShutdown => match &shared.shutdown {
            Some(end) => {
                let how = match call.method {
                    Method::ForceShutdown => super::Shutdown::Force,
                    _ => super::Shutdown::Graceful,
                };
                // The answer first, then the end (as aria2: "OK", then it
                // stops its loop).
                let end = end.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(SHUTDOWN_AFTER).await;
                    let _ = end.send(how);
                });
                ready(Ok(json!("OK")))
            }
            None => ready(Err(ErrorObject::failed(
                "fanout is not shut down over RPC: close its window",
            ))),
        },
        _ => {
            calls.push(call);
            Plan::One(Slot::Host(calls.len() - 1))
        }
    }
}

impl Shared {
    /// Counts a refused call, and says so in the log at most once per
    /// [`refusals::LOG_EVERY`] (a timer on the server's runtime says the
    /// ones in between). Never the token given.
    fn refuse(&self, reason: RefusalReason, origin: Option<&str>) {
        let log = self.refusal_log.record(reason, origin, Instant::now());
        // The window shows the count: an idle one must draw it.
        (self.wake)();
        match log {
            Log::Now(n) => {
                if let Some(last) = self.refusal_log.refusals() {
                    refusals::warn(n, &last);
                }
            }
            Log::Later(wait) => {
                let refusal_log = self.refusal_log.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    if let (n @ 1.., Some(last)) = refusal_log.flush(Instant::now()) {
                        refusals::warn(n, &last);
                    }
                });
            }
            Log::Nothing => {}
        }
    }

    /// Sends calls to the host of the downloads and waits (here, never on
    /// the host's thread) for their answers.
    async fn ask_host(&self, calls: Vec<Call>) -> Vec<Result<Value, ErrorObject>> {
        let n = calls.len();
        let (reply, answer) = tokio::sync::oneshot::channel();
        let gone = || vec![Err(ErrorObject::new(ErrorObject::INTERNAL, "fanout is closing")); n];
        // The host's thread waits on this channel: nothing to wake.
        if self.host.send(Request { calls, reply }).is_err() {
            return gone();
        }
        match tokio::time::timeout(OWNER_TIMEOUT, answer).await {
            Ok(Ok(results)) if results.len() == n => results,
            Ok(_) => gone(),
            Err(_) => vec![
                Err(ErrorObject::new(
                    ErrorObject::INTERNAL,
                    "the window did not answer in time"
                ));
                n
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_of_this_machine_pass_the_host_check() {
        let with = |h: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::HOST, HeaderValue::from_str(h).unwrap());
            m
        };
        for ok in [
            "localhost:16800",
            "127.0.0.1:6800",
            "[::1]:16800",
            "LOCALHOST",
            "127.3.2.1",
        ] {
            assert!(host_allowed(&with(ok), &[]), "{ok}");
        }
        for bad in [
            "evil.example:16800",
            "localhost.evil.example",
            "10.0.0.2:16800",
            "[::2]:1",
        ] {
            assert!(!host_allowed(&with(bad), &[]), "{bad}");
        }
        assert!(host_allowed(&with("10.0.0.2:16800"), &["10.0.0.2".into()]));
        assert!(!host_allowed(&HeaderMap::new(), &[]));
    }
}
