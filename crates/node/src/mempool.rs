//! The mempool: transactions that passed the stateless checks (signature, shape, size, chain
//! id, signer authority) and wait for a block. Everything in it is bounded, so a stranger
//! can neither fill it for everyone nor lock a signer out of its own next nonce.
//!
//! - identity: [`crate::header::tx_id`] (signing hash and signer); an id already pending is
//!   refused (2003);
//! - nonce window: a nonce below the signer's on-chain nonce is refused (2004), one at or past
//!   `chain nonce + nonce_window` too (2018), so a signer holds at most `nonce_window`
//!   transactions;
//! - replace-by-nonce: a transaction for a nonce already pending for its signer replaces the
//!   pending one (only the key's holder can sign it), so a client can always unstick itself;
//! - gaps: a transaction above a nonce gap ("gapped") waits until the gap fills; at most
//!   `max_gapped_per_signer` per signer (2002) and `max_gapped_total` overall, the oldest
//!   gapped transaction being evicted to make room;
//! - budgets: `max_total` transactions and `max_total_bytes` envelope bytes, of which
//!   `reserved` / `reserved_bytes` only price reports and cancels may use; when a budget is
//!   reached the oldest gapped transactions are evicted first, then the newcomer is refused
//!   (2001);
//! - age: gapped transactions older than `gapped_max_age_ms`, and any older than
//!   `max_age_ms`, are dropped when a block is taken;
//! - block selection ([`Mempool::take_block`]): for each signer, the run of consecutive nonces
//!   from its on-chain nonce; ordered by class — price reports, other non-order actions,
//!   cancels, other orders — where a transaction's class is raised to its predecessor's so a
//!   signer's transactions stay in nonce order; ties by arrival, then signer, then nonce; cut
//!   at the block's count and byte limits.
//! - Hyperliquid transactions (timestamp nonces, see `novation_protocol::accounts::
//!   TimestampNonces`) wait in a lane of their own, by signer and nonce: they have no
//!   sequence to wait for, so each is ready at once; at most `nonce_window` per signer, within
//!   the same budgets and age limit, and a block takes a signer's in nonce order.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use novation_protocol::OrderingClass;
use novation_tx::SignedTransaction;
use novation_types::{Address, Transaction};

use crate::header::Hash32;
use crate::NodeError;

/// A transaction admitted to the mempool.
#[derive(Clone, Debug)]
pub(crate) struct PendingTx {
    /// Identity: signing hash and signer.
    pub(crate) hash: Hash32,
    /// The authenticated transaction.
    pub(crate) tx: Transaction,
    /// The envelope as received.
    pub(crate) envelope: SignedTransaction,
    /// Envelope bytes counted against the budgets.
    pub(crate) bytes: usize,
    /// Arrival sequence number.
    arrival: u64,
    /// Node clock at arrival, ms.
    arrived_ms: u64,
}

/// Mempool bounds (docs/node.md lists them with their defaults).
#[derive(Clone, Copy, Debug)]
pub struct MempoolLimits {
    /// Pending transactions in total.
    pub max_total: usize,
    /// Pending envelope bytes in total.
    pub max_total_bytes: usize,
    /// Of `max_total`, the room only price reports and cancels may use.
    pub reserved: usize,
    /// Of `max_total_bytes`, the room only price reports and cancels may use.
    pub reserved_bytes: usize,
    /// Nonces accepted from the signer's on-chain nonce (exclusive upper bound).
    pub nonce_window: u64,
    /// Transactions above a nonce gap per signer.
    pub max_gapped_per_signer: usize,
    /// Transactions above a nonce gap in total.
    pub max_gapped_total: usize,
    /// Age after which a gapped transaction is dropped, ms.
    pub gapped_max_age_ms: u64,
    /// Age after which any pending transaction is dropped, ms.
    pub max_age_ms: u64,
}

