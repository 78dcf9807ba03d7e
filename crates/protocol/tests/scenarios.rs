//! Scenario tests that read like a trader's or a risk officer's questions.

mod common;

use common::*;
use novation_math::{Decimal, Ppm};
use novation_protocol::oracle::PriceValidity;
use novation_protocol::presets::{BTC, BTC_PERP, ETH_PERP, USD};
use novation_types::action;
use novation_types::{
    Action, CancelReason, ErrorCode, Event, OrderAction, OrderRequest, SelfTradePrevention, Side, TimeInForce,
    Transaction,
};

const BTC_100K_TICKS: u64 = 1_000_000;
const ONE_BTC_LOTS: u64 = 10_000;

fn rejected_with(outcome: &novation_protocol::TxOutcome, code: ErrorCode) {
    assert_eq!(outcome.result.map_err(|e| e.code), Err(code), "events: {:?}", outcome.events);
}

/// Alice opens a 1 BTC long with 10,000 USD against Bob's resting ask.
fn alice_long_10x(chain: &mut Chain) -> (novation_types::Address, novation_types::Address) {
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "10000");
    chain.deposit(bob, USD, "200000");
    chain.place(bob, limit(BTC_PERP, Side::Sell, BTC_100K_TICKS, ONE_BTC_LOTS));
    let outcome = chain.place(alice, OrderRequest::market(0, BTC_PERP, Side::Buy, ONE_BTC_LOTS, Ppm::new(10_000)));
    assert!(outcome.result.is_ok());
    (alice, bob)
}

#[test]
fn a_10x_long_pays_taker_fee_and_maker_earns_rebate() {
    let mut chain = Chain::new();
    let (alice, bob) = alice_long_10x(&mut chain);
    assert_eq!(chain.usd(alice), dec("9950"), "taker fee 0.05% of 100,000");
    assert_eq!(chain.usd(bob), dec("200010"), "maker rebate 0.01% of 100,000");
    let health = chain.state.health(sub(alice));
    assert_eq!(health.equity, dec("9950"));
    // 5% of 100,000, plus concentration: 20% × 100,000 × (100,000 / 100M of reference).
    assert_eq!(health.initial_requirement, dec("5020"));
    assert_eq!(health.maintenance_requirement, dec("3000"));
    assert_eq!(health.free_collateral, dec("4930"));
    assert!(health.meets_initial && !health.below_maintenance);
    let position = &chain.state.account(sub(alice)).positions[0];
    assert_eq!(position.size, dec("1"));
    assert_eq!(position.entry_price, Some(dec("100000")));
    assert_eq!(chain.state.system_totals().fee_pool, dec("40"));
}

#[test]
fn equity_and_health_follow_the_price_exactly() {
    let mut chain = Chain::new();
    let (alice, bob) = alice_long_10x(&mut chain);
    chain.set_prices(&[(BTC, "101000")]);
    let health = chain.state.health(sub(alice));
    assert_eq!(health.unrealized_pnl, dec("1000"));
    assert_eq!(health.equity, dec("10950"));
    assert_eq!(health.maintenance_requirement, dec("3030"));
    assert_eq!(chain.state.health(sub(bob)).unrealized_pnl, dec("-1000"));

    chain.walk_price(BTC, "93000");
    let health = chain.state.health(sub(alice));
    assert_eq!(health.equity, dec("2950"));
    assert_eq!(health.maintenance_requirement, dec("2790"));
    assert!(!health.below_maintenance && !health.meets_initial);

    // At 92,000 equity (1,950) falls below maintenance (2,760): the end of that very block
    // starts her liquidation with exactly these figures.
    let outcome = chain.set_prices(&[(BTC, "92000")]);
    let started = outcome.end_block_events.iter().find_map(|e| match e {
        Event::LiquidationStarted { subaccount, equity, maintenance_requirement } if *subaccount == sub(alice) => {
            Some((*equity, *maintenance_requirement))
        }
        _ => None,
    });
    assert_eq!(started, Some((dec("1950"), dec("2760"))));
}

