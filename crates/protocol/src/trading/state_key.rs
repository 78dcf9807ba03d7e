//! What the trading component commits:
//!
//! - `StateKey::Component(Trading)` (bytes `0x00 0x05`): the number of order books (u64) and
//!   every waiting trigger order, by id;
//! - `StateKey::BookLevel { market, side, price_ticks }` (bytes `0x03 ‖ market u16 BE ‖ side
//!   u8 (0 bid, 1 ask) ‖ price ticks u64 BE`): one per non-empty price level of every book,
//!   its resting orders in time priority (a sequence of `RestingOrder`); absent when the
//!   level is empty. Together the levels hold exactly the canonical form of every book.
//!
//! A block re-encodes only the levels its changes touched: each book records them (see
//! `OrderBook::take_touched_levels`) and [`Trading::take_touched_level_keys`] drains them.
//! The client-id and open-order indexes are derived from those and not committed.

use novation_types::{MarketId, Side};
use serde::{Serialize, Serializer};

use super::Trading;
use crate::book::OrderBook;
use crate::commitment::{encode, Committed, ComponentKey, StateKey};

impl Committed for Trading {
    fn key(&self) -> ComponentKey {
        ComponentKey::Trading
    }

    fn committed_bytes(&self) -> Vec<u8> {
        // The books' orders are committed level by level under `StateKey::BookLevel`.
        let Trading { books, triggers, client_ids: _, open_order_index: _ } = self;
        encode(&(books.len() as u64, triggers))
    }
}

/// One level's orders in time priority, serialized without collecting.
struct LevelInTimeOrder<'a> {
    book: &'a OrderBook,
    side: Side,
    price_ticks: u64,
}

impl Serialize for LevelInTimeOrder<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.book.level_orders(self.side, self.price_ticks))
    }
}

impl Trading {
    /// The committed value of one book level, or `None` if no order rests there.
    pub(crate) fn level_bytes(&self, market: MarketId, side: Side, price_ticks: u64) -> Option<Vec<u8>> {
        let book = self.books.get(market.0 as usize)?;
        if book.level_orders(side, price_ticks).len() == 0 {
            return None;
        }
        Some(encode(&LevelInTimeOrder { book, side, price_ticks }))
    }

    /// The key of every non-empty level of every book.
    pub(crate) fn level_keys(&self) -> impl Iterator<Item = StateKey> + '_ {
        self.books.iter().enumerate().flat_map(|(index, book)| {
            let market = market_id(index);
            [Side::Buy, Side::Sell].into_iter().flat_map(move |side| {
                book.levels(side).map(move |level| StateKey::BookLevel { market, side, price_ticks: level.price_ticks })
            })
        })
    }

    /// Appends the key of every level a change touched since the last call, and forgets them.
    pub(crate) fn take_touched_level_keys(&mut self, keys: &mut Vec<StateKey>) {
        for (index, book) in self.books.iter_mut().enumerate() {
            let market = market_id(index);
            keys.extend(book.take_touched_levels().map(|(side, price_ticks)| StateKey::BookLevel {
                market,
                side,
                price_ticks,
            }));
        }
    }
}

/// The market of the book at `index` (books are one per market, by id; ids are u16).
fn market_id(index: usize) -> MarketId {
    debug_assert!(index <= usize::from(u16::MAX), "at most 2^16 markets");
    MarketId(index as u16)
}
