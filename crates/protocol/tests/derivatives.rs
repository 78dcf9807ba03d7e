//! Dated futures and options through their life: the surface, marks, standard and portfolio
//! margin, expiry and settlement — the questions traders and risk officers ask.

mod common;

use common::*;
use novation_math::{black76, Black76Inputs, Decimal, OptionKind, Ppm, Rounding, SviParams};
use novation_protocol::derivatives::SmileValidity;
use novation_protocol::params::{Genesis, OptionRight};
use novation_protocol::presets::{BTC, BTC_PERP, USD};
use novation_types::action;
use novation_types::{Action, Address, ErrorCode, Event, MarginMode, MarketId, OrderRequest, Side, Transaction};

const DAY_MS: u64 = 86_400_000;
/// Options expire 30 days after genesis, a short series after two minutes.
const MONTH: u64 = 30 * DAY_MS;
const NEAR: u64 = 120_000;

struct Listing {
    future: MarketId,
    call: MarketId,
    put: MarketId,
    near_call: MarketId,
    far_call: MarketId,
}

fn listed() -> (Chain, Listing) {
    let publishers: Vec<Address> = (1..=3).map(Address::from_index).collect();
    let mut genesis = Genesis::example(&publishers);
    genesis.derivatives.settlement_window_ms = 10_000;
    let strike = dec("100000");
    let listing = Listing {
        future: genesis.list_future(BTC, 60_000),
        call: genesis.list_option(BTC, MONTH, strike, OptionRight::Call),
        put: genesis.list_option(BTC, MONTH, strike, OptionRight::Put),
        near_call: genesis.list_option(BTC, NEAR, dec("95000"), OptionRight::Call),
        far_call: genesis.list_option(BTC, 2 * MONTH, strike, OptionRight::Call),
    };
    (Chain::with_genesis(genesis, publishers), listing)
}

/// A flat smile: total variance vol² × T at every strike.
fn flat(vol: &str, expiry_ms: u64, now_ms: u64) -> SviParams {
    let vol = dec(vol);
    let years =
        Decimal::from_int((expiry_ms - now_ms) as i64).div_int(365 * DAY_MS as i128, Rounding::HalfEven).unwrap();
    let a = vol.mul(vol, Rounding::HalfEven).unwrap().mul(years, Rounding::HalfEven).unwrap();
    SviParams { a, b: Decimal::ZERO, rho: Decimal::ZERO, m: Decimal::ZERO, sigma: dec("0.1") }
}

fn smile_report(asset: novation_types::AssetId, expiry_ms: u64, svi: SviParams, time: u64) -> Action {
    Action::VolSurfaceReport(action::VolSurfaceReport { asset, expiry_ms, svi, publish_time_ms: time })
}

/// Every publisher reports BTC at `price` and flat 60% smiles (near, month, two months).
fn publish(chain: &mut Chain, price: &str) -> novation_protocol::BlockOutcome {
    let time = chain.next_header().time_ms;
    let txs: Vec<Transaction> = chain
        .publishers
        .clone()
        .into_iter()
        .map(|publisher| {
            let mut actions = vec![Action::PriceReport(action::PriceReport {
                asset: BTC,
                price: dec(price),
                confidence: Decimal::ZERO,
                publish_time_ms: time,
            })];
            for expiry in [NEAR, MONTH, 2 * MONTH] {
                if time < expiry {
                    actions.push(smile_report(BTC, expiry, flat("0.6", expiry, time), time));
                }
            }
            chain.tx(publisher, actions)
        })
        .collect();
    let outcome = chain.block(txs);
    for tx in &outcome.transactions {
        assert!(tx.result.is_ok(), "report rejected: {:?}", tx.result);
    }
    outcome
}

fn rejected_with(outcome: &novation_protocol::TxOutcome, code: ErrorCode) {
    assert_eq!(outcome.result.map_err(|e| e.code), Err(code), "events: {:?}", outcome.events);
}

/// Ticks of an option premium (tick 0.1), rounded to the nearest tick.
fn premium_ticks(price: Decimal) -> u64 {
    (price.round_dp(1, Rounding::HalfEven).unwrap().raw() / 100_000_000_000_000_000) as u64
}

