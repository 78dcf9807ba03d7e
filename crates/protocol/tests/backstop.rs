//! The backstop is bounded and its losses are booked: its limits per market, its own
//! initial margin, and its negative equity covered at once — insurance fund, then
//! auto-deleveraging, then bad debt.

mod common;

use common::*;
use novation_math::{Decimal, Ppm};
use novation_protocol::presets::{BTC, BTC_PERP, USD};
use novation_types::{action, Action, Event, OrderRequest, Side};

const ONE_BTC_LOTS: u64 = 10_000;

/// Alice long 1 BTC at 100,000 on 10,000 from Bob; `insurance` in the fund.
fn setup(chain: &mut Chain, insurance: &str) -> (novation_types::Address, novation_types::Address) {
    let (alice, bob, dan) = (trader(1), trader(2), trader(4));
    chain.deposit(alice, USD, "10000");
    chain.deposit(bob, USD, "500000");
    if insurance != "0" {
        chain.deposit(dan, USD, insurance);
        chain.ok(dan, vec![Action::FundInsurance(action::FundInsurance { subaccount: 0, amount: dec(insurance) })]);
    }
    chain.place(bob, limit(BTC_PERP, Side::Sell, 1_000_000, ONE_BTC_LOTS));
    let bought = chain.place(alice, OrderRequest::market(0, BTC_PERP, Side::Buy, ONE_BTC_LOTS, Ppm::new(10_000)));
    assert!(bought.result.is_ok());
    (alice, bob)
}

fn backstop_equity(chain: &Chain) -> Decimal {
    chain.state.risk_view(1).backstop_equity
}

#[test]
fn the_backstops_loss_is_paid_by_the_insurance_fund_in_the_block_it_appears() {
    let mut chain = Chain::new();
    setup(&mut chain, "5000");
    chain.set_prices(&[(BTC, "90000")]);
    let backstop = chain.state.backstop_subaccount();
    assert_eq!(chain.state.account(backstop).positions[0].size_lots, 2_500);
    assert_eq!(backstop_equity(&chain), Decimal::ZERO);
    // A further −5%: the backstop's 0.25 BTC loses 1,125 on zero equity.
    let outcome = chain.set_prices(&[(BTC, "85500")]);
    let paid = outcome.end_block_events.iter().find_map(|e| match e {
        Event::InsuranceFundPaid { subaccount, amount } if *subaccount == backstop => Some(*amount),
        _ => None,
    });
    assert_eq!(paid, Some(dec("1125")));
    assert_eq!(backstop_equity(&chain), Decimal::ZERO);
    let view = chain.state.risk_view(5);
    assert_eq!(view.uncovered_loss, Decimal::ZERO, "no loss hidden in the backstop");
    assert_eq!(view.insurance_fund, dec("3825"), "5,000 − 50 for Alice − 1,125 for the backstop");
}

#[test]
fn without_insurance_the_backstops_loss_is_deleveraged_against_the_opposing_side() {
    let mut chain = Chain::new();
    let (_, bob) = setup(&mut chain, "0");
    // At 92,000 Alice is below maintenance with 1,950 of equity left, and no bids: the
    // backstop takes 25% of the open interest with her collateral, Bob the rest at mark.
    chain.set_prices(&[(BTC, "92000")]);
    assert_eq!(backstop_equity(&chain), dec("1950"));
    let bob_before = chain.usd(bob);
    // At 80,000 the backstop's 0.25 BTC has lost 3,000: equity −1,050, no insurance.
    let outcome = chain.set_prices(&[(BTC, "80000")]);
    let backstop = chain.state.backstop_subaccount();
    let adl = outcome.end_block_events.iter().find_map(|e| match e {
        Event::AutoDeleveraged { subaccount, bankrupt, size_lots, price, .. } if *bankrupt == backstop => {
            Some((*subaccount, *size_lots, *price))
        }
        _ => None,
    });
    // The backstop sells its 2,500 lots to Bob at its bankruptcy price: mark + 1,050 / 0.25.
    assert_eq!(adl, Some((sub(bob), 2_500, dec("84200"))));
    assert!(chain.usd(bob) > bob_before, "Bob realises his profit, less the backstop's loss");
    let view = chain.state.risk_view(5);
    assert_eq!(view.uncovered_loss, Decimal::ZERO);
    assert_eq!(view.backstop_equity, Decimal::ZERO);
    assert_eq!(view.bad_debt_total, Decimal::ZERO);
}

#[test]
fn a_backstop_below_its_own_initial_margin_takes_no_new_risk() {
    let mut chain = Chain::new();
    let (_, bob) = setup(&mut chain, "5000");
    let carl = trader(3);
    chain.deposit(carl, USD, "10000");
    assert!(chain.place(bob, limit(BTC_PERP, Side::Sell, 1_000_000, ONE_BTC_LOTS)).result.is_ok());
    let bought = chain.place(carl, OrderRequest::market(0, BTC_PERP, Side::Buy, ONE_BTC_LOTS, Ppm::new(10_000)));
    assert!(bought.result.is_ok());
    // Both longs gap through their bankruptcy price in one block. The backstop, holding no
    // collateral, can take 25% of open interest for the first and then fails its own initial
    // margin: all of the second goes to auto-deleveraging at mark.
    let outcome = chain.set_prices(&[(BTC, "90000")]);
    let taken: Vec<i64> = outcome
        .end_block_events
        .iter()
        .filter_map(|e| match e {
            Event::BackstopTakeover { size_lots, .. } => Some(*size_lots),
            _ => None,
        })
        .collect();
    assert_eq!(taken, vec![5_000], "{:?}", outcome.end_block_events);
    let limited: u64 = outcome
        .end_block_events
        .iter()
        .filter_map(|e| match e {
            Event::BackstopLimitReached { size_lots, .. } => Some(*size_lots),
            _ => None,
        })
        .sum();
    assert_eq!(limited, 15_000);
    assert_eq!(chain.state.risk_view(1).uncovered_loss, Decimal::ZERO);
}

