//! The undo journal that makes a transaction apply whole or not at all.
//!
//! While a transaction runs, every write to state first records how to undo it. If any
//! action fails, the journal is replayed backwards and the state is byte-identical to what it
//! was before the transaction; if all succeed, the journal is simply dropped.

use novation_types::{Address, AssetId, LedgerAccount, MarketId, OrderId, SubaccountId};

use crate::accounts::Subaccount;
use crate::book::{QueuePosition, RestingOrder};
use crate::markets::MarketState;
use crate::oracle::PriceReportEntry;

/// One undo step: the value something had before a write.
// Entries live in one reused Vec for the length of a transaction; boxing the large variant
// would allocate on every first write to a subaccount instead.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub(crate) enum Undo {
    Subaccount(SubaccountId, Option<Subaccount>),
    Pool(LedgerAccount, AssetId, i128),
    Nonce(Address, Option<u64>),
    Market(MarketId, MarketState),
    BookInserted(MarketId, OrderId),
    BookRemoved(MarketId, RestingOrder, QueuePosition),
    BookRemaining(MarketId, OrderId, u64),
    ClientId(SubaccountId, u64, Option<OrderId>),
    OpenOrderIndex { subaccount: SubaccountId, order: OrderId, was_present: bool },
    Report(AssetId, Address, Option<PriceReportEntry>),
    Smile(AssetId, u64, Address, Option<(novation_math::SviParams, u64)>),
    Trigger(OrderId, Option<crate::trading::TriggerOrder>),
    Agent { account: Address, agent: Address, was: bool },
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

    pub(crate) fn record(&mut self, undo: Undo) {
        if self.active {
            self.entries.push(undo);
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
