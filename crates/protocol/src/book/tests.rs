//! Tests of the order book: unit tests of each promise, and a property test that drives random
//! operation sequences against a naive model (a vector per side kept in priority order).

use novation_types::{Address, Lots, OrderId, PriceTicks, Side, SubaccountId};
use proptest::prelude::*;
use proptest::sample::Index;
use serde::Serialize;

use super::slab::Slab;
use super::{BookError, Level, OrderBook, QueuePosition, RestingOrder};

fn order(id: u64, side: Side, price_ticks: u64, remaining_lots: u64) -> RestingOrder {
    RestingOrder {
        id: OrderId(id),
        owner: SubaccountId::new(Address::from_index(id % 3), 0),
        side,
        price_ticks: PriceTicks(price_ticks),
        remaining_lots: Lots(remaining_lots),
        reduce_only: id.is_multiple_of(2),
        client_order_id: (!id.is_multiple_of(5)).then_some(id * 7),
        size_lots: Lots(remaining_lots.saturating_add(id % 4)),
        placed_ms: id,
    }
}

fn bid(id: u64, price_ticks: u64, lots: u64) -> RestingOrder {
    order(id, Side::Buy, price_ticks, lots)
}

fn ask(id: u64, price_ticks: u64, lots: u64) -> RestingOrder {
    order(id, Side::Sell, price_ticks, lots)
}

fn book_of(orders: &[RestingOrder]) -> OrderBook {
    let mut book = OrderBook::new();
    for o in orders {
        book.insert(*o).expect("insert");
    }
    book.check_invariants();
    book
}

fn ids(book: &OrderBook, side: Side) -> Vec<u64> {
    book.iter_side(side).map(|o| o.id.0).collect()
}

fn level(price_ticks: u64, total_lots: u64, order_count: u32) -> Level {
    Level { price_ticks, total_lots, order_count }
}

fn bytes(book: &OrderBook) -> Vec<u8> {
    bincode::serialize(book).expect("serialize")
}

#[test]
fn orders_are_kept_in_price_then_time_priority() {
    let book =
        book_of(&[bid(1, 100, 1), bid(2, 101, 1), bid(3, 100, 1), ask(4, 105, 1), ask(5, 104, 1), ask(6, 104, 1)]);
    assert_eq!(ids(&book, Side::Buy), [2, 1, 3]);
    assert_eq!(ids(&book, Side::Sell), [5, 6, 4]);
    assert_eq!(book.best_order(Side::Buy).map(|o| o.id), Some(OrderId(2)));
    assert_eq!(book.best_order(Side::Sell).map(|o| o.id), Some(OrderId(5)));
    assert_eq!(book.len(), 6);
    assert_eq!(book.iter_side(Side::Buy).len(), 3);
}

#[test]
fn best_prices_are_cached_across_inserts_and_removes() {
    let mut book = OrderBook::new();
    assert_eq!((book.best_bid(), book.best_ask()), (None, None));
    assert!(book.best_order(Side::Buy).is_none());
    book.insert(bid(1, 100, 1)).unwrap();
    book.insert(bid(2, 99, 1)).unwrap();
    assert_eq!(book.best_bid(), Some(100));
    book.insert(bid(3, 101, 1)).unwrap();
    assert_eq!(book.best_bid(), Some(101));
    book.insert(ask(4, 110, 1)).unwrap();
    book.insert(ask(5, 111, 1)).unwrap();
    book.insert(ask(6, 109, 1)).unwrap();
    assert_eq!(book.best_ask(), Some(109));
    assert_eq!(book.best_price(Side::Sell), Some(109));
    book.remove(OrderId(2)).unwrap(); // not the best level: best unchanged
    assert_eq!(book.best_bid(), Some(101));
    book.remove(OrderId(3)).unwrap();
    assert_eq!(book.best_price(Side::Buy), Some(100));
    book.remove(OrderId(6)).unwrap();
    assert_eq!(book.best_ask(), Some(110));
    book.remove(OrderId(1)).unwrap();
    assert_eq!(book.best_bid(), None);
    book.check_invariants();
}

