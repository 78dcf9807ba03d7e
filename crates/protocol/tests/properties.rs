//! Property tests over random sequences of blocks (DESIGN §3), driven by the `novation-sim`
//! simulation. After every block, or every transaction, they check that:
//!
//! - value is conserved (`verify_conservation`, and `apply_block` never reports a broken
//!   invariant) and no book is crossed;
//! - no input makes the protocol panic, including totally arbitrary actions;
//! - a rejected transaction changes nothing but its signer's nonce, and a bad nonce nothing
//!   at all (and a nonce is refused exactly when it is not the signer's next);
//! - the same blocks applied to several fresh states give the same events and state hashes;
//! - meeting initial margin implies meeting maintenance margin;
//! - an order that rests and grows the worst-case position leaves its owner meeting initial
//!   margin;
//! - a subaccount with no position, order or debt is never touched by others' trouble
//!   (liquidations, insurance payouts, auto-deleveraging);
//! - cancels, deposits, reduce-only and trigger orders are never refused for the oracle.
//!
//! A test case is a `novation_sim::Script` generated from a seed (funding for a handful of
//! traders, leveraged positions opened between some of them, then blocks that move the oracle
//! and carry abstract transactions made concrete against the state). The checks live in
//! `novation_sim::Property`; proptest draws the seeds and shrinks a failing script by removing
//! blocks, transactions and actions. A failure prints its seed and the command that replays
//! it; proptest also records the failing case in `proptest-regressions/properties.txt` (commit
//! it) and runs it first next time. Bugs the properties once found are pinned by the
//! regression tests at the end of the file.
//!
//! The default run takes a few seconds; `PROPTEST_CASES=2000 cargo test -p novation-protocol
//! --test properties` searches longer, `cargo run --release -p novation-bench -- sim
//! --seconds 600` longer still, and `NOVATION_SIM_SEED=S cargo test -p novation-protocol
//! --test properties replay` replays one seed.

mod common;

use common::{dec, trader};
use novation_math::Ppm;
use novation_protocol::presets::{BTC, BTC_PERP, USD};
use novation_sim::strategy::scripts;
use novation_sim::{Checks, Flavor, Mode, Property, Runner, Script, Stats};
use novation_types::{Action, Address, ErrorCode, Event, OrderAction, OrderRequest, Side};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};

/// `PROPTEST_CASES` overrides the default number of cases. Failing cases are recorded in
/// `proptest-regressions/properties.txt` (relative to this crate) and replayed first.
fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/properties.txt"))),
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

/// Checks `property` on `script`; a failure carries the seed that replays it.
fn check(property: Property, script: &Script) -> Result<(), TestCaseError> {
    property.check(script).map(|_| ()).map_err(|failure| TestCaseError::fail(failure.to_string()))
}