#[test]
fn closing_realises_pnl_into_the_balance() {
    let mut chain = Chain::new();
    let (alice, bob) = alice_long_10x(&mut chain);
    chain.set_prices(&[(BTC, "102000")]);
    chain.place(bob, limit(BTC_PERP, Side::Buy, 1_020_000, ONE_BTC_LOTS));
    let outcome = chain.place(alice, limit(BTC_PERP, Side::Sell, 1_020_000, ONE_BTC_LOTS).reduce_only());
    let realized = outcome.events.iter().find_map(|e| match e {
        Event::Fill { taker_realized_pnl, .. } => Some(*taker_realized_pnl),
        _ => None,
    });
    assert_eq!(realized, Some(dec("2000")));
    // 9,950 + 2,000 realised − 51 taker fee on 102,000.
    assert_eq!(chain.usd(alice), dec("11899"));
    assert!(chain.state.account(sub(alice)).positions.is_empty());
}

#[test]
fn btc_collateral_counts_at_its_haircut() {
    let mut chain = Chain::new();
    let carol = trader(3);
    chain.deposit(carol, BTC, "1");
    let health = chain.state.health(sub(carol));
    assert_eq!(health.collateral, dec("100000"));
    assert_eq!(health.equity_initial, dec("90000"));
    assert_eq!(health.equity_maintenance, dec("95000"));
    assert_eq!(health.free_collateral, dec("90000"));
}

#[test]
fn btc_collateral_backs_a_usd_loss_as_debt() {
    let mut chain = Chain::new();
    let (carol, bob) = (trader(3), trader(2));
    chain.deposit(carol, BTC, "0.2");
    chain.deposit(bob, USD, "200000");
    chain.place(bob, limit(BTC_PERP, Side::Sell, BTC_100K_TICKS, ONE_BTC_LOTS));
    assert!(chain.place(carol, limit(BTC_PERP, Side::Buy, BTC_100K_TICKS, ONE_BTC_LOTS)).result.is_ok());
    assert_eq!(chain.usd(carol), dec("-50"), "the taker fee is a USD debt backed by BTC");
    let health = chain.state.health(sub(carol));
    // BTC at 90% (18,000) − USD debt at 100% (50); 1 BTC long needs 5,000.
    assert_eq!(health.equity_initial, dec("17950"));
    rejected_with(
        &chain.run(carol, vec![Action::Withdraw(action::Withdraw { subaccount: 0, asset: BTC, amount: dec("0.2") })]),
        ErrorCode::InsufficientMargin,
    );
}

#[test]
fn withdrawals_keep_initial_margin() {
    let mut chain = Chain::new();
    let (alice, _) = alice_long_10x(&mut chain);
    let withdraw =
        |amount: &str| vec![Action::Withdraw(action::Withdraw { subaccount: 0, asset: USD, amount: dec(amount) })];
    rejected_with(&chain.run(alice, withdraw("5000")), ErrorCode::InsufficientMargin);
    assert!(chain.run(alice, withdraw("900")).result.is_ok());
    rejected_with(&chain.run(alice, withdraw("20000")), ErrorCode::InsufficientBalance);
    assert_eq!(chain.usd(alice), dec("9050"));
    assert_eq!(chain.state.system_totals().net_deposits[0].amount, dec("209100"));
}

#[test]
fn an_order_is_margin_checked_with_the_open_orders_it_joins() {
    let mut chain = Chain::new();
    let alice = trader(1);
    chain.deposit(alice, USD, "10000");
    assert!(chain.place(alice, limit(BTC_PERP, Side::Buy, 990_000, 15_000)).result.is_ok());
    rejected_with(&chain.place(alice, limit(BTC_PERP, Side::Buy, 990_000, 10_000)), ErrorCode::InsufficientMargin);
    // A sell does not make the worst case bigger: it always passes.
    assert!(chain.place(alice, limit(BTC_PERP, Side::Sell, 1_100_000, 15_000)).result.is_ok());
}