#[test]
fn insert_refuses_duplicate_ids_and_zero_size_without_change() {
    let mut book = book_of(&[bid(1, 100, 5)]);
    let before = bytes(&book);
    assert_eq!(book.insert(ask(1, 120, 3)), Err(BookError::DuplicateOrderId));
    assert_eq!(book.insert(ask(2, 120, 0)), Err(BookError::ZeroSize));
    assert_eq!(bytes(&book), before);
    assert!(!book.contains(OrderId(2)));
    book.check_invariants();
}

#[test]
fn remove_returns_the_order_and_the_one_ahead_of_it() {
    let mut book = book_of(&[bid(1, 100, 1), bid(2, 100, 2), bid(3, 101, 3)]);
    assert_eq!(book.remove(OrderId(9)), None);
    assert_eq!(book.remove(OrderId(2)), Some((bid(2, 100, 2), QueuePosition { ahead: Some(OrderId(1)) })));
    assert_eq!(book.remove(OrderId(3)), Some((bid(3, 101, 3), QueuePosition { ahead: None })));
    assert_eq!(book.remove(OrderId(3)), None);
    assert!(!book.contains(OrderId(3)) && book.get(OrderId(3)).is_none());
    assert_eq!(book.get(OrderId(1)), Some(&bid(1, 100, 1)));
    book.check_invariants();
}

/// Removes `id` from a level of orders 1, 2, 3 (plus other levels), restores it, and checks the
/// book is exactly as before.
#[test]
fn reprice_is_remove_then_insert_and_undoes_like_remove() {
    let orders = [bid(1, 100, 5), bid(2, 100, 3), bid(3, 99, 4), ask(4, 101, 2), ask(5, 103, 1)];
    for (id, price) in [(1, 98), (2, 100), (3, 100), (4, 103), (5, 102), (4, 101)] {
        let mut moved = book_of(&orders);
        let (before, position) = moved.reprice(OrderId(id), price, 7).expect("reprice");
        moved.check_invariants();
        let mut expected = book_of(&orders);
        let (removed, expected_position) = expected.remove(OrderId(id)).expect("remove");
        expected
            .insert(RestingOrder { price_ticks: PriceTicks(price), remaining_lots: Lots(7), ..removed })
            .expect("insert");
        assert_eq!((before, position), (removed, expected_position));
        assert_eq!(moved, expected);
        moved.remove(OrderId(id)).expect("remove moved");
        moved.restore(before, position).expect("restore");
        moved.check_invariants();
        assert_eq!(moved, book_of(&orders));
    }
    let mut book = book_of(&orders);
    assert_eq!(book.reprice(OrderId(9), 100, 1), Err(BookError::UnknownOrder));
    assert_eq!(book.reprice(OrderId(1), 100, 0), Err(BookError::ZeroSize));
    assert_eq!(book, book_of(&orders));
}

fn assert_remove_then_restore_is_identity(id: u64) {
    let mut book = book_of(&[ask(1, 50, 1), ask(2, 50, 2), ask(3, 50, 3), ask(4, 51, 4), bid(5, 49, 5)]);
    let before = bytes(&book);
    let (removed, position) = book.remove(OrderId(id)).unwrap();
    book.check_invariants();
    book.restore(removed, position).unwrap();
    book.check_invariants();
    assert_eq!(ids(&book, Side::Sell), [1, 2, 3, 4]);
    assert_eq!(bytes(&book), before);
}

#[test]
fn restore_puts_the_front_order_back_at_the_front() {
    assert_remove_then_restore_is_identity(1);
}

#[test]
fn restore_puts_a_middle_order_back_in_the_middle() {
    assert_remove_then_restore_is_identity(2);
}

#[test]
fn restore_puts_the_back_order_back_at_the_back() {
    assert_remove_then_restore_is_identity(3);
}

#[test]
fn restore_recreates_an_emptied_level_and_its_best_price() {
    let mut book = book_of(&[ask(1, 50, 1), ask(2, 51, 2), bid(3, 49, 1)]);
    let (removed, position) = book.remove(OrderId(1)).unwrap();
    assert_eq!(position, QueuePosition { ahead: None });
    assert_eq!(book.best_ask(), Some(51));
    assert_eq!(book.depth(Side::Sell, 5), [level(51, 2, 1)]);
    book.restore(removed, position).unwrap();
    assert_eq!(book.best_ask(), Some(50));
    assert_eq!(book.best_order(Side::Sell), Some(&ask(1, 50, 1)));
    assert_eq!(book.depth(Side::Sell, 5), [level(50, 1, 1), level(51, 2, 1)]);
    book.check_invariants();
}

