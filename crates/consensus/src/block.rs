//! The block a round decides ([`ConsensusBlock`]) and the checks every validator makes before
//! it votes for one ([`check_block`]).
//!
//! A block carries: its height and time (the proposer's clock), the hash of the previous
//! committed header and the state root after the previous block, the signed oracle
//! extensions of the previous height's precommits, and the signed transaction envelopes in
//! block order. Its id ([`crate::BlockId`]) is the SHA-256 of its canonical bytes.
//!
//! **The state root of block H is in block H + 1** (`prev_state_root`), as in CometBFT: a
//! validator checks, before it prevotes for H + 1, that the proposer's root after H is its own.
//! Execution happens once, when H is decided; a validator whose root differs from a decided
//! block's stops rather than serve a fork ([`crate::app`]).

use novation_node::{BlockTx, Hash32, Node, NodeError};
use novation_tx::SignedTransaction;
use novation_types::action::{PriceReport, VolSurfaceReport};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::codec::{from_bytes, to_bytes, CodecError};
use crate::context::{serde_sig, BlockId, Height, ValidatorAddress, ValidatorSet};
use crate::signing::{extension_signing_bytes, verifies};

/// Largest vote extension a validator may sign (bytes).
pub const MAX_EXTENSION_BYTES: usize = 16 * 1024;

/// How far ahead of a validator's clock a live proposal's time may be (ms).
pub const MAX_FUTURE_MS: u64 = 2_000;

/// How far behind a validator's clock a live proposal's time may be (ms): generous, because a
/// block re-proposed in a later round keeps its first time.
pub const MAX_PAST_MS: u64 = 60_000;

/// One validator's signed extension from the previous height's precommits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedExtension {
    /// The validator that signed it.
    pub validator: ValidatorAddress,
    /// The round of its precommit.
    pub round: i64,
    /// The extension bytes ([`OracleExtension`]).
    pub data: Vec<u8>,
    /// Its signature ([`crate::signing::extension_signing_bytes`]).
    #[serde(with = "serde_sig")]
    pub signature: [u8; 64],
}

/// What a validator's precommit extension says: its observation of the oracle's prices for
/// the block after `height`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OracleExtension {
    /// The height of the precommit it extends.
    pub height: u64,
    /// Prices, one per asset.
    pub prices: Vec<PriceReport>,
    /// Volatility smiles of option underlyings, one per listed expiry.
    pub surfaces: Vec<VolSurfaceReport>,
}

impl OracleExtension {
    /// Canonical bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CodecError> {
        to_bytes(self)
    }

    /// Decodes canonical bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CodecError> {
        from_bytes(bytes)
    }
}

/// The block a round decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsensusBlock {
    /// Height.
    pub height: u64,
    /// Block time, ms since the Unix epoch: the proposer's clock, after the previous block's.
    pub time_ms: u64,
    /// Who proposed it.
    pub proposer: ValidatorAddress,
    /// Hash of the previous committed header (of the genesis for block 1).
    pub parent_hash: Hash32,
    /// State root after the previous block.
    pub prev_state_root: Hash32,
    /// The block decided at the previous height (the extensions' scope); `None` at height 1.
    pub prev_block: Option<BlockId>,
    /// The previous height's precommit extensions, by validator address.
    pub extensions: Vec<CarriedExtension>,
    /// Signed transactions, in block order.
    pub envelopes: Vec<SignedTransaction>,
}

impl ConsensusBlock {
    /// Canonical bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CodecError> {
        to_bytes(self)
    }

    /// Decodes canonical bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CodecError> {
        from_bytes(bytes)
    }
}

/// The id of a block's canonical bytes.
pub fn block_id(bytes: &[u8]) -> BlockId {
    BlockId(Sha256::digest(bytes).into())
}

/// Why a validator votes nil on a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidBlock {
    /// Not the height being decided.
    WrongHeight {
        /// Expected.
        expected: u64,
        /// Found.
        got: u64,
    },
    /// Not built on this validator's last block.
    WrongParent,
    /// The proposer's state root after the previous block is not this validator's.
    WrongStateRoot,
    /// Names the wrong previous block.
    WrongPreviousBlock,
    /// Not after the previous block's time.
    TimeNotAfterParent,
    /// Too far from this validator's clock (live proposals only).
    TimeOutOfBounds,
    /// More transactions or bytes than a block may hold.
    TooLarge,
    /// A transaction that does not verify.
    BadTransaction(usize, String),
    /// The same transaction twice.
    DuplicateTransaction(usize),
    /// An extension from a non-validator, twice from one, too large or badly signed.
    BadExtension(usize),
}