#[test]
fn the_backstop_limit_in_notional_binds_too() {
    let publishers: Vec<novation_types::Address> = (1..=3).map(novation_types::Address::from_index).collect();
    let mut genesis = novation_protocol::params::Genesis::example(&publishers);
    genesis.markets[BTC_PERP.0 as usize].risk.backstop_max_notional = Some(dec("9000"));
    let mut chain = Chain::with_genesis(genesis, publishers);
    setup(&mut chain, "5000");
    let outcome = chain.set_prices(&[(BTC, "90000")]);
    // 9,000 of notional at 90,000 is 0.1 BTC: 1,000 lots.
    assert!(outcome.end_block_events.iter().any(|e| matches!(e, Event::BackstopTakeover { size_lots: 1_000, .. })));
    assert!(outcome.end_block_events.iter().any(|e| matches!(e, Event::BackstopLimitReached { size_lots: 9_000, .. })));
}

#[test]
fn the_adl_queue_and_the_backstops_limits_are_public() {
    let mut chain = Chain::new();
    let (alice, bob) = setup(&mut chain, "5000");
    let carl = trader(3);
    chain.deposit(carl, USD, "3000");
    assert!(chain.place(carl, limit(BTC_PERP, Side::Sell, 1_000_000, 2_000)).result.is_ok());
    let bought = chain.place(alice, limit(BTC_PERP, Side::Buy, 1_000_000, 2_000));
    assert!(bought.result.is_ok(), "{:?}", bought.result);
    chain.set_prices(&[(BTC, "99000")]);
    // Both shorts are in profit; Carl on far less equity ranks first.
    let carl_standing = chain.state.adl_standing(sub(carl));
    let bob_standing = chain.state.adl_standing(sub(bob));
    assert_eq!((carl_standing[0].rank, carl_standing[0].of), (1, 2));
    assert_eq!((bob_standing[0].rank, bob_standing[0].of), (2, 2));
    assert!(carl_standing[0].score > bob_standing[0].score && bob_standing[0].score.is_positive());
    let alice_standing = chain.state.adl_standing(sub(alice));
    assert_eq!((alice_standing[0].rank, alice_standing[0].of, alice_standing[0].score), (1, 1, Decimal::ZERO));
    assert!(chain.state.adl_standing(sub(trader(9))).is_empty(), "no positions, no queue");
    let backstop = chain.state.backstop_view();
    assert_eq!(backstop.subaccount, chain.state.backstop_subaccount());
    // 25% of 12,000 lots of open interest.
    assert_eq!(backstop.markets[BTC_PERP.0 as usize].limit_lots, 3_000);
    assert!(backstop.meets_initial && backstop.drawdown.is_zero());
}

#[test]
fn capital_paid_into_the_backstop_lets_it_carry_more_and_never_comes_back_out() {
    let run = |funding: Option<&str>| {
        let publishers: Vec<novation_types::Address> = (1..=3).map(novation_types::Address::from_index).collect();
        let mut genesis = novation_protocol::params::Genesis::example(&publishers);
        genesis.markets[BTC_PERP.0 as usize].risk.backstop_max_open_interest_share = Ppm::ONE;
        let mut chain = Chain::with_genesis(genesis, publishers);
        let (_, bob) = setup(&mut chain, "5000");
        let (carl, vault) = (trader(3), trader(6));
        if let Some(amount) = funding {
            chain.deposit(vault, USD, amount);
            let fund = Action::FundBackstop(action::FundBackstop { subaccount: 0, amount: dec(amount) });
            let funded = chain.run(vault, vec![fund]);
            assert!(funded.result.is_ok(), "{:?}", funded.result);
            assert!(funded.events.iter().any(|e| matches!(e, Event::BackstopFunded { .. })));
        }
        chain.deposit(carl, USD, "10000");
        assert!(chain.place(bob, limit(BTC_PERP, Side::Sell, 1_000_000, ONE_BTC_LOTS)).result.is_ok());
        let bought = chain.place(carl, OrderRequest::market(0, BTC_PERP, Side::Buy, ONE_BTC_LOTS, Ppm::new(10_000)));
        assert!(bought.result.is_ok());
        let outcome = chain.set_prices(&[(BTC, "90000")]);
        let taken: i64 = outcome
            .end_block_events
            .iter()
            .filter_map(|e| match e {
                Event::BackstopTakeover { size_lots, .. } => Some(*size_lots),
                _ => None,
            })
            .sum();
        (taken, chain, vault)
    };
    // Without capital the backstop takes the first position and then fails its own initial
    // margin; with 50,000 of capital it carries both.
    assert_eq!(run(None).0, ONE_BTC_LOTS as i64);
    let (taken, mut chain, vault) = run(Some("50000"));
    assert_eq!(taken, 2 * ONE_BTC_LOTS as i64);
    assert_eq!(chain.state.risk_view(1).backstop_equity, dec("50000"));
    assert_eq!(chain.usd(vault), Decimal::ZERO, "the capital stays with the backstop");
    let again = Action::FundBackstop(action::FundBackstop { subaccount: 0, amount: dec("1") });
    assert!(chain.run(vault, vec![again]).result.is_err(), "nothing left to pay");
}