#[test]
fn restore_at_front_goes_ahead_of_orders_placed_since() {
    let mut book = book_of(&[bid(1, 70, 1), bid(2, 70, 1)]);
    let (removed, position) = book.remove(OrderId(1)).unwrap();
    book.insert(bid(3, 70, 1)).unwrap();
    book.restore(removed, position).unwrap();
    assert_eq!(ids(&book, Side::Buy), [1, 2, 3]);
    book.check_invariants();
}

#[test]
fn lifo_undo_of_several_removes_restores_the_book() {
    let mut book = book_of(&[bid(1, 70, 1), bid(2, 70, 2), bid(3, 70, 3), bid(4, 69, 4), ask(5, 80, 5)]);
    let before = bytes(&book);
    let mut undo = Vec::new();
    for id in [2, 1, 3, 5, 4] {
        undo.push(book.remove(OrderId(id)).unwrap());
    }
    assert!(book.is_empty());
    while let Some((removed, position)) = undo.pop() {
        book.restore(removed, position).unwrap();
        book.check_invariants();
    }
    assert_eq!(bytes(&book), before);
}

#[test]
fn restore_refuses_a_missing_or_misplaced_ahead_and_duplicates() {
    let mut book = book_of(&[bid(1, 70, 1), bid(2, 71, 1)]);
    let before = bytes(&book);
    let behind = |id| QueuePosition { ahead: Some(OrderId(id)) };
    assert_eq!(book.restore(bid(3, 70, 1), behind(9)), Err(BookError::UnknownOrder));
    assert_eq!(book.restore(bid(3, 70, 1), behind(2)), Err(BookError::UnknownOrder)); // other price
    assert_eq!(book.restore(ask(3, 70, 1), behind(1)), Err(BookError::UnknownOrder)); // other side
    assert_eq!(book.restore(bid(1, 70, 1), behind(2)), Err(BookError::DuplicateOrderId));
    assert_eq!(book.restore(bid(3, 70, 0), QueuePosition { ahead: None }), Err(BookError::ZeroSize));
    assert_eq!(bytes(&book), before);
    book.check_invariants();
}

#[test]
fn set_remaining_keeps_queue_position_and_updates_level_totals() {
    let mut book = book_of(&[ask(1, 50, 10), ask(2, 50, 20), ask(3, 50, 30)]);
    assert_eq!(book.set_remaining(OrderId(1), 4), Ok(10));
    assert_eq!(book.set_remaining(OrderId(3), 31), Ok(30));
    assert_eq!(ids(&book, Side::Sell), [1, 2, 3]);
    assert_eq!(book.get(OrderId(1)).map(|o| o.remaining_lots.0), Some(4));
    assert_eq!(book.depth(Side::Sell, 1), [level(50, 55, 3)]);
    assert_eq!(book.set_remaining(OrderId(2), 0), Err(BookError::ZeroSize));
    assert_eq!(book.set_remaining(OrderId(9), 1), Err(BookError::UnknownOrder));
    assert_eq!(book.depth(Side::Sell, 1), [level(50, 55, 3)]);
    book.check_invariants();
}

#[test]
fn levels_and_depth_aggregate_orders_best_first() {
    let book = book_of(&[
        bid(1, 100, 1),
        bid(2, 98, 2),
        bid(3, 100, 3),
        bid(4, 99, 4),
        ask(5, 103, 5),
        ask(6, 101, 6),
        ask(7, 101, 7),
    ]);
    let bids: Vec<Level> = book.levels(Side::Buy).collect();
    assert_eq!(bids, [level(100, 4, 2), level(99, 4, 1), level(98, 2, 1)]);
    assert_eq!(book.depth(Side::Buy, 2), [level(100, 4, 2), level(99, 4, 1)]);
    assert_eq!(book.depth(Side::Sell, 10), [level(101, 13, 2), level(103, 5, 1)]);
    assert_eq!(book.depth(Side::Sell, 0), []);
    assert!(OrderBook::new().depth(Side::Buy, 3).is_empty());
}