impl Default for MempoolLimits {
    fn default() -> Self {
        MempoolLimits {
            max_total: 50_000,
            max_total_bytes: 64 * 1024 * 1024,
            reserved: 5_000,
            reserved_bytes: 8 * 1024 * 1024,
            nonce_window: 64,
            max_gapped_per_signer: 16,
            max_gapped_total: 5_000,
            gapped_max_age_ms: 30_000,
            max_age_ms: 120_000,
        }
    }
}

/// The pending transactions, by signer and nonce, with an age index.
#[derive(Debug, Default)]
pub(crate) struct Mempool {
    limits: MempoolLimits,
    by_signer: HashMap<Address, BTreeMap<u64, PendingTx>>,
    hashes: HashSet<Hash32>,
    /// arrival → (signer, nonce), oldest first: every pending transaction.
    by_age: BTreeMap<u64, (Address, u64)>,
    /// (arrival, signer, nonce) of the transactions above a nonce gap, oldest first.
    gapped: BTreeSet<(u64, Address, u64)>,
    bytes: usize,
    next_arrival: u64,
    /// Hyperliquid transactions: (signer, timestamp nonce) → transaction.
    timestamped: BTreeMap<(Address, u64), PendingTx>,
}

/// Where a pending transaction waits: its signer's nonce sequence, or the timestamp lane.
type Key = (Address, u64, bool);

/// The block-ordering class of a transaction: the protocol's, from its first action.
fn class_of(tx: &Transaction) -> u8 {
    novation_protocol::transaction_class(tx) as u8
}

/// Price reports and cancels: what the reserved room is for.
fn is_priority(tx: &Transaction) -> bool {
    matches!(novation_protocol::transaction_class(tx), OrderingClass::Prices | OrderingClass::Cancels)
}

/// Bytes an envelope costs.
pub(crate) fn envelope_bytes(envelope: &SignedTransaction) -> usize {
    let signature = match &envelope.signature {
        novation_tx::TxSignature::Eip712 { signature } => signature.len(),
        novation_tx::TxSignature::Ed25519 { public_key, signature } => public_key.len() + signature.len(),
        novation_tx::TxSignature::Hyperliquid => 0,
    };
    envelope.payload.len() + signature
}

impl Mempool {
    pub(crate) fn new(limits: MempoolLimits) -> Self {
        Mempool { limits, ..Mempool::default() }
    }

