//! The commitment entries: which keys change, and their values.

mod common;

use common::*;
use novation_protocol::presets::{BTC_PERP, USD};
use novation_protocol::{ComponentKey, StateKey};
use novation_types::action;
use novation_types::{Action, OrderAction, OrderId, Side};

fn sections() -> Vec<StateKey> {
    ComponentKey::ALL.into_iter().map(StateKey::Component).collect()
}

#[test]
fn a_deposit_changes_the_subaccount_the_nonce_and_the_sections() {
    let mut chain = Chain::new();
    let alice = trader(1);
    chain.deposit(alice, USD, "100");
    let keys = chain.changed_keys.clone();
    assert!(sections().iter().all(|key| keys.contains(key)));
    assert!(keys.contains(&StateKey::Subaccount(sub(alice))));
    assert!(keys.contains(&StateKey::Nonce(alice)));
    let value = chain.state.commitment_value(&StateKey::Subaccount(sub(alice))).unwrap();
    let again = chain.state.commitment_value(&StateKey::Subaccount(sub(alice))).unwrap();
    assert_eq!(value, again, "encoding is deterministic");
    assert_eq!(chain.state.take_changed_keys(), sections(), "nothing else changed since");
    assert!(chain.state.commitment_keys().contains(&StateKey::Nonce(alice)));
    assert_eq!(chain.state.commitment_value(&StateKey::Subaccount(sub(trader(99)))), None);
    assert_eq!(StateKey::Subaccount(sub(alice)).to_bytes().len(), 23);
}

fn entry(id: OrderId) -> StateKey {
    StateKey::RestingOrder { market: BTC_PERP, id }
}

fn resting_at(chain: &Chain, side: Side, price_ticks: u64) -> Vec<(OrderId, u64)> {
    let book = chain.state.book(BTC_PERP).expect("the BTC-PERP book");
    book.level_orders(side, price_ticks).map(|order| (order.id, order.remaining_lots.0)).collect()
}

fn order_keys(keys: &[StateKey]) -> Vec<StateKey> {
    keys.iter().filter(|key| matches!(key, StateKey::RestingOrder { .. })).copied().collect()
}