// ----- the properties ------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    /// DESIGN §3.4: value is conserved after every block (and `apply_block` never reports a
    /// broken invariant).
    #[test]
    fn value_is_conserved_after_every_block(script in scripts(Flavor::WILD)) {
        check(Property::ValueIsConserved, &script)?;
    }

    /// DESIGN §3.3: no input makes the protocol panic, applied whole blocks at a time or one
    /// transaction at a time, with many totally arbitrary actions.
    #[test]
    fn no_input_makes_the_protocol_panic(script in scripts(Flavor::ARBITRARY)) {
        check(Property::NoInputPanics, &script)?;
    }

    /// DESIGN §3.3: a rejected transaction changes nothing but its signer's nonce (and a
    /// replayed or out-of-order nonce changes nothing at all).
    #[test]
    fn a_rejected_transaction_changes_nothing_but_the_nonce(script in scripts(Flavor::WILD)) {
        check(Property::RejectedTransactionsChangeOnlyTheNonce, &script)?;
    }

    /// DESIGN §3.1: the same blocks applied to several fresh states give the same events and
    /// the same state hash after every block.
    #[test]
    fn the_same_blocks_give_the_same_states_and_events(script in scripts(Flavor::WILD)) {
        check(Property::ReplicasAgree, &script)?;
    }

    /// Meeting initial margin implies meeting maintenance margin, for every subaccount after
    /// every block.
    #[test]
    fn meeting_initial_margin_implies_meeting_maintenance(script in scripts(Flavor::TAME)) {
        check(Property::InitialImpliesMaintenance, &script)?;
    }

    /// An order that rests and grows its owner's worst-case position leaves the owner meeting
    /// initial margin, counting open orders.
    #[test]
    fn resting_orders_are_covered_by_initial_margin(script in scripts(Flavor::TAME)) {
        check(Property::RestingOrdersAreCovered, &script)?;
    }

    /// DESIGN §3.6: cancelling, depositing, reporting prices and reduce-only orders remain
    /// possible whatever the oracle says (stale, uncertain, too volatile).
    #[test]
    fn risk_reducing_actions_are_never_refused_for_the_oracle(script in scripts(Flavor::WILD)) {
        check(Property::RiskReducingActionsAreNeverRefusedForTheOracle, &script)?;
    }

    /// DESIGN §3.5: an account with no positions never pays for another's loss. A subaccount
    /// without positions, orders or debt whose owner sends nothing is untouched by a block,
    /// whatever liquidations, insurance payouts or deleveraging happen in it.
    #[test]
    fn an_account_without_positions_never_pays_for_others(script in scripts(Flavor::WILD)) {
        check(Property::BystandersNeverPay, &script)?;
    }
}

/// Each property draws scripts of the flavor it is checked on, so a seed found here replays
/// in the campaign (which generates `Script::generate(seed, property.flavor())`).
#[test]
fn the_properties_use_the_flavors_the_campaign_replays() {
    let flavors = [
        (Property::ValueIsConserved, Flavor::WILD),
        (Property::NoInputPanics, Flavor::ARBITRARY),
        (Property::RejectedTransactionsChangeOnlyTheNonce, Flavor::WILD),
        (Property::ReplicasAgree, Flavor::WILD),
        (Property::InitialImpliesMaintenance, Flavor::TAME),
        (Property::RestingOrdersAreCovered, Flavor::TAME),
        (Property::RiskReducingActionsAreNeverRefusedForTheOracle, Flavor::WILD),
        (Property::BystandersNeverPay, Flavor::WILD),
    ];
    for (property, flavor) in flavors {
        assert_eq!(property.flavor(), flavor, "{property:?}");
    }
}

/// `NOVATION_SIM_SEED=S` (and optionally `NOVATION_SIM_PROPERTY=name`) replays the scripts
/// seed `S` generates against every property (or the one named); without it, nothing runs.
#[test]
fn replay_the_seed_in_novation_sim_seed() {
    let Some(seed) = novation_sim::seed_from_env() else { return };
    let properties: Vec<Property> = match std::env::var("NOVATION_SIM_PROPERTY") {
        Ok(name) => vec![Property::from_name(&name).expect("a property name")],
        Err(_) => Property::ALL.to_vec(),
    };
    match novation_sim::replay(seed, &properties) {
        Ok(stats) => println!("seed={seed} passes: {stats:?}"),
        Err(failure) => panic!("{failure}"),
    }
}

/// Seeds the `novation-bench -- sim` campaign found failing, replayed against every property.
/// All five broke `check_nobody_left_below_maintenance` (first seen as a failure of
/// `risk_reducing_actions_are_never_refused_for_the_oracle`): a liquidation bought into a
/// resting reduce-only ask far below the mark and sank its owner, who was left below
/// maintenance with a position until the next block (pinned in miniature by
/// `a_maker_a_liquidation_sinks_is_liquidated_in_the_same_block` in tests/liquidation.rs).
#[test]
fn the_seeds_campaigns_found_pass_every_property() {
    for seed in
        [8925529683174476708, 11931945432278466916, 18379612519202856085, 12589108397148702802, 1293777569943765847]
    {
        if let Err(failure) = novation_sim::replay(seed, &Property::ALL) {
            panic!("{failure}");
        }
    }
}

