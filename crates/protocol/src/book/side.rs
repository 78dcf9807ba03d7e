//! One side of the book (all bids or all asks): price levels, best first, each a FIFO queue.
//!
//! Orders live in the book's node slab. Each node carries the slots of its neighbours in its
//! level's queue and the slot of its level, so unlinking an order or changing its size is
//! O(1), plus O(log levels) when its level empties. Levels live in a slab of their own and
//! are found by price through a `BTreeMap` keyed so that ascending key order is best-first on
//! both sides: asks are keyed by price, bids by the bitwise complement of price. The best
//! level's slot is cached; it changes only when a better level appears (O(1)) or the best
//! level empties (O(log levels), the map's first key).

use std::collections::{btree_map, BTreeMap};

use rustc_hash::FxHashMap;
use std::iter::FusedIterator;

use novation_types::Side;

use super::order::{Level, RestingOrder};
use super::slab::{Slab, NIL};

/// A resting order with its links in its price level's queue.
#[derive(Clone, Debug)]
pub(super) struct OrderNode {
    /// The order itself.
    pub(super) order: RestingOrder,
    /// The node just ahead in time at the same price, or [`NIL`] if this is the head.
    prev: u32,
    /// The node just behind in time at the same price, or [`NIL`] if this is the tail.
    next: u32,
    /// The slot of this node's level in its side's level slab ([`NIL`] while unlinked).
    level: u32,
}

impl OrderNode {
    /// A node holding `order`, not yet linked into any level.
    pub(super) fn new(order: RestingOrder) -> Self {
        OrderNode { order, prev: NIL, next: NIL, level: NIL }
    }

    /// The slot of the node just ahead in its queue ([`NIL`] if it is first or unlinked).
    pub(super) fn ahead(&self) -> u32 {
        self.prev
    }

    /// The slot of the node just behind in its queue ([`NIL`] if it is last or unlinked).
    pub(super) fn behind(&self) -> u32 {
        self.next
    }
}

/// One price level: the ends of its queue and its aggregates.
#[derive(Clone, Debug)]
struct LevelQueue {
    price_ticks: u64,
    /// The earliest order (first to trade).
    head: u32,
    /// The latest order.
    tail: u32,
    /// Sum of remaining lots; u128 so it cannot overflow (at most 2^32 orders of < 2^64 lots).
    total_lots: u128,
    order_count: u32,
}

impl LevelQueue {
    fn empty(price_ticks: u64) -> Self {
        LevelQueue { price_ticks, head: NIL, tail: NIL, total_lots: 0, order_count: 0 }
    }

    fn to_level(&self) -> Level {
        Level {
            price_ticks: self.price_ticks,
            total_lots: u64::try_from(self.total_lots).unwrap_or(u64::MAX),
            order_count: self.order_count,
        }
    }
}

/// Where [`BookSide::link`] puts an order in its level's queue.
#[derive(Clone, Copy, Debug)]
pub(super) enum Place {
    /// Behind every order at its price (time priority for a new order).
    Back,
    /// Ahead of every order at its price.
    Front,
    /// Right behind the node in this slot, which must rest at the same price on this side.
    Behind(u32),
}

/// The map key of a price: ascending keys are best-first on either side.
#[inline]
fn level_key(side: Side, price_ticks: u64) -> u64 {
    match side {
        Side::Sell => price_ticks,
        Side::Buy => !price_ticks,
    }
}

/// All the price levels of one side.
#[derive(Clone, Debug)]
pub(super) struct BookSide {
    side: Side,
    /// Level key (see [`level_key`]) to level slot; iterated in key order only.
    index: BTreeMap<u64, u32>,
    /// Price to level slot: the same entries as `index`, for lookup only (NEVER iterated).
    by_price: FxHashMap<u64, u32>,
    levels: Slab<LevelQueue>,
    /// The slot of the best level, or [`NIL`] when the side is empty.
    best_level: u32,
    /// The number of orders on this side.
    len: usize,
}

impl BookSide {
    /// An empty side.
    pub(super) fn new(side: Side) -> Self {
        BookSide {
            side,
            index: BTreeMap::new(),
            by_price: FxHashMap::default(),
            levels: Slab::with_capacity(0),
            best_level: NIL,
            len: 0,
        }
    }

    /// The best price (highest bid or lowest ask), O(1).
    #[inline]
    pub(super) fn best_price(&self) -> Option<u64> {
        self.levels.get(self.best_level).map(|level| level.price_ticks)
    }

    /// The slot of the earliest order at the best price, or [`NIL`] when empty; O(1).
    #[inline]
    pub(super) fn best_head(&self) -> u32 {
        self.levels.get(self.best_level).map_or(NIL, |level| level.head)
    }