#[test]
fn lots_at_or_better_sums_levels_within_the_limit_up_to_the_cap() {
    let book = book_of(&[ask(1, 101, 5), ask(2, 102, 7), ask(3, 101, 1), bid(4, 99, 3), bid(5, 97, 4)]);
    assert_eq!(book.lots_at_or_better(Side::Sell, 100, 1_000), 0);
    assert_eq!(book.lots_at_or_better(Side::Sell, 101, 1_000), 6);
    assert_eq!(book.lots_at_or_better(Side::Sell, 102, 1_000), 13);
    assert_eq!(book.lots_at_or_better(Side::Sell, u64::MAX, 10), 10);
    assert_eq!(book.lots_at_or_better(Side::Sell, 102, 0), 0);
    assert_eq!(book.lots_at_or_better(Side::Buy, 100, 1_000), 0);
    assert_eq!(book.lots_at_or_better(Side::Buy, 99, 1_000), 3);
    assert_eq!(book.lots_at_or_better(Side::Buy, 0, 1_000), 7);
    assert_eq!(book.lots_at_or_better(Side::Buy, 0, 5), 5);
}

#[test]
fn huge_sizes_saturate_level_totals_instead_of_overflowing() {
    let mut book = book_of(&[bid(1, 10, u64::MAX), bid(2, 10, u64::MAX), bid(3, 9, 1)]);
    assert_eq!(book.depth(Side::Buy, 1), [level(10, u64::MAX, 2)]);
    assert_eq!(book.lots_at_or_better(Side::Buy, 0, u64::MAX), u64::MAX);
    book.remove(OrderId(1)).unwrap();
    assert_eq!(book.depth(Side::Buy, 1), [level(10, u64::MAX, 1)]);
    book.set_remaining(OrderId(2), 5).unwrap();
    assert_eq!(book.lots_at_or_better(Side::Buy, 0, u64::MAX), 6);
    book.check_invariants();
}

#[test]
fn extreme_prices_sort_correctly_on_both_sides() {
    let book = book_of(&[bid(1, 0, 1), bid(2, u64::MAX, 1), ask(3, u64::MAX, 1), ask(4, 0, 1)]);
    assert_eq!(ids(&book, Side::Buy), [2, 1]);
    assert_eq!(ids(&book, Side::Sell), [4, 3]);
    assert_eq!((book.best_bid(), book.best_ask()), (Some(u64::MAX), Some(0)));
    assert_eq!(book.lots_at_or_better(Side::Buy, u64::MAX, 9), 1);
    assert_eq!(book.lots_at_or_better(Side::Sell, 0, 9), 1);
}

#[test]
fn books_with_the_same_queues_serialize_identically_whatever_their_history() {
    let wanted = [bid(1, 100, 1), bid(2, 100, 2), ask(3, 105, 3), bid(4, 99, 4), ask(5, 104, 5)];
    let direct = book_of(&wanted);

    // Same queues reached through junk orders, removals, restores and size changes, so that
    // every order sits in a different slot than in `direct`.
    let mut winding = OrderBook::new();
    for junk in 100..110 {
        winding.insert(ask(junk, 104, 1)).unwrap();
    }
    winding.insert(RestingOrder { remaining_lots: Lots(9), ..bid(2, 100, 2) }).unwrap();
    winding.insert(ask(5, 104, 5)).unwrap();
    winding.insert(bid(4, 99, 4)).unwrap();
    for junk in 100..110 {
        winding.remove(OrderId(junk)).unwrap();
    }
    let (two, _) = winding.remove(OrderId(2)).unwrap();
    winding.insert(bid(1, 100, 1)).unwrap();
    winding.restore(two, QueuePosition { ahead: Some(OrderId(1)) }).unwrap();
    winding.set_remaining(OrderId(2), 2).unwrap();
    winding.insert(ask(3, 105, 3)).unwrap();
    winding.check_invariants();

    assert_eq!(direct, winding);
    assert_eq!(bytes(&direct), bytes(&winding));
    let decoded: OrderBook = bincode::deserialize(&bytes(&winding)).unwrap();
    decoded.check_invariants();
    assert_eq!(bytes(&decoded), bytes(&direct));
}

#[test]
fn books_with_different_queue_order_differ() {
    let a = book_of(&[bid(1, 100, 1), bid(2, 100, 1)]);
    let b = book_of(&[bid(2, 100, 1), bid(1, 100, 1)]);
    assert_ne!(a, b);
    assert_ne!(bytes(&a), bytes(&b));
}

