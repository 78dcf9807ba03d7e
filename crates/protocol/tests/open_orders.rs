//! A trader lists its own resting orders: ids, client ids, price, size, filled, time.

mod common;

use common::*;
use novation_protocol::presets::{BTC_PERP, ETH_PERP, USD};
use novation_protocol::queries::OrderRef;
use novation_types::{Address, OrderAction, Side};

#[test]
fn open_orders_show_what_rests_and_how_much_filled() {
    let mut chain = Chain::new();
    let (alice, bob) = (Address::from_index(11), Address::from_index(12));
    chain.deposit(alice, USD, "1000000");
    chain.deposit(bob, USD, "1000000");
    let mut bid = limit(BTC_PERP, Side::Buy, 990_000, 20_000);
    bid.client_order_id = Some(42);
    chain.place(alice, bid);
    chain.ok(
        alice,
        vec![novation_types::Action::Order(OrderAction::Place(limit(ETH_PERP, Side::Sell, 410_000, 5_000)))],
    );
    let placed_ms = chain.state.time_ms();
    // Bob sells into part of Alice's bid.
    chain.place(bob, limit(BTC_PERP, Side::Sell, 990_000, 5_000));

    let orders = chain.state.open_orders(sub(alice));
    assert_eq!(orders.len(), 2);
    let btc = &orders[0];
    assert_eq!((btc.market, btc.side, btc.client_order_id), (BTC_PERP, Side::Buy, Some(42)));
    assert_eq!((btc.size_lots, btc.filled_lots, btc.remaining_lots), (20_000, 5_000, 15_000));
    assert_eq!(btc.price, dec("99000"));
    assert!(btc.placed_ms <= placed_ms && btc.placed_ms > 0);
    assert_eq!(orders[1].market, ETH_PERP);
    assert_eq!(orders[1].filled_lots, 0);

    assert_eq!(chain.state.open_order(sub(alice), OrderRef::ClientId(42)).unwrap().order_id, btc.order_id);
    assert_eq!(chain.state.open_order(sub(alice), OrderRef::Id(btc.order_id)).unwrap().client_order_id, Some(42));
    assert!(chain.state.open_order(sub(bob), OrderRef::Id(btc.order_id)).is_none(), "not Bob's order");
    assert!(chain.state.open_orders(sub(bob)).is_empty(), "Bob's sell filled whole");

    // Cancelled, it no longer rests.
    let cancel = novation_types::action::Cancel { subaccount: 0, order_id: btc.order_id };
    chain.ok(alice, vec![novation_types::Action::Order(OrderAction::Cancel(cancel))]);
    assert!(chain.state.open_order(sub(alice), OrderRef::ClientId(42)).is_none());
    assert_eq!(chain.state.open_orders(sub(alice)).len(), 1);
}
