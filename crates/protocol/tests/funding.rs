//! Funding: longs pay shorts when the rate is positive, it counts in equity at once, settles
//! into balances when a position is touched, and conservation holds throughout.

mod common;

use common::*;
use novation_math::Ppm;
use novation_protocol::params::Genesis;
use novation_protocol::presets::{BTC_PERP, USD};
use novation_types::{Address, Event, OrderRequest, Side};

fn chain_with_one_minute_funding() -> Chain {
    let publishers: Vec<Address> = (1..=3).map(Address::from_index).collect();
    let mut genesis = Genesis::example(&publishers);
    genesis.markets[0].funding.interval_ms = 60_000;
    Chain::with_genesis(genesis, publishers)
}

#[test]
fn with_an_empty_book_longs_pay_the_interest_rate_to_shorts() {
    let mut chain = chain_with_one_minute_funding();
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "10000");
    chain.deposit(bob, USD, "200000");
    chain.place(bob, limit(BTC_PERP, Side::Sell, 1_000_000, 10_000));
    chain.place(alice, OrderRequest::market(0, BTC_PERP, Side::Buy, 10_000, Ppm::new(10_000)));
    let equity_before = chain.state.health(sub(alice)).equity;
    let mut rates = Vec::new();
    for _ in 0..61 {
        let outcome = chain.block(vec![]);
        rates.extend(outcome.end_block_events.iter().filter_map(|e| match e {
            Event::FundingRate { rate, .. } => Some(*rate),
            _ => None,
        }));
    }
    // No book: premium 0, so the rate is the interest component, 0.0013%.
    assert_eq!(rates, vec![Ppm::new(13).to_decimal()]);
    // 1 BTC at 100,000 × 0.0013% = 1.3 USD.
    let paid = equity_before.checked_sub(chain.state.health(sub(alice)).equity).unwrap();
    assert_eq!(paid, dec("1.3"));
    assert_eq!(chain.state.health(sub(bob)).unrealized_pnl, dec("1.3"));

    // Closing settles the owed funding into the balance.
    chain.set_prices(&[(novation_protocol::presets::BTC, "100000")]);
    chain.place(bob, limit(BTC_PERP, Side::Buy, 1_000_000, 10_000));
    let outcome = chain.place(alice, limit(BTC_PERP, Side::Sell, 1_000_000, 10_000).reduce_only());
    assert!(outcome.events.iter().any(|e| matches!(e, Event::FundingSettled { amount, .. } if *amount == dec("-1.3"))));
    // 10,000 − 50 (open fee) − 1.3 (funding) − 50 (close fee).
    assert_eq!(chain.usd(alice), dec("9898.7"));
}

#[test]
fn a_bid_heavy_book_makes_longs_pay_more() {
    let mut chain = chain_with_one_minute_funding();
    let (alice, bob, carol) = (trader(1), trader(2), trader(3));
    for who in [alice, bob, carol] {
        chain.deposit(who, USD, "1000000");
    }
    chain.place(bob, limit(BTC_PERP, Side::Sell, 1_000_000, 10_000));
    chain.place(alice, limit(BTC_PERP, Side::Buy, 1_000_000, 10_000));
    // Carol's book trades 0.2% above the index on both sides.
    chain.place(carol, limit(BTC_PERP, Side::Buy, 1_002_000, 10_000));
    chain.place(carol, limit(BTC_PERP, Side::Sell, 1_002_500, 10_000));
    let mut rates = Vec::new();
    for step in 0..61 {
        let outcome = if step % 5 == 0 {
            chain.set_prices(&[(novation_protocol::presets::BTC, "100000")])
        } else {
            chain.block(vec![])
        };
        rates.extend(outcome.end_block_events.iter().filter_map(|e| match e {
            Event::FundingRate { rate, .. } => Some(*rate),
            _ => None,
        }));
    }
    assert_eq!(rates.len(), 1);
    assert!(rates[0] > Ppm::new(1_000).to_decimal(), "premium of about 0.2% drives the rate: {}", rates[0]);
    // Alice's PnL is her mark-to-market gain minus the funding she now owes.
    let mark = chain.state.market(BTC_PERP).unwrap().mark.unwrap();
    let mark_pnl = mark.checked_sub(dec("100000")).unwrap();
    let owed = mark_pnl.checked_sub(chain.state.health(sub(alice)).unrealized_pnl).unwrap();
    assert!(owed > dec("100"), "owes about 0.2% of 100,000: {owed}");
}