#[test]
fn a_rejected_fill_or_kill_changes_nothing_but_the_nonce() {
    let mut chain = Chain::new();
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "100000");
    chain.deposit(bob, USD, "100000");
    chain.place(bob, limit(BTC_PERP, Side::Sell, BTC_100K_TICKS, 5_000));
    let request = limit(BTC_PERP, Side::Buy, BTC_100K_TICKS, 6_000).with_time_in_force(TimeInForce::FillOrKill);
    let tx = chain.tx(alice, vec![Action::Order(OrderAction::Place(request))]);
    let mut expected = chain.state.clone();
    expected.apply_transaction(&Transaction { actions: vec![], ..tx.clone() });
    let outcome = chain.state.apply_transaction(&tx);
    rejected_with(&outcome, ErrorCode::FillOrKillUnfillable);
    assert_eq!(chain.state.canonical_bytes(), expected.canonical_bytes());
}

#[test]
fn a_batch_applies_whole_or_not_at_all() {
    let mut chain = Chain::new();
    let alice = trader(1);
    chain.deposit(alice, USD, "100000");
    let before_book = chain.state.l2_book(BTC_PERP, 10);
    let batch = Action::Batch(vec![
        OrderAction::Place(limit(BTC_PERP, Side::Buy, 990_000, 100)),
        OrderAction::Place(limit(BTC_PERP, Side::Buy, 980_000, 100)),
        OrderAction::Cancel(action::Cancel { subaccount: 0, order_id: novation_types::OrderId(999) }),
    ]);
    let outcome = chain.run(alice, vec![batch]);
    assert_eq!(outcome.result.map_err(|e| (e.code, e.action_index)), Err((ErrorCode::OrderNotFound, Some(0))));
    assert_eq!(chain.state.l2_book(BTC_PERP, 10), before_book);
    assert_eq!(chain.state.account(sub(alice)).open_orders, 0);
}

#[test]
fn post_only_is_rejected_if_it_would_cross_and_rests_otherwise() {
    let mut chain = Chain::new();
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "100000");
    chain.deposit(bob, USD, "100000");
    chain.place(bob, limit(BTC_PERP, Side::Sell, BTC_100K_TICKS, 100));
    let post = |price| limit(BTC_PERP, Side::Buy, price, 100).with_time_in_force(TimeInForce::PostOnly);
    rejected_with(&chain.place(alice, post(BTC_100K_TICKS)), ErrorCode::PostOnlyWouldCross);
    assert!(chain.place(alice, post(BTC_100K_TICKS - 1)).result.is_ok());
    assert_eq!(chain.state.best_prices(BTC_PERP), Some((Some(BTC_100K_TICKS - 1), Some(BTC_100K_TICKS))));
}

#[test]
fn immediate_or_cancel_fills_what_it_can_and_cancels_the_rest() {
    let mut chain = Chain::new();
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "100000");
    chain.deposit(bob, USD, "100000");
    chain.place(bob, limit(BTC_PERP, Side::Sell, BTC_100K_TICKS, 300));
    let ioc = limit(BTC_PERP, Side::Buy, BTC_100K_TICKS, 500).with_time_in_force(TimeInForce::ImmediateOrCancel);
    let outcome = chain.place(alice, ioc);
    assert!(outcome.events.iter().any(|e| matches!(e, Event::Fill { size_lots: 300, .. })));
    assert!(outcome
        .events
        .iter()
        .any(|e| matches!(e, Event::OrderCancelled { remaining_lots: 200, reason: CancelReason::Unfilled, .. })));
    assert!(chain.state.book(BTC_PERP).unwrap().is_empty());
}

#[test]
fn a_market_order_stops_at_its_slippage_bound() {
    let mut chain = Chain::new();
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "100000");
    chain.deposit(bob, USD, "100000");
    chain.place(bob, limit(BTC_PERP, Side::Sell, 1_005_000, 100));
    chain.place(bob, limit(BTC_PERP, Side::Sell, 1_030_000, 100));
    let outcome = chain.place(alice, OrderRequest::market(0, BTC_PERP, Side::Buy, 200, Ppm::new(10_000)));
    assert!(outcome.events.iter().any(|e| matches!(e, Event::Fill { price_ticks: 1_005_000, size_lots: 100, .. })));
    assert!(outcome
        .events
        .iter()
        .any(|e| matches!(e, Event::OrderCancelled { remaining_lots: 100, reason: CancelReason::SlippageBound, .. })));
}

