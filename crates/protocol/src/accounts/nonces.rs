//! Next nonce per sender. Looked up on every transaction, so it is a hash map; it is never
//! iterated except to encode it, and the encoding sorts by address so the state hash does not
//! depend on the map's internal order.

use novation_types::Address;
use rustc_hash::FxHashMap;
use serde::{Serialize, Serializer};

/// Next nonce per sender (absent: 0), and whether the sender is already listed among the
/// changed keys (`State::changed_nonces`) since they were last taken: kept beside the nonce
/// so a transaction lists its signer once without a second lookup. Never encoded.
#[derive(Clone, Debug, Default)]
pub(crate) struct Nonces(FxHashMap<Address, (u64, bool)>);

impl Nonces {
    #[inline]
    pub(crate) fn get(&self, address: &Address) -> Option<u64> {
        self.0.get(address).map(|(next, _)| *next)
    }

    /// Uses up `nonce` if it is `address`'s next one (one lookup): returns the nonce before
    /// (`None`: the address had none) and whether the address was listed as changed already
    /// (it is now); `None` if `nonce` is not the next one.
    #[inline]
    pub(crate) fn advance(&mut self, address: Address, nonce: u64) -> Option<(Option<u64>, bool)> {
        match self.0.get_mut(&address) {
            Some((next, listed)) if *next == nonce => {
                *next = nonce.saturating_add(1);
                Some((Some(nonce), std::mem::replace(listed, true)))
            }
            Some(_) => None,
            None if nonce == 0 => {
                self.0.insert(address, (1, true));
                Some((None, false))
            }
            None => None,
        }
    }

    /// The nonces `entries` (each address once, in strictly increasing order; `None`
    /// otherwise), none listed as changed.
    pub(crate) fn from_sorted(entries: Vec<(Address, u64)>) -> Option<Self> {
        if !entries.windows(2).all(|pair| pair[0].0 < pair[1].0) {
            return None;
        }
        let mut map = FxHashMap::default();
        map.reserve(entries.len());
        map.extend(entries.into_iter().map(|(address, next)| (address, (next, false))));
        Some(Nonces(map))
    }

    /// Restores a nonce saved for undo (the listing stays as it is).
    pub(crate) fn restore(&mut self, address: Address, next: u64) {
        self.0.entry(address).or_insert((next, false)).0 = next;
    }

    /// The address is no longer listed as changed.
    pub(crate) fn unlist(&mut self, address: &Address) {
        if let Some((_, listed)) = self.0.get_mut(address) {
            *listed = false;
        }
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
        self.0.remove(address).map(|(next, _)| next)
    }
}

impl Serialize for Nonces {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Sorted right away, so the map's order never shows.
        #[allow(clippy::disallowed_methods)]
        let mut sorted: Vec<(&Address, &u64)> = self.0.iter().map(|(address, (next, _))| (address, next)).collect();
        sorted.sort_unstable();
        serializer.collect_map(sorted)
    }
}
