//! novation's state machine: pure, deterministic clearing of perpetuals, dated futures and
//! options.
//!
//! The protocol receives blocks (a header with height and time, the publishers' prices its
//! consensus carries, and already-authenticated transactions) and returns events; it does
//! no I/O, reads no clock and draws no randomness. Same blocks in, same state (and
//! [`State::state_hash`]) out, on any machine.
//!
//! ```text
//!              ┌───────────────────── State::apply_block ─────────────────────┐
//!  Block ────► │ block prices: each publisher report under its action's rules │ ──► events
//!              │ each transaction, all or nothing:                            │
//!              │   nonce ─► stateless checks ─► agent ─► check_and_execute    │
//!              │   accounts · trading · oracle · derivatives actions          │
//!              │   (balances move only as ledger postings, journaled)         │
//!              │ end block: oracle ─► listings ─► smiles ─► expiry settlement │
//!              │   ─► marks ─► funding ─► risk prices ─► triggers             │
//!              │   ─► liquidations ─► bad-debt cover ─► conservation check    │
//!              └──────────────────────────────────────────────────────────────┘
//! ```
//!
//! [`State`] is the composition of components, each owning its state, undo entries,
//! committed section (its `state_key.rs`), actions and block hooks: `params` (every chain
//! parameter, committed), [`accounts`] (subaccounts, nonces, agents and the double-entry
//! ledger), [`oracle`], [`markets`] (running state and funding), `trading` (books, triggers),
//! [`derivatives`] (smiles, settlement), `liquidation` (waterfall, bad debt). Beside them:
//! [`book`] (the order-book data structure), `clearing` (pure fill arithmetic), [`risk`]
//! (health, derived each block) and [`queries`]. docs/architecture.md shows how they fit and
//! how a component is added.
#![deny(missing_docs)]

pub mod accounts;
mod block;
pub mod book;
mod clearing;
mod commitment;
pub mod derivatives;
mod handler;
pub mod hyperliquid;
mod invariants;
mod journal;
mod liquidation;
pub mod markets;
pub mod oracle;
pub mod params;
pub mod presets;
pub mod queries;
pub mod risk;
mod snapshot;
mod state;
mod trading;

pub use block::{Block, BlockError, BlockHeader, BlockOutcome, TxError, TxOutcome};
pub use commitment::{ComponentKey, StateKey};
pub use handler::{check_transaction_stateless, transaction_class, ActionRules, OrderingClass};
pub use liquidation::RiskStats;
pub use oracle::PublisherPrices;
pub use snapshot::{SnapshotError, SNAPSHOT_MAGIC, SNAPSHOT_VERSION};
pub use state::State;
pub use trading::TriggerOrder;