#[test]
fn self_trade_prevention_cancels_the_resting_order_or_the_incoming_one() {
    let mut chain = Chain::new();
    let alice = trader(1);
    chain.deposit(alice, USD, "100000");
    chain.place(alice, limit(BTC_PERP, Side::Buy, BTC_100K_TICKS, 100));
    let outcome = chain.place(alice, limit(BTC_PERP, Side::Sell, BTC_100K_TICKS, 100));
    assert!(outcome.events.iter().any(|e| matches!(e, Event::OrderCancelled { reason: CancelReason::SelfTrade, .. })));
    assert!(!outcome.events.iter().any(|e| matches!(e, Event::Fill { .. })));
    assert_eq!(chain.state.best_prices(BTC_PERP), Some((None, Some(BTC_100K_TICKS))));

    let incoming = limit(BTC_PERP, Side::Buy, BTC_100K_TICKS, 100).with_self_trade(SelfTradePrevention::CancelIncoming);
    chain.place(alice, incoming);
    assert_eq!(chain.state.best_prices(BTC_PERP), Some((None, Some(BTC_100K_TICKS))));
}

#[test]
fn modify_keeps_priority_only_when_shrinking_at_the_same_price() {
    let mut chain = Chain::new();
    let (alice, bob) = (trader(1), trader(2));
    chain.deposit(alice, USD, "100000");
    chain.deposit(bob, USD, "100000");
    chain.place(alice, limit(BTC_PERP, Side::Buy, 990_000, 100));
    chain.place(bob, limit(BTC_PERP, Side::Buy, 990_000, 100));
    let alice_order = chain.state.book(BTC_PERP).unwrap().best_order(Side::Buy).unwrap().id;
    let modify = |size| {
        Action::Order(OrderAction::Modify(action::Modify {
            subaccount: 0,
            order_id: alice_order,
            price_ticks: 990_000,
            size_lots: size,
        }))
    };
    chain.ok(alice, vec![modify(50)]);
    assert_eq!(chain_first_bid_owner(&chain), sub(alice));
    chain.ok(alice, vec![modify(80)]);
    assert_eq!(chain_first_bid_owner(&chain), sub(bob));
    assert_eq!(chain.state.account(sub(alice)).positions[0].open_bid_lots, 80);
}

fn chain_first_bid_owner(chain: &Chain) -> novation_types::SubaccountId {
    chain.state.book(BTC_PERP).unwrap().best_order(Side::Buy).unwrap().owner
}

#[test]
fn client_order_ids_are_unique_and_cancel_orders() {
    let mut chain = Chain::new();
    let alice = trader(1);
    chain.deposit(alice, USD, "100000");
    chain.place(alice, limit(BTC_PERP, Side::Buy, 990_000, 100).with_client_id(7));
    rejected_with(
        &chain.place(alice, limit(BTC_PERP, Side::Buy, 980_000, 100).with_client_id(7)),
        ErrorCode::DuplicateClientOrderId,
    );
    chain.ok(
        alice,
        vec![Action::Order(OrderAction::CancelByClientId(action::CancelByClientId {
            subaccount: 0,
            client_order_id: 7,
        }))],
    );
    assert!(chain.state.book(BTC_PERP).unwrap().is_empty());
    assert!(chain.place(alice, limit(BTC_PERP, Side::Buy, 980_000, 100).with_client_id(7)).result.is_ok());
}