    /// Links the (unlinked) node in `slot` into the level of its price at `place`, creating
    /// the level if needed. False only if the slot is empty or no level slot is left.
    pub(super) fn link(&mut self, nodes: &mut Slab<OrderNode>, slot: u32, place: Place) -> bool {
        let Some(node) = nodes.get(slot) else {
            debug_assert!(false, "linking an empty slot {slot}");
            return false;
        };
        debug_assert!(node.order.side == self.side && node.level == NIL);
        let lots = node.order.remaining_lots.0;
        let Some(level_slot) = self.level_at(node.order.price_ticks.0) else {
            return false;
        };
        let Some(level) = self.levels.get_mut(level_slot) else {
            return false;
        };
        let ahead = match place {
            Place::Back => level.tail,
            Place::Front => NIL,
            Place::Behind(ahead) => ahead,
        };
        let behind = match nodes.get(ahead) {
            Some(ahead_node) => {
                debug_assert_eq!(ahead_node.level, level_slot, "restoring behind another level");
                ahead_node.next
            }
            None => level.head,
        };
        match nodes.get_mut(ahead) {
            Some(ahead_node) => ahead_node.next = slot,
            None => level.head = slot,
        }
        match nodes.get_mut(behind) {
            Some(behind_node) => behind_node.prev = slot,
            None => level.tail = slot,
        }
        level.total_lots += u128::from(lots);
        level.order_count += 1;
        if let Some(node) = nodes.get_mut(slot) {
            node.prev = ahead;
            node.next = behind;
            node.level = level_slot;
        }
        self.len += 1;
        true
    }

    /// The slot of the level at `price_ticks`, created empty (and made best if it is better
    /// than the current best) when missing.
    fn level_at(&mut self, price_ticks: u64) -> Option<u32> {
        if let Some(&slot) = self.by_price.get(&price_ticks) {
            return Some(slot);
        }
        let key = level_key(self.side, price_ticks);
        let slot = self.levels.insert(LevelQueue::empty(price_ticks))?;
        self.index.insert(key, slot);
        self.by_price.insert(price_ticks, slot);
        let is_better = match self.best_price() {
            None => true,
            Some(best_price_ticks) => key < level_key(self.side, best_price_ticks),
        };
        if is_better {
            self.best_level = slot;
        }
        Some(slot)
    }

    /// Unlinks the node in `slot` from its level (dropping the level if it empties) and
    /// returns the slot of the node that was just ahead of it ([`NIL`] if it was first).
    /// The node itself stays in the slab, for the caller to take out.
    pub(super) fn unlink(&mut self, nodes: &mut Slab<OrderNode>, slot: u32) -> u32 {
        let Some(node) = nodes.get_mut(slot) else {
            debug_assert!(false, "unlinking an empty slot {slot}");
            return NIL;
        };
        let (prev, next, level_slot) = (node.prev, node.next, node.level);
        let lots = node.order.remaining_lots.0;
        (node.prev, node.next, node.level) = (NIL, NIL, NIL);
        if let Some(prev_node) = nodes.get_mut(prev) {
            prev_node.next = next;
        }
        if let Some(next_node) = nodes.get_mut(next) {
            next_node.prev = prev;
        }
        self.len = self.len.saturating_sub(1);
        let Some(level) = self.levels.get_mut(level_slot) else {
            debug_assert!(false, "node {slot} has no level");
            return prev;
        };
        if level.head == slot {
            level.head = next;
        }
        if level.tail == slot {
            level.tail = prev;
        }
        debug_assert!(level.total_lots >= u128::from(lots) && level.order_count > 0);
        level.total_lots = level.total_lots.saturating_sub(u128::from(lots));
        level.order_count = level.order_count.saturating_sub(1);
        if level.order_count == 0 {
            let price_ticks = level.price_ticks;
            self.drop_level(level_slot, price_ticks);
        }
        prev
    }

    /// Removes an emptied level and, if it was the best, finds the new best.
    fn drop_level(&mut self, level_slot: u32, price_ticks: u64) {
        self.levels.remove(level_slot);
        self.index.remove(&level_key(self.side, price_ticks));
        self.by_price.remove(&price_ticks);
        if self.best_level == level_slot {
            self.best_level = self.index.first_key_value().map_or(NIL, |(_, &slot)| slot);
        }
    }

    /// Sets the remaining lots of the node in `slot`, keeping its place; returns the
    /// previous remaining lots, or `None` if the slot is empty. O(1).
    pub(super) fn set_lots(&mut self, nodes: &mut Slab<OrderNode>, slot: u32, lots: u64) -> Option<u64> {
        let node = nodes.get_mut(slot)?;
        let previous = std::mem::replace(&mut node.order.remaining_lots, novation_types::Lots(lots)).0;
        if let Some(level) = self.levels.get_mut(node.level) {
            debug_assert!(level.total_lots >= u128::from(previous));
            level.total_lots = level.total_lots.saturating_sub(u128::from(previous)) + u128::from(lots);
        }
        Some(previous)
    }

