//! Solvency rules that bound what paper profit can do: the stable price, the shrinking
//! profit weight and concentration margin.

mod common;

use common::{dec, limit, sub, trader, Chain};
use novation_protocol::presets::{BTC, BTC_PERP, USD};
use novation_types::{action, Action, ErrorCode, OrderRequest, Side};

const ONE_BTC_LOTS: u64 = 10_000;

/// Alice long 1 BTC at 100,000 from Bob, with `deposit` of her own.
fn alice_long(chain: &mut Chain, deposit: &str) -> (novation_types::Address, novation_types::Address) {
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, deposit);
    chain.deposit(bob, USD, "1000000");
    assert!(chain.place(bob, limit(BTC_PERP, Side::Sell, 1_000_000, ONE_BTC_LOTS)).result.is_ok());
    let bought =
        chain.place(alice, OrderRequest::market(0, BTC_PERP, Side::Buy, ONE_BTC_LOTS, novation_math::Ppm::new(10_000)));
    assert!(bought.result.is_ok(), "{:?}", bought.result);
    (alice, bob)
}

#[test]
fn a_pump_over_minutes_backs_no_new_risk_until_the_stable_price_follows() {
    let mut chain = Chain::new();
    let (alice, bob) = alice_long(&mut chain, "10000");
    // The index rises 20% within a minute: the mark follows at once, the stable price by at
    // most 5% an hour.
    chain.walk_price(BTC, "120000");
    let view = chain.state.market(BTC_PERP).expect("listed");
    let stable = view.stable_price.expect("stable price");
    assert!(view.mark.expect("mark") > dec("119000"));
    assert!(stable < dec("100100"), "stable price {stable} after a minute");
    let health = chain.state.health(sub(alice));
    assert!(health.unrealized_pnl > dec("19000"), "{health:?}");
    // Initial equity counts the position at the stable price: no paper profit to borrow on.
    assert!(health.equity_initial < dec("10100"), "{health:?}");
    // So a second BTC, which 20,000 of counted profit would have carried, is refused.
    assert!(chain.place(bob, limit(BTC_PERP, Side::Sell, 1_200_000, 2 * ONE_BTC_LOTS)).result.is_ok());
    let more = chain.place(alice, limit(BTC_PERP, Side::Buy, 1_200_000, 2 * ONE_BTC_LOTS));
    assert_eq!(more.result.map_err(|e| e.code), Err(ErrorCode::InsufficientMargin));
}

#[test]
fn a_loss_counts_at_the_worse_of_mark_and_stable_price() {
    let mut chain = Chain::new();
    let (alice, _) = alice_long(&mut chain, "10000");
    chain.walk_price(BTC, "95000");
    // Down 5% within a minute: the stable price is still near 100,000, but the loss at the
    // mark counts in full for initial margin.
    let stable = chain.state.market(BTC_PERP).and_then(|v| v.stable_price).expect("stable price");
    assert!(stable > dec("99800"), "stable price {stable}");
    let health = chain.state.health(sub(alice));
    assert!(health.unrealized_pnl < dec("-4900"), "{health:?}");
    assert!(health.equity_initial <= health.equity && health.equity_initial < dec("5000"), "{health:?}");
}

#[test]
fn withdrawals_never_lean_on_profit_even_once_the_stable_price_catches_up() {
    let mut chain = Chain::new();
    let (alice, _) = alice_long(&mut chain, "10000");
    chain.walk_price(BTC, "105000");
    // Hours of blocks at 105,000: the stable price reaches the mark.
    chain.block_ms = 60_000;
    for _ in 0..120 {
        chain.set_prices(&[(BTC, "105000")]);
    }
    let view = chain.state.market(BTC_PERP).expect("listed");
    assert_eq!(view.stable_price, view.mark, "the stable price caught up");
    let health = chain.state.health(sub(alice));
    assert!(health.equity_initial > dec("13000"), "weighted profit counts for new risk now: {health:?}");
    let withdraw =
        |amount: &str| vec![Action::Withdraw(action::Withdraw { subaccount: 0, asset: USD, amount: dec(amount) })];
    assert_eq!(chain.run(alice, withdraw("9000")).result.map_err(|e| e.code), Err(ErrorCode::InsufficientMargin));
}

