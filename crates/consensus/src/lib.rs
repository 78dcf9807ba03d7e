//! Many validators, one chain: novation's blocks decided by Malachite (Tendermint in Rust,
//! `arc-malachitebft-*` 0.8.2, pinned exactly), with the oracle's prices carried in the
//! validators' vote extensions. Nothing outside this crate sees Malachite's types.
//!
//! ```text
//!  client ─► any node's RPC ─► Node::submit ─► mempool ─► relay ─► every peer's mempool
//!  proposer (round-robin): mempool ─► ConsensusBlock {time, parent, root after H-1,
//!      extensions of H-1, envelopes} ─► signed parts ─► every validator: reassemble, check
//!      stream signature, parent, root, time bounds, every envelope, every extension ─► vote
//!  precommit + signed OracleExtension (its price source's prices and smiles)
//!  decided ─► consensus.redb (block + certificate) ─► execute ─► chain.redb ─► next height
//!  behind? value sync serves decided blocks from consensus.redb; WAL replays a crash
//! ```
//!
//! Modules: [`context`] (Malachite's `Context`), [`signing`] (what is signed, byte for byte),
//! [`codec`] (wire and WAL encoding), [`block`] (the decided value and its checks), [`parts`]
//! (proposal streams), [`store`] (decided blocks), [`oracle`] (price sources), [`app`] (the
//! message loop), [`relay`] (transactions to peers), [`validator`] (one node) and
//! [`network`] (a local multi-validator testnet).
#![deny(missing_docs)]

pub mod app;
pub mod block;
pub mod codec;
pub mod context;
pub mod network;
pub mod oracle;
pub mod parts;
pub mod relay;
pub mod signing;
pub mod store;
pub mod validator;

/// A 32-byte hash.
pub type Hash32 = [u8; 32];

pub use block::{ConsensusBlock, OracleExtension};
pub use context::{BlockId, Height, NovationContext, ProposalPart, Validator, ValidatorAddress, ValidatorSet};
pub use oracle::{NoPrices, PriceSource, SimulatedPriceSource};
pub use validator::{lan_timeouts, start_validator, validator_set, PubSub, RunningValidator, ValidatorConfig};

/// A validator's ed25519 consensus key (separate from any account key).
pub use malachitebft_signing_ed25519::{PrivateKey as ConsensusKey, PublicKey as ConsensusPublicKey};
