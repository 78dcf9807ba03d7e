//! `GET /metrics`: Prometheus text for the node, served by an HTTP middleware in front of the
//! JSON-RPC service (every other request passes through untouched).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use novation_math::Decimal;

use crate::Node;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Decimal as a float literal for Prometheus (display only).
fn gauge(value: Decimal) -> String {
    value.to_string()
}

/// The metrics page.
pub fn metrics_text(node: &Node) -> String {
    let (height, time_ms, open_interest, insurance, subaccounts) = node.with_state(|state| {
        let totals = state.system_totals();
        (state.height(), state.time_ms(), totals.open_interest_notional, totals.insurance_fund, totals.subaccounts)
    });
    // One lock, released before the lines are built.
    let (mempool_len, mempool_bytes, mempool_gapped) = {
        let pool = node.mempool();
        (pool.len(), pool.bytes(), pool.gapped_len())
    };
    let metrics = &node.shared.metrics;
    let uptime_s = metrics.started.elapsed().as_secs().max(1);
    let total = metrics.total_txs.load(Ordering::Relaxed);
    let lines = [
        ("novation_block_height", "Latest committed block height.", height.to_string()),
        (
            "novation_block_timestamp_seconds",
            "Latest block time, seconds since the Unix epoch.",
            format!("{}.{:03}", time_ms / 1_000, time_ms % 1_000),
        ),
        ("novation_block_production_seconds", "Wall time to apply and durably commit the latest block.", {
            let micros = metrics.last_block_micros.load(Ordering::Relaxed);
            format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
        }),
        (
            "novation_block_transactions",
            "Transactions in the latest block.",
            metrics.last_block_txs.load(Ordering::Relaxed).to_string(),
        ),
        ("novation_transactions_total", "Transactions included since the process started.", total.to_string()),
        ("novation_transactions_per_second", "Mean inclusion rate since the process started.", {
            let milli = total.saturating_mul(1_000) / uptime_s;
            format!("{}.{:03}", milli / 1_000, milli % 1_000)
        }),
        ("novation_mempool_size", "Transactions waiting in the mempool.", mempool_len.to_string()),
        ("novation_mempool_bytes", "Envelope bytes waiting in the mempool.", mempool_bytes.to_string()),
        (
            "novation_mempool_gapped",
            "Transactions waiting in the mempool above a nonce gap.",
            mempool_gapped.to_string(),
        ),
        ("novation_open_interest_usd", "Open interest at mark, one side, all markets.", gauge(open_interest)),
        ("novation_insurance_fund_usd", "Insurance fund balance.", gauge(insurance)),
        ("novation_subaccounts", "Subaccounts with anything in them.", subaccounts.to_string()),
    ];
    let mut text = String::new();
    for (name, help, value) in lines {
        // Prometheus naming: a `_total` is a counter, everything else a gauge.
        let kind = if name.ends_with("_total") { "counter" } else { "gauge" };
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"));
    }
    text.push_str(&consensus_metrics(node));
    text
}

/// A validator network's view of consensus (what `nov_status` shows under `consensus`).
fn consensus_metrics(node: &Node) -> String {
    let Some(status) = node.consensus_status() else { return String::new() };
    let number = |key: &str| status.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0);
    let halted = u64::from(status.get("halted").is_some_and(|h| !h.is_null()));
    let lines = [
        ("novation_consensus_peers", "gauge", "Connected p2p peers.", number("peers")),
        ("novation_consensus_validators", "gauge", "Validators in the set.", number("validators")),
        ("novation_consensus_height", "gauge", "Height consensus is deciding.", number("deciding_height")),
        ("novation_consensus_round", "gauge", "Round of the height being decided.", number("round")),
        (
            "novation_consensus_equivocation_heights_total",
            "counter",
            "Heights at which a validator was seen equivocating.",
            number("equivocation_heights"),
        ),
        ("novation_consensus_halted", "gauge", "1 if this node halted off the agreed chain.", halted),
    ];
    lines
        .iter()
        .map(|(name, kind, help, value)| format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"))
        .collect()
}

/// Layer adding `/metrics` in front of the RPC service.
#[derive(Clone, Debug)]
pub(crate) struct MetricsLayer {
    node: Node,
}

impl MetricsLayer {
    pub(crate) fn new(node: Node) -> Self {
        MetricsLayer { node }
    }
}

impl<S> tower::Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsService { inner, node: self.node.clone() }
    }
}

/// The service of [`MetricsLayer`].
#[derive(Clone, Debug)]
pub(crate) struct MetricsService<S> {
    inner: S,
    node: Node,
}

impl<S, B> tower::Service<HttpRequest<B>> for MetricsService<S>
where
    S: tower::Service<HttpRequest, Response = HttpResponse>,
    S::Error: Into<BoxError> + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        if request.uri().path() == "/metrics" && request.method() == http::Method::GET {
            let mut response = HttpResponse::new(HttpBody::from(metrics_text(&self.node)));
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            return Box::pin(async move { Ok(response) });
        }
        let future = self.inner.call(request.map(HttpBody::new));
        Box::pin(async move { future.await.map_err(Into::into) })
    }
}