    /// The levels, best first.
    pub(super) fn levels(&self) -> impl Iterator<Item = Level> + '_ {
        self.index.values().filter_map(|&slot| self.levels.get(slot)).map(LevelQueue::to_level)
    }

    /// The orders in priority order: best price first, then time.
    pub(super) fn orders<'a>(&'a self, nodes: &'a Slab<OrderNode>) -> SideOrders<'a> {
        SideOrders { level_slots: self.index.values(), levels: &self.levels, nodes, next: NIL, remaining: self.len }
    }

    /// The orders of the level at `price_ticks` in time priority (none if no such level).
    pub(super) fn level_orders<'a>(&'a self, nodes: &'a Slab<OrderNode>, price_ticks: u64) -> LevelOrders<'a> {
        let level = self.by_price.get(&price_ticks).and_then(|&slot| self.levels.get(slot));
        match level {
            Some(level) => LevelOrders { nodes, next: level.head, remaining: level.order_count as usize },
            None => LevelOrders { nodes, next: NIL, remaining: 0 },
        }
    }

    /// Lots resting at prices a taker limited to `limit_price_ticks` may trade with, summed
    /// level by level and capped at `max_lots`.
    pub(super) fn lots_at_or_better(&self, limit_price_ticks: u64, max_lots: u64) -> u64 {
        let cap = u128::from(max_lots);
        let mut total: u128 = 0;
        for (_, &slot) in self.index.range(..=level_key(self.side, limit_price_ticks)) {
            if total >= cap {
                break;
            }
            if let Some(level) = self.levels.get(slot) {
                total = total.saturating_add(level.total_lots);
            }
        }
        u64::try_from(total.min(cap)).unwrap_or(max_lots)
    }

    /// Checks every structural invariant of this side against `nodes`; returns the number of
    /// orders seen. Test-only: panics on any violation.
    #[cfg(test)]
    pub(super) fn check_invariants(&self, nodes: &Slab<OrderNode>) -> usize {
        let mut seen = 0usize;
        let mut last_key = None;
        assert_eq!(self.levels.len(), self.index.len(), "level slab and index disagree");
        assert_eq!(self.by_price.len(), self.index.len(), "price lookup and index disagree");
        assert_eq!(self.index.values().next().copied().unwrap_or(NIL), self.best_level, "best level cache");
        for (&key, &level_slot) in &self.index {
            assert!(last_key < Some(key));
            last_key = Some(key);
            let level = self.levels.get(level_slot).expect("indexed level exists");
            assert_eq!(level_key(self.side, level.price_ticks), key);
            assert_eq!(self.by_price.get(&level.price_ticks), Some(&level_slot), "price lookup");
            assert!(level.order_count > 0, "empty level kept");
            let (mut prev, mut slot, mut count, mut total) = (NIL, level.head, 0u32, 0u128);
            while slot != NIL {
                let node = nodes.get(slot).expect("linked node exists");
                assert_eq!(node.prev, prev, "back link");
                assert_eq!(node.level, level_slot, "node's level");
                assert_eq!(node.order.side, self.side);
                assert_eq!(node.order.price_ticks, novation_types::PriceTicks(level.price_ticks));
                assert!(node.order.remaining_lots > novation_types::Lots(0));
                count += 1;
                assert!(count <= level.order_count, "cycle or miscount");
                total += u128::from(node.order.remaining_lots.0);
                (prev, slot) = (slot, node.next);
            }
            assert_eq!(level.tail, prev, "tail");
            assert_eq!(level.order_count, count, "order count");
            assert_eq!(level.total_lots, total, "total lots");
            seen += count as usize;
        }
        assert_eq!(seen, self.len, "side length");
        seen
    }
}

/// The orders of one side in priority order (see [`BookSide::orders`]).
pub(super) struct SideOrders<'a> {
    level_slots: btree_map::Values<'a, u64, u32>,
    levels: &'a Slab<LevelQueue>,
    nodes: &'a Slab<OrderNode>,
    /// The next node in the current level, or [`NIL`] to move to the next level.
    next: u32,
    /// Orders not yet yielded; bounds the walk and makes the length exact.
    remaining: usize,
}

impl<'a> Iterator for SideOrders<'a> {
    type Item = &'a RestingOrder;

    fn next(&mut self) -> Option<&'a RestingOrder> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            if let Some(node) = self.nodes.get(self.next) {
                self.next = node.next;
                self.remaining -= 1;
                return Some(&node.order);
            }
            let &level_slot = self.level_slots.next()?;
            self.next = self.levels.get(level_slot).map_or(NIL, |level| level.head);
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for SideOrders<'_> {}

impl FusedIterator for SideOrders<'_> {}

/// The orders of one price level in time priority (see [`super::OrderBook::level_orders`]).
#[derive(Clone)]
pub struct LevelOrders<'a> {
    nodes: &'a Slab<OrderNode>,
    /// The next node to yield, or [`NIL`] at the end.
    next: u32,
    /// Orders not yet yielded; bounds the walk and makes the length exact.
    remaining: usize,
}

impl<'a> Iterator for LevelOrders<'a> {
    type Item = &'a RestingOrder;

    fn next(&mut self) -> Option<&'a RestingOrder> {
        if self.remaining == 0 {
            return None;
        }
        let node = self.nodes.get(self.next)?;
        self.next = node.next;
        self.remaining -= 1;
        Some(&node.order)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for LevelOrders<'_> {}

impl FusedIterator for LevelOrders<'_> {}