    pub(crate) fn len(&self) -> usize {
        self.hashes.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn gapped_len(&self) -> usize {
        self.gapped.len()
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

    /// The pending transaction of `signer` at `nonce`, if any.
    pub(crate) fn pending(&self, signer: Address, nonce: u64) -> Option<&PendingTx> {
        self.by_signer.get(&signer)?.get(&nonce)
    }

    fn gapped_of(&self, signer: Address) -> usize {
        self.gapped.iter().filter(|(_, s, _)| *s == signer).count()
    }

    /// Removes one pending transaction. When `regap` and it was not gapped, the signer's later
    /// transactions now sit above a gap.
    fn remove(&mut self, signer: Address, nonce: u64, regap: bool) -> Option<PendingTx> {
        let queue = self.by_signer.get_mut(&signer)?;
        let pending = queue.remove(&nonce)?;
        let was_gapped = self.gapped.remove(&(pending.arrival, signer, nonce));
        if regap && !was_gapped {
            for (later, tx) in queue.range(nonce..) {
                self.gapped.insert((tx.arrival, signer, *later));
            }
        }
        if queue.is_empty() {
            self.by_signer.remove(&signer);
        }
        self.hashes.remove(&pending.hash);
        self.by_age.remove(&pending.arrival);
        self.bytes -= pending.bytes;
        Some(pending)
    }

    /// Evicts the oldest gapped transaction other than `(signer, nonce)`; false if none.
    fn evict_oldest_gapped(&mut self, keep: (Address, u64)) -> bool {
        let victim = self.gapped.iter().find(|(_, s, n)| (*s, *n) != keep).map(|(_, s, n)| (*s, *n));
        match victim {
            Some((signer, nonce)) => self.remove(signer, nonce, false).is_some(),
            None => false,
        }
    }

    fn over_budget(&self, extra_bytes: usize, priority: bool) -> bool {
        let limits = &self.limits;
        let (count, bytes) = if priority {
            (limits.max_total, limits.max_total_bytes)
        } else {
            (
                limits.max_total.saturating_sub(limits.reserved),
                limits.max_total_bytes.saturating_sub(limits.reserved_bytes),
            )
        };
        self.len() >= count || self.bytes.saturating_add(extra_bytes) > bytes
    }

    /// Admits a verified transaction whose signer's on-chain nonce is `chain_nonce`, at node
    /// time `now_ms`.
    pub(crate) fn admit(
        &mut self,
        hash: Hash32,
        tx: Transaction,
        envelope: SignedTransaction,
        chain_nonce: u64,
        now_ms: u64,
    ) -> Result<(), NodeError> {
        if self.hashes.contains(&hash) {
            return Err(NodeError::AlreadyKnown);
        }
        let signer = tx.signer();
        let nonce = tx.nonce;
        if nonce < chain_nonce {
            return Err(NodeError::NonceTooLow { expected: chain_nonce, got: nonce });
        }
        if nonce - chain_nonce >= self.limits.nonce_window {
            return Err(NodeError::NonceTooFarAhead {
                expected: chain_nonce,
                window: self.limits.nonce_window,
                got: nonce,
            });
        }
        let bytes = envelope_bytes(&envelope);
        let replaced = self.by_signer.get(&signer).and_then(|queue| queue.get(&nonce)).map(|p| p.bytes);
        let gapped = match replaced {
            Some(_) => self.gapped.iter().any(|(_, s, n)| *s == signer && *n == nonce),
            None => nonce > self.next_nonce(signer, chain_nonce),
        };
        if gapped && replaced.is_none() {
            if self.gapped_of(signer) >= self.limits.max_gapped_per_signer {
                return Err(NodeError::SignerQueueFull { limit: self.limits.max_gapped_per_signer });
            }
            while self.gapped.len() >= self.limits.max_gapped_total {
                if !self.evict_oldest_gapped((signer, nonce)) {
                    break;
                }
            }
        }
        let priority = is_priority(&tx);
        let freed = replaced.unwrap_or(0);
        let counted_extra = bytes.saturating_sub(freed);
        while replaced.is_none() && self.over_budget(counted_extra, priority)
            || replaced.is_some() && self.bytes.saturating_add(counted_extra) > self.limits.max_total_bytes
        {
            if !self.evict_oldest_gapped((signer, nonce)) {
                return Err(NodeError::MempoolFull { limit: self.limits.max_total });
            }
        }
        if replaced.is_some() {
            self.remove(signer, nonce, false);
        }
        let arrival = self.next_arrival;
        self.next_arrival += 1;
        self.hashes.insert(hash);
        self.by_age.insert(arrival, (signer, nonce));
        self.bytes += bytes;
        if gapped {
            self.gapped.insert((arrival, signer, nonce));
        } else if replaced.is_none() {
            // This nonce may close a gap: the run after it is ready now.
            self.close_gap(signer, nonce);
        }
        let pending = PendingTx { hash, tx, envelope, bytes, arrival, arrived_ms: now_ms };
        self.by_signer.entry(signer).or_default().insert(nonce, pending);
        Ok(())
    }

    /// Admits a verified Hyperliquid transaction (its timestamp nonce checked against state).
    pub(crate) fn admit_timestamped(
        &mut self,
        hash: Hash32,
        tx: Transaction,
        envelope: SignedTransaction,
        now_ms: u64,
    ) -> Result<(), NodeError> {
        if self.hashes.contains(&hash) {
            return Err(NodeError::AlreadyKnown);
        }
        let signer = tx.signer();
        let key = (signer, tx.nonce);
        if self.timestamped.contains_key(&key) {
            return Err(NodeError::AlreadyKnown);
        }
        let of_signer = self.timestamped.range((signer, 0)..=(signer, u64::MAX)).count() as u64;
        if of_signer >= self.limits.nonce_window {
            return Err(NodeError::SignerQueueFull { limit: self.limits.nonce_window as usize });
        }
        let bytes = envelope_bytes(&envelope);
        while self.over_budget(bytes, is_priority(&tx)) {
            if !self.evict_oldest_gapped((signer, tx.nonce)) {
                return Err(NodeError::MempoolFull { limit: self.limits.max_total });
            }
        }
        let arrival = self.next_arrival;
        self.next_arrival += 1;
        self.hashes.insert(hash);
        self.bytes += bytes;
        self.timestamped.insert(key, PendingTx { hash, tx, envelope, bytes, arrival, arrived_ms: now_ms });
        Ok(())
    }

    fn remove_timestamped(&mut self, key: (Address, u64)) -> Option<PendingTx> {
        let pending = self.timestamped.remove(&key)?;
        self.hashes.remove(&pending.hash);
        self.bytes -= pending.bytes;
        Some(pending)
    }

    fn remove_key(&mut self, (signer, nonce, timestamped): Key) -> Option<PendingTx> {
        if timestamped {
            self.remove_timestamped((signer, nonce))
        } else {
            self.remove(signer, nonce, false)
        }
    }

    fn get_key(&self, (signer, nonce, timestamped): Key) -> Option<&PendingTx> {
        if timestamped {
            self.timestamped.get(&(signer, nonce))
        } else {
            self.by_signer.get(&signer).and_then(|q| q.get(&nonce))
        }
    }

    /// Marks the consecutive pending nonces after `nonce` as no longer gapped.
    fn close_gap(&mut self, signer: Address, nonce: u64) {
        let Some(queue) = self.by_signer.get(&signer) else { return };
        let mut next = nonce.saturating_add(1);
        for (later, pending) in queue.range(next..) {
            if *later != next {
                break;
            }
            self.gapped.remove(&(pending.arrival, signer, *later));
            next = next.saturating_add(1);
        }
    }

    /// Drops gapped transactions older than `gapped_max_age_ms` and any older than
    /// `max_age_ms`.
    fn expire(&mut self, now_ms: u64) {
        let too_old = |pending: &PendingTx, age_ms: u64| pending.arrived_ms.saturating_add(age_ms) < now_ms;
        let mut expired_gapped = Vec::new();
        for (_, signer, nonce) in &self.gapped {
            let Some(pending) = self.by_signer.get(signer).and_then(|q| q.get(nonce)) else { continue };
            if !too_old(pending, self.limits.gapped_max_age_ms) {
                break;
            }
            expired_gapped.push((*signer, *nonce));
        }
        for (signer, nonce) in expired_gapped {
            self.remove(signer, nonce, false);
        }
        while let Some((_, &(signer, nonce))) = self.by_age.first_key_value() {
            let old = self
                .by_signer
                .get(&signer)
                .and_then(|q| q.get(&nonce))
                .is_some_and(|p| too_old(p, self.limits.max_age_ms));
            if !old {
                break;
            }
            self.remove(signer, nonce, true);
        }
        let expired: Vec<(Address, u64)> = self
            .timestamped
            .iter()
            .filter(|(_, pending)| too_old(pending, self.limits.max_age_ms))
            .map(|(key, _)| *key)
            .collect();
        for key in expired {
            self.remove_timestamped(key);
        }
    }

    /// Removes and returns the transactions for the next block, in block order (module doc):
    /// at most `max_txs` and `max_bytes` envelope bytes (always at least one transaction).
    /// `chain_nonce` gives each signer's on-chain next nonce. Expired transactions and those
    /// whose nonce is already used on chain are dropped.
    pub(crate) fn take_block(
        &mut self,
        max_txs: usize,
        max_bytes: usize,
        now_ms: u64,
        chain_nonce: impl Fn(Address) -> u64,
    ) -> Vec<PendingTx> {
        let keys = self.block_keys(max_txs, max_bytes, now_ms, chain_nonce);
        keys.into_iter().filter_map(|key| self.remove_key(key)).collect()
    }

    /// The transactions [`Mempool::take_block`] would take, left in the pool: a proposer's
    /// block may not be decided, and the pool forgets a transaction only once a block that
    /// includes it is committed ([`Mempool::forget_committed`]).
    pub(crate) fn peek_block(
        &mut self,
        max_txs: usize,
        max_bytes: usize,
        now_ms: u64,
        chain_nonce: impl Fn(Address) -> u64,
    ) -> Vec<PendingTx> {
        let keys = self.block_keys(max_txs, max_bytes, now_ms, chain_nonce);
        keys.into_iter().filter_map(|key| self.get_key(key).cloned()).collect()
    }

    /// Forgets what a committed block used: its transactions and every pending transaction of
    /// their signers below the signer's new on-chain nonce.
    pub(crate) fn forget_committed(&mut self, committed: &[(Address, u64)], chain_nonce: impl Fn(Address) -> u64) {
        let mut signers: Vec<Address> = committed.iter().map(|(signer, _)| *signer).collect();
        signers.sort_unstable();
        signers.dedup();
        for signer in signers {
            let start = chain_nonce(signer);
            self.drop_used_nonces(signer, start);
        }
        for key in committed {
            self.remove_timestamped(*key);
        }
    }

    /// Drops `signer`'s pending transactions whose nonce is below its on-chain `next` one.
    fn drop_used_nonces(&mut self, signer: Address, next: u64) {
        let used: Vec<u64> =
            self.by_signer.get(&signer).map(|q| q.range(..next).map(|(n, _)| *n).collect()).unwrap_or_default();
        for nonce in used {
            self.remove(signer, nonce, false);
        }
    }

    /// `(signer, nonce)` of the next block's transactions, in block order.
    fn block_keys(
        &mut self,
        max_txs: usize,
        max_bytes: usize,
        now_ms: u64,
        chain_nonce: impl Fn(Address) -> u64,
    ) -> Vec<Key> {
        self.expire(now_ms);
        // (class, arrival, signer, nonce, timestamped)
        let mut keys: Vec<(u8, u64, Address, u64, bool)> = Vec::new();
        let mut signers: Vec<Address> = self.by_signer.keys().copied().collect();
        signers.sort_unstable();
        for signer in signers {
            let start = chain_nonce(signer);
            self.drop_used_nonces(signer, start);
            let Some(queue) = self.by_signer.get(&signer) else { continue };
            let (mut class, mut arrival, mut next) = (0u8, 0u64, start);
            for (nonce, pending) in queue.range(start..) {
                if *nonce != next {
                    break;
                }
                class = class.max(class_of(&pending.tx));
                arrival = arrival.max(pending.arrival);
                keys.push((class, arrival, signer, *nonce, false));
                next = next.saturating_add(1);
            }
        }
        // A signer's timestamped transactions go in nonce order: each takes the highest class
        // and arrival of those before it.
        let mut previous: Option<(Address, u8, u64)> = None;
        for ((signer, nonce), pending) in &self.timestamped {
            let (mut class, mut arrival) = (class_of(&pending.tx), pending.arrival);
            if let Some((last, last_class, last_arrival)) = previous {
                if last == *signer {
                    class = class.max(last_class);
                    arrival = arrival.max(last_arrival);
                }
            }
            previous = Some((*signer, class, arrival));
            keys.push((class, arrival, *signer, *nonce, true));
        }
        keys.sort_unstable();
        let mut block = Vec::with_capacity(keys.len().min(max_txs));
        let mut block_bytes = 0usize;
        for (_, _, signer, nonce, timestamped) in keys {
            if block.len() >= max_txs {
                break;
            }
            let Some(bytes) = self.get_key((signer, nonce, timestamped)).map(|p| p.bytes) else {
                continue;
            };
            if !block.is_empty() && block_bytes.saturating_add(bytes) > max_bytes {
                break;
            }
            block_bytes += bytes;
            block.push((signer, nonce, timestamped));
        }
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use novation_types::{Action, AssetId, MarketId, OrderAction};

    fn envelope() -> SignedTransaction {
        SignedTransaction {
            payload: "x".repeat(100),
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

    fn id(n: u64) -> Hash32 {
        let mut hash = [0u8; 32];
        hash[..8].copy_from_slice(&n.to_be_bytes());
        hash
    }

    #[test]
    fn block_order_is_classes_but_each_signer_keeps_nonce_order() {
        let mut pool = Mempool::new(MempoolLimits::default());
        let mut n = 0u64;
        let mut add = |pool: &mut Mempool, t: Transaction| {
            n += 1;
            pool.admit(id(n), t, envelope(), 0, 0).unwrap();
        };
        add(&mut pool, tx(1, 0, cancel()));
        add(&mut pool, tx(1, 1, deposit()));
        add(&mut pool, tx(2, 0, deposit()));
        add(&mut pool, tx(2, 2, deposit())); // gap: waits
        assert_eq!(pool.gapped_len(), 1);
        let block = pool.take_block(100, usize::MAX, 0, |_| 0);
        let order: Vec<(u64, u64)> = block.iter().map(|p| (p.tx.sender.0[19] as u64, p.tx.nonce)).collect();
        assert_eq!(order, vec![(2, 0), (1, 0), (1, 1)]);
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.next_nonce(Address::from_index(2), 1), 1);
        assert_eq!(pool.next_nonce(Address::from_index(2), 2), 3);
    }

    #[test]
    fn duplicates_low_nonces_and_nonces_past_the_window_are_refused() {
        let limits = MempoolLimits { nonce_window: 4, ..MempoolLimits::default() };
        let mut pool = Mempool::new(limits);
        pool.admit(id(1), tx(1, 5, deposit()), envelope(), 5, 0).unwrap();
        assert!(matches!(pool.admit(id(1), tx(1, 5, deposit()), envelope(), 5, 0), Err(NodeError::AlreadyKnown)));
        assert!(matches!(pool.admit(id(2), tx(1, 4, deposit()), envelope(), 5, 0), Err(NodeError::NonceTooLow { .. })));
        assert!(matches!(
            pool.admit(id(3), tx(1, 9, deposit()), envelope(), 5, 0),
            Err(NodeError::NonceTooFarAhead { .. })
        ));
        pool.admit(id(4), tx(1, 8, deposit()), envelope(), 5, 0).unwrap();
    }

    #[test]
    fn a_pending_nonce_is_replaced_by_a_new_transaction_for_it() {
        let mut pool = Mempool::new(MempoolLimits::default());
        pool.admit(id(1), tx(1, 0, deposit()), envelope(), 0, 0).unwrap();
        pool.admit(id(2), tx(1, 0, cancel()), envelope(), 0, 0).unwrap();
        assert_eq!(pool.len(), 1);
        assert!(!pool.contains(&id(1)));
        let block = pool.take_block(10, usize::MAX, 0, |_| 0);
        assert_eq!(block.len(), 1);
        assert_eq!(block[0].hash, id(2));
        assert_eq!(pool.bytes(), 0);
    }

    #[test]
    fn gapped_transactions_are_capped_per_signer_but_the_next_nonce_always_gets_in() {
        let limits = MempoolLimits { max_gapped_per_signer: 3, ..MempoolLimits::default() };
        let mut pool = Mempool::new(limits);
        for nonce in 10..13 {
            pool.admit(id(nonce), tx(1, nonce, deposit()), envelope(), 0, 0).unwrap();
        }
        assert!(matches!(
            pool.admit(id(13), tx(1, 13, deposit()), envelope(), 0, 0),
            Err(NodeError::SignerQueueFull { limit: 3 })
        ));
        pool.admit(id(100), tx(1, 0, deposit()), envelope(), 0, 0).unwrap();
        assert_eq!(pool.take_block(10, usize::MAX, 0, |_| 0).len(), 1);
    }

    #[test]
    fn a_full_pool_evicts_gapped_first_and_keeps_reserved_room_for_prices_and_cancels() {
        let limits = MempoolLimits { max_total: 4, reserved: 1, ..MempoolLimits::default() };
        let mut pool = Mempool::new(limits);
        pool.admit(id(1), tx(1, 0, deposit()), envelope(), 0, 0).unwrap();
        pool.admit(id(2), tx(2, 0, deposit()), envelope(), 0, 0).unwrap();
        pool.admit(id(3), tx(3, 5, deposit()), envelope(), 0, 0).unwrap(); // gapped
                                                                           // Non-priority room is 3: the gapped one makes way.
        pool.admit(id(4), tx(4, 0, deposit()), envelope(), 0, 0).unwrap();
        assert!(!pool.contains(&id(3)));
        assert!(matches!(pool.admit(id(5), tx(5, 0, deposit()), envelope(), 0, 0), Err(NodeError::MempoolFull { .. })));
        pool.admit(id(6), tx(6, 0, cancel()), envelope(), 0, 0).unwrap();
        assert_eq!(pool.len(), 4);
    }

    #[test]
    fn the_byte_budget_bounds_the_pool_and_the_block() {
        let limits = MempoolLimits { max_total_bytes: 350, reserved_bytes: 0, ..MempoolLimits::default() };
        let mut pool = Mempool::new(limits);
        for n in 0..3 {
            pool.admit(id(n), tx(n, 0, deposit()), envelope(), 0, 0).unwrap();
        }
        assert!(matches!(pool.admit(id(9), tx(9, 0, deposit()), envelope(), 0, 0), Err(NodeError::MempoolFull { .. })));
        assert_eq!(pool.take_block(10, 250, 0, |_| 0).len(), 2);
        assert_eq!(pool.take_block(10, 10, 0, |_| 0).len(), 1, "one transaction always fits");
    }

    #[test]
    fn old_gapped_transactions_expire_before_ready_ones() {
        let limits = MempoolLimits { gapped_max_age_ms: 10, max_age_ms: 100, ..MempoolLimits::default() };
        let mut pool = Mempool::new(limits);
        pool.admit(id(1), tx(1, 3, deposit()), envelope(), 0, 0).unwrap();
        pool.admit(id(2), tx(2, 0, deposit()), envelope(), 0, 0).unwrap();
        pool.expire(50);
        assert!(!pool.contains(&id(1)));
        assert!(pool.contains(&id(2)));
        pool.expire(200);
        assert_eq!(pool.len(), 0);
        assert_eq!(pool.gapped_len(), 0);
    }

    #[test]
    fn filling_a_gap_makes_the_waiting_run_ready() {
        let mut pool = Mempool::new(MempoolLimits::default());
        pool.admit(id(2), tx(1, 2, deposit()), envelope(), 0, 0).unwrap();
        pool.admit(id(1), tx(1, 1, deposit()), envelope(), 0, 0).unwrap();
        assert_eq!(pool.gapped_len(), 2);
        pool.admit(id(0), tx(1, 0, deposit()), envelope(), 0, 0).unwrap();
        assert_eq!(pool.gapped_len(), 0);
        assert_eq!(pool.take_block(10, usize::MAX, 0, |_| 0).len(), 3);
    }
}