/// The generators reach the interesting paths: fills, resting orders, oracle refusals.
#[test]
fn the_generators_make_trades_happen() {
    let mut total = Stats::default();
    for seed in 0..8 {
        let script = Script::generate(seed, Flavor::WILD.with_blocks(30));
        let stats = Runner::new(Mode::Blocks { replicas: 0 }, Checks::default()).run(&script).expect("the script runs");
        total.add(&stats);
    }
    println!("{total:?}");
    assert!(total.fills > 100, "too few fills: {total:?}");
    assert!(total.rested > 100, "too few resting orders: {total:?}");
    assert!(total.accepted * 4 > total.txs, "too few accepted: {total:?}");
    assert!(total.invalid_price_rejections > 0, "no oracle refusals: {total:?}");
    assert!(total.triggered > 0, "no trigger fired: {total:?}");
    assert!(total.funding_rates > 0, "no funding: {total:?}");
    assert!(total.liquidations > 0, "no liquidation: {total:?}");
}

// ----- regressions: bugs found by the properties, minimised -----------------------------------
//
// Each test states the expected behaviour.

/// Alice buys 1 BTC from Bob at 100,000 with 10,000 USD of collateral (10x).
fn alice_long_one_btc(chain: &mut common::Chain) -> (Address, Address) {
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "10000");
    chain.deposit(bob, USD, "200000");
    chain.place(bob, common::limit(BTC_PERP, Side::Sell, 1_000_000, 10_000));
    let bought = chain.place(alice, OrderRequest::market(0, BTC_PERP, Side::Buy, 10_000, Ppm::new(10_000)));
    assert!(bought.result.is_ok());
    (alice, bob)
}

/// Place refuses a limit price above `i128::MAX / tick_lot_value / u32::MAX` ticks; modify
/// accepts any non-zero price (`trading/modify.rs` never calls `limit_price_ticks`).
#[test]

fn modify_refuses_a_price_that_place_refuses() {
    let mut chain = common::Chain::new();
    let alice = trader(1);
    chain.deposit(alice, USD, "100000");
    let absurd = u64::MAX / 2;
    let placed = chain.place(alice, common::limit(BTC_PERP, Side::Sell, absurd, 1));
    assert_eq!(placed.result.map_err(|e| e.code), Err(ErrorCode::InvalidPrice));
    chain.place(alice, common::limit(BTC_PERP, Side::Sell, 1_010_000, 1));
    let order_id =
        chain.state.book(BTC_PERP).and_then(|b| b.best_order(Side::Sell)).map(|o| o.id).expect("resting ask");
    let modified = chain.run(
        alice,
        vec![Action::Order(OrderAction::Modify(novation_types::action::Modify {
            subaccount: 0,
            order_id,
            price_ticks: absurd,
            size_lots: 1,
        }))],
    );
    assert_eq!(
        modified.result.map_err(|e| e.code),
        Err(ErrorCode::InvalidPrice),
        "book now: {:?}",
        chain.state.best_prices(BTC_PERP)
    );
}

/// Two 1-lot quotes (10 USD of notional each) far apart give a book mid far from the index.
/// The mark is the median of (index + basis EMA, mid, index), but the basis EMA follows the
/// mid without bound (`markets.rs`, `next_basis`), so index + basis walks to the mid and the
/// median follows it: the index never moves, yet the mark is 7 % up three blocks after the
/// quotes appear and Bob's 10x short is liquidated at it (+44 % after 40 blocks).
#[test]