/// The canonical form, written independently of the book's own `Serialize`.
#[derive(Serialize)]
struct CanonicalForm<'a> {
    bids: &'a [RestingOrder],
    asks: &'a [RestingOrder],
}

fn canonical_bytes(bids: &[RestingOrder], asks: &[RestingOrder]) -> Vec<u8> {
    bincode::serialize(&CanonicalForm { bids, asks }).unwrap()
}

#[test]
fn deserialize_refuses_non_canonical_input() {
    let refused = |bids: &[RestingOrder], asks: &[RestingOrder]| {
        bincode::deserialize::<OrderBook>(&canonical_bytes(bids, asks)).is_err()
    };
    assert!(refused(&[bid(1, 99, 1), bid(2, 100, 1)], &[])); // out of priority order
    assert!(refused(&[ask(1, 99, 1)], &[])); // wrong side
    assert!(refused(&[bid(1, 99, 1)], &[ask(1, 101, 1)])); // duplicate id
    assert!(refused(&[bid(1, 99, 0)], &[])); // empty order
    assert!(!refused(&[bid(1, 100, 1), bid(2, 99, 1)], &[ask(3, 101, 1)]));
}

#[test]
fn slab_reuses_freed_slots_and_reads_vacant_ones_as_none() {
    let mut slab = Slab::with_capacity(2);
    let a = slab.insert('a').unwrap();
    let b = slab.insert('b').unwrap();
    assert_eq!(slab.remove(a), Some('a'));
    assert_eq!(slab.remove(a), None);
    assert_eq!(slab.get(a), None);
    assert_eq!(slab.get(super::slab::NIL), None);
    assert_eq!(slab.insert('c'), Some(a));
    assert_eq!((slab.get(a), slab.get(b), slab.len()), (Some(&'c'), Some(&'b'), 2));
}

#[test]
fn slab_slots_keep_their_values_across_chunks() {
    let mut slab = Slab::with_capacity(3);
    let slots: Vec<u32> = (0..10_000u32).map(|i| slab.insert(i).unwrap()).collect();
    assert_eq!(slots, (0..10_000).collect::<Vec<u32>>());
    for i in (0..10_000u32).step_by(7) {
        assert_eq!(slab.remove(i), Some(i));
    }
    let copy = slab.clone();
    for i in 0..10_000u32 {
        let expected = (i % 7 != 0).then_some(i);
        assert_eq!(slab.get(i).copied(), expected);
        assert_eq!(copy.get(i).copied(), expected);
    }
    assert_eq!(slab.get(10_000), None);
    // Freed slots are reused last-freed first, then the slab grows past its last chunk.
    assert_eq!(slab.insert(1), Some(9_996));
    let vacant = (0..10_000).step_by(7).count();
    for _ in 1..vacant {
        slab.insert(0).unwrap();
    }
    assert_eq!(slab.insert(2), Some(10_000));
    assert_eq!(slab.len(), 10_001);
    if let Some(value) = slab.get_mut(10_000) {
        *value = 3;
    }
    assert_eq!(slab.get(10_000), Some(&3));
}

// ---- Property test against a naive model ----

/// The naive model: each side a vector in priority order.
#[derive(Default)]
struct Model {
    bids: Vec<RestingOrder>,
    asks: Vec<RestingOrder>,
}

/// Whether price `a` is strictly better than `b` for resting orders of `side`.
fn strictly_better(side: Side, a: u64, b: u64) -> bool {
    match side {
        Side::Buy => a > b,
        Side::Sell => a < b,
    }
}

impl Model {
    fn side(&self, side: Side) -> &Vec<RestingOrder> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn side_mut(&mut self, side: Side) -> &mut Vec<RestingOrder> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    fn all(&self) -> impl Iterator<Item = &RestingOrder> {
        self.bids.iter().chain(&self.asks)
    }

    fn find(&self, id: OrderId) -> Option<(Side, usize)> {
        [Side::Buy, Side::Sell]
            .into_iter()
            .find_map(|side| self.side(side).iter().position(|o| o.id == id).map(|i| (side, i)))
    }

    fn insert(&mut self, o: RestingOrder) -> Result<(), BookError> {
        if o.remaining_lots == Lots(0) {
            return Err(BookError::ZeroSize);
        }
        if self.find(o.id).is_some() {
            return Err(BookError::DuplicateOrderId);
        }
        let queue = self.side_mut(o.side);
        let at =
            queue.iter().position(|r| strictly_better(o.side, o.price_ticks.0, r.price_ticks.0)).unwrap_or(queue.len());
        queue.insert(at, o);
        Ok(())
    }

