//! The mempool: transactions that passed the stateless checks (signature, shape, size, chain
//! id) and wait for a block.
//!
//! - identity: the signing hash; a hash already pending is refused (2003);
//! - bounds: at most `max_per_signer` pending per signer (2002) and `max_total` overall (2001);
//! - nonces: per signer; a nonce below the chain's next one is refused (2004), a second
//!   transaction for a pending nonce too (2005); gaps may wait until they are filled;
//! - block selection ([`Mempool::take_block`]): for each signer, the run of consecutive nonces
//!   from its on-chain nonce; ordered by class — price reports, other non-order actions,
//!   cancels, other orders — where a transaction's class is raised to its predecessor's so a
//!   signer's transactions stay in nonce order; ties by arrival, then signer, then nonce.

use std::collections::{BTreeMap, HashMap, HashSet};

use novation_tx::SignedTransaction;
use novation_types::{Address, Transaction};

use crate::header::Hash32;
use crate::NodeError;

/// A transaction admitted to the mempool.
#[derive(Clone, Debug)]
pub(crate) struct PendingTx {
    /// Signing hash.
    pub(crate) hash: Hash32,
    /// The authenticated transaction.
    pub(crate) tx: Transaction,
    /// The envelope as received.
    pub(crate) envelope: SignedTransaction,
    /// Arrival sequence number.
    arrival: u64,
}

/// Mempool bounds.
#[derive(Clone, Copy, Debug)]
pub struct MempoolLimits {
    /// Pending transactions per signer.
    pub max_per_signer: usize,
    /// Pending transactions in total.
    pub max_total: usize,
}

impl Default for MempoolLimits {
    fn default() -> Self {
        MempoolLimits { max_per_signer: 1_000, max_total: 200_000 }
    }
}

/// The pending transactions, by signer and nonce.
#[derive(Debug, Default)]
pub(crate) struct Mempool {
    limits: MempoolLimits,
    by_signer: HashMap<Address, BTreeMap<u64, PendingTx>>,
    hashes: HashSet<Hash32>,
    next_arrival: u64,
}

/// The block-ordering class of a transaction: the protocol's, from its first action.
fn class_of(tx: &Transaction) -> u8 {
    novation_protocol::transaction_class(tx) as u8
}

impl Mempool {
    pub(crate) fn new(limits: MempoolLimits) -> Self {
        Mempool { limits, ..Mempool::default() }
    }

    pub(crate) fn len(&self) -> usize {
        self.hashes.len()
    }

    pub(crate) fn contains(&self, hash: &Hash32) -> bool {
        self.hashes.contains(hash)
    }

    /// The signer's next nonce counting pending transactions: one past the run of consecutive
    /// pending nonces from `chain_nonce`.
    pub(crate) fn next_nonce(&self, signer: Address, chain_nonce: u64) -> u64 {
        let mut next = chain_nonce;
        if let Some(queue) = self.by_signer.get(&signer) {
            for nonce in queue.range(chain_nonce..).map(|(n, _)| *n) {
                if nonce != next {
                    break;
                }
                next = next.saturating_add(1);
            }
        }
        next
    }

    /// Admits a verified transaction whose signer's on-chain nonce is `chain_nonce`.
    pub(crate) fn admit(
        &mut self,
        hash: Hash32,
        tx: Transaction,
        envelope: SignedTransaction,
        chain_nonce: u64,
    ) -> Result<(), NodeError> {
        if self.hashes.contains(&hash) {
            return Err(NodeError::AlreadyKnown);
        }
        if tx.nonce < chain_nonce {
            return Err(NodeError::NonceTooLow { expected: chain_nonce, got: tx.nonce });
        }
        if self.hashes.len() >= self.limits.max_total {
            return Err(NodeError::MempoolFull { limit: self.limits.max_total });
        }
        let queue = self.by_signer.entry(tx.signer()).or_default();
        if queue.contains_key(&tx.nonce) {
            return Err(NodeError::NonceAlreadyPending { nonce: tx.nonce });
        }
        if queue.len() >= self.limits.max_per_signer {
            return Err(NodeError::SignerQueueFull { limit: self.limits.max_per_signer });
        }
        let arrival = self.next_arrival;
        self.next_arrival += 1;
        self.hashes.insert(hash);
        queue.insert(tx.nonce, PendingTx { hash, tx, envelope, arrival });
        Ok(())
    }