fn mark(chain: &Chain, market: MarketId) -> Decimal {
    chain.state.series(market).and_then(|s| s.mark).expect("marked")
}

#[test]
fn an_option_is_marked_with_black_76_at_the_surface_volatility() {
    let (mut chain, listing) = listed();
    publish(&mut chain, "100000");
    let series = chain.state.series(listing.call).unwrap();
    assert!(series.valid);
    let time = chain.state.time_ms();
    let years = Decimal::from_int((MONTH - time) as i64).div_int(365 * DAY_MS as i128, Rounding::HalfEven).unwrap();
    let vol = series.implied_vol.unwrap();
    assert!((vol.checked_sub(dec("0.6")).unwrap()).checked_abs().unwrap() < dec("0.000000001"), "{vol}");
    let inputs =
        Black76Inputs { forward: dec("100000"), strike: dec("100000"), vol, time_years: years, rate: Decimal::ZERO };
    assert_eq!(series.mark, Some(black76::price(&inputs, OptionKind::Call).unwrap()));
    // Put-call parity on chain (zero rate, forward at the strike): call = put.
    assert_eq!(mark(&chain, listing.call), mark(&chain, listing.put));
    let greeks = series.greeks.unwrap();
    assert!(greeks.delta > dec("0.5") && greeks.delta < dec("0.6"), "ATM delta {}", greeks.delta);
    assert!(greeks.theta.is_negative());
    let surface = chain.state.vol_surface(BTC);
    assert_eq!(surface.len(), 3);
    assert!(surface.iter().all(|s| s.validity == SmileValidity::Valid));
}

#[test]
fn smiles_and_settlement_averages_are_committed_in_the_state_root() {
    let (mut chain, _) = listed();
    publish(&mut chain, "100000");
    let mut without = novation_protocol::State::clone(&chain.state);
    let header = chain.next_header();
    without.apply_block(&novation_protocol::Block { header, transactions: Vec::new(), prices: Vec::new() }).unwrap();
    let publisher = chain.publishers[0];
    chain.ok(publisher, vec![smile_report(BTC, MONTH, flat("0.7", MONTH, header.time_ms), header.time_ms)]);
    let derivatives = novation_protocol::StateKey::Component(novation_protocol::ComponentKey::Derivatives);
    assert_eq!(chain.state.height(), without.height());
    assert_ne!(chain.state.commitment_value(&derivatives), without.commitment_value(&derivatives));
}

#[test]
fn a_smile_with_butterfly_arbitrage_is_refused() {
    let (mut chain, _) = listed();
    let time = chain.next_header().time_ms;
    // Axel Vogt's smile (Gatheral & Jacquier 2014): g(k) < 0 near k = 0.65.
    let vogt =
        SviParams { a: dec("-0.0410"), b: dec("0.1331"), rho: dec("0.3060"), m: dec("0.3586"), sigma: dec("0.4153") };
    let publisher = chain.publishers[0];
    let outcome = chain.run(publisher, vec![smile_report(BTC, MONTH, vogt, time)]);
    rejected_with(&outcome, ErrorCode::InvalidVolSurface);
    let unlisted = chain.run(publisher, vec![smile_report(BTC, MONTH + 1, flat("0.5", MONTH, time), time)]);
    rejected_with(&unlisted, ErrorCode::UnknownExpiry);
    let stranger = chain.run(trader(9), vec![smile_report(BTC, MONTH, flat("0.5", MONTH, time), time)]);
    rejected_with(&stranger, ErrorCode::NotPublisher);
}

#[test]
fn a_surface_with_calendar_arbitrage_is_rejected_and_the_last_valid_one_kept() {
    let (mut chain, _) = listed();
    publish(&mut chain, "100000");
    let before = chain.state.vol_surface(BTC)[2].svi;
    // Every publisher now says the two-month smile has less variance than the one-month.
    let time = chain.next_header().time_ms;
    let txs: Vec<Transaction> = chain
        .publishers
        .clone()
        .into_iter()
        .map(|p| chain.tx(p, vec![smile_report(BTC, 2 * MONTH, flat("0.3", 2 * MONTH, time), time)]))
        .collect();
    let outcome = chain.block(txs);
    let rejected = outcome
        .end_block_events
        .iter()
        .any(|e| matches!(e, Event::VolSurfaceRejected { expiry_ms, .. } if *expiry_ms == 2 * MONTH));
    assert!(rejected, "{:?}", outcome.end_block_events);
    let far = &chain.state.vol_surface(BTC)[2];
    assert_eq!(far.validity, SmileValidity::Rejected);
    assert_eq!(far.svi, before, "the last valid smile stays");
}

