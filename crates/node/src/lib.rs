//! The novation node: admission, sequencing, durable commit, recovery, and the API.
//!
//! ```text
//!  client ── nov_sendTransaction ──► rpc ──► Node::submit: verify (novation-tx: size, shape,
//!                                              chain id, signature) ─► Mempool (dedup, bounds,
//!                                              per-signer nonces)
//!  sequencer timer (block_time_ms) ──► Node::produce_block_now
//!        Mempool::take_block (ordered) ─► State::apply_block ─► commitment ─► header
//!        ─► Store::commit_block_with_meta (durable) ─► subscribers (WebSocket)
//!  restart ──► Chain::open: replay the block log, rebuild the commitment, compare roots
//! ```
//!
//! Entry points for the CLI: [`run_devnet`] / [`DevnetConfig`] (`novation devnet`) and
//! [`run_node`] / [`NodeConfig`] (`novation node`); in-process: [`start_devnet`],
//! [`start_node`], [`start_market_maker`] (the devnet's market maker beside a chain whose
//! blocks come from elsewhere, e.g. `novation devnet --validators N`), and [`Node`] for
//! benchmarks ([`Node::submit`], [`Node::produce_block_now`]).
//! `docs/node.md` describes the rules; `docs/api.md` the JSON-RPC contract; [`wire_schema`] the
//! JSON Schema of every transaction, action, event and typed query result (`docs/schema.json`,
//! served as `nov_getSchema`).
#![deny(missing_docs)]

mod chain;
mod dashboard;
mod devnet;
mod error;
mod front_door;
mod header;
mod history;
mod history_api;
mod indexer;
mod mempool;
mod metrics;
mod node;
mod rpc;
mod rpc_history;
mod schema;
#[cfg(test)]
mod scratch;
mod verified;

pub use chain::BlockTx;
pub use devnet::{
    demo_key, devnet_genesis, devnet_genesis_with_series, heartbeat_line, run_devnet, run_devnet_with, run_node,
    run_node_with, start_devnet, start_market_maker, start_node, Companion, CompanionStart, DemoKey, DevnetConfig,
    GenesisSource, MarketMaker, NodeConfig, RunningNode, SimulatedFeed, HEARTBEAT_SECS,
};
pub use error::NodeError;
pub use front_door::RpcLimits;
pub use header::{hex, parse_hash, sha256, tx_id, tx_root, BlockBody, Hash32, NodeHeader};
pub use history_api::{CandleView, IncludedTx, PastEvent, HISTORY_READ_MAX};
pub use mempool::MempoolLimits;
pub use metrics::metrics_text;
pub use node::{
    hyperliquid_network, now_ms, Admitted, BlockHeights, ChainConfig, Node, ProducedBlock, MAX_BLOCK_BYTES_DEFAULT,
    SNAPSHOT_INTERVAL_BLOCKS_DEFAULT,
};
pub use rpc::{rpc_module, start_rpc, start_rpc_with};
pub use schema::{wire_schema, SCHEMA_LAYOUT_VERSION};
