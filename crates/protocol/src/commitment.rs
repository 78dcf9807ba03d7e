//! What the state commitment commits to: the state split into entries a client can prove
//! on its own, each with a canonical (bincode) encoding.
//!
//! - one entry per subaccount and one per signer nonce (the accounts component's
//!   `state_key.rs`), so a trader can prove their account against a state root;
//! - one entry per resting order of every order book, with the order ahead of it in its
//!   queue (the trading component's `state_key.rs`), so a block re-encodes only the orders
//!   it touched, never whole levels or books;
//! - one entry per component for everything else it owns (its `state_key.rs` says what):
//!   the block clock, the chain parameters, the ledger accounts and agents, the oracle, the
//!   markets, the number of books and the trigger orders, the derivatives (smiles,
//!   settlement averages) and the liquidation state.
//!
//! Key bytes (the tree hashes them, so their order does not matter):
//!
//! | key | bytes |
//! |---|---|
//! | [`StateKey::Component`] | `0x00 ‖ component u8` |
//! | [`StateKey::Subaccount`] | `0x01 ‖ owner (20 bytes) ‖ number u16 BE` |
//! | [`StateKey::Nonce`] | `0x02 ‖ address (20 bytes)` |
//! | [`StateKey::TimestampNonces`] | `0x04 ‖ address (20 bytes)` |
//! | [`StateKey::RestingOrder`] | `0x05 ‖ market u16 BE ‖ order id u64 BE` |
//!
//! (`0x03` was one entry per price level, retired: re-encoding a whole level on every change
//! made a deep level cost every validator in proportion to its depth.)
//!
//! The list of component entries is built by destructuring [`State`] exhaustively, and each
//! component destructures itself exhaustively, so a new field cannot compile without a
//! decision whether it is committed. Indexes derivable from committed state (client order
//! ids, open orders per subaccount, the risk tables, the journal, the books' records of
//! touched orders) are not committed.

use novation_types::{Address, MarketId, OrderId, SubaccountId};
use serde::Serialize;

use crate::state::State;

/// The section of one component in the commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum ComponentKey {
    /// Height and block time.
    Clock = 0,
    /// Every chain parameter.
    Params = 1,
    /// Ledger accounts that are not subaccounts, and agent keys.
    Ledger = 2,
    /// Price reports and aggregated prices.
    Oracle = 3,
    /// Running market state: marks, funding, open interest.
    Markets = 4,
    /// The number of order books and the waiting trigger orders (the books' orders are
    /// [`StateKey::RestingOrder`] entries).
    Trading = 5,
    /// Volatility smiles and settlement averages.
    Derivatives = 6,
    /// Liquidation totals and carry-over.
    Liquidation = 7,
}

/// The key of one committed state entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StateKey {
    /// One component's section.
    Component(ComponentKey),
    /// One subaccount.
    Subaccount(SubaccountId),
    /// One signer's next nonce.
    Nonce(Address),
    /// One Hyperliquid signer's kept timestamp nonces.
    TimestampNonces(Address),
    /// One resting order of one order book, with the id of the order just ahead of it in
    /// its queue. Absent when the order does not rest.
    RestingOrder {
        /// The book's market.
        market: MarketId,
        /// The order's id.
        id: OrderId,
    },
}

impl StateKey {
    /// The key's bytes in the commitment.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            StateKey::Component(component) => vec![0x00, *component as u8],
            StateKey::Subaccount(id) => {
                let mut bytes = Vec::with_capacity(23);
                bytes.push(0x01);
                bytes.extend_from_slice(&id.owner.0);
                bytes.extend_from_slice(&id.number.to_be_bytes());
                bytes
            }
            StateKey::Nonce(address) => {
                let mut bytes = Vec::with_capacity(21);
                bytes.push(0x02);
                bytes.extend_from_slice(&address.0);
                bytes
            }
            StateKey::TimestampNonces(address) => {
                let mut bytes = Vec::with_capacity(21);
                bytes.push(0x04);
                bytes.extend_from_slice(&address.0);
                bytes
            }
            StateKey::RestingOrder { market, id } => {
                let mut bytes = Vec::with_capacity(11);
                bytes.push(0x05);
                bytes.extend_from_slice(&market.0.to_be_bytes());
                bytes.extend_from_slice(&id.0.to_be_bytes());
                bytes
            }
        }
    }
}