#[test]
fn open_interest_is_capped_in_notional_as_well_as_lots() {
    let publishers: Vec<novation_types::Address> = (1..=3).map(novation_types::Address::from_index).collect();
    let mut genesis = novation_protocol::params::Genesis::example(&publishers);
    genesis.markets[BTC_PERP.0 as usize].risk.open_interest_cap_notional = Some(dec("150000"));
    let mut chain = Chain::with_genesis(genesis, publishers);
    let (alice, bob) = alice_long(&mut chain, "20000");
    assert_eq!(chain.state.market(BTC_PERP).map(|m| m.open_interest_lots), Some(ONE_BTC_LOTS));
    // A second BTC would put 200,000 of open interest at the mark: the fill is refused.
    assert!(chain.place(bob, limit(BTC_PERP, Side::Sell, 1_000_000, ONE_BTC_LOTS)).result.is_ok());
    let more = chain.place(alice, limit(BTC_PERP, Side::Buy, 1_000_000, ONE_BTC_LOTS));
    assert!(more.events.iter().any(|e| matches!(
        e,
        novation_types::Event::OrderCancelled { reason: novation_types::CancelReason::OpenInterestCap, .. }
    )));
    assert_eq!(chain.state.market(BTC_PERP).map(|m| m.open_interest_lots), Some(ONE_BTC_LOTS));
    // Reducing open interest is always allowed.
    let close = OrderRequest::market(0, BTC_PERP, Side::Sell, ONE_BTC_LOTS, novation_math::Ppm::new(10_000));
    assert!(chain.place(alice, close.reduce_only()).result.is_ok());
}

#[test]
fn realised_profit_leaves_the_chain_only_as_it_vests() {
    let mut chain = Chain::new();
    let (alice, bob) = alice_long(&mut chain, "10000");
    chain.walk_price(BTC, "105000");
    // Alice sells her BTC back to Bob at 105,000: about 5,000 realised.
    assert!(chain.place(bob, limit(BTC_PERP, Side::Buy, 1_050_000, ONE_BTC_LOTS)).result.is_ok());
    let close = OrderRequest::market(0, BTC_PERP, Side::Sell, ONE_BTC_LOTS, novation_math::Ppm::new(10_000));
    assert!(chain.place(alice, close).result.is_ok());
    assert!(chain.state.account(sub(alice)).positions.is_empty(), "flat");
    let unvested = chain.state.account(sub(alice)).unvested_profit;
    assert!(unvested > dec("4900") && unvested <= dec("5000"), "{unvested}");
    let withdraw =
        |amount: &str| vec![Action::Withdraw(action::Withdraw { subaccount: 0, asset: USD, amount: dec(amount) })];
    // Flat, but the fresh profit stays: the deposit may leave, the profit not yet.
    let all = chain.usd(alice).to_string();
    assert_eq!(chain.run(alice, withdraw(&all)).result.map_err(|e| e.code), Err(ErrorCode::InsufficientMargin));
    assert!(chain.run(alice, withdraw("9000")).result.is_ok());
    // Half an hour later about half has vested; an hour later all of it.
    chain.block_ms = 60_000;
    for _ in 0..30 {
        chain.set_prices(&[(BTC, "105000")]);
    }
    let half = chain.state.account(sub(alice)).unvested_profit;
    assert!(half < dec("2600") && half > dec("2300"), "{half}");
    for _ in 0..31 {
        chain.set_prices(&[(BTC, "105000")]);
    }
    assert_eq!(chain.state.account(sub(alice)).unvested_profit, novation_math::Decimal::ZERO);
    let all = chain.usd(alice).to_string();
    assert!(chain.run(alice, withdraw(&all)).result.is_ok());
}
