//! The node's block header, the block body it stores, hashes and hex helpers.
//!
//! - `block_hash = SHA-256(bincode(header))` (bincode 1, fixed-width little-endian integers);
//! - `tx_hash` (a transaction's identity) = `SHA-256(signing_hash || signer)`: the EIP-712
//!   signing hash and the 20-byte address that signed, so nobody can claim another signer's
//!   payload by sending it first with a junk signature;
//! - `tx_root` = binary SHA-256 Merkle root over the block's tx hashes in block order: leaves
//!   are `SHA-256(0x00 || tx_hash)`, inner nodes `SHA-256(0x01 || left || right)`, an odd node
//!   is promoted unchanged, the empty block's root is 32 zero bytes;
//! - `parent_hash` of block 1 is `SHA-256(genesis JSON as stored)`.

use novation_protocol::BlockOutcome;
use novation_tx::SignedTransaction;
use novation_types::Transaction;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A 32-byte hash.
pub type Hash32 = [u8; 32];

/// A transaction's identity: `SHA-256(signing_hash || signer)`. Two envelopes over the same
/// payload by different keys are different transactions.
pub fn tx_id(signing_hash: &Hash32, signer: novation_types::Address) -> Hash32 {
    Sha256::new().chain_update(signing_hash).chain_update(signer.0).finalize().into()
}

/// A committed block's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeHeader {
    /// Height, from 1.
    pub height: u64,
    /// Block time, ms since the Unix epoch (the sequencer's clock, never decreasing).
    pub time_ms: u64,
    /// Hash of the previous header (of the genesis for block 1).
    pub parent_hash: Hash32,
    /// Merkle root of the block's transaction hashes.
    pub tx_root: Hash32,
    /// Root of the state commitment after this block.
    pub state_root: Hash32,
}

impl NodeHeader {
    /// The header's canonical bytes (bincode).
    pub fn to_bytes(&self) -> Vec<u8> {
        bincode::serialize(self).unwrap_or_default()
    }

    /// SHA-256 of the canonical bytes.
    pub fn hash(&self) -> Hash32 {
        sha256(&self.to_bytes())
    }

    /// The header as the API shows it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "height": self.height,
            "time_ms": self.time_ms,
            "parent_hash": hex(&self.parent_hash),
            "tx_root": hex(&self.tx_root),
            "state_root": hex(&self.state_root),
            "block_hash": hex(&self.hash()),
        })
    }
}

/// What the block log stores as a block: the authenticated transactions the protocol applied
/// (replay re-applies them without re-verifying) and the envelopes and hashes for the API.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BlockBody {
    /// Protocol transactions, in execution order.
    pub transactions: Vec<Transaction>,
    /// The signed envelopes, as received.
    pub envelopes: Vec<SignedTransaction>,
    /// Signing hashes, one per transaction.
    pub tx_hashes: Vec<Hash32>,
    /// Prices consensus carried into the block (the validators' vote extensions of the
    /// previous height; empty on a solo chain).
    pub prices: Vec<novation_protocol::PublisherPrices>,
}

/// Encodes a value with bincode.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, crate::NodeError> {
    bincode::serialize(value).map_err(|error| crate::NodeError::Corrupt(format!("encode: {error}")))
}

/// Encodes a value with bincode into `out`, replacing what it held (its memory is reused).
pub(crate) fn encode_into<T: Serialize>(value: &T, out: &mut Vec<u8>) -> Result<(), crate::NodeError> {
    out.clear();
    bincode::serialize_into(&mut *out, value).map_err(|error| crate::NodeError::Corrupt(format!("encode: {error}")))
}

/// Decodes a value with bincode.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, crate::NodeError> {
    bincode::deserialize(bytes).map_err(|error| crate::NodeError::Corrupt(format!("{what}: {error}")))
}

/// Decodes a stored results record.
pub(crate) fn decode_results(bytes: &[u8]) -> Result<BlockOutcome, crate::NodeError> {
    decode(bytes, "block results")
}

/// SHA-256.
pub fn sha256(bytes: &[u8]) -> Hash32 {
    Sha256::digest(bytes).into()
}

/// The Merkle root of transaction hashes (see the module doc).
pub fn tx_root(hashes: &[Hash32]) -> Hash32 {
    if hashes.is_empty() {
        return [0; 32];
    }
    let mut level: Vec<Hash32> = hashes
        .iter()
        .map(|h| {
            let mut hasher = Sha256::new();
            hasher.update([0x00]);
            hasher.update(h);
            hasher.finalize().into()
        })
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => {
                    let mut hasher = Sha256::new();
                    hasher.update([0x01]);
                    hasher.update(left);
                    hasher.update(right);
                    hasher.finalize().into()
                }
                [single] => *single,
                _ => [0; 32],
            })
            .collect();
    }
    level[0]
}

/// `0x`-prefixed lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(2 + bytes.len() * 2);
    text.push_str("0x");
    for byte in bytes {
        text.push(DIGITS[(byte >> 4) as usize] as char);
        text.push(DIGITS[(byte & 0xf) as usize] as char);
    }
    text
}

/// Parses `0x`-prefixed (or bare) hex of exactly 32 bytes.
pub fn parse_hash(text: &str) -> Option<Hash32> {
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    if digits.len() != 64 || !digits.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (index, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[2 * index..2 * index + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_root_of_nothing_is_zero_and_of_one_is_its_leaf() {
        assert_eq!(tx_root(&[]), [0; 32]);
        let h = [7u8; 32];
        let mut leaf = vec![0u8];
        leaf.extend_from_slice(&h);
        assert_eq!(tx_root(&[h]), sha256(&leaf));
        assert_ne!(tx_root(&[h, [8; 32]]), tx_root(&[[8; 32], h]));
    }

    #[test]
    fn hash_hex_round_trips() {
        let h = [0xabu8; 32];
        assert_eq!(parse_hash(&hex(&h)), Some(h));
        assert_eq!(parse_hash("0x12"), None);
    }
}