#[test]
fn a_long_option_needs_its_premium_times_the_initial_factor_and_a_short_one_needs_margin() {
    let (mut chain, listing) = listed();
    publish(&mut chain, "100000");
    let (buyer, seller, poor_seller) = (trader(1), trader(2), trader(3));
    let premium = mark(&chain, listing.call);
    let ticks = premium_ticks(premium);
    // 100 lots = 1 BTC of calls. A long option's initial requirement is its premium × the
    // initial factor (1.25, as portfolio margin and Derive's PMRM ask): the buyer has a
    // little less than 1.25 × the premium.
    let price = Decimal::from_units(ticks as i128, dec("0.1")).unwrap();
    let needed = price.mul_int(5).unwrap().div_int(4, Rounding::Ceil).unwrap();
    chain.deposit(buyer, USD, &needed.checked_sub(dec("1")).unwrap().to_string());
    chain.deposit(seller, USD, "30000");
    chain.deposit(poor_seller, USD, "5000");
    // Standard margin of a short ATM call: the larger of max(15% × S − 0, 10% × S) = 15,000
    // and its own portfolio requirement, 27,754 per BTC (index +20% with volatility doubled,
    // plus the naked-short charge, × 1.25).
    let outcome = chain.place(poor_seller, limit(listing.call, Side::Sell, ticks, 100));
    rejected_with(&outcome, ErrorCode::InsufficientMargin);
    chain.place(seller, limit(listing.call, Side::Sell, ticks, 100));
    let outcome = chain.place(buyer, limit(listing.call, Side::Buy, ticks, 100));
    rejected_with(&outcome, ErrorCode::InsufficientMargin);
    chain.deposit(buyer, USD, "100");
    let outcome = chain.place(buyer, limit(listing.call, Side::Buy, ticks, 100));
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert!(outcome.events.iter().any(|e| matches!(e, Event::Fill { .. })));
    let seller_health = chain.state.health(sub(seller));
    // Not the 7.5% formula: the call's own stress loss (+20%, volatility ×2) plus 2% of the
    // index binds, 22,204 per BTC.
    let maintenance = seller_health.maintenance_requirement;
    assert!(maintenance > dec("22000") && maintenance < dec("22500"), "{maintenance}");
    assert!(seller_health.initial_requirement >= maintenance.mul_int(5).unwrap().div_int(4, Rounding::Floor).unwrap());
    let buyer_health = chain.state.health(sub(buyer));
    assert_eq!(buyer_health.maintenance_requirement, Decimal::ZERO, "a long option cannot lose more than its value");
    let greeks = chain.state.account_greeks(sub(buyer));
    assert_eq!(greeks.len(), 1);
    assert!(greeks[0].delta > dec("0.5"));
    let system = chain.state.system_greeks();
    assert_eq!(system[0].vega, greeks[0].vega, "open interest is the buyer's position");
}

/// Opens `size` lots of `market` for `who` against a deep-pocketed market maker.
fn trade(chain: &mut Chain, who: Address, market: MarketId, side: Side, ticks: u64, size: u64) {
    let maker = trader(99);
    if chain.usd(maker).is_zero() {
        chain.deposit(maker, USD, "100000000");
    }
    // Prices and smiles stay fresh (they expire after 10 s and 60 s).
    publish(chain, "100000");
    let resting = chain.place(maker, limit(market, side.opposite(), ticks, size));
    assert!(resting.result.is_ok(), "{:?}", resting.result);
    let taken = chain.place(who, limit(market, side, ticks, size));
    assert!(taken.result.is_ok(), "{:?}", taken.result);
}

fn portfolio_account(chain: &mut Chain, who: Address) {
    chain.deposit(who, USD, "200000");
    chain.ok(who, vec![Action::SetMarginMode(action::SetMarginMode { subaccount: 0, mode: MarginMode::Portfolio })]);
}

