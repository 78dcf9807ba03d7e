//! A Hyperliquid-compatible API in front of a novation node, so bots and SDKs written for
//! Hyperliquid read novation with nothing changed but their base URL.
//!
//! ```text
//!  SDK ── POST /info {"type": …} ──► server (bounded body, connections, timeouts)
//!                                     └─► info::answer ─► Node::with_state (committed state)
//!                                                      └► Node::account_fills, candles, …
//!                                                         (the store's history)
//!  SDK ── GET /ws (subscribe allMids, l2Book, trades; ping) ──► ws: a snapshot, then an
//!                                     update after every block (Node::block_heights)
//!  SDK ── POST /exchange ──► exchange: the body, byte for byte, as a Hyperliquid envelope
//!           (novation_tx::hyperliquid) ─► Node::submit ─► the block that includes it ─►
//!           Hyperliquid's statuses from its events
//! ```
//!
//! There is no second state: every answer is read from the node at the moment it is asked,
//! and numbers are novation's own [`novation_math::Decimal`] printed as Hyperliquid prints
//! them. A perpetual `X-PERP` is Hyperliquid's coin `X`; a Hyperliquid user is novation's
//! subaccount 0 of the same address. `docs/hyperliquid.md` lists every info type as
//! supported, mapped (with its differences) or not yet served.
//!
//! Start it with [`start`] beside a node (`novation devnet --hl-port PORT` does so; the
//! default port is [`DEFAULT_PORT`]).
#![deny(missing_docs)]

mod exchange;
mod info;
mod server;
mod wire;
mod ws;

use std::net::SocketAddr;

pub use server::{start_with, Gateway, GatewayLimits, StartError};

/// The gateway's default port: 3001 (`http://127.0.0.1:3001`).
pub const DEFAULT_PORT: u16 = 3001;

/// Starts the gateway for `node` on `addr` (port 0 picks a free one) with the default
/// [`GatewayLimits`], inside the current tokio runtime; returns once it listens.
pub async fn start(node: novation_node::Node, addr: SocketAddr) -> Result<Gateway, StartError> {
    start_with(node, addr, GatewayLimits::default()).await
}

/// The gateway as a [`novation_node::Companion`] of `novation devnet`: started on `addr` once
/// the devnet's API listens, announced in its banner, stopped with it.
pub fn devnet_companion(addr: SocketAddr) -> novation_node::Companion {
    Box::new(move |node| {
        Box::pin(async move {
            let gateway = start(node, addr).await.map_err(|e| e.to_string())?;
            let line = format!("Hyperliquid API: {}/info (POST; docs/hyperliquid.md)", gateway.url());
            Ok((line, Box::new(gateway) as Box<dyn std::any::Any + Send>))
        })
    })
}