fn two_one_lot_quotes_cannot_drag_the_mark_from_an_unmoved_index() {
    let mut chain = common::Chain::new();
    let (bob, carol, mallory) = (trader(2), trader(3), trader(4));
    chain.deposit(bob, USD, "10000");
    chain.deposit(carol, USD, "200000");
    chain.deposit(mallory, USD, "1000");
    chain.place(carol, common::limit(BTC_PERP, Side::Buy, 1_000_000, 10_000));
    let sold = chain.place(bob, OrderRequest::market(0, BTC_PERP, Side::Sell, 10_000, Ppm::new(10_000)));
    assert!(sold.result.is_ok(), "Bob is short 1 BTC at 100,000, 10x");
    // The ask at the edge of the price band: the furthest from the mid a quote can sit.
    for (side, ticks) in [(Side::Buy, 999_900), (Side::Sell, 1_099_000)] {
        let quoted = chain.place(mallory, common::limit(BTC_PERP, side, ticks, 1));
        assert!(quoted.result.is_ok());
    }
    let index = dec("100000");
    for block in 0..40 {
        let outcome = chain.set_prices(&[(BTC, "100000")]);
        let mark = chain.state.market(BTC_PERP).and_then(|m| m.mark).expect("mark");
        let liquidated = outcome
            .end_block_events
            .iter()
            .any(|e| matches!(e, Event::LiquidationStarted { subaccount, .. } if *subaccount == common::sub(bob)));
        assert!(!liquidated, "block {block}: Bob liquidated at mark {mark}, though the index stayed at {index}");
        let drift = mark.checked_sub(index).unwrap().checked_abs().unwrap();
        assert!(drift <= dec("5000"), "block {block}: mark {mark} is more than 5% from the index {index}");
    }
}

/// A reduce-only order skips the margin check (`check_order` in `trading/place.rs`), so its
/// size is only bounded by `i64::MAX / 4` lots; all of it counts in the worst-case position
/// (`Position::worst_case_size_lots`), the with-orders health overflows, and `State::health`
/// (`queries/mod.rs`) turns the error into `Health::default()`: zero equity, "meets initial".
#[test]

fn an_account_whose_health_overflows_is_never_reported_healthy() {
    let mut chain = common::Chain::new();
    let (alice, _) = alice_long_one_btc(&mut chain);
    let close = common::limit(BTC_PERP, Side::Sell, 1_090_000, i64::MAX as u64 / 4).reduce_only();
    assert!(chain.place(alice, close).result.is_ok());
    chain.walk_price(BTC, "94000");
    let health = chain.state.health(common::sub(alice));
    assert!(!health.below_maintenance, "at 94,000 the 1 BTC long is above maintenance");
    assert_eq!(health.equity, dec("3950"), "9,950 of collateral minus 6,000 of loss: {health:?}");
    assert!(!health.meets_initial, "3,950 of equity is below the 4,700 initial requirement: {health:?}");
}

/// A reduce-only order can only shrink the position, yet all its lots count in the
/// worst-case position, so a generous "close everything" order locks the account's free
/// collateral (here: a withdrawal that passed before the order is refused after it).
#[test]

fn a_reduce_only_order_never_counts_as_new_risk() {
    let mut chain = common::Chain::new();
    let (alice, _) = alice_long_one_btc(&mut chain);
    let withdraw = |amount: &str| {
        vec![Action::Withdraw(novation_types::action::Withdraw { subaccount: 0, asset: USD, amount: dec(amount) })]
    };
    assert!(chain.run(alice, withdraw("100")).result.is_ok());
    let close_all = common::limit(BTC_PERP, Side::Sell, 1_100_000, 30_000).reduce_only();
    assert!(chain.place(alice, close_all).result.is_ok());
    let withdrawn = chain.run(alice, withdraw("100"));
    assert!(withdrawn.result.is_ok(), "{:?}; health {:?}", withdrawn.result, chain.state.health(common::sub(alice)));
}

/// The margin of a new order is checked before matching, at the mark, as if it all rested
/// (`check_order_margin` in `trading/place.rs`); each fill then checks positions only
/// (`side_after` in `trading/fill.rs`). A buy that first fills at 4% above the mark loses
/// that 4% (and the fee) and then rests its remainder without any check of the account with
/// it: the account ends below initial margin, counting open orders, after one accepted order
/// (an order for the remainder alone would have been refused).
#[test]

fn an_order_filled_at_a_worse_price_rests_the_rest_only_if_covered() {
    let mut chain = common::Chain::new();
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "10000");
    chain.deposit(bob, USD, "200000");
    chain.place(bob, common::limit(BTC_PERP, Side::Sell, 1_040_000, 10_000));
    let placed = chain.place(alice, common::limit(BTC_PERP, Side::Buy, 1_040_000, 19_000));
    assert!(placed.result.is_ok());
    let rested = placed.events.iter().any(|e| matches!(e, Event::OrderRested { .. }));
    let health = chain.state.health(common::sub(alice));
    assert!(
        !rested || health.meets_initial,
        "0.9 BTC rests with free collateral {}: {health:?}",
        health.free_collateral
    );
}

