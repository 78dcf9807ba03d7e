//! Moves faster than the stable price follows: nothing trades beyond the stable band, and a
//! deficit such a move causes is charged to the move's winners before the insurance fund,
//! so accounts on both sides of a manipulated move cannot draw on it.

mod common;

use common::*;
use novation_math::{Decimal, Ppm};
use novation_protocol::presets::{BTC, BTC_PERP, USD};
use novation_types::{action, Action, ErrorCode, Event, OrderRequest, Side};

const ONE_BTC_LOTS: u64 = 10_000;

#[test]
fn a_gap_past_one_sides_margin_is_charged_to_the_other_side_not_the_fund() {
    let mut chain = Chain::new();
    let (alice, bob, dan) = (trader(1), trader(2), trader(4));
    chain.deposit(alice, USD, "10000");
    chain.deposit(bob, USD, "500000");
    chain.deposit(dan, USD, "5000");
    chain.ok(dan, vec![Action::FundInsurance(action::FundInsurance { subaccount: 0, amount: dec("5000") })]);
    chain.place(bob, limit(BTC_PERP, Side::Sell, 1_000_000, ONE_BTC_LOTS));
    let bought = chain.place(alice, OrderRequest::market(0, BTC_PERP, Side::Buy, ONE_BTC_LOTS, Ppm::new(10_000)));
    assert!(bought.result.is_ok());
    // −10% in one block: Alice's equity is −50 at the mark but positive at the stable price,
    // so the whole deficit came from the speed of the move. Bob, who won it, pays it.
    let outcome = chain.set_prices(&[(BTC, "90000")]);
    let events = &outcome.end_block_events;
    assert!(!events.iter().any(|e| matches!(e, Event::InsuranceFundPaid { .. })), "{events:?}");
    let adl = events.iter().find_map(|e| match e {
        Event::AutoDeleveraged { subaccount, size_lots, price, .. } => Some((*subaccount, *size_lots, *price)),
        _ => None,
    });
    assert_eq!(adl, Some((sub(bob), ONE_BTC_LOTS, dec("90050"))), "closed at the bankruptcy price");
    let view = chain.state.risk_view(1);
    assert_eq!(view.insurance_fund, dec("5000"));
    assert_eq!((view.uncovered_loss, view.bad_debt_total), (Decimal::ZERO, Decimal::ZERO));
    assert!(chain.state.subaccount(sub(alice)).is_none());
}

#[test]
fn nothing_trades_beyond_the_stable_band_until_the_stable_price_follows() {
    let mut chain = Chain::new();
    let (maker, taker) = (trader(1), trader(2));
    chain.deposit(maker, USD, "1000000");
    chain.deposit(taker, USD, "1000000");
    // +50% within a minute: the band around the mark (±10%) lies wholly above the stable
    // price's ±25%.
    chain.walk_price(BTC, "150000");
    let view = chain.state.market(BTC_PERP).expect("listed");
    let (low, high) = view.price_band_ticks.expect("a band");
    assert!(low > high, "an empty band: {low}..{high}");
    let bid = chain.place(maker, limit(BTC_PERP, Side::Buy, 1_400_000, ONE_BTC_LOTS));
    assert_eq!(bid.result.map_err(|e| e.code), Err(ErrorCode::PriceOutsideBand));
    // Hours later the stable price has followed and trading resumes.
    chain.block_ms = 600_000;
    for _ in 0..36 {
        chain.set_prices(&[(BTC, "150000")]);
    }
    let view = chain.state.market(BTC_PERP).expect("listed");
    let (low, high) = view.price_band_ticks.expect("a band");
    assert!(low <= high, "{low}..{high}, stable {:?}", view.stable_price);
    assert!(chain.place(maker, limit(BTC_PERP, Side::Buy, 1_400_000, ONE_BTC_LOTS)).result.is_ok());
}
