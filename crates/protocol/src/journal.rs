//! The undo journal that makes a transaction apply whole or not at all.
//!
//! While a transaction runs, every write to state first records how to undo it, as an entry
//! of the component that owns the written state. If any action fails, the journal is
//! replayed backwards and the state is byte-identical to what it was before the
//! transaction; if all succeed, the journal is simply dropped.

use novation_types::{MarketId, SubaccountId};

/// One undo step, owned by the component whose state it restores.
// Entries live in one reused Vec for the length of a transaction; boxing the large variant
// would allocate on every first write to a subaccount instead.
#[allow(clippy::large_enum_variant)]
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
    /// Subaccounts already saved in this transaction (saved once, before their first write).
    pub(crate) saved_subaccounts: Vec<SubaccountId>,
    pub(crate) saved_markets: Vec<MarketId>,
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

    pub(crate) fn record(&mut self, undo: impl Into<Undo>) {
        if self.active {
            self.entries.push(undo.into());
        }
    }

    /// Whether `id` still needs saving before its first write in this transaction.
    pub(crate) fn first_touch_subaccount(&mut self, id: SubaccountId) -> bool {
        if !self.active || self.saved_subaccounts.contains(&id) {
            return false;
        }
        self.saved_subaccounts.push(id);
        true
    }

    pub(crate) fn first_touch_market(&mut self, id: MarketId) -> bool {
        if !self.active || self.saved_markets.contains(&id) {
            return false;
        }
        self.saved_markets.push(id);
        true
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
