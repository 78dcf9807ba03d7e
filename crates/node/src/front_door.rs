//! The RPC front door: who may hold a connection, for how long, and what a request may ask,
//! in front of the JSON-RPC service. A public node is reached by anyone; every resource a
//! stranger can hold here has its own bound ([`RpcLimits`], docs/api.md lists the defaults).
//!
//! ```text
//!  accept ─► per-IP and total connection caps (else closed at once)
//!         ─► per connection: idle watchdog (bytes read), Host and Origin allow-lists (403)
//!         ─► WebSocket upgrade: a session permit (429 past the cap), pings, idle limit
//!         ─► HTTP request: an in-flight permit (503 past the cap) and a deadline covering
//!            the body read and the answer (408)
//!         ─► jsonrpsee (body and batch size caps) ─► /dashboard, /metrics or the methods
//! ```

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse, Methods, ServerHandle, StopHandle};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::Service;

use crate::{Node, NodeError};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The front door's bounds. [`RpcLimits::default`] is for a node on loopback.
#[derive(Clone, Debug)]
pub struct RpcLimits {
    /// Open HTTP connections (not upgraded), all clients together.
    pub max_http_connections: usize,
    /// Open WebSocket sessions, all clients together.
    pub max_ws_sessions: usize,
    /// HTTP requests being answered at once, all clients together.
    pub max_in_flight: usize,
    /// Open connections (HTTP and WebSocket) from one IP address.
    pub max_connections_per_ip: usize,
    /// Largest request body, bytes.
    pub max_request_bytes: u32,
    /// Largest answer, bytes.
    pub max_response_bytes: u32,
    /// Calls in one JSON-RPC batch.
    pub max_batch: u32,
    /// Subscriptions per WebSocket session.
    pub max_subscriptions_per_session: u32,
    /// An HTTP connection that sends nothing for this long is closed (this also bounds a
    /// handshake that never completes).
    pub http_idle_timeout: Duration,
    /// Time to read one HTTP request's body and answer it.
    pub request_timeout: Duration,
    /// Interval of WebSocket pings.
    pub ws_ping_interval: Duration,
    /// A WebSocket session that sends nothing (not even a pong) for this long is closed.
    pub ws_idle_timeout: Duration,
    /// Host header values accepted (host names or addresses, any port); empty accepts all.
    pub allowed_hosts: Vec<String>,
    /// Origin header values accepted (`scheme://host[:port]`, or a bare host for any scheme
    /// and port); a request without Origin (not from a browser) is always accepted, and so is
    /// a same-origin one (Origin `http(s)://` + the request's Host) when `allowed_hosts` is a
    /// list (not empty: with any Host accepted, same-origin proves nothing).
    pub allowed_origins: Vec<String>,
}

impl Default for RpcLimits {
    fn default() -> Self {
        let loopback: Vec<String> = ["localhost", "127.0.0.1", "[::1]"].map(String::from).to_vec();
        RpcLimits {
            max_http_connections: 256,
            max_ws_sessions: 128,
            max_in_flight: 128,
            max_connections_per_ip: 32,
            max_request_bytes: 1024 * 1024,
            max_response_bytes: 16 * 1024 * 1024,
            max_batch: 100,
            max_subscriptions_per_session: 64,
            http_idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            ws_ping_interval: Duration::from_secs(30),
            ws_idle_timeout: Duration::from_secs(90),
            allowed_hosts: loopback.clone(),
            allowed_origins: loopback,
        }
    }
}

impl RpcLimits {
    /// The defaults for a node listening on `addr`: a specific address is added to the
    /// allowed hosts; on an unspecified address (`0.0.0.0`, `::`) any Host is accepted, since
    /// the names clients will use are unknown. Origins stay loopback-only either way.
    pub fn for_listen(addr: SocketAddr) -> Self {
        let mut limits = RpcLimits::default();
        if addr.ip().is_unspecified() {
            limits.allowed_hosts.clear();
        } else if !addr.ip().is_loopback() {
            limits.allowed_hosts.push(match addr.ip() {
                IpAddr::V4(ip) => ip.to_string(),
                IpAddr::V6(ip) => format!("[{ip}]"),
            });
        }
        limits
    }
}

/// The host part of a `Host` header or an origin's authority: without port or scheme.
fn host_part(authority: &str) -> &str {
    let authority = authority.rsplit("://").next().unwrap_or(authority);
    if let Some(end) = authority.strip_prefix('[').and_then(|rest| rest.find(']')) {
        return &authority[..end + 2];
    }
    authority.split(':').next().unwrap_or(authority)
}

fn allowed(list: &[String], value: &str) -> bool {
    list.is_empty()
        || list.iter().any(|entry| entry.eq_ignore_ascii_case(value) || entry.eq_ignore_ascii_case(host_part(value)))
}