impl ComponentKey {
    /// Every section, in key order.
    pub const ALL: [ComponentKey; 8] = [
        ComponentKey::Clock,
        ComponentKey::Params,
        ComponentKey::Ledger,
        ComponentKey::Oracle,
        ComponentKey::Markets,
        ComponentKey::Trading,
        ComponentKey::Derivatives,
        ComponentKey::Liquidation,
    ];
}

/// A component that commits a section of its own.
pub(crate) trait Committed {
    /// Its section's key.
    fn key(&self) -> ComponentKey;
    /// The canonical encoding of everything it commits.
    fn committed_bytes(&self) -> Vec<u8>;
}

/// The canonical encoding of a committed value.
pub(crate) fn encode(value: &impl Serialize) -> Vec<u8> {
    // Serialising plain data into a Vec cannot fail.
    bincode::serialize(value).unwrap_or_default()
}

impl State {
    /// Every component that commits a section, in key order.
    fn sections(&self) -> [&dyn Committed; 8] {
        // Exhaustive on purpose: a new field must be placed here or named as derived.
        let State {
            clock,
            params,
            accounts,
            oracle,
            markets,
            trading,
            derivatives,
            liquidation,
            journal: _,
            changed_subaccounts: _,
            changed_nonces: _,
            risk: _,
            risk_index: _,
        } = self;
        [clock, params, accounts, oracle, markets, trading, derivatives, liquidation]
    }

    /// The committed value under `key`, or `None` if the entry does not exist.
    pub fn commitment_value(&self, key: &StateKey) -> Option<Vec<u8>> {
        match key {
            StateKey::Component(wanted) => {
                self.sections().into_iter().find(|c| c.key() == *wanted).map(|c| c.committed_bytes())
            }
            StateKey::Subaccount(id) => self.accounts.subaccounts.get(id).map(encode),
            StateKey::Nonce(address) => self.accounts.nonces.get(address).map(|n| encode(&n)),
            StateKey::TimestampNonces(address) => self.accounts.timestamp_nonces.get(address).map(encode),
            StateKey::RestingOrder { market, id } => self.trading.order_bytes(*market, *id),
        }
    }

    /// Every committed key, for building a commitment from scratch (after a restart).
    pub fn commitment_keys(&self) -> Vec<StateKey> {
        let mut keys: Vec<StateKey> = ComponentKey::ALL.into_iter().map(StateKey::Component).collect();
        keys.extend(self.accounts.subaccounts.keys().map(|id| StateKey::Subaccount(*id)));
        keys.extend(self.accounts.nonces.sorted_addresses().into_iter().map(StateKey::Nonce));
        keys.extend(self.accounts.timestamp_nonces.keys().map(|address| StateKey::TimestampNonces(*address)));
        keys.extend(self.trading.order_keys());
        keys
    }

    /// The keys whose entries may have changed since the last call (sorted, without
    /// repeats, always including every component section, and every resting order a change
    /// touched). Read their values with [`State::commitment_value`]: `None` means the entry
    /// is gone.
    pub fn take_changed_keys(&mut self) -> Vec<StateKey> {
        let mut keys: Vec<StateKey> = ComponentKey::ALL.into_iter().map(StateKey::Component).collect();
        for id in self.changed_subaccounts.drain(..) {
            self.accounts.subaccounts.unlist(&id);
            keys.push(StateKey::Subaccount(id));
        }
        for address in self.changed_nonces.drain(..) {
            self.accounts.nonces.unlist(&address);
            keys.push(StateKey::Nonce(address));
        }
        keys.extend(self.accounts.changed_timestamp_nonces.drain(..).map(StateKey::TimestampNonces));
        self.trading.take_touched_order_keys(&mut keys);
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_commits_under_its_own_key_in_order() {
        let state = State::new(crate::params::Genesis::example(&[])).unwrap();
        let keys: Vec<ComponentKey> = state.sections().iter().map(|c| c.key()).collect();
        assert_eq!(keys, ComponentKey::ALL);
    }

    #[test]
    fn resting_order_key_is_prefix_market_id_big_endian() {
        let key = StateKey::RestingOrder { market: MarketId(0x0102), id: OrderId(0x0304) };
        assert_eq!(key.to_bytes(), [0x05, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0x03, 0x04]);
    }
}
