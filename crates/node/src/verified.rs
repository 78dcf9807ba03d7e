//! Which envelopes this node admitted to its mempool, by signature, so that checking a
//! proposed block does not verify again (JSON parse, keccak, curve arithmetic) an envelope
//! the node verified when it was submitted or relayed to it.
//!
//! The index only names where an admitted transaction sits in the mempool (id, signer,
//! nonce). A lookup is a hit only if the mempool still holds that transaction and its
//! envelope is byte-for-byte the one asked about: verification is a pure function of the
//! chain id and the envelope, so the pending transaction is exactly what verifying would
//! return. Anything else (never admitted, replaced, evicted, included) is a miss and is
//! verified in full. The index is bounded by count, oldest entries dropped first; a
//! dropped entry only costs a full verification.

use std::collections::{HashMap, VecDeque};

use novation_tx::TxSignature;
use novation_types::Address;

use crate::header::Hash32;

/// Where an admitted envelope's transaction sits in the mempool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AdmittedAt {
    /// Its id ([`crate::header::tx_id`]).
    pub(crate) hash: Hash32,
    /// Its signer.
    pub(crate) signer: Address,
    /// Its nonce.
    pub(crate) nonce: u64,
}

/// Admitted envelopes by signature, at most `capacity` of them.
#[derive(Debug)]
pub(crate) struct VerifiedIndex {
    capacity: usize,
    by_signature: HashMap<TxSignature, AdmittedAt>,
    /// Insertion order, oldest first (each key once).
    order: VecDeque<TxSignature>,
}

impl VerifiedIndex {
    /// An empty index holding at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        VerifiedIndex { capacity, by_signature: HashMap::new(), order: VecDeque::new() }
    }

    /// Records that the envelope signed with `signature` was admitted as `at`.
    pub(crate) fn insert(&mut self, signature: &TxSignature, at: AdmittedAt) {
        if let Some(entry) = self.by_signature.get_mut(signature) {
            *entry = at;
            return;
        }
        while self.order.len() >= self.capacity {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.by_signature.remove(&oldest);
                }
                None => break,
            }
        }
        self.by_signature.insert(signature.clone(), at);
        self.order.push_back(signature.clone());
        debug_assert_eq!(self.by_signature.len(), self.order.len());
    }

    /// Where the envelope signed with `signature` was admitted, if this node admitted one.
    pub(crate) fn get(&self, signature: &TxSignature) -> Option<AdmittedAt> {
        self.by_signature.get(signature).copied()
    }

    /// Entries held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_signature.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(n: u8) -> TxSignature {
        TxSignature::Eip712 { signature: format!("0x{n:0130x}") }
    }

    fn at(n: u8) -> AdmittedAt {
        AdmittedAt { hash: [n; 32], signer: Address([n; 20]), nonce: u64::from(n) }
    }

    #[test]
    fn the_index_keeps_at_most_its_capacity_dropping_the_oldest() {
        let mut index = VerifiedIndex::new(2);
        index.insert(&signature(1), at(1));
        index.insert(&signature(2), at(2));
        index.insert(&signature(3), at(3));
        assert_eq!(index.len(), 2);
        assert_eq!(index.get(&signature(1)), None);
        assert_eq!(index.get(&signature(2)), Some(at(2)));
        assert_eq!(index.get(&signature(3)), Some(at(3)));
    }

    #[test]
    fn a_signature_admitted_again_points_at_its_latest_admission_without_growing() {
        let mut index = VerifiedIndex::new(2);
        index.insert(&signature(1), at(1));
        index.insert(&signature(1), at(7));
        assert_eq!(index.len(), 1);
        assert_eq!(index.get(&signature(1)), Some(at(7)));
    }
}
