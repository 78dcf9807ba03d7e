//! Next nonce per sender. Looked up on every transaction, so it is a hash map; it is never
//! iterated except to encode it, and the encoding sorts by address so the state hash does not
//! depend on the map's internal order.

use novation_types::Address;
use rustc_hash::FxHashMap;
use serde::{Serialize, Serializer};

/// Next nonce per sender (absent: 0).
#[derive(Clone, Debug, Default)]
pub(crate) struct Nonces(FxHashMap<Address, u64>);

impl Nonces {
    #[inline]
    pub(crate) fn get(&self, address: &Address) -> Option<u64> {
        self.0.get(address).copied()
    }

    #[inline]
    pub(crate) fn insert(&mut self, address: Address, next: u64) -> Option<u64> {
        self.0.insert(address, next)
    }

    /// Every address with a nonce, sorted.
    pub(crate) fn sorted_addresses(&self) -> Vec<Address> {
        // Sorted right away, so the map's order never shows.
        #[allow(clippy::disallowed_methods)]
        let mut addresses: Vec<Address> = self.0.keys().copied().collect();
        addresses.sort_unstable();
        addresses
    }

    pub(crate) fn remove(&mut self, address: &Address) -> Option<u64> {
        self.0.remove(address)
    }
}

impl Serialize for Nonces {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Sorted right away, so the map's order never shows.
        #[allow(clippy::disallowed_methods)]
        let mut sorted: Vec<(&Address, &u64)> = self.0.iter().collect();
        sorted.sort_unstable();
        serializer.collect_map(sorted)
    }
}
