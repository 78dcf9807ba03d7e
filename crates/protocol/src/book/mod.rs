//! The central limit order book of one market: resting orders in price-time priority.
//!
//! ```text
//!   ids: FxHashMap<OrderId, slot> ──► nodes: Slab<OrderNode> ◄── bids, asks: BookSide
//!   (lookup only, never iterated)     order + prev/next/level     BTreeMap<price key, level slot>
//!                                                                 Slab<LevelQueue>, best level cached
//! ```
//!
//! Promises:
//! - Priority is price, then time: a new order joins the back of its price level.
//! - Costs: insert O(log levels); remove and size changes O(1), plus O(log levels) when a
//!   level empties; best prices and the best order O(1); removal returns a [`QueuePosition`]
//!   with which [`OrderBook::restore`] undoes it exactly.
//! - Determinism: everything observable (iteration, levels, serialization, equality) follows
//!   price-time order only, never slot numbers or hash-map order, so two books holding the
//!   same orders in the same queues are indistinguishable whatever their histories.
//! - No panics on input, integers only, no `unsafe`.
//! - Change tracking: every change records the id of each order whose entry it may have
//!   changed — the order itself, and the order behind it in its queue, whose predecessor
//!   changed — until [`OrderBook::take_touched_orders`] drains them (the state commitment
//!   re-encodes only those orders, O(1) per change however deep the level). The record is
//!   derived data: equality and serialization ignore it.
//!
//! The book only stores orders; matching, margin and events are its callers' business.

mod canonical;
mod order;
mod side;
mod slab;
#[cfg(test)]
mod tests;

use std::collections::hash_map;
use std::fmt;

use novation_types::{Lots, OrderId, PriceTicks, Side};
use rustc_hash::FxHashMap;

pub use self::order::{Level, QueuePosition, RestingOrder};
pub use self::side::LevelOrders;
use self::side::{BookSide, OrderNode, Place};
use self::slab::Slab;

/// Why the book refused a change. A refused change leaves the book untouched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookError {
    /// An order with this id already rests in the book.
    DuplicateOrderId,
    /// An order cannot rest with zero remaining lots (remove it instead).
    ZeroSize,
    /// No such order rests in the book (for `restore`: the order named as `ahead`, which must
    /// rest at the same side and price).
    UnknownOrder,
    /// The book already holds `u32::MAX - 1` orders (memory runs out long before).
    Full,
}

impl BookError {
    /// A human-readable explanation.
    pub const fn message(self) -> &'static str {
        match self {
            BookError::DuplicateOrderId => "an order with this id already rests in the book",
            BookError::ZeroSize => "a resting order must have a positive size",
            BookError::UnknownOrder => "no such order rests in the book",
            BookError::Full => "the order book is full",
        }
    }
}

impl fmt::Display for BookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for BookError {}

/// A central limit order book: bids and asks in price-time priority.
///
/// Equality and serialization compare contents in priority order, not internal layout.
#[derive(Clone, Debug)]
pub struct OrderBook {
    /// Every resting order, with its queue links.
    nodes: Slab<OrderNode>,
    /// Order id to node slot. Used for lookup only and NEVER iterated: hash-map iteration
    /// order must not reach state, events or serialized forms.
    ids: FxHashMap<OrderId, u32>,
    bids: BookSide,
    asks: BookSide,
    /// The orders whose entry ([`OrderBook::order_entry`]) may have changed since the last
    /// [`OrderBook::take_touched_orders`], with repeats: a superset, never missing one. Not
    /// committed, compared or serialized; at most two ids per change.
    touched_orders: Vec<OrderId>,
}

impl Default for OrderBook {
    fn default() -> Self {
        OrderBook::new()
    }
}

impl OrderBook {
    /// An empty book.
    pub fn new() -> Self {
        OrderBook::with_capacity(0)
    }

    /// An empty book with room for `orders` resting orders before it allocates again.
    pub fn with_capacity(orders: usize) -> Self {
        OrderBook {
            nodes: Slab::with_capacity(orders),
            ids: FxHashMap::with_capacity_and_hasher(orders, Default::default()),
            bids: BookSide::new(Side::Buy),
            asks: BookSide::new(Side::Sell),
            touched_orders: Vec::new(),
        }
    }

    /// Drains the ids of the orders whose entry may have changed since the last call, in
    /// ascending order without repeats. Every change of the book records each order it
    /// touched; an order that left the book is reported too.
    pub fn take_touched_orders(&mut self) -> Vec<OrderId> {
        let mut touched = std::mem::take(&mut self.touched_orders);
        touched.sort_unstable();
        touched.dedup();
        touched
    }

    /// Order `id` as committed: the order and the id of the order just ahead of it in its
    /// price level's queue (`None` if it is first). These entries determine every queue, so
    /// they are a canonical form of the book. `None` if no such order rests.
    pub fn order_entry(&self, id: OrderId) -> Option<(&RestingOrder, Option<OrderId>)> {
        let node = self.nodes.get(*self.ids.get(&id)?)?;
        Some((&node.order, self.nodes.get(node.ahead()).map(|ahead| ahead.order.id)))
    }