#[test]
fn cancel_all_clears_one_market_or_every_market() {
    let mut chain = Chain::new();
    let alice = trader(1);
    chain.deposit(alice, USD, "100000");
    chain.place(alice, limit(BTC_PERP, Side::Buy, 990_000, 100));
    chain.place(alice, limit(BTC_PERP, Side::Sell, 1_010_000, 100));
    chain.place(alice, limit(ETH_PERP, Side::Buy, 390_000, 100));
    chain.ok(
        alice,
        vec![Action::Order(OrderAction::CancelAll(action::CancelAll { subaccount: 0, market: Some(BTC_PERP) }))],
    );
    assert!(chain.state.book(BTC_PERP).unwrap().is_empty());
    assert_eq!(chain.state.book(ETH_PERP).unwrap().len(), 1);
    chain.ok(alice, vec![Action::Order(OrderAction::CancelAll(action::CancelAll { subaccount: 0, market: None }))]);
    assert_eq!(chain.state.account(sub(alice)).open_orders, 0);
}

#[test]
fn reduce_only_never_opens_or_flips() {
    let mut chain = Chain::new();
    let (alice, bob) = alice_long_10x(&mut chain);
    rejected_with(
        &chain.place(bob, limit(BTC_PERP, Side::Sell, 1_010_000, 100).reduce_only()),
        ErrorCode::ReduceOnlyWouldIncrease,
    );
    chain.place(bob, limit(BTC_PERP, Side::Buy, BTC_100K_TICKS, 3 * ONE_BTC_LOTS));
    let close = limit(BTC_PERP, Side::Sell, BTC_100K_TICKS, 2 * ONE_BTC_LOTS)
        .with_time_in_force(TimeInForce::ImmediateOrCancel)
        .reduce_only();
    let outcome = chain.place(alice, close);
    assert!(outcome.events.iter().any(|e| matches!(e, Event::Fill { size_lots: ONE_BTC_LOTS, .. })));
    assert!(chain.state.account(sub(alice)).positions.is_empty());
}

#[test]
fn a_stale_oracle_refuses_new_risk_but_lets_traders_cancel_and_close() {
    let mut chain = Chain::new();
    let (alice, bob) = alice_long_10x(&mut chain);
    chain.place(bob, limit(BTC_PERP, Side::Buy, 990_000, ONE_BTC_LOTS));
    for _ in 0..11 {
        chain.block(vec![]);
    }
    assert_eq!(chain.state.market(BTC_PERP).unwrap().index_validity, PriceValidity::Stale);
    rejected_with(&chain.place(alice, limit(BTC_PERP, Side::Buy, 980_000, 100)), ErrorCode::OraclePriceInvalid);
    let bob_order = chain.state.book(BTC_PERP).unwrap().best_order(Side::Buy).unwrap().id;
    let close = limit(BTC_PERP, Side::Sell, 990_000, ONE_BTC_LOTS).reduce_only();
    assert!(chain.place(alice, close).result.is_ok(), "closing is always allowed");
    assert!(chain.state.account(sub(alice)).positions.is_empty());
    assert!(!chain.state.book(BTC_PERP).unwrap().contains(bob_order));
}

#[test]
fn a_price_jump_beyond_the_ema_guard_is_too_volatile() {
    let mut chain = Chain::new();
    let alice = trader(1);
    chain.deposit(alice, USD, "100000");
    chain.set_prices(&[(BTC, "125000")]);
    assert_eq!(chain.state.market(BTC_PERP).unwrap().index_validity, PriceValidity::TooVolatile);
    rejected_with(&chain.place(alice, limit(BTC_PERP, Side::Buy, 1_250_000, 100)), ErrorCode::OraclePriceInvalid);
}

#[test]
fn an_isolated_subaccount_trades_one_market_on_quote_collateral() {
    let mut chain = Chain::new();
    let alice = trader(1);
    chain.ok(
        alice,
        vec![Action::SetIsolatedMarket(action::SetIsolatedMarket { subaccount: 1, market: Some(ETH_PERP) })],
    );
    let deposit = |asset, amount: &str| Action::Deposit(action::Deposit { subaccount: 1, asset, amount: dec(amount) });
    rejected_with(&chain.run(alice, vec![deposit(BTC, "1")]), ErrorCode::IsolatedMarketMismatch);
    chain.ok(alice, vec![deposit(USD, "1000")]);
    let btc_order = OrderRequest { subaccount: 1, ..limit(BTC_PERP, Side::Buy, 990_000, 100) };
    rejected_with(&chain.place(alice, btc_order), ErrorCode::IsolatedMarketMismatch);
    let eth_order = OrderRequest { subaccount: 1, ..limit(ETH_PERP, Side::Buy, 390_000, 1_000) };
    assert!(chain.place(alice, eth_order).result.is_ok());
    rejected_with(
        &chain.run(alice, vec![Action::SetIsolatedMarket(action::SetIsolatedMarket { subaccount: 1, market: None })]),
        ErrorCode::MarginModeNotFlat,
    );
}