    fn remove(&mut self, id: OrderId) -> Option<(RestingOrder, QueuePosition)> {
        let (side, i) = self.find(id)?;
        let queue = self.side_mut(side);
        let o = queue.remove(i);
        let ahead = i.checked_sub(1).map(|j| queue[j]).filter(|r| r.price_ticks == o.price_ticks).map(|r| r.id);
        Some((o, QueuePosition { ahead }))
    }

    fn restore(&mut self, o: RestingOrder, position: QueuePosition) -> Result<(), BookError> {
        if o.remaining_lots == Lots(0) {
            return Err(BookError::ZeroSize);
        }
        if self.find(o.id).is_some() {
            return Err(BookError::DuplicateOrderId);
        }
        let queue = self.side_mut(o.side);
        let at = match position.ahead {
            None => queue
                .iter()
                .position(|r| !strictly_better(o.side, r.price_ticks.0, o.price_ticks.0))
                .unwrap_or(queue.len()),
            Some(ahead) => {
                let j = queue.iter().position(|r| r.id == ahead).ok_or(BookError::UnknownOrder)?;
                if queue[j].price_ticks != o.price_ticks {
                    return Err(BookError::UnknownOrder);
                }
                j + 1
            }
        };
        queue.insert(at, o);
        Ok(())
    }

    fn set_remaining(&mut self, id: OrderId, lots: u64) -> Result<u64, BookError> {
        if lots == 0 {
            return Err(BookError::ZeroSize);
        }
        let (side, i) = self.find(id).ok_or(BookError::UnknownOrder)?;
        Ok(std::mem::replace(&mut self.side_mut(side)[i].remaining_lots, Lots(lots)).0)
    }

    fn levels(&self, side: Side) -> Vec<Level> {
        let mut levels: Vec<(u64, u128, u32)> = Vec::new();
        for o in self.side(side) {
            match levels.last_mut() {
                Some(last) if last.0 == o.price_ticks.0 => {
                    last.1 += u128::from(o.remaining_lots.0);
                    last.2 += 1;
                }
                _ => levels.push((o.price_ticks.0, u128::from(o.remaining_lots.0), 1)),
            }
        }
        levels.into_iter().map(|(p, t, n)| level(p, u64::try_from(t).unwrap_or(u64::MAX), n)).collect()
    }

    fn lots_at_or_better(&self, side: Side, limit: u64, max_lots: u64) -> u64 {
        let total: u128 = self
            .side(side)
            .iter()
            .filter(|o| o.price_ticks == PriceTicks(limit) || strictly_better(side, o.price_ticks.0, limit))
            .map(|o| u128::from(o.remaining_lots.0))
            .sum();
        u64::try_from(total.min(u128::from(max_lots))).unwrap()
    }
}

#[derive(Clone, Debug)]
enum Op {
    Insert {
        buy: bool,
        price_ticks: u64,
        lots: u64,
    },
    InsertDuplicate(Index),
    Remove(Index),
    RemoveUnknown,
    /// Undo the most recent not-yet-undone removal.
    Restore,
    SetRemaining(Index, u64),
    Query {
        buy: bool,
        limit_price_ticks: u64,
        max_lots: u64,
        max_levels: usize,
    },
}

fn lots() -> impl Strategy<Value = u64> {
    prop_oneof![20 => 1..50u64, 1 => Just(0u64), 1 => Just(u64::MAX)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (any::<bool>(), 1..12u64, lots()).prop_map(|(buy, price_ticks, lots)| Op::Insert { buy, price_ticks, lots }),
        1 => any::<Index>().prop_map(Op::InsertDuplicate),
        5 => any::<Index>().prop_map(Op::Remove),
        1 => Just(Op::RemoveUnknown),
        4 => Just(Op::Restore),
        3 => (any::<Index>(), lots()).prop_map(|(i, lots)| Op::SetRemaining(i, lots)),
        2 => (any::<bool>(), 0..13u64, 0..200u64, 0..5usize).prop_map(|(buy, limit_price_ticks, max_lots, max_levels)| {
            Op::Query { buy, limit_price_ticks, max_lots, max_levels }
        }),
    ]
}