fn initial(chain: &Chain, who: Address) -> Decimal {
    chain.state.health(sub(who)).initial_requirement
}

#[test]
fn a_covered_call_needs_far_less_portfolio_margin_than_its_legs() {
    let (mut chain, listing) = listed();
    publish(&mut chain, "100000");
    let (covered, long_only, call_only) = (trader(1), trader(2), trader(3));
    for who in [covered, long_only, call_only] {
        portfolio_account(&mut chain, who);
    }
    let call_ticks = premium_ticks(mark(&chain, listing.call));
    trade(&mut chain, covered, BTC_PERP, Side::Buy, 1_000_000, 10_000);
    trade(&mut chain, covered, listing.call, Side::Sell, call_ticks, 100);
    trade(&mut chain, long_only, BTC_PERP, Side::Buy, 1_000_000, 10_000);
    trade(&mut chain, call_only, listing.call, Side::Sell, call_ticks, 100);
    publish(&mut chain, "100000");
    let (both, legs) =
        (initial(&chain, covered), initial(&chain, long_only).checked_add(initial(&chain, call_only)).unwrap());
    assert!(both.is_positive());
    // 28,624 against 56,504: the perpetual's 3% and the naked call's 2% contingencies stay.
    assert!(both.mul_int(9).unwrap() < legs.mul_int(5).unwrap(), "covered call {both} vs legs {legs}");
    let breakdown = chain.state.margin_breakdown(sub(covered));
    assert_eq!(breakdown.mode, MarginMode::Portfolio);
    assert_eq!(breakdown.portfolio.len(), 1);
    assert_eq!(breakdown.portfolio[0].scenario_pnl.len(), 20);
    let view = &breakdown.portfolio[0];
    assert_eq!(view.linear_contingency, dec("3000"), "3% of the index on 1 BTC of perpetual");
    assert_eq!(view.naked_short_contingency, dec("2000"), "2% of the index on 1 naked short call");
    assert_eq!(breakdown.initial_requirement, breakdown.portfolio[0].requirement);
    assert!(breakdown.standard_initial > breakdown.initial_requirement);
    assert_eq!(chain.state.health_revalued(sub(covered)).ok(), chain.state.raw_health(sub(covered)));
}

#[test]
fn a_calendar_spread_needs_far_less_portfolio_margin_than_its_legs() {
    let (mut chain, listing) = listed();
    publish(&mut chain, "100000");
    let (spread, near_only, far_only) = (trader(1), trader(2), trader(3));
    for who in [spread, near_only, far_only] {
        portfolio_account(&mut chain, who);
    }
    let near = premium_ticks(mark(&chain, listing.call));
    let far = premium_ticks(mark(&chain, listing.far_call));
    trade(&mut chain, spread, listing.call, Side::Sell, near, 100);
    trade(&mut chain, spread, listing.far_call, Side::Buy, far, 100);
    trade(&mut chain, near_only, listing.call, Side::Sell, near, 100);
    trade(&mut chain, far_only, listing.far_call, Side::Buy, far, 100);
    publish(&mut chain, "100000");
    let both = initial(&chain, spread);
    let legs = initial(&chain, near_only).checked_add(initial(&chain, far_only)).unwrap();
    assert!(both.mul_int(2).unwrap() < legs, "calendar spread {both} vs legs {legs}");
}

#[test]
fn switching_to_portfolio_margin_needs_initial_margin_under_it() {
    let (mut chain, _) = listed();
    publish(&mut chain, "100000");
    let who = trader(1);
    chain.deposit(who, USD, "6000");
    // 1 BTC long at 5% standard margin (5,000) fits; under portfolio margin the −20% scenario
    // needs 20,000.
    trade(&mut chain, who, BTC_PERP, Side::Buy, 1_000_000, 10_000);
    let outcome = chain
        .run(who, vec![Action::SetMarginMode(action::SetMarginMode { subaccount: 0, mode: MarginMode::Portfolio })]);
    rejected_with(&outcome, ErrorCode::InsufficientMargin);
    chain.ok(who, vec![Action::SetIsolatedMarket(action::SetIsolatedMarket { subaccount: 1, market: Some(BTC_PERP) })]);
    let outcome = chain
        .run(who, vec![Action::SetMarginMode(action::SetMarginMode { subaccount: 1, mode: MarginMode::Portfolio })]);
    rejected_with(&outcome, ErrorCode::PortfolioMarginNotAllowed);
}

