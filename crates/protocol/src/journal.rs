//! The undo journal that makes a transaction apply whole or not at all.
//!
//! While a transaction runs, every write to state first records how to undo it, as an entry
//! of the component that owns the written state. If any action fails, the journal is
//! replayed backwards and the state is byte-identical to what it was before the
//! transaction; if all succeed, the journal is simply dropped.

use novation_types::{MarketId, SubaccountId};

use crate::accounts::Subaccount;
use crate::markets::MarketState;

/// One undo step, owned by the component whose state it restores. Kept small (every write
/// pushes one): the large before-images of subaccounts and markets live in the journal's
/// snapshot slots, and entries name them by index.
#[derive(Clone, Debug)]
pub(crate) enum Undo {
    Accounts(crate::accounts::Undo),
    Markets(crate::markets::Undo),
    Trading(crate::trading::Undo),
    Oracle(crate::oracle::Undo),
    Derivatives(crate::derivatives::Undo),
    Params(crate::params::Undo),
}

/// The undo log of the running transaction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Journal {
    pub(crate) active: bool,
    pub(crate) entries: Vec<Undo>,
    /// Subaccounts saved in this transaction, once each before their first write, with
    /// their contents then (`None`: it did not exist).
    pub(crate) saved_subaccounts: Vec<(SubaccountId, Option<Subaccount>)>,
    /// Markets' running state saved once each before their first write.
    pub(crate) saved_markets: Vec<(MarketId, Option<MarketState>)>,
    /// Length of the state's touched-subaccount list when the transaction began.
    pub(crate) touched_len: usize,
}

impl Journal {
    pub(crate) fn begin(&mut self, touched_len: usize) {
        debug_assert!(self.entries.is_empty());
        self.active = true;
        self.touched_len = touched_len;
    }

    pub(crate) fn end(&mut self) {
        self.active = false;
        self.entries.clear();
        self.saved_subaccounts.clear();
        self.saved_markets.clear();
    }

    #[inline]
    pub(crate) fn record(&mut self, undo: impl Into<Undo>) {
        if self.active {
            self.entries.push(undo.into());
        }
    }

    /// Saves subaccount `id` before its first write in this transaction (`current` reads
    /// its contents now); later writes need no saving.
    #[inline]
    pub(crate) fn save_subaccount_once(&mut self, id: SubaccountId, current: impl FnOnce() -> Option<Subaccount>) {
        if !self.active || self.saved_subaccounts.iter().any(|(saved, _)| *saved == id) {
            return;
        }
        let slot = self.saved_subaccounts.len();
        self.saved_subaccounts.push((id, current()));
        self.entries.push(Undo::Accounts(crate::accounts::Undo::Subaccount(slot)));
    }

    /// Saves market `id`'s running state before its first write in this transaction.
    #[inline]
    pub(crate) fn save_market_once(&mut self, id: MarketId, current: impl FnOnce() -> MarketState) {
        if !self.active || self.saved_markets.iter().any(|(saved, _)| *saved == id) {
            return;
        }
        let slot = self.saved_markets.len();
        self.saved_markets.push((id, Some(current())));
        self.entries.push(Undo::Markets(crate::markets::Undo::Market(slot)));
    }

    /// The subaccount saved in `slot`, taken out for restoring.
    pub(crate) fn take_saved_subaccount(&mut self, slot: usize) -> Option<(SubaccountId, Option<Subaccount>)> {
        let (id, before) = self.saved_subaccounts.get_mut(slot)?;
        Some((*id, before.take()))
    }

    /// The market state saved in `slot`, taken out for restoring.
    pub(crate) fn take_saved_market(&mut self, slot: usize) -> Option<(MarketId, MarketState)> {
        let (id, before) = self.saved_markets.get_mut(slot)?;
        Some((*id, before.take()?))
    }
}

impl From<crate::accounts::Undo> for Undo {
    fn from(undo: crate::accounts::Undo) -> Self {
        Undo::Accounts(undo)
    }
}

impl From<crate::markets::Undo> for Undo {
    fn from(undo: crate::markets::Undo) -> Self {
        Undo::Markets(undo)
    }
}

impl From<crate::trading::Undo> for Undo {
    fn from(undo: crate::trading::Undo) -> Self {
        Undo::Trading(undo)
    }
}

impl From<crate::oracle::Undo> for Undo {
    fn from(undo: crate::oracle::Undo) -> Self {
        Undo::Oracle(undo)
    }
}

impl From<crate::derivatives::Undo> for Undo {
    fn from(undo: crate::derivatives::Undo) -> Self {
        Undo::Derivatives(undo)
    }
}

impl From<crate::params::Undo> for Undo {
    fn from(undo: crate::params::Undo) -> Self {
        Undo::Params(undo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undo_entry_stays_small() {
        assert!(std::mem::size_of::<Undo>() <= 128, "Undo is {} bytes", std::mem::size_of::<Undo>());
    }
}