fn pick(model: &Model, index: &Index) -> Option<OrderId> {
    let live: Vec<OrderId> = model.all().map(|o| o.id).collect();
    (!live.is_empty()).then(|| live[index.index(live.len())])
}

fn assert_same(book: &OrderBook, model: &Model) {
    book.check_invariants();
    assert_eq!(book.len(), model.bids.len() + model.asks.len());
    assert_eq!(book.is_empty(), model.bids.is_empty() && model.asks.is_empty());
    for side in [Side::Buy, Side::Sell] {
        assert!(book.iter_side(side).eq(model.side(side).iter()), "{side:?} queues");
        assert_eq!(book.best_order(side), model.side(side).first());
        assert_eq!(book.best_price(side), model.side(side).first().map(|o| o.price_ticks.0));
        assert_eq!(book.levels(side).collect::<Vec<_>>(), model.levels(side));
    }
    assert_eq!(book.best_bid(), model.bids.first().map(|o| o.price_ticks.0));
    assert_eq!(book.best_ask(), model.asks.first().map(|o| o.price_ticks.0));
    assert_eq!(bytes(book), canonical_bytes(&model.bids, &model.asks));
}

/// Every level's orders in time priority, by (side, price).
fn level_contents(book: &OrderBook) -> std::collections::BTreeMap<(Side, u64), Vec<RestingOrder>> {
    let mut levels = std::collections::BTreeMap::new();
    for side in [Side::Buy, Side::Sell] {
        for level in book.levels(side) {
            let orders = book.level_orders(side, level.price_ticks).copied().collect::<Vec<_>>();
            assert_eq!(orders.len(), level.order_count as usize, "a level's orders are its count");
            levels.insert((side, level.price_ticks), orders);
        }
    }
    levels
}

type Entries = std::collections::BTreeMap<OrderId, (RestingOrder, Option<OrderId>)>;

/// Every order's committed entry: the order and the one ahead of it.
fn order_entries(book: &OrderBook) -> Entries {
    book.order_ids()
        .map(|id| {
            let (order, ahead) = book.order_entry(id).expect("a listed order has an entry");
            (id, (*order, ahead))
        })
        .collect()
}

/// The queues rebuilt from the entries alone: each level from the order nobody is behind.
fn queues_from_entries(entries: &Entries) -> std::collections::BTreeMap<(Side, u64), Vec<RestingOrder>> {
    let behind: std::collections::BTreeMap<OrderId, OrderId> =
        entries.iter().filter_map(|(id, (_, ahead))| ahead.map(|ahead| (ahead, *id))).collect();
    let mut levels = std::collections::BTreeMap::new();
    for (order, _) in entries.values().filter(|(_, ahead)| ahead.is_none()) {
        let mut queue = vec![*order];
        while let Some(next) = queue.last().and_then(|last| behind.get(&last.id)) {
            let (next_order, _) = entries[next];
            assert_eq!((next_order.side, next_order.price_ticks), (order.side, order.price_ticks), "one level");
            queue.push(next_order);
        }
        assert!(levels.insert((order.side, order.price_ticks.0), queue).is_none(), "one head per level");
    }
    levels
}

/// Drains the book's touched orders and checks they include every order whose entry changed
/// since `before` (appeared, left, or changed its order or predecessor), and that the
/// entries still determine every queue.
fn assert_changed_entries_are_touched(before: &Entries, book: &mut OrderBook) {
    let after = order_entries(book);
    let touched = book.take_touched_orders();
    for id in before.keys().chain(after.keys()) {
        if before.get(id) != after.get(id) {
            assert!(touched.binary_search(id).is_ok(), "order {id:?} changed but is not reported as touched");
        }
    }
    assert!(touched.windows(2).all(|w| w[0] < w[1]), "ascending, without repeats");
    assert!(book.take_touched_orders().is_empty(), "draining empties the record");
    assert_eq!(queues_from_entries(&after), level_contents(book), "the entries are a canonical form of the book");
}