#[test]
fn a_dated_future_settles_every_position_at_the_final_window_average() {
    let (mut chain, listing) = listed();
    let (long, short) = (trader(1), trader(2));
    chain.deposit(long, USD, "10000");
    chain.deposit(short, USD, "10000");
    chain.place(short, limit(listing.future, Side::Sell, 1_000_000, 10));
    let outcome = chain.place(long, limit(listing.future, Side::Buy, 1_000_000, 10));
    assert!(outcome.result.is_ok());
    let (long_before, short_before) = (chain.usd(long), chain.usd(short));
    // 100,000 until the window opens at 50 s, 102,000 for its first half, 104,000 after.
    let mut settled = Vec::new();
    while chain.state.time_ms() < 60_000 {
        let next = chain.next_header().time_ms;
        let price = match next {
            t if t < 50_000 => "100000",
            t if t < 55_000 => "102000",
            _ => "104000",
        };
        let outcome = publish(&mut chain, price);
        settled.extend(outcome.end_block_events);
    }
    assert!(settled.contains(&Event::SettlementPriceSet { asset: BTC, expiry_ms: 60_000, price: dec("103000") }));
    // 10 lots of 0.0001 BTC: 0.001 BTC × 3,000 = 3 USD.
    assert_eq!(chain.usd(long), long_before.checked_add(dec("3")).unwrap());
    assert_eq!(chain.usd(short), short_before.checked_sub(dec("3")).unwrap());
    assert!(chain.state.subaccount(sub(long)).unwrap().positions.is_empty());
    let closing = settled.iter().find(|e| matches!(e, Event::MarketSettled { .. }));
    assert_eq!(closing, Some(&Event::MarketSettled { market: listing.future, price: dec("103000"), positions: 2 }));
    assert_eq!(chain.state.series(listing.future).unwrap().settlement_price, Some(dec("103000")));
    let late = chain.place(long, limit(listing.future, Side::Buy, 1_000_000, 10));
    rejected_with(&late, ErrorCode::MarketExpired);
}

#[test]
fn options_settle_at_their_intrinsic_value_and_value_is_conserved() {
    let (mut chain, listing) = listed();
    publish(&mut chain, "100000");
    let (long, short) = (trader(1), trader(2));
    chain.deposit(long, USD, "20000");
    // The short 95,000 call two minutes from expiry needs 27,500 per BTC: its +20% move.
    chain.deposit(short, USD, "60000");
    let ticks = premium_ticks(mark(&chain, listing.near_call));
    chain.place(short, limit(listing.near_call, Side::Sell, ticks, 100));
    let outcome = chain.place(long, limit(listing.near_call, Side::Buy, ticks, 100));
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    // A resting order is cancelled at expiry.
    chain.place(short, limit(listing.near_call, Side::Sell, ticks * 2, 5));
    let (long_before, short_before) = (chain.usd(long), chain.usd(short));
    let premium = Decimal::from_units(ticks as i128, dec("0.1")).unwrap();
    let mut events = Vec::new();
    while chain.state.time_ms() < NEAR {
        events.extend(publish(&mut chain, "100000").end_block_events);
    }
    // Settles at 100,000: the 95,000 call pays 5,000 per BTC; 1 BTC of calls held.
    let pnl = dec("5000").checked_sub(premium).unwrap();
    assert_eq!(chain.usd(long), long_before.checked_add(pnl).unwrap());
    assert_eq!(chain.usd(short), short_before.checked_sub(pnl).unwrap());
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::OrderCancelled { reason: novation_types::CancelReason::Expired, .. })));
    assert!(events.iter().any(|e| matches!(e, Event::PositionSettled { payoff, .. } if *payoff == dec("5000"))));
    chain.state.verify_conservation().unwrap();
    let expired = chain.place(long, OrderRequest::limit(0, listing.near_call, Side::Buy, ticks, 1));
    rejected_with(&expired, ErrorCode::MarketExpired);
}