#[test]
fn larger_positions_fall_into_higher_margin_tiers() {
    let mut chain = Chain::new();
    let (whale, bob) = (trader(5), trader(2));
    chain.deposit(whale, USD, "2000000");
    chain.deposit(bob, USD, "2000000");
    chain.place(bob, limit(BTC_PERP, Side::Sell, BTC_100K_TICKS, 20 * ONE_BTC_LOTS));
    chain.place(whale, limit(BTC_PERP, Side::Buy, BTC_100K_TICKS, 20 * ONE_BTC_LOTS));
    // 2,000,000 of notional sits in the second tier: 10% initial, 6% maintenance; plus
    // concentration: 20% × 2,000,000 × (2,000,000 / 100M of reference).
    let health = chain.state.health(sub(whale));
    assert_eq!(health.initial_requirement, dec("208000"));
    assert_eq!(health.maintenance_requirement, dec("120000"));
}

#[test]
fn bad_inputs_get_typed_errors() {
    let mut chain = Chain::new();
    let alice = trader(1);
    rejected_with(
        &chain.run(alice, vec![Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: Decimal::ZERO })]),
        ErrorCode::InvalidAmount,
    );
    rejected_with(
        &chain.run(
            alice,
            vec![Action::Deposit(action::Deposit { subaccount: 0, asset: BTC, amount: dec("0.000000001") })],
        ),
        ErrorCode::InvalidAmount,
    );
    rejected_with(
        &chain.run(
            alice,
            vec![Action::Deposit(action::Deposit {
                subaccount: 0,
                asset: novation_types::AssetId(9),
                amount: dec("1"),
            })],
        ),
        ErrorCode::UnknownAsset,
    );
    rejected_with(
        &chain.run(alice, vec![Action::Deposit(action::Deposit { subaccount: 0, asset: BTC, amount: dec("100001") })]),
        ErrorCode::DepositCapExceeded,
    );
    rejected_with(&chain.place(alice, limit(novation_types::MarketId(9), Side::Buy, 1, 1)), ErrorCode::UnknownMarket);
    rejected_with(&chain.place(alice, limit(BTC_PERP, Side::Buy, 0, 1)), ErrorCode::InvalidPrice);
    rejected_with(&chain.place(alice, limit(BTC_PERP, Side::Buy, 1, 0)), ErrorCode::InvalidSize);
    rejected_with(&chain.run(alice, vec![]), ErrorCode::BadActionCount);
    rejected_with(
        &chain.run(
            trader(9),
            vec![Action::PriceReport(action::PriceReport {
                asset: BTC,
                price: dec("1"),
                confidence: Decimal::ZERO,
                publish_time_ms: 0,
            })],
        ),
        ErrorCode::NotPublisher,
    );
    let replay = Transaction {
        agent: None,
        sender: alice,
        nonce: 0,
        actions: vec![Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: dec("1") })],
    };
    rejected_with(&chain.block(vec![replay]).transactions[0], ErrorCode::BadNonce);
}

