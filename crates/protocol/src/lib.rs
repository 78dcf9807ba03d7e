//! novation's state machine: pure, deterministic clearing of perpetual futures.
//!
//! The protocol receives blocks (a header with height and time, and already-authenticated
//! transactions) and returns events; it does no I/O, reads no clock and draws no randomness.
//! Same blocks in, same state (and [`State::state_hash`]) out, on any machine.
//!
//! ```text
//!            ┌──────────── State::apply_block ────────────┐
//!  Block ──► │ transactions (all or nothing each)          │ ──► events
//!            │   accounts: deposit / withdraw / transfer   │
//!            │   trading:  place / cancel / modify / batch │──► clearing ──► risk
//!            │   oracle:   price reports                   │
//!            │ end block: oracle ─► marks ─► risk prices   │
//!            │            ─► conservation check            │
//!            └─────────────────────────────────────────────┘
//! ```
//!
//! Components: [`accounts`] (collateral ledger), [`oracle`], [`markets`], [`book`],
//! `trading` (orders and matching), `clearing` (fills into positions), [`risk`] (margin and
//! health), [`queries`].
#![deny(missing_docs)]

pub mod accounts;
mod block;
pub mod book;
mod clearing;
mod commitment;
pub mod derivatives;
mod handler;
mod invariants;
mod journal;
mod liquidation;
pub mod markets;
pub mod oracle;
pub mod params;
pub mod presets;
pub mod queries;
pub mod risk;
mod state;
mod trading;

pub use block::{Block, BlockError, BlockHeader, BlockOutcome, TxError, TxOutcome};
pub use commitment::{ComponentKey, StateKey};
pub use handler::{check_transaction_stateless, transaction_class, ActionRules, OrderingClass};
pub use liquidation::RiskStats;
pub use state::State;
pub use trading::TriggerOrder;
