//! Stop-loss and take-profit orders.

mod common;

use common::*;
use novation_math::Ppm;
use novation_protocol::presets::{BTC, BTC_PERP, USD};
use novation_types::{Action, Event, OrderAction, OrderRequest, PriceTicks, Side, TriggerCondition, TriggerRequest};

const ONE_BTC_LOTS: u64 = 10_000;

fn trigger(condition: TriggerCondition, trigger_price_ticks: u64, order: OrderRequest) -> Action {
    Action::Order(OrderAction::PlaceTrigger(TriggerRequest {
        trigger_price_ticks: PriceTicks(trigger_price_ticks),
        condition,
        order,
    }))
}

fn long_with_bids_below(chain: &mut Chain) -> novation_types::Address {
    let (alice, bob, mia) = (trader(1), trader(2), trader(3));
    chain.deposit(alice, USD, "50000");
    chain.deposit(bob, USD, "500000");
    chain.deposit(mia, USD, "1000000");
    chain.place(bob, limit(BTC_PERP, Side::Sell, 1_000_000, ONE_BTC_LOTS));
    chain.place(alice, limit(BTC_PERP, Side::Buy, 1_000_000, ONE_BTC_LOTS));
    chain.place(mia, limit(BTC_PERP, Side::Buy, 960_000, 5 * ONE_BTC_LOTS));
    chain.place(mia, limit(BTC_PERP, Side::Sell, 1_040_000, 5 * ONE_BTC_LOTS));
    alice
}

#[test]
fn a_stop_loss_closes_the_long_when_the_mark_falls_through_it() {
    let mut chain = Chain::new();
    let alice = long_with_bids_below(&mut chain);
    let stop = OrderRequest::market(0, BTC_PERP, Side::Sell, ONE_BTC_LOTS, Ppm::new(50_000)).reduce_only();
    chain.ok(alice, vec![trigger(TriggerCondition::MarkAtOrBelow, 970_000, stop)]);
    assert_eq!(chain.state.trigger_orders(sub(alice)).len(), 1);

    let calm = chain.set_prices(&[(BTC, "99000")]);
    assert!(!calm.end_block_events.iter().any(|e| matches!(e, Event::Triggered { .. })));
    let outcome = chain.set_prices(&[(BTC, "96500")]);
    assert!(outcome.end_block_events.iter().any(|e| matches!(e, Event::Triggered { .. })));
    assert!(outcome.end_block_events.iter().any(|e| matches!(e, Event::Fill { price_ticks: 960_000, .. })));
    assert!(chain.state.account(sub(alice)).positions.is_empty());
    assert!(chain.state.trigger_orders(sub(alice)).is_empty());
}

#[test]
fn a_take_profit_fires_when_the_mark_rises_to_it() {
    let mut chain = Chain::new();
    let alice = long_with_bids_below(&mut chain);
    let mia = trader(3);
    chain.place(mia, limit(BTC_PERP, Side::Buy, 1_030_000, 2 * ONE_BTC_LOTS));
    let take = OrderRequest::limit(0, BTC_PERP, Side::Sell, 1_030_000, ONE_BTC_LOTS).reduce_only();
    chain.ok(alice, vec![trigger(TriggerCondition::MarkAtOrAbove, 1_025_000, take)]);
    chain.set_prices(&[(BTC, "103000")]);
    assert!(chain.state.account(sub(alice)).positions.is_empty());
}

#[test]
fn a_trigger_can_be_cancelled_and_a_refused_one_is_reported() {
    let mut chain = Chain::new();
    let carol = trader(4);
    chain.deposit(carol, USD, "1000");
    let close = OrderRequest::market(0, BTC_PERP, Side::Sell, 100, Ppm::new(50_000)).reduce_only();
    let placed = chain.ok(carol, vec![trigger(TriggerCondition::MarkAtOrBelow, 990_000, close)]);
    let order_id = placed
        .events
        .iter()
        .find_map(|e| match e {
            Event::TriggerPlaced { order_id, .. } => Some(*order_id),
            _ => None,
        })
        .unwrap();
    chain.ok(
        carol,
        vec![Action::Order(OrderAction::Cancel(novation_types::action::Cancel { subaccount: 0, order_id }))],
    );
    assert!(chain.state.trigger_orders(sub(carol)).is_empty());

    // Reduce-only with no position: refused when it fires, and the refusal is an event.
    chain.ok(carol, vec![trigger(TriggerCondition::MarkAtOrBelow, 990_000, close)]);
    let outcome = chain.set_prices(&[(BTC, "98000")]);
    assert!(outcome.end_block_events.iter().any(|e| matches!(e, Event::TriggerRejected { code: 16, .. })));
}