fn refusal(status: http::StatusCode, why: &'static str) -> HttpResponse {
    let mut response = HttpResponse::new(HttpBody::from(why));
    *response.status_mut() = status;
    response
}

/// Shared state of the front door.
struct Gate {
    limits: RpcLimits,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    http: Arc<Semaphore>,
    ws: Arc<Semaphore>,
    in_flight: Arc<Semaphore>,
    started: Instant,
}

impl Gate {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Host and Origin checks (DNS rebinding: a page on another site may not talk to us).
    fn check_headers<B>(&self, request: &HttpRequest<B>) -> Result<(), &'static str> {
        let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
        let host = header(http::header::HOST).or_else(|| request.uri().authority().map(|a| a.as_str()));
        if !host.is_some_and(|host| allowed(&self.limits.allowed_hosts, host)) {
            return Err("host not allowed");
        }
        if let Some(origin) = header(http::header::ORIGIN) {
            // A page the node served itself (the dashboard) is same-origin: its Origin is the
            // Host it was loaded from. That is accepted only for a Host on an explicit
            // allow-list: with every Host accepted, a rebinding page's origin is its Host too.
            let same_origin = !self.limits.allowed_hosts.is_empty()
                && host.is_some_and(|host| {
                    let authority = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
                    authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host))
                });
            if !same_origin && !allowed(&self.limits.allowed_origins, origin) {
                return Err("origin not allowed");
            }
        }
        Ok(())
    }
}