    /// The id of every resting order, bids then asks, each in priority order.
    pub fn order_ids(&self) -> impl Iterator<Item = OrderId> + '_ {
        self.iter_side(Side::Buy).chain(self.iter_side(Side::Sell)).map(|order| order.id)
    }

    /// Records `slot`'s order and the order behind it as touched.
    fn touch_with_follower(&mut self, slot: u32) {
        if let Some(node) = self.nodes.get(slot) {
            self.touched_orders.push(node.order.id);
            if let Some(behind) = self.nodes.get(node.behind()) {
                self.touched_orders.push(behind.order.id);
            }
        }
    }

    /// The orders resting at `price_ticks` on `side`, in time priority (empty if no level).
    pub fn level_orders(&self, side: Side, price_ticks: u64) -> LevelOrders<'_> {
        self.side(side).level_orders(&self.nodes, price_ticks)
    }

    /// Rests `order` at the back of its price level (time priority). O(log levels).
    pub fn insert(&mut self, order: RestingOrder) -> Result<(), BookError> {
        self.place(order, Place::Back)
    }

    /// Removes the order `id`, returning it and where it stood in its queue (for
    /// [`OrderBook::restore`]); `None` if no such order rests. O(1), plus O(log levels) if its
    /// level empties.
    pub fn remove(&mut self, id: OrderId) -> Option<(RestingOrder, QueuePosition)> {
        let slot = *self.ids.get(&id)?;
        let order = self.nodes.get(slot)?.order;
        let side = order.side;
        self.touch_with_follower(slot);
        self.ids.remove(&id);
        let (book_side, nodes) = self.side_and_nodes(side);
        let ahead_slot = book_side.unlink(nodes, slot);
        let ahead = self.nodes.get(ahead_slot).map(|node| node.order.id);
        let node = self.nodes.remove(slot)?;
        Some((node.order, QueuePosition { ahead }))
    }

    /// Moves order `id` to the back of the level at `price_ticks` with `remaining_lots` left:
    /// what [`OrderBook::remove`] then [`OrderBook::insert`] of the changed order do, without
    /// the order leaving its slot. Returns what `remove` would (the order as it was and where
    /// it stood), so removing the moved order and restoring the old one undoes it. Refused,
    /// changing nothing, for zero lots or an unknown id.
    pub fn reprice(
        &mut self,
        id: OrderId,
        price_ticks: u64,
        remaining_lots: u64,
    ) -> Result<(RestingOrder, QueuePosition), BookError> {
        if remaining_lots == 0 {
            return Err(BookError::ZeroSize);
        }
        let slot = *self.ids.get(&id).ok_or(BookError::UnknownOrder)?;
        let old = self.nodes.get(slot).ok_or(BookError::UnknownOrder)?.order;
        let side = old.side;
        // The order itself and its old follower; at the back of its new level it has none.
        self.touch_with_follower(slot);
        let (book_side, nodes) = self.side_and_nodes(side);
        let ahead_slot = book_side.unlink(nodes, slot);
        let ahead = nodes.get(ahead_slot).map(|node| node.order.id);
        let node = nodes.get_mut(slot).ok_or(BookError::UnknownOrder)?;
        let before = node.order;
        (node.order.price_ticks, node.order.remaining_lots) = (PriceTicks(price_ticks), Lots(remaining_lots));
        if !book_side.link(nodes, slot, Place::Back) {
            // No level slot left: put the order back where it stood.
            if let Some(node) = nodes.get_mut(slot) {
                node.order = before;
            }
            let place = if ahead.is_some() { Place::Behind(ahead_slot) } else { Place::Front };
            let relinked = book_side.link(nodes, slot, place);
            debug_assert!(relinked, "the level it left has a free slot");
            return Err(BookError::Full);
        }
        Ok((before, QueuePosition { ahead }))
    }

    /// Undoes a [`OrderBook::remove`] exactly: puts `order` back right behind
    /// `position.ahead`, or at the front of its level if `None`. Undo runs in LIFO order, so
    /// `ahead` rests again by then; if it does not rest at the order's side and price, the
    /// result is [`BookError::UnknownOrder`].
    pub fn restore(&mut self, order: RestingOrder, position: QueuePosition) -> Result<(), BookError> {
        if order.remaining_lots == Lots(0) {
            return Err(BookError::ZeroSize);
        }
        if self.ids.contains_key(&order.id) {
            return Err(BookError::DuplicateOrderId);
        }
        let place = match position.ahead {
            None => Place::Front,
            Some(ahead_id) => {
                let slot = *self.ids.get(&ahead_id).ok_or(BookError::UnknownOrder)?;
                let ahead = self.nodes.get(slot).ok_or(BookError::UnknownOrder)?;
                if ahead.order.side != order.side || ahead.order.price_ticks != order.price_ticks {
                    return Err(BookError::UnknownOrder);
                }
                Place::Behind(slot)
            }
        };
        self.place(order, place)
    }

    /// Stores `order` and links it into its level at `place`, or changes nothing.
    fn place(&mut self, order: RestingOrder, place: Place) -> Result<(), BookError> {
        if order.remaining_lots == Lots(0) {
            return Err(BookError::ZeroSize);
        }
        let hash_map::Entry::Vacant(entry) = self.ids.entry(order.id) else {
            return Err(BookError::DuplicateOrderId);
        };
        let slot = self.nodes.insert(OrderNode::new(order)).ok_or(BookError::Full)?;
        let book_side = match order.side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        if !book_side.link(&mut self.nodes, slot, place) {
            self.nodes.remove(slot);
            return Err(BookError::Full);
        }
        entry.insert(slot);
        // The new order, and the one it now stands ahead of (none at the back).
        self.touch_with_follower(slot);
        Ok(())
    }

    /// Sets the remaining lots of order `id`, keeping its queue position; returns the previous
    /// remaining lots. Zero is refused with [`BookError::ZeroSize`]: remove the order instead.
    /// O(1).
    pub fn set_remaining(&mut self, id: OrderId, remaining_lots: u64) -> Result<u64, BookError> {
        if remaining_lots == 0 {
            return Err(BookError::ZeroSize);
        }
        let slot = *self.ids.get(&id).ok_or(BookError::UnknownOrder)?;
        let order = self.nodes.get(slot).ok_or(BookError::UnknownOrder)?.order;
        self.touched_orders.push(id);
        let (book_side, nodes) = self.side_and_nodes(order.side);
        book_side.set_lots(nodes, slot, remaining_lots).ok_or(BookError::UnknownOrder)
    }

    /// The resting order `id`, if any.
    pub fn get(&self, id: OrderId) -> Option<&RestingOrder> {
        let slot = *self.ids.get(&id)?;
        self.nodes.get(slot).map(|node| &node.order)
    }

    /// Whether order `id` rests in the book.
    pub fn contains(&self, id: OrderId) -> bool {
        self.ids.contains_key(&id)
    }

    /// The highest bid price, in ticks. O(1).
    pub fn best_bid(&self) -> Option<u64> {
        self.bids.best_price()
    }

    /// The lowest ask price, in ticks. O(1).
    pub fn best_ask(&self) -> Option<u64> {
        self.asks.best_price()
    }

    /// The best price of `side` (for [`Side::Buy`] the best bid). O(1).
    pub fn best_price(&self, side: Side) -> Option<u64> {
        self.side(side).best_price()
    }

    /// The earliest order at the best price of `side`: what an incoming order of the opposite
    /// side trades with first. O(1).
    pub fn best_order(&self, side: Side) -> Option<&RestingOrder> {
        self.nodes.get(self.side(side).best_head()).map(|node| &node.order)
    }

    /// The orders of `side` in priority order: best price first, then time.
    pub fn iter_side(&self, side: Side) -> impl ExactSizeIterator<Item = &RestingOrder> + '_ {
        self.side(side).orders(&self.nodes)
    }

    /// The L2 levels of `side`, best first.
    pub fn levels(&self, side: Side) -> impl Iterator<Item = Level> + '_ {
        self.side(side).levels()
    }

    /// The best `max_levels` L2 levels of `side`, best first.
    pub fn depth(&self, side: Side, max_levels: usize) -> Vec<Level> {
        self.levels(side).take(max_levels).collect()
    }

    /// The number of resting orders.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether no order rests.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() == 0
    }

    /// The lots resting on `side` at prices a taker limited to `limit_price_ticks` may trade
    /// with (asks at or below the limit, bids at or above it), capped at `max_lots`. Walks
    /// level totals best first and stops once `max_lots` is reached.
    pub fn lots_at_or_better(&self, side: Side, limit_price_ticks: u64, max_lots: u64) -> u64 {
        self.side(side).lots_at_or_better(limit_price_ticks, max_lots)
    }

    fn side(&self, side: Side) -> &BookSide {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn side_and_nodes(&mut self, side: Side) -> (&mut BookSide, &mut Slab<OrderNode>) {
        let book_side = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        (book_side, &mut self.nodes)
    }

    /// Checks every structural invariant; test-only, panics on a violation.
    #[cfg(test)]
    fn check_invariants(&self) {
        let bids = self.bids.check_invariants(&self.nodes);
        let asks = self.asks.check_invariants(&self.nodes);
        assert_eq!(bids + asks, self.nodes.len(), "every node is linked");
        assert_eq!(self.ids.len(), self.nodes.len(), "id index size");
        for side in [Side::Buy, Side::Sell] {
            for order in self.iter_side(side) {
                assert_eq!(self.get(order.id), Some(order), "id index points at the order");
            }
        }
    }
}

impl PartialEq for OrderBook {
    /// Same orders in the same queues (priority order), whatever the internal layout.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.iter_side(Side::Buy).eq(other.iter_side(Side::Buy))
            && self.iter_side(Side::Sell).eq(other.iter_side(Side::Sell))
    }
}

impl Eq for OrderBook {}