/// Every block here is checked by `Chain::block`: the entries kept up to date from the changed
/// keys equal the entries rebuilt from scratch. This test also checks which order keys change.
#[test]
fn resting_orders_are_committed_one_entry_each_and_only_touched_orders_change() {
    let mut chain = Chain::new();
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "100000");
    chain.deposit(bob, USD, "100000");

    // Placed: two asks at one level, one at another, one bid. Each placement changes only
    // the new order's entry, however many orders its level holds.
    for (side, price_ticks) in [(Side::Sell, 1_010_000), (Side::Sell, 1_010_000), (Side::Sell, 1_020_000)] {
        chain.place(alice, limit(BTC_PERP, side, price_ticks, 10));
        let placed = resting_at(&chain, side, price_ticks).last().map(|(id, _)| *id).unwrap();
        assert_eq!(order_keys(&chain.changed_keys), [entry(placed)]);
    }
    chain.place(bob, limit(BTC_PERP, Side::Buy, 990_000, 10));
    assert_eq!(order_keys(&chain.changed_keys).len(), 1, "only the new bid");
    let keys = chain.state.commitment_keys();
    assert_eq!(order_keys(&keys).len(), 4, "one entry per resting order");

    // Partially filled: bob takes 15 lots, the first ask fills and leaves, the second keeps 5
    // and is first in its queue now.
    let asks = resting_at(&chain, Side::Sell, 1_010_000);
    let (first_ask, second_ask) = (asks[0].0, asks[1].0);
    chain.place(bob, limit(BTC_PERP, Side::Buy, 1_010_000, 15));
    assert!(chain.changed_keys.contains(&entry(first_ask)));
    assert!(chain.changed_keys.contains(&entry(second_ask)));
    assert_eq!(chain.state.commitment_value(&entry(first_ask)), None, "a filled order has no entry");
    assert_eq!(resting_at(&chain, Side::Sell, 1_010_000), [(second_ask, 5)]);
    let book = chain.state.book(BTC_PERP).unwrap();
    assert_eq!(book.order_entry(second_ask).map(|(_, ahead)| ahead), Some(None), "first in its queue now");

    // Modified (repriced): the ask moves from 1,010,000 to the back of 1,020,000.
    let ahead_in_new_level = resting_at(&chain, Side::Sell, 1_020_000)[0].0;
    chain.ok(
        alice,
        vec![Action::Order(OrderAction::Modify(action::Modify {
            subaccount: 0,
            order_id: second_ask,
            price_ticks: 1_020_000,
            size_lots: 5,
        }))],
    );
    assert!(chain.changed_keys.contains(&entry(second_ask)));
    let book = chain.state.book(BTC_PERP).unwrap();
    assert_eq!(book.order_entry(second_ask).map(|(_, ahead)| ahead), Some(Some(ahead_in_new_level)));
    assert!(!chain.changed_keys.contains(&entry(ahead_in_new_level)), "the order ahead does not change");

    // Cancelled: the bid leaves.
    let bid = resting_at(&chain, Side::Buy, 990_000)[0].0;
    chain.ok(bob, vec![Action::Order(OrderAction::Cancel(action::Cancel { subaccount: 0, order_id: bid }))]);
    assert!(chain.changed_keys.contains(&entry(bid)));
    assert_eq!(chain.state.commitment_value(&entry(bid)), None);

    // Rolled back: a transaction rests a bid, then fails; the order it placed is reported
    // and has no entry.
    let rejected = chain.run(
        bob,
        vec![
            Action::Order(OrderAction::Place(limit(BTC_PERP, Side::Buy, 980_000, 10))),
            Action::Order(OrderAction::Cancel(action::Cancel { subaccount: 0, order_id: OrderId(u64::MAX) })),
        ],
    );
    assert!(rejected.result.is_err());
    let placed = order_keys(&chain.changed_keys);
    assert_eq!(placed.len(), 1, "the bid placed and taken back");
    assert_eq!(chain.state.commitment_value(&placed[0]), None);
    assert!(resting_at(&chain, Side::Buy, 980_000).is_empty());

    // A rolled-back fill restores the partially filled order's entry exactly.
    let partially = resting_at(&chain, Side::Sell, 1_020_000)[0].0;
    let before = chain.state.commitment_value(&entry(partially));
    let rejected = chain.run(
        bob,
        vec![
            Action::Order(OrderAction::Place(limit(BTC_PERP, Side::Buy, 1_020_000, 3))),
            Action::Order(OrderAction::Cancel(action::Cancel { subaccount: 0, order_id: OrderId(u64::MAX) })),
        ],
    );
    assert!(rejected.result.is_err());
    assert!(chain.changed_keys.contains(&entry(partially)));
    assert_eq!(chain.state.commitment_value(&entry(partially)), before);
}

/// The abuse case of per-level entries: many small orders at one price made every later
/// change there re-encode the whole level. Now a placement behind 300 orders changes one
/// entry, no larger than a placement into an empty level.
#[test]
fn a_deep_level_costs_a_change_no_more_than_an_empty_one() {
    let mut chain = Chain::new();
    let (spammer, trader_) = (trader(1), trader(2));
    chain.deposit(spammer, USD, "1000000");
    chain.deposit(trader_, USD, "100000");
    let dust: Vec<Action> =
        (0..300).map(|_| Action::Order(OrderAction::Place(limit(BTC_PERP, Side::Sell, 1_010_000, 1)))).collect();
    for chunk in dust.chunks(50) {
        chain.ok(spammer, chunk.to_vec());
    }
    assert_eq!(resting_at(&chain, Side::Sell, 1_010_000).len(), 300);

    chain.place(trader_, limit(BTC_PERP, Side::Sell, 1_010_000, 10));
    let deep = order_keys(&chain.changed_keys);
    assert_eq!(deep.len(), 1, "one entry, however deep the level");
    let deep_bytes = chain.state.commitment_value(&deep[0]).unwrap().len();

    chain.place(trader_, limit(BTC_PERP, Side::Sell, 1_050_000, 10));
    let alone = order_keys(&chain.changed_keys);
    assert_eq!(alone.len(), 1);
    let alone_bytes = chain.state.commitment_value(&alone[0]).unwrap().len();
    assert!(deep_bytes <= alone_bytes + 8, "{deep_bytes} bytes behind 300 orders, {alone_bytes} alone");
}