/// A connection's slot in the per-IP count, released on drop.
struct IpSlot {
    gate: Arc<Gate>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut per_ip = self.gate.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = per_ip.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

/// What the watchdog knows of one connection.
struct Connection {
    last_read_ms: AtomicU64,
    websocket: AtomicBool,
    /// The HTTP slot until the connection upgrades, then the WebSocket slot.
    permit: Mutex<Option<OwnedSemaphorePermit>>,
}

/// A TCP stream that notes when it last read a byte.
struct Watched {
    stream: TcpStream,
    connection: Arc<Connection>,
    gate: Arc<Gate>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.connection.last_read_ms.store(this.gate.now_ms(), Ordering::Relaxed);
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Resolves when the connection has read nothing for longer than its kind allows.
async fn idle(gate: Arc<Gate>, connection: Arc<Connection>) {
    let tick = (gate.limits.http_idle_timeout.min(gate.limits.ws_idle_timeout) / 4).max(Duration::from_millis(50));
    loop {
        tokio::time::sleep(tick).await;
        let limit = if connection.websocket.load(Ordering::Relaxed) {
            gate.limits.ws_idle_timeout
        } else {
            gate.limits.http_idle_timeout
        };
        let silent_ms = gate.now_ms().saturating_sub(connection.last_read_ms.load(Ordering::Relaxed));
        if u128::from(silent_ms) > limit.as_millis() {
            return;
        }
    }
}

/// One request through the gate into the jsonrpsee service.
async fn handle<S>(
    gate: Arc<Gate>,
    connection: Arc<Connection>,
    mut inner: S,
    request: HttpRequest<hyper::body::Incoming>,
) -> Result<HttpResponse, BoxError>
where
    S: Service<HttpRequest<hyper::body::Incoming>, Response = HttpResponse, Error = BoxError>,
{
    if let Err(why) = gate.check_headers(&request) {
        return Ok(refusal(http::StatusCode::FORBIDDEN, why));
    }
    if jsonrpsee::server::ws::is_upgrade_request(&request) {
        let Ok(permit) = gate.ws.clone().try_acquire_owned() else {
            return Ok(refusal(http::StatusCode::TOO_MANY_REQUESTS, "WebSocket sessions at their limit"));
        };
        // The connection now holds a session slot instead of an HTTP slot.
        *connection.permit.lock().unwrap_or_else(|p| p.into_inner()) = Some(permit);
        connection.websocket.store(true, Ordering::Relaxed);
        return inner.call(request).await;
    }
    let Ok(_in_flight) = gate.in_flight.clone().try_acquire_owned() else {
        return Ok(refusal(http::StatusCode::SERVICE_UNAVAILABLE, "requests in flight at their limit"));
    };
    match tokio::time::timeout(gate.limits.request_timeout, inner.call(request)).await {
        Ok(answer) => answer,
        Err(_) => Ok(refusal(http::StatusCode::REQUEST_TIMEOUT, "request not read and answered in time")),
    }
}

/// Admits one accepted socket (or closes it) and serves it until it ends, idles or the server
/// stops.
fn serve_connection(
    gate: &Arc<Gate>,
    stream: TcpStream,
    peer: SocketAddr,
    service: impl Fn() -> jsonrpsee::server::TowerService<tower::layer::util::Identity, HttpLayers>
        + Clone
        + Send
        + Sync
        + 'static,
    stop: StopHandle,
) {
    let ip = peer.ip();
    {
        let mut per_ip = gate.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        let count = per_ip.entry(ip).or_insert(0);
        if *count >= gate.limits.max_connections_per_ip {
            return; // dropping the stream closes it
        }
        *count += 1;
    }
    let slot = IpSlot { gate: gate.clone(), ip };
    let Ok(http_permit) = gate.http.clone().try_acquire_owned() else { return };
    let connection = Arc::new(Connection {
        last_read_ms: AtomicU64::new(gate.now_ms()),
        websocket: AtomicBool::new(false),
        permit: Mutex::new(Some(http_permit)),
    });
    let gate = gate.clone();
    let watched = Watched { stream, connection: connection.clone(), gate: gate.clone() };
    let (gate_for_service, connection_for_service) = (gate.clone(), connection.clone());
    let per_request = tower::service_fn(move |request: HttpRequest<hyper::body::Incoming>| {
        let inner = service();
        handle(gate_for_service.clone(), connection_for_service.clone(), inner, request)
    });
    tokio::spawn(async move {
        let _slot = slot;
        let served = jsonrpsee::server::serve_with_graceful_shutdown(watched, per_request, stop.shutdown());
        tokio::select! {
            _ = served => {}
            _ = idle(gate, connection) => {}
        }
    });
}

/// The HTTP middleware stack inside the front door: `/dashboard` (outermost), then `/metrics`.
type HttpLayers = tower::layer::util::Stack<
    crate::metrics::MetricsLayer,
    tower::layer::util::Stack<crate::dashboard::DashboardLayer, tower::layer::util::Identity>,
>;

/// Binds `addr` and serves `methods` behind the front door; returns the bound address and the
/// handle that stops it.
pub(crate) async fn start(
    node: Node,
    methods: impl Into<Methods>,
    addr: SocketAddr,
    limits: RpcLimits,
) -> Result<(SocketAddr, ServerHandle), NodeError> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    if !local.ip().is_loopback() {
        eprintln!(
            "novation: WARNING: the API listens on {local}, reachable from other machines; \
             allowed hosts {:?}, allowed origins {:?}",
            limits.allowed_hosts, limits.allowed_origins
        );
    }
    let config = jsonrpsee::server::ServerConfig::builder()
        .max_request_body_size(limits.max_request_bytes)
        .max_response_body_size(limits.max_response_bytes)
        // The front door counts connections itself.
        .max_connections(u32::try_from(limits.max_http_connections + limits.max_ws_sessions).unwrap_or(u32::MAX))
        .max_subscriptions_per_connection(limits.max_subscriptions_per_session)
        .set_batch_request_config(jsonrpsee::server::BatchRequestConfig::Limit(limits.max_batch))
        .enable_ws_ping(
            jsonrpsee::server::PingConfig::new()
                .ping_interval(limits.ws_ping_interval)
                .inactive_limit(limits.ws_idle_timeout),
        )
        .build();
    let builder = jsonrpsee::server::Server::builder()
        .set_config(config)
        .set_http_middleware(
            tower::ServiceBuilder::new()
                .layer(crate::dashboard::DashboardLayer)
                .layer(crate::metrics::MetricsLayer::new(node)),
        )
        .to_service_builder();
    let gate = Arc::new(Gate {
        per_ip: Mutex::new(HashMap::new()),
        http: Arc::new(Semaphore::new(limits.max_http_connections)),
        ws: Arc::new(Semaphore::new(limits.max_ws_sessions)),
        in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
        started: Instant::now(),
        limits,
    });
    let methods: Methods = methods.into();
    let (stop, handle) = jsonrpsee::server::stop_channel();
    tokio::spawn(async move {
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    // Out of descriptors and the like: wait a little rather than spin.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
                _ = stop.clone().shutdown() => return,
            };
            let (builder, methods, stop_for_service) = (builder.clone(), methods.clone(), stop.clone());
            let service = move || builder.clone().build(methods.clone(), stop_for_service.clone());
            serve_connection(&gate, stream, peer, service, stop.clone());
        }
    });
    Ok((local, handle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_without_port_or_scheme() {
        let list: Vec<String> = ["localhost", "127.0.0.1", "[::1]"].map(String::from).to_vec();
        assert!(allowed(&list, "localhost:8545"));
        assert!(allowed(&list, "http://127.0.0.1:8545"));
        assert!(allowed(&list, "[::1]:8545"));
        assert!(!allowed(&list, "evil.example:8545"));
        assert!(!allowed(&list, "http://localhost.evil.example"));
        assert!(allowed(&[], "anything"));
    }
}