#[test]
fn portfolio_margin_parameters_are_market_parameters() {
    let (chain, _) = listed();
    let params = chain.state.params().derivatives.portfolio;
    assert_eq!(params.spot_range, Ppm::new(200_000));
    assert!(params.extreme_move > params.spot_range);
}

#[test]
fn a_short_call_that_runs_out_of_margin_is_liquidated_like_any_position() {
    let (mut chain, listing) = listed();
    publish(&mut chain, "100000");
    let (buyer, seller) = (trader(1), trader(2));
    chain.deposit(buyer, USD, "20000");
    // Just above the short call's initial requirement (27,754 per BTC).
    chain.deposit(seller, USD, "28000");
    let ticks = premium_ticks(mark(&chain, listing.call));
    chain.place(seller, limit(listing.call, Side::Sell, ticks, 100));
    assert!(chain.place(buyer, limit(listing.call, Side::Buy, ticks, 100)).result.is_ok());
    let mut events = Vec::new();
    let mut price = 100_000u64;
    while price < 130_000 {
        price += 3_000;
        events.extend(publish(&mut chain, &price.to_string()).end_block_events);
    }
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::LiquidationStarted { subaccount, .. } if *subaccount == sub(seller))));
    let seller_account = chain.state.subaccount(sub(seller));
    assert!(seller_account.is_none_or(|s| s.size_lots(listing.call).is_zero()), "the short call was closed out");
    chain.state.verify_conservation().unwrap();
}

#[test]
fn a_series_schedule_keeps_new_expiries_listed_as_old_ones_settle() {
    let publishers: Vec<Address> = (1..=3).map(Address::from_index).collect();
    let mut genesis = Genesis::example(&publishers);
    genesis.derivatives.settlement_window_ms = 2_000;
    // Every 20 s, two expiries ahead, at least 5 s away: a future and 1 + 2 × 1 strikes.
    genesis.series_schedules.push(novation_protocol::params::SeriesSchedule {
        underlying: BTC,
        anchor_ms: 0,
        interval_ms: 20_000,
        expiries_ahead: 2,
        min_lead_ms: 5_000,
        future: true,
        strike_step: dec("5000"),
        strikes_each_side: 1,
        template: BTC_PERP,
        option_tick_size: dec("0.1"),
        option_lot_size: dec("0.01"),
    });
    let mut chain = Chain::with_genesis(genesis, publishers);
    // The first block (BTC at 100,000) listed 2 expiries × (future + 3 strikes × 2).
    let listed = chain.state.list_series();
    assert_eq!(listed.len(), 14);
    assert_eq!(listed.iter().filter_map(|s| s.kind.expiry_ms()).min(), Some(20_000));
    let strikes: std::collections::BTreeSet<String> = listed
        .iter()
        .filter_map(|s| match s.kind {
            novation_protocol::params::MarketKind::Option { strike, .. } => Some(strike.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(strikes.into_iter().collect::<Vec<_>>(), ["100000", "105000", "95000"]);
    let (long, short) = (trader(1), trader(2));
    chain.deposit(long, USD, "10000");
    chain.deposit(short, USD, "10000");
    let future = listed[0].market;
    chain.place(short, limit(future, Side::Sell, 1_000_000, 10));
    assert!(chain.place(long, limit(future, Side::Buy, 1_000_000, 10)).result.is_ok());
    let mut events = Vec::new();
    while chain.state.time_ms() < 45_000 {
        events.extend(chain.set_prices(&[(BTC, "100000")]).end_block_events);
    }
    assert!(events.iter().any(|e| matches!(e, Event::MarketSettled { market, .. } if *market == future)));
    let live: Vec<_> = chain.state.list_series().into_iter().filter(|s| s.settlement_price.is_none()).collect();
    assert_eq!(live.iter().filter_map(|s| s.kind.expiry_ms()).min(), Some(60_000), "two expiries ahead again");
    let new = events.iter().filter(|e| matches!(e, Event::SeriesListed { .. })).count();
    assert_eq!(new, 14, "one new expiry per 20 s");
    assert!(chain.state.subaccount(sub(long)).unwrap().positions.is_empty());
}
