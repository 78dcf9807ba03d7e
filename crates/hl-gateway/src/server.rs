//! The gateway's HTTP server: HTTP/1.1 on its own port, `POST /info`, `POST /exchange`
//! ([`crate::exchange`]: signatures recovered, actions not executed yet) and the WebSocket
//! at `/ws` ([`crate::ws`]).
//!
//! The front door is hostile territory (DESIGN.md §4), so everything is bounded: connections
//! open at once ([`GatewayLimits::max_connections`]; one more waits in the kernel's backlog)
//! and WebSockets ([`GatewayLimits::max_websockets`]),
//! the time to send a request's headers, the body's size (read through a limit, never
//! buffered past it) and the time to answer. Answers that read state run on the blocking
//! pool, so a slow read never holds the threads that accept connections, and never the
//! sequencer (reads take the chain's read lock only for as long as they copy values out).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use novation_node::Node;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::info;

/// How long the accept loop waits after a failed accept.
const ACCEPT_RETRY: Duration = Duration::from_millis(10);

/// Bounds of the gateway's front door.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatewayLimits {
    /// Largest request body accepted, in bytes (larger: HTTP 413).
    pub max_body_bytes: usize,
    /// Most connections served at once.
    pub max_connections: usize,
    /// Time a client has to send a request's headers.
    pub header_timeout: Duration,
    /// Time an answer may take before the client gets HTTP 503.
    pub answer_timeout: Duration,
    /// Most WebSocket connections open at once (more get HTTP 503).
    pub max_websockets: usize,
}

impl Default for GatewayLimits {
    /// 64 KiB bodies (an info request is a few hundred bytes), 256 connections, 10 s for
    /// headers, 10 s per answer, 128 WebSockets.
    fn default() -> Self {
        GatewayLimits {
            max_body_bytes: 64 * 1024,
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            answer_timeout: Duration::from_secs(10),
            max_websockets: 128,
        }
    }
}

/// A running gateway: where it listens, and the way to stop it.
#[derive(Debug)]
pub struct Gateway {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// The address it listens on (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL an SDK is pointed at: `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for the accept loop to end (requests in flight
    /// finish on their own tasks).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Why the gateway could not start.
#[derive(Debug)]
pub struct StartError(pub std::io::Error);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the Hyperliquid gateway could not listen: {}", self.0)
    }
}

impl std::error::Error for StartError {}

/// Starts the gateway for `node` on `addr` (port 0 picks a free one) with `limits`, inside the
/// current tokio runtime; returns once it listens.
pub async fn start_with(node: Node, addr: SocketAddr, limits: GatewayLimits) -> Result<Gateway, StartError> {
    let listener = TcpListener::bind(addr).await.map_err(StartError)?;
    let addr = listener.local_addr().map_err(StartError)?;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, node, limits, stopped));
    Ok(Gateway { addr, stop, task })
}

async fn accept_loop(listener: TcpListener, node: Node, limits: GatewayLimits, mut stopped: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let websockets = Sockets { permits: Arc::new(Semaphore::new(limits.max_websockets)), stopped: stopped.clone() };
    loop {
        let permit = tokio::select! {
            _ = stopped.changed() => return,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
        };
        let accepted = tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _peer)) = accepted else {
            // Out of file descriptors, or a connection reset before it was accepted: wait a
            // moment rather than spin.
            tokio::time::sleep(ACCEPT_RETRY).await;
            continue;
        };
        let node = node.clone();
        let websockets = websockets.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let (node, websockets) = (node.clone(), websockets.clone());
                async move { Ok::<_, Infallible>(handle(node, request, limits, websockets).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
            drop(permit);
        });
    }
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.into())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

fn json(value: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
}

/// Hyperliquid's answer to a body it cannot use: HTTP 422 with a plain-text reason.
fn unprocessable(reason: &str) -> Response<Full<Bytes>> {
    text(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("Failed to deserialize the JSON body into the target type: {reason}"),
    )
}

/// What WebSocket sessions share: the permits that bound how many are open, and the
/// gateway's stop signal (a session ends when the gateway stops).
#[derive(Clone)]
struct Sockets {
    permits: Arc<Semaphore>,
    stopped: watch::Receiver<bool>,
}

/// Upgrades `GET /ws` to Hyperliquid's WebSocket ([`crate::ws`]), within the WebSocket limit.
fn upgrade(node: Node, request: Request<Incoming>, websockets: Sockets) -> Response<Full<Bytes>> {
    let Ok(permit) = websockets.permits.try_acquire_owned() else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "too many WebSocket connections; try again later");
    };
    let mut server = soketto::handshake::http::Server::new();
    match server.receive_request(&request) {
        Ok(response) => {
            tokio::spawn(async move {
                if let Ok(upgraded) = hyper::upgrade::on(request).await {
                    crate::ws::serve(node, server, upgraded, websockets.stopped).await;
                }
                drop(permit);
            });
            response.map(|()| Full::new(Bytes::new()))
        }
        Err(error) => text(StatusCode::BAD_REQUEST, format!("not a WebSocket upgrade: {error}")),
    }
}

async fn handle(
    node: Node,
    request: Request<Incoming>,
    limits: GatewayLimits,
    websockets: Sockets,
) -> Response<Full<Bytes>> {
    if request.uri().path() == "/ws" {
        if soketto::handshake::http::is_upgrade_request(&request) {
            return upgrade(node, request, websockets);
        }
        return text(StatusCode::BAD_REQUEST, "/ws is a WebSocket: send an upgrade request");
    }
    let exchange = match (request.method(), request.uri().path()) {
        (&Method::POST, "/info") => false,
        (&Method::POST, "/exchange") => true,
        (_, "/info" | "/exchange") => return text(StatusCode::METHOD_NOT_ALLOWED, "POST with a JSON body"),
        _ => {
            return text(
                StatusCode::NOT_FOUND,
                "novation's Hyperliquid gateway serves POST /info, POST /exchange and /ws",
            )
        }
    };
    let body = match Limited::new(request.into_body(), limits.max_body_bytes).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let reason = format!("the body is larger than {} bytes, or was cut off", limits.max_body_bytes);
            return text(StatusCode::PAYLOAD_TOO_LARGE, reason);
        }
    };
    if exchange {
        return json(&crate::exchange::answer(node, body, limits.answer_timeout).await);
    }
    let request: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => return unprocessable(&format!("not JSON: {error}")),
    };
    let answer = tokio::task::spawn_blocking(move || info::answer(&node, &request));
    match tokio::time::timeout(limits.answer_timeout, answer).await {
        Ok(Ok(Ok(value))) => json(&value),
        Ok(Ok(Err(refusal))) => unprocessable(&refusal.message),
        Ok(Err(_)) => text(StatusCode::INTERNAL_SERVER_ERROR, "the answer failed"),
        Err(_) => text(StatusCode::SERVICE_UNAVAILABLE, "the answer took too long"),
    }
}
