//! Properties of option margin against a stress grid that is finer and wider than the
//! margin scenarios: every index move from −20% to +20% in 1% steps crossed with every
//! volatility multiple 0.5, 0.6, …, 2.0 applied to all expiries at once, plus the ±40%
//! extended moves at unchanged volatility whose loss counts at `extreme_cover` (33%).
//! Values are Black-76 with the chain's own integer pricer, without any haircut.
//!
//! - Coverage: for random portfolios (up to 10 legs across three expiries, five strikes,
//!   calls, puts, the perpetual and two futures), portfolio initial margin ≥ the worst stress
//!   loss and maintenance ≥ 80% of it (1 / the initial factor), except for long options
//!   alone, whose maintenance is zero as in standard margin.
//! - Standard never looser: for a random single option leg, the standard requirements are at
//!   least the portfolio requirements, and a short option's standard initial requirement
//!   covers its worst stress loss.

use novation_math::{Decimal, Rounding, SviParams};
use novation_types::{action, Action, Address, MarginMode, MarketId, SignedLots, Transaction};
use proptest::prelude::*;

use super::{compute_health, Health, OrderExposure};
use crate::accounts::{Position, Subaccount};
use crate::params::{Genesis, MarketKind, OptionRight};
use crate::presets::{BTC, BTC_PERP};
use crate::{Block, BlockHeader, State};

const DAY_MS: u64 = 86_400_000;
const EXPIRIES_DAYS: [u64; 3] = [3, 30, 90];
const STRIKES: [i64; 5] = [80_000, 90_000, 100_000, 110_000, 120_000];

/// A chain at BTC 100,000 with flat 60% smiles, the perpetual, futures at 30 and 90 days
/// and calls and puts at five strikes for three expiries.
pub(super) fn chain() -> (State, Vec<MarketId>) {
    let publishers: Vec<Address> = (1..=3).map(Address::from_index).collect();
    let mut genesis = Genesis::example(&publishers);
    let mut markets = vec![BTC_PERP, genesis.list_future(BTC, 30 * DAY_MS), genesis.list_future(BTC, 90 * DAY_MS)];
    for days in EXPIRIES_DAYS {
        for strike in STRIKES {
            for right in [OptionRight::Call, OptionRight::Put] {
                markets.push(genesis.list_option(BTC, days * DAY_MS, Decimal::from_int(strike), right));
            }
        }
    }
    let mut state = State::new(genesis).expect("valid genesis");
    let time_ms = 1_000;
    let transactions = publishers
        .iter()
        .map(|publisher| {
            let mut actions = vec![Action::PriceReport(action::PriceReport {
                asset: BTC,
                price: Decimal::from_int(100_000),
                confidence: Decimal::ZERO,
                publish_time_ms: time_ms,
            })];
            for days in EXPIRIES_DAYS {
                let expiry_ms = days * DAY_MS;
                let years = Decimal::from_int((expiry_ms - time_ms) as i64)
                    .div_int(365 * DAY_MS as i128, Rounding::HalfEven)
                    .unwrap();
                let a = Decimal::from_raw(360_000_000_000_000_000).mul(years, Rounding::HalfEven).unwrap();
                let svi = SviParams { a, b: Decimal::ZERO, rho: Decimal::ZERO, m: Decimal::ZERO, sigma: Decimal::ONE };
                actions.push(Action::VolSurfaceReport(action::VolSurfaceReport {
                    asset: BTC,
                    expiry_ms,
                    svi,
                    publish_time_ms: time_ms,
                }));
            }
            Transaction::new(*publisher, 0, actions)
        })
        .collect();
    let block = Block { header: BlockHeader { height: 1, time_ms }, transactions, prices: Vec::new() };
    state.apply_block(&block).expect("block applies");
    (state, markets)
}

/// A subaccount holding `legs` (market, lots) bought or sold at mark.
pub(super) fn holding(state: &State, legs: &[(MarketId, i64)], mode: MarginMode) -> Subaccount {
    let mut sub = Subaccount { margin_mode: mode, ..Subaccount::default() };
    for &(market, lots) in legs {
        if lots == 0 || sub.positions.iter().any(|p| p.market == market) {
            continue;
        }
        let lot_value = state.risk.markets[market.0 as usize].lot_value.0;
        let cost = Decimal::from_raw(i128::from(lots) * lot_value);
        sub.positions.push(Position { size_lots: SignedLots(lots), cost, ..Position::empty(market) });
    }
    sub
}

fn health(state: &State, sub: &Subaccount) -> Health {
    compute_health(sub, &state.params.markets, &state.risk, OrderExposure::PositionsOnly).expect("health")
}

