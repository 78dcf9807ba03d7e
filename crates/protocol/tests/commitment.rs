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

fn level(side: Side, price_ticks: u64) -> StateKey {
    StateKey::BookLevel { market: BTC_PERP, side, price_ticks }
}

fn resting_at(chain: &Chain, side: Side, price_ticks: u64) -> Vec<(OrderId, u64)> {
    let book = chain.state.book(BTC_PERP).expect("the BTC-PERP book");
    book.level_orders(side, price_ticks).map(|order| (order.id, order.remaining_lots.0)).collect()
}

/// Every block here is checked by `Chain::block`: the entries kept up to date from the changed
/// keys equal the entries rebuilt from scratch. This test also checks which level keys change.
#[test]
fn book_levels_are_committed_one_entry_each_and_only_touched_levels_change() {
    let mut chain = Chain::new();
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "100000");
    chain.deposit(bob, USD, "100000");

    // Placed: two asks at one level, one at another, one bid.
    for (side, price_ticks) in [(Side::Sell, 1_010_000), (Side::Sell, 1_010_000), (Side::Sell, 1_020_000)] {
        chain.place(alice, limit(BTC_PERP, side, price_ticks, 10));
        assert!(chain.changed_keys.contains(&level(side, price_ticks)));
    }
    chain.place(bob, limit(BTC_PERP, Side::Buy, 990_000, 10));
    assert!(chain.changed_keys.contains(&level(Side::Buy, 990_000)));
    assert!(!chain.changed_keys.contains(&level(Side::Sell, 1_010_000)), "an untouched level is not re-encoded");
    let keys = chain.state.commitment_keys();
    let levels: Vec<&StateKey> = keys.iter().filter(|key| matches!(key, StateKey::BookLevel { .. })).collect();
    assert_eq!(levels.len(), 3, "one entry per non-empty level: {levels:?}");

    // Partially filled: bob takes 15 lots, the first ask fills, the second keeps 5.
    let first_ask = resting_at(&chain, Side::Sell, 1_010_000)[0].0;
    chain.place(bob, limit(BTC_PERP, Side::Buy, 1_010_000, 15));
    assert!(chain.changed_keys.contains(&level(Side::Sell, 1_010_000)));
    let left = resting_at(&chain, Side::Sell, 1_010_000);
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].0, first_ask);
    assert_eq!(left[0].1, 5);

    // Modified (repriced): the ask moves from 1,010,000 to 1,030,000; its old level empties.
    let moved = left[0].0;
    chain.ok(
        alice,
        vec![Action::Order(OrderAction::Modify(action::Modify {
            subaccount: 0,
            order_id: moved,
            price_ticks: 1_030_000,
            size_lots: 5,
        }))],
    );
    assert!(chain.changed_keys.contains(&level(Side::Sell, 1_010_000)));
    assert!(chain.changed_keys.contains(&level(Side::Sell, 1_030_000)));
    assert_eq!(chain.state.commitment_value(&level(Side::Sell, 1_010_000)), None, "an empty level has no entry");
    assert!(chain.state.commitment_value(&level(Side::Sell, 1_030_000)).is_some());

    // Cancelled: the bid's level empties.
    let bid = resting_at(&chain, Side::Buy, 990_000)[0].0;
    chain.ok(bob, vec![Action::Order(OrderAction::Cancel(action::Cancel { subaccount: 0, order_id: bid }))]);
    assert!(chain.changed_keys.contains(&level(Side::Buy, 990_000)));
    assert_eq!(chain.state.commitment_value(&level(Side::Buy, 990_000)), None);

    // Rolled back: a transaction rests a bid, then fails; the level it touched is reported
    // and has no entry.
    let rejected = chain.run(
        bob,
        vec![
            Action::Order(OrderAction::Place(limit(BTC_PERP, Side::Buy, 980_000, 10))),
            Action::Order(OrderAction::Cancel(action::Cancel { subaccount: 0, order_id: OrderId(u64::MAX) })),
        ],
    );
    assert!(rejected.result.is_err());
    assert!(chain.changed_keys.contains(&level(Side::Buy, 980_000)));
    assert_eq!(chain.state.commitment_value(&level(Side::Buy, 980_000)), None);
    assert!(resting_at(&chain, Side::Buy, 980_000).is_empty());

    // A rolled-back fill restores the partially filled level exactly.
    let before = chain.state.commitment_value(&level(Side::Sell, 1_020_000));
    let rejected = chain.run(
        bob,
        vec![
            Action::Order(OrderAction::Place(limit(BTC_PERP, Side::Buy, 1_020_000, 3))),
            Action::Order(OrderAction::Cancel(action::Cancel { subaccount: 0, order_id: OrderId(u64::MAX) })),
        ],
    );
    assert!(rejected.result.is_err());
    assert!(chain.changed_keys.contains(&level(Side::Sell, 1_020_000)));
    assert_eq!(chain.state.commitment_value(&level(Side::Sell, 1_020_000)), before);
}