impl std::fmt::Display for InvalidBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

/// What a validator knows when it checks a block.
#[derive(Clone, Debug)]
pub struct BlockContext<'a> {
    /// Chain id (signatures' domain).
    pub chain_id: u64,
    /// The validator set.
    pub validators: &'a ValidatorSet,
    /// The block decided at the previous height, if any.
    pub prev_block: Option<BlockId>,
    /// This validator's clock, on the live path; `None` when syncing (no clock check).
    pub now_ms: Option<u64>,
}

/// Checks `block` against the node's committed state and returns its verified transactions.
pub fn check_block(node: &Node, ctx: &BlockContext<'_>, block: &ConsensusBlock) -> Result<Vec<BlockTx>, InvalidBlock> {
    let expected = node.height() + 1;
    if block.height != expected {
        return Err(InvalidBlock::WrongHeight { expected, got: block.height });
    }
    let parent = node.latest_header().map_or_else(|| node.genesis_hash(), |h| h.hash());
    if block.parent_hash != parent {
        return Err(InvalidBlock::WrongParent);
    }
    if block.prev_state_root != node.state_root() {
        return Err(InvalidBlock::WrongStateRoot);
    }
    if block.prev_block != ctx.prev_block {
        return Err(InvalidBlock::WrongPreviousBlock);
    }
    if block.time_ms <= node.time_ms() {
        return Err(InvalidBlock::TimeNotAfterParent);
    }
    if let Some(now) = ctx.now_ms {
        if block.time_ms > now.saturating_add(MAX_FUTURE_MS) || block.time_ms.saturating_add(MAX_PAST_MS) < now {
            return Err(InvalidBlock::TimeOutOfBounds);
        }
    }
    check_extensions(ctx, block)?;
    let (max_txs, max_bytes) = node.block_limits();
    if block.envelopes.len() > max_txs {
        return Err(InvalidBlock::TooLarge);
    }
    let mut bytes = 0usize;
    let mut seen = std::collections::HashSet::with_capacity(block.envelopes.len());
    let mut txs = Vec::with_capacity(block.envelopes.len());
    for (index, envelope) in block.envelopes.iter().enumerate() {
        bytes = bytes.saturating_add(envelope.payload.len());
        if bytes > max_bytes.saturating_mul(2) {
            return Err(InvalidBlock::TooLarge);
        }
        let tx = node
            .verify_block_envelope(envelope)
            .map_err(|error: NodeError| InvalidBlock::BadTransaction(index, error.to_string()))?;
        if !seen.insert(tx.hash) {
            return Err(InvalidBlock::DuplicateTransaction(index));
        }
        txs.push(tx);
    }
    Ok(txs)
}

fn check_extensions(ctx: &BlockContext<'_>, block: &ConsensusBlock) -> Result<(), InvalidBlock> {
    if block.extensions.is_empty() {
        return Ok(());
    }
    let Some(prev_block) = block.prev_block else {
        return Err(InvalidBlock::BadExtension(0));
    };
    let prev_height = Height(block.height.saturating_sub(1));
    let mut last: Option<ValidatorAddress> = None;
    for (index, carried) in block.extensions.iter().enumerate() {
        // Sorted by address, so each validator appears once.
        if last.is_some_and(|l| l >= carried.validator) || carried.data.len() > MAX_EXTENSION_BYTES {
            return Err(InvalidBlock::BadExtension(index));
        }
        last = Some(carried.validator);
        let validator = ctx.validators.get(&carried.validator).ok_or(InvalidBlock::BadExtension(index))?;
        let bytes = extension_signing_bytes(
            ctx.chain_id,
            prev_height,
            carried.round,
            &prev_block,
            &carried.validator,
            &carried.data,
        );
        let signature = malachitebft_signing_ed25519::Signature::from_bytes(carried.signature);
        if !verifies(&validator.public_key, &bytes, &signature) {
            return Err(InvalidBlock::BadExtension(index));
        }
    }
    Ok(())
}
