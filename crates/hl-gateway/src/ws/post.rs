//! `{"method": "post", "id": N, "request": {"type": "info" | "action", "payload": …}}`:
//! Hyperliquid's requests over the WebSocket (the TypeScript SDK's WebSocket transport sends
//! every request so). An info payload is answered as `POST /info` answers it; an action
//! payload is a signed exchange request, taken byte for byte from the message (its signature
//! covers the action's key order) and applied as `POST /exchange` applies it. The answer is
//! `{"channel": "post", "data": {"id": N, "response": {"type": "info" | "action" | "error",
//! "payload": …}}}`, sent when it is ready: a socket waiting for an action's block still gets
//! its subscriptions' updates meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use novation_node::Node;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// How long an action waits for its block (as `/exchange`'s default).
const ACTION_WAIT: Duration = Duration::from_secs(10);

/// Most `post` requests one connection may have unanswered; more are refused with
/// Hyperliquid's "too many pending post requests id=N" (so a client cannot pile up work).
pub(super) const POSTS_IN_FLIGHT_MAX: usize = 16;

/// The request's payload, as the message's own text.
#[derive(Deserialize)]
struct RawPost<'a> {
    #[serde(borrow)]
    request: RawRequest<'a>,
}

#[derive(Deserialize)]
struct RawRequest<'a> {
    #[serde(borrow)]
    payload: &'a RawValue,
}

fn answer(id: u64, kind: &str, payload: Value) -> String {
    json!({"channel": "post", "data": {"id": id, "response": {"type": kind, "payload": payload}}}).to_string()
}

/// Starts answering one `post`; `false` when the client is gone or too far behind.
/// `in_flight` counts the connection's unanswered posts.
pub(super) fn start(
    node: &Node,
    outbox: &mpsc::Sender<String>,
    in_flight: &Arc<AtomicUsize>,
    message: &Value,
    raw: &str,
) -> bool {
    let Some(id) = message.get("id").and_then(Value::as_u64) else {
        let error = json!({"channel": "error", "data": "post needs a non-negative integer `id`"});
        return outbox.try_send(error.to_string()).is_ok();
    };
    if in_flight.fetch_add(1, Ordering::AcqRel) >= POSTS_IN_FLIGHT_MAX {
        in_flight.fetch_sub(1, Ordering::AcqRel);
        let error = json!({"channel": "error", "data": format!("too many pending post requests id={id}")});
        return outbox.try_send(error.to_string()).is_ok();
    }
    let in_flight = in_flight.clone();
    let request = message.get("request").cloned().unwrap_or(Value::Null);
    let kind = request.get("type").and_then(Value::as_str).unwrap_or("").to_string();
    let (node, outbox) = (node.clone(), outbox.clone());
    let raw_payload = serde_json::from_str::<RawPost<'_>>(raw).ok().map(|post| post.request.payload.get().to_string());
    tokio::spawn(async move {
        let text = match (kind.as_str(), raw_payload) {
            ("info", _) => {
                let payload = request.get("payload").cloned().unwrap_or(Value::Null);
                let info_type = payload.get("type").cloned().unwrap_or(Value::Null);
                let answered = tokio::task::spawn_blocking(move || crate::info::answer(&node, &payload)).await;
                match answered {
                    Ok(Ok(data)) => answer(id, "info", json!({"type": info_type, "data": data})),
                    Ok(Err(refusal)) => answer(id, "error", Value::String(refusal.message)),
                    Err(_) => answer(id, "error", Value::String("the answer failed".into())),
                }
            }
            ("action", Some(payload)) => {
                let result = crate::exchange::answer(node, bytes::Bytes::from(payload), ACTION_WAIT).await;
                answer(id, "action", result)
            }
            (other, _) => {
                answer(id, "error", Value::String(format!("post request type {other:?} is not info or action")))
            }
        };
        in_flight.fetch_sub(1, Ordering::AcqRel);
        let _ = outbox.try_send(text);
    });
    true
}