/// Found by `the_same_blocks_give_the_same_states_and_events` (seed 246474873559994062,
/// shrunk): trader 1 is long and trader 4 short ETH-PERP, trader 4 also quotes BTC-PERP from
/// subaccount 1 and trader 1 buys 2 BTC-PERP into the quote; ETH crashes 31 % (trader 1 is
/// bankrupt: the backstop takes its BTC-PERP long and its debt), then BTC crashes 48 % and the
/// backstop is bankrupt in turn. Its deficit — mostly the inherited USD debt — was
/// auto-deleveraged at a bankruptcy price ten times the mark against trader 4's short, with no
/// bound on what that holder could pay: trader 4's subaccount 1 was left at −58,792 USD of
/// equity that no ledger account booked. A holder now pays the bankruptcy price only as far
/// as its equity goes; the rest of the deficit is bad debt, covered by the fund, then the fee
/// pool.
#[test]
fn a_backstop_deficit_deleveraged_after_two_crashes_leaves_no_loss_unbooked() {
    use novation_sim::{BlockSpec, Funding, Kind, Move, Opener, PlaceSpec, Price, Size, TxSpec, Who};
    use novation_types::{MarketId, SelfTradePrevention, TimeInForce};
    let funding = |usd, btc_milli, eth_milli| Funding { usd, btc_milli, eth_milli };
    let place = |who, sub, market, side, size, kind, self_trade| TxSpec {
        who: Who::Trader(who),
        agent: None,
        nonce: novation_sim::NonceSpec::Next,
        actions: vec![novation_sim::ActionSpec::Order(novation_sim::OrderSpec::Place(PlaceSpec {
            sub,
            market: MarketId(market),
            side,
            size,
            kind,
            reduce_only: false,
            client_id: None,
            self_trade,
        }))],
        too_many: false,
    };
    let quote = place(
        4,
        1,
        0,
        Side::Sell,
        Size::OfFree(91),
        Kind::Limit(Price::Near(62), TimeInForce::GoodTillCancel),
        SelfTradePrevention::CancelIncoming,
    );
    let buy = place(
        1,
        0,
        0,
        Side::Buy,
        Size::Lots(1647),
        Kind::Limit(Price::Near(49), TimeInForce::FillOrKill),
        SelfTradePrevention::CancelBoth,
    );
    let script = Script {
        seed: 246474873559994062,
        shrunk: true,
        funding: vec![
            funding(18141, 0, 5805),
            funding(13894, 2073, 0),
            funding(246118, 0, 0),
            funding(209286, 0, 0),
            funding(169356, 0, 0),
        ],
        openers: vec![Opener { long: 1, short: 4, market: MarketId(1), percent: 40 }],
        blocks: vec![
            BlockSpec { outage: 0, moves: [Move::Hold, Move::Hold], txs: vec![quote] },
            BlockSpec { outage: 0, moves: [Move::Hold, Move::Crash(31)], txs: vec![buy] },
            BlockSpec { outage: 0, moves: [Move::Crash(48), Move::Hold], txs: vec![] },
        ],
    };
    let (result, state) = Runner::new(Mode::Blocks { replicas: 0 }, Checks::default()).run_keeping_state(&script);
    let stats = result.unwrap_or_else(|failure| panic!("{failure}"));
    assert!(stats.auto_deleveraged > 0 && stats.backstop_takeovers > 0, "the path is reached: {stats:?}");
    let view = state.risk_view(0);
    assert_eq!(view.uncovered_loss, novation_math::Decimal::ZERO, "{view:?}");
    assert!(view.bad_debt_total > novation_math::Decimal::ZERO, "the shortfall is visible bad debt: {view:?}");
    for property in [Property::ReplicasAgree, Property::ValueIsConserved, Property::BystandersNeverPay] {
        check(property, &script).unwrap_or_else(|e| panic!("{property:?}: {e}"));
    }
}