#[test]
fn an_agent_key_may_trade_but_never_withdraw() {
    let mut chain = Chain::new();
    let (alice, bot) = (trader(1), trader(50));
    chain.deposit(alice, USD, "10000");
    let order = || vec![Action::Order(OrderAction::Place(limit(BTC_PERP, Side::Buy, 990_000, 100)))];
    rejected_with(&chain.agent_tx(alice, bot, order()), ErrorCode::UnauthorizedAgent);
    chain.ok(alice, vec![Action::AuthorizeAgent(action::AuthorizeAgent { agent: bot })]);
    assert!(chain.agent_tx(alice, bot, order()).result.is_ok());
    assert_eq!(chain.state.account(sub(alice)).open_orders, 1, "the order belongs to alice");
    let withdraw = vec![Action::Withdraw(action::Withdraw { subaccount: 0, asset: USD, amount: dec("1") })];
    let outcome = chain.agent_tx(alice, bot, withdraw);
    assert_eq!(outcome.result.map_err(|e| (e.code, e.action_index)), Err((ErrorCode::AgentNotAllowed, Some(0))));
    rejected_with(
        &chain.agent_tx(alice, bot, vec![Action::RevokeAgent(action::RevokeAgent { agent: bot })]),
        ErrorCode::AgentNotAllowed,
    );
    chain.ok(alice, vec![Action::RevokeAgent(action::RevokeAgent { agent: bot })]);
    rejected_with(&chain.agent_tx(alice, bot, order()), ErrorCode::UnauthorizedAgent);
}

#[test]
fn an_off_market_wash_trade_between_colluding_accounts_is_refused() {
    let mut chain = Chain::new();
    let (attacker, accomplice) = (trader(5), trader(6));
    chain.deposit(attacker, USD, "100000");
    chain.deposit(accomplice, USD, "100000");
    // The accomplice offers 1 BTC at 130,000 (30% above the 100,000 mark) for the attacker
    // to buy: value would move from one to the other. The band refuses the price.
    let ask = chain.place(accomplice, limit(BTC_PERP, Side::Sell, 1_300_000, ONE_BTC_LOTS));
    rejected_with(&ask, ErrorCode::PriceOutsideBand);
    let bid = chain.place(attacker, limit(BTC_PERP, Side::Buy, 1_300_000, ONE_BTC_LOTS));
    rejected_with(&bid, ErrorCode::PriceOutsideBand);
    // Inside the band the same orders are fine.
    assert!(chain.place(accomplice, limit(BTC_PERP, Side::Sell, 1_050_000, ONE_BTC_LOTS)).result.is_ok());
}

#[test]
fn a_resting_order_the_mark_leaves_behind_is_cancelled_instead_of_filling() {
    let mut chain = Chain::new();
    let (maker, taker) = (trader(5), trader(6));
    chain.deposit(maker, USD, "100000");
    chain.deposit(taker, USD, "100000");
    // A bid 8% over the mark rests (nothing to buy); then the index falls 5% and the bid is
    // 13% over: a sell would fill far above the market.
    assert!(chain.place(maker, limit(BTC_PERP, Side::Buy, 1_080_000, ONE_BTC_LOTS)).result.is_ok());
    chain.walk_price(BTC, "95000");
    let outcome = chain.place(taker, OrderRequest::market(0, BTC_PERP, Side::Sell, ONE_BTC_LOTS, Ppm::new(200_000)));
    assert!(outcome
        .events
        .iter()
        .any(|e| matches!(e, Event::OrderCancelled { reason: CancelReason::OutsideBand, .. })));
    assert!(!outcome.events.iter().any(|e| matches!(e, Event::Fill { .. })), "no fill 13% off the mark");
    assert_eq!(chain.state.account(sub(maker)).open_orders, 0);
}

#[test]
fn a_pumped_position_cannot_back_a_withdrawal_of_the_deposit() {
    let mut chain = Chain::new();
    let (alice, bob) = alice_long_10x(&mut chain);
    let _ = bob;
    chain.walk_price(BTC, "120000");
    let health = chain.state.health(sub(alice));
    assert!(health.unrealized_pnl > dec("19000"), "the pump shows as profit: {health:?}");
    // 10,000 deposited, ~20,000 unrealised profit, 6,000 initial margin at 120,000: the
    // profit must not let the deposit leave.
    let withdraw =
        |amount: &str| vec![Action::Withdraw(action::Withdraw { subaccount: 0, asset: USD, amount: dec(amount) })];
    rejected_with(&chain.run(alice, withdraw("9000")), ErrorCode::InsufficientMargin);
    // What the deposit covers beyond initial margin may still leave.
    assert!(chain.run(alice, withdraw("3000")).result.is_ok());
}
