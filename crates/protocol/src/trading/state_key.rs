//! What the trading component commits:
//!
//! - `StateKey::Component(Trading)` (bytes `0x00 0x05`): the number of order books (u64) and
//!   every waiting trigger order, by id;
//! - `StateKey::RestingOrder { market, id }` (bytes `0x05 ‖ market u16 BE ‖ order id u64
//!   BE`): one per resting order of every book, the `RestingOrder` and the id of the order
//!   just ahead of it in its price level's queue (`None` for the first). Together the entries
//!   determine every queue — each level runs from its one order with nobody ahead — so they
//!   hold exactly the canonical form of every book, and a trader can prove where their order
//!   stands.
//!
//! A block re-encodes only the orders its changes touched — the order itself and, when it
//! joins or leaves the middle of a queue, the one behind it — so a change costs the same
//! however deep its level: each book records them (see `OrderBook::take_touched_orders`)
//! and [`Trading::take_touched_order_keys`] drains them.
//! The client-id and open-order indexes are derived from those and not committed.

use novation_types::{MarketId, OrderId};

use super::Trading;
use crate::commitment::{encode, Committed, ComponentKey, StateKey};

impl Committed for Trading {
    fn key(&self) -> ComponentKey {
        ComponentKey::Trading
    }

    fn committed_bytes(&self) -> Vec<u8> {
        // The books' orders are committed one by one under `StateKey::RestingOrder`.
        let Trading { books, triggers, client_ids: _, open_order_index: _ } = self;
        encode(&(books.len() as u64, triggers))
    }
}

impl Trading {
    /// The committed value of resting order `id` of `market`'s book: the order and the id of
    /// the order just ahead of it in its queue; `None` if no such order rests there.
    pub(crate) fn order_bytes(&self, market: MarketId, id: OrderId) -> Option<Vec<u8>> {
        let book = self.books.get(market.0 as usize)?;
        book.order_entry(id).map(|entry| encode(&entry))
    }

    /// The key of every resting order of every book.
    pub(crate) fn order_keys(&self) -> impl Iterator<Item = StateKey> + '_ {
        self.books.iter().enumerate().flat_map(|(index, book)| {
            let market = market_id(index);
            book.order_ids().map(move |id| StateKey::RestingOrder { market, id })
        })
    }

    /// Appends the key of every order a change touched since the last call, and forgets them.
    pub(crate) fn take_touched_order_keys(&mut self, keys: &mut Vec<StateKey>) {
        for (index, book) in self.books.iter_mut().enumerate() {
            let market = market_id(index);
            keys.extend(book.take_touched_orders().into_iter().map(|id| StateKey::RestingOrder { market, id }));
        }
    }
}

/// The market of the book at `index` (books are one per market, by id; ids are u16).
fn market_id(index: usize) -> MarketId {
    debug_assert!(index <= usize::from(u16::MAX), "at most 2^16 markets");
    MarketId(index as u16)
}