    /// Removes and returns up to `max_txs` transactions for the next block, in block order
    /// (module doc). `chain_nonce` gives each signer's on-chain next nonce. Pending
    /// transactions whose nonce is already used on chain are dropped.
    pub(crate) fn take_block(&mut self, max_txs: usize, chain_nonce: impl Fn(Address) -> u64) -> Vec<PendingTx> {
        // (class, arrival, signer, nonce)
        let mut keys: Vec<(u8, u64, Address, u64)> = Vec::new();
        let mut signers: Vec<Address> = self.by_signer.keys().copied().collect();
        signers.sort_unstable();
        for signer in signers {
            let Some(queue) = self.by_signer.get_mut(&signer) else { continue };
            let start = chain_nonce(signer);
            let stale: Vec<u64> = queue.range(..start).map(|(n, _)| *n).collect();
            for nonce in stale {
                if let Some(old) = queue.remove(&nonce) {
                    self.hashes.remove(&old.hash);
                }
            }
            let (mut class, mut arrival, mut next) = (0u8, 0u64, start);
            for (nonce, pending) in queue.range(start..) {
                if *nonce != next {
                    break;
                }
                class = class.max(class_of(&pending.tx));
                arrival = arrival.max(pending.arrival);
                keys.push((class, arrival, signer, *nonce));
                next = next.saturating_add(1);
            }
        }
        keys.sort_unstable();
        keys.truncate(max_txs);
        let mut block = Vec::with_capacity(keys.len());
        for (_, _, signer, nonce) in keys {
            let Some(queue) = self.by_signer.get_mut(&signer) else { continue };
            if let Some(pending) = queue.remove(&nonce) {
                self.hashes.remove(&pending.hash);
                block.push(pending);
            }
        }
        self.by_signer.retain(|_, queue| !queue.is_empty());
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use novation_types::{Action, AssetId, MarketId, OrderAction};

    fn envelope() -> SignedTransaction {
        SignedTransaction {
            payload: String::new(),
            signature: novation_tx::TxSignature::Eip712 { signature: String::new() },
        }
    }

    fn tx(signer: u64, nonce: u64, action: Action) -> Transaction {
        Transaction::new(Address::from_index(signer), nonce, vec![action])
    }

    fn deposit() -> Action {
        Action::Deposit(novation_types::action::Deposit {
            subaccount: 0,
            asset: AssetId(0),
            amount: novation_math::Decimal::ONE,
        })
    }

    fn cancel() -> Action {
        Action::Order(OrderAction::CancelAll(novation_types::action::CancelAll {
            subaccount: 0,
            market: Some(MarketId(0)),
        }))
    }

    #[test]
    fn block_order_is_classes_but_each_signer_keeps_nonce_order() {
        let mut pool = Mempool::new(MempoolLimits::default());
        let mut hash = 0u8;
        let mut add = |pool: &mut Mempool, t: Transaction| {
            hash += 1;
            pool.admit([hash; 32], t, envelope(), 0).unwrap();
        };
        add(&mut pool, tx(1, 0, cancel()));
        add(&mut pool, tx(1, 1, deposit()));
        add(&mut pool, tx(2, 0, deposit()));
        add(&mut pool, tx(2, 2, deposit())); // gap: waits
        let block = pool.take_block(100, |_| 0);
        let order: Vec<(u64, u64)> = block.iter().map(|p| (p.tx.sender.0[19] as u64, p.tx.nonce)).collect();
        assert_eq!(order, vec![(2, 0), (1, 0), (1, 1)]);
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.next_nonce(Address::from_index(2), 1), 1);
        assert_eq!(pool.next_nonce(Address::from_index(2), 2), 3);
    }

    #[test]
    fn duplicates_low_nonces_and_full_queues_are_refused() {
        let mut pool = Mempool::new(MempoolLimits { max_per_signer: 1, max_total: 2 });
        pool.admit([1; 32], tx(1, 5, deposit()), envelope(), 5).unwrap();
        assert!(matches!(pool.admit([1; 32], tx(1, 5, deposit()), envelope(), 5), Err(NodeError::AlreadyKnown)));
        assert!(matches!(pool.admit([2; 32], tx(1, 4, deposit()), envelope(), 5), Err(NodeError::NonceTooLow { .. })));
        assert!(matches!(
            pool.admit([3; 32], tx(1, 6, deposit()), envelope(), 5),
            Err(NodeError::SignerQueueFull { .. })
        ));
        pool.admit([4; 32], tx(2, 0, deposit()), envelope(), 0).unwrap();
        assert!(matches!(pool.admit([5; 32], tx(3, 0, deposit()), envelope(), 0), Err(NodeError::MempoolFull { .. })));
    }
}