/// The value of one lot of `market` with the index moved by `spot_bp` basis points and its
/// volatility × `vol_tenths` / 10, raw quote.
fn stressed_lot_value(state: &State, market: MarketId, spot_bp: i64, vol_tenths: i64) -> i128 {
    let params = &state.params.markets[market.0 as usize];
    let lot_value = state.risk.markets[market.0 as usize].lot_value.0;
    let moved =
        |value: Decimal| value.mul_int(10_000 + i128::from(spot_bp)).unwrap().div_int(10_000, Rounding::Floor).unwrap();
    let MarketKind::Option { .. } = params.kind else {
        return moved(Decimal::from_raw(lot_value)).raw();
    };
    let option = crate::derivatives::option_inputs(state, market).expect("option inputs");
    let inputs = option.inputs;
    let vol = inputs.vol.mul_int(i128::from(vol_tenths)).unwrap().div_int(10, Rounding::HalfEven).unwrap();
    let pricer = novation_math::SeriesPricer::new(option.kind, inputs.strike, inputs.time_years, inputs.rate).unwrap();
    let price = pricer.price(moved(inputs.forward), vol).unwrap();
    price.mul(params.lot_size, Rounding::Floor).unwrap().raw()
}

/// The worst loss of `sub`'s positions over the stress grid, raw quote.
fn worst_stress_loss(state: &State, sub: &Subaccount) -> i128 {
    let cover = i128::from(state.params.derivatives.portfolio.extreme_cover.0);
    let loss = |spot_bp: i64, vol_tenths: i64| -> i128 {
        let pnl: i128 = sub
            .positions
            .iter()
            .map(|p| {
                let now = state.risk.markets[p.market.0 as usize].lot_value.0;
                i128::from(p.size_lots.0) * (stressed_lot_value(state, p.market, spot_bp, vol_tenths) - now)
            })
            .sum();
        -pnl
    };
    let mut worst = 0i128;
    for spot_bp in (-2_000..=2_000).step_by(100) {
        for vol_tenths in 5..=20 {
            worst = worst.max(loss(spot_bp, vol_tenths));
        }
    }
    for spot_bp in [-4_000, 4_000] {
        worst = worst.max(loss(spot_bp, 10) * cover / 1_000_000);
    }
    worst
}

fn leg(markets: usize) -> impl Strategy<Value = (usize, i64)> {
    (0..markets, -300i64..=300)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn portfolio_margin_covers_the_worst_stress_loss(legs in proptest::collection::vec(leg(33), 1..=10)) {
        let (state, markets) = chain();
        // Perpetual and futures lots are 0.0001 BTC, option lots 0.01: scale to similar sizes.
        let legs: Vec<(MarketId, i64)> =
            legs.iter().map(|&(m, lots)| (markets[m], if m < 3 { lots * 100 } else { lots })).collect();
        let sub = holding(&state, &legs, MarginMode::Portfolio);
        let health = health(&state, &sub);
        let stress = worst_stress_loss(&state, &sub);
        let initial = health.initial_requirement().0;
        let maintenance = health.maintenance_requirement().0;
        prop_assert!(initial >= stress, "IM {} < stress loss {} for {:?}", initial, stress, legs);
        // Long options alone need no maintenance (as in standard margin): they cannot lose
        // more than their value, which equity already counts.
        let long_options_only = sub
            .positions
            .iter()
            .all(|p| p.size_lots.0 > 0 && state.params.markets[p.market.0 as usize].kind.is_option());
        prop_assert!(
            long_options_only || maintenance * 5 >= stress * 4,
            "MM {} < 80% of stress loss {} for {:?}", maintenance, stress, legs
        );
    }

    #[test]
    fn standard_margin_is_never_looser_than_portfolio_margin_for_one_option(
        market in 3usize..33,
        lots in (-500i64..=500).prop_filter("a position", |l| *l != 0),
    ) {
        let (state, markets) = chain();
        let legs = [(markets[market], lots)];
        let standard = health(&state, &holding(&state, &legs, MarginMode::Standard));
        let portfolio = health(&state, &holding(&state, &legs, MarginMode::Portfolio));
        prop_assert!(standard.initial_scaled >= portfolio.initial_scaled, "{:?}", legs);
        prop_assert!(standard.maintenance_scaled >= portfolio.maintenance_scaled, "{:?}", legs);
        if lots < 0 {
            let stress = worst_stress_loss(&state, &holding(&state, &legs, MarginMode::Standard));
            prop_assert!(standard.initial_requirement().0 >= stress, "{:?}", legs);
        }
    }
}