#[test]
fn every_change_reports_the_orders_whose_entry_it_changed() {
    let mut book = book_of(&[bid(1, 100, 5), bid(2, 100, 5), bid(5, 100, 5), ask(3, 105, 5)]);
    let _ = book.take_touched_orders();
    let step = |book: &mut OrderBook, change: &dyn Fn(&mut OrderBook), wanted: &[u64]| {
        let before = order_entries(book);
        change(book);
        assert_ne!(before, order_entries(book));
        let touched: Vec<u64> = book.take_touched_orders().into_iter().map(|id| id.0).collect();
        assert_eq!(touched, wanted);
    };
    // A size change touches the order only; a move, the order and the one that was behind it.
    step(&mut book, &|b| b.set_remaining(OrderId(1), 2).map(|_| ()).unwrap(), &[1]);
    step(&mut book, &|b| b.reprice(OrderId(2), 101, 5).map(|_| ()).unwrap(), &[2, 5]);
    step(&mut book, &|b| b.remove(OrderId(3)).map(|_| ()).unwrap(), &[3]);
    // Joining the back of a level touches nobody else, however deep the level.
    step(&mut book, &|b| b.insert(bid(6, 100, 1)).unwrap(), &[6]);
    step(&mut book, &|b| b.remove(OrderId(1)).map(|_| ()).unwrap(), &[1, 5]);
    step(&mut book, &|b| b.restore(bid(1, 100, 2), QueuePosition { ahead: None }).unwrap(), &[1, 5]);
    assert_eq!(book.level_orders(Side::Buy, 100).map(|o| o.id.0).collect::<Vec<_>>(), [1, 5, 6]);
    assert_eq!(book.order_entry(OrderId(5)).map(|(_, ahead)| ahead), Some(Some(OrderId(1))));
    assert_eq!(book.order_entry(OrderId(3)), None);
    assert_eq!(book.level_orders(Side::Buy, 99).len(), 0, "no level, no orders");
}

fn run(ops: Vec<Op>) {
    let mut book = OrderBook::new();
    let mut model = Model::default();
    let mut undo: Vec<(RestingOrder, QueuePosition)> = Vec::new();
    let mut next_id = 1u64;
    for op in ops {
        let entries_before = order_entries(&book);
        match op {
            Op::Insert { buy, price_ticks, lots } => {
                let o = order(next_id, if buy { Side::Buy } else { Side::Sell }, price_ticks, lots);
                next_id += 1;
                assert_eq!(book.insert(o), model.insert(o));
            }
            Op::InsertDuplicate(index) => {
                if let Some(id) = pick(&model, &index) {
                    let o = order(id.0, Side::Sell, 5, 1);
                    assert_eq!(book.insert(o), Err(BookError::DuplicateOrderId));
                }
            }
            Op::Remove(index) => {
                if let Some(id) = pick(&model, &index) {
                    let removed = book.remove(id);
                    assert_eq!(removed, model.remove(id));
                    undo.extend(removed);
                }
            }
            Op::RemoveUnknown => assert_eq!(book.remove(OrderId(next_id + 1_000)), None),
            Op::Restore => {
                if let Some((o, position)) = undo.pop() {
                    assert_eq!(book.restore(o, position), model.restore(o, position));
                }
            }
            Op::SetRemaining(index, lots) => {
                if let Some(id) = pick(&model, &index) {
                    assert_eq!(book.set_remaining(id, lots), model.set_remaining(id, lots));
                }
            }
            Op::Query { buy, limit_price_ticks, max_lots, max_levels } => {
                let side = if buy { Side::Buy } else { Side::Sell };
                assert_eq!(
                    book.lots_at_or_better(side, limit_price_ticks, max_lots),
                    model.lots_at_or_better(side, limit_price_ticks, max_lots)
                );
                let mut want = model.levels(side);
                want.truncate(max_levels);
                assert_eq!(book.depth(side, max_levels), want);
                for o in model.all() {
                    assert_eq!(book.get(o.id), Some(o));
                }
            }
        }
        assert_same(&book, &model);
        assert_changed_entries_are_touched(&entries_before, &mut book);
    }
    // History independence: a book built afresh from the final queues is indistinguishable.
    let mut fresh = OrderBook::new();
    for o in model.all() {
        fresh.insert(*o).unwrap();
    }
    assert_eq!(fresh, book);
    assert_eq!(bytes(&fresh), bytes(&book));
    let decoded: OrderBook = bincode::deserialize(&bytes(&book)).unwrap();
    assert_eq!(decoded, book);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn book_matches_a_naive_model(ops in proptest::collection::vec(op(), 0..120)) {
        run(ops);
    }
}
