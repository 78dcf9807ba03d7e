//! Portfolio margin: an opt-in mode in which each underlying's positions — perpetuals,
//! futures and options together — are revalued under the scenario grid (see `scenarios`),
//! and the worst loss is the initial requirement; maintenance is `portfolio.maintenance` of
//! it. Hedges therefore offset: a covered call loses little when the index falls or rises,
//! and a calendar spread's legs move together. Different underlyings do not offset each
//! other: their worst losses add up.
//!
//! Open orders add, per position, the larger of the standard initial requirements of all
//! its open bids and of all its open asks on their own. A position whose market has no
//! valid scenario values (no index, or no smile) is margined the standard way.

use novation_math::Decimal;
use novation_types::{AssetId, Lots, QuoteScaled, SignedLots};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::health::{standard_requirement, Health, OrderExposure, PPM};
use super::prices::RiskPrices;
use super::scenarios::SCENARIOS;
use crate::accounts::{Position, Subaccount};
use crate::params::MarketParams;

/// Each underlying's profit under every scenario, raw quote decimals.
type ScenarioPnl = SmallVec<[(AssetId, [i128; SCENARIOS]); 2]>;

/// One underlying's scenario results, for the margin breakdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioView {
    /// The underlying.
    pub underlying: AssetId,
    /// Profit of its positions in each scenario, in grid order (regular moves +1/3, −1/3,
    /// +2/3, −2/3, +1, −1, 0 of the range with volatility up, the same with volatility down,
    /// then the extreme up and down moves before their cover).
    pub scenario_pnl: Vec<Decimal>,
    /// The scenario with the worst cover-weighted loss (`None`: no scenario loses).
    pub worst_scenario: Option<usize>,
    /// That loss, weighted by its cover: the portfolio initial requirement of the underlying.
    pub requirement: Decimal,
}

/// Adds the portfolio requirements of `sub`'s positions to `health`.
pub(crate) fn add_portfolio_requirement(
    health: &mut Health,
    sub: &Subaccount,
    markets: &[MarketParams],
    prices: &RiskPrices,
    exposure: OrderExposure,
) -> Option<()> {
    for position in &sub.positions {
        let index = position.market.0 as usize;
        let (params, market) = (markets.get(index)?, prices.markets.get(index)?);
        if exposure == OrderExposure::WithOpenOrders {
            let initial = order_requirement(position, params, market)?;
            health.initial_scaled = health.initial_scaled.checked_add(QuoteScaled(initial))?;
        }
        if position.size_lots != SignedLots(0) && market.scenario_values.is_none() {
            let (initial, maintenance) = standard_requirement(position, params, market, OrderExposure::PositionsOnly)?;
            health.initial_scaled = health.initial_scaled.checked_add(QuoteScaled(initial.0))?;
            health.maintenance_scaled = health.maintenance_scaled.checked_add(QuoteScaled(maintenance.0))?;
        }
    }
    for (_, pnl) in &scenario_pnl(sub, markets, prices)? {
        let (worst, _) = worst_loss_scaled(pnl, &prices.scenario_covers)?;
        let maintenance = ceil_ppm(worst, prices.portfolio_maintenance.0 as i128)?;
        health.initial_scaled = health.initial_scaled.checked_add(QuoteScaled(worst))?;
        health.maintenance_scaled = health.maintenance_scaled.checked_add(QuoteScaled(maintenance))?;
    }
    Some(())
}

/// The scenario profits of `sub`'s positions that have scenario values, per underlying.
fn scenario_pnl(sub: &Subaccount, markets: &[MarketParams], prices: &RiskPrices) -> Option<ScenarioPnl> {
    let mut groups = ScenarioPnl::new();
    for position in &sub.positions {
        let index = position.market.0 as usize;
        let (params, market) = (markets.get(index)?, prices.markets.get(index)?);
        let (Some(values), true) = (market.scenario_values, position.size_lots != SignedLots(0)) else { continue };
        let slot = match groups.iter().position(|(asset, _)| *asset == params.base_asset) {
            Some(slot) => slot,
            None => {
                groups.push((params.base_asset, [0; SCENARIOS]));
                groups.len() - 1
            }
        };
        let size = i128::from(position.size_lots.0);
        for (pnl, value) in groups[slot].1.iter_mut().zip(values) {
            *pnl = pnl.checked_add(size.checked_mul(value.checked_sub(market.lot_value.0)?)?)?;
        }
    }
    Some(groups)
}

/// Per underlying, the scenario profits and the worst loss of `sub`'s positions.
pub(crate) fn portfolio_breakdown(
    sub: &Subaccount,
    markets: &[MarketParams],
    prices: &RiskPrices,
) -> Vec<ScenarioView> {
    let groups = scenario_pnl(sub, markets, prices).unwrap_or_default();
    groups
        .iter()
        .map(|(asset, pnl)| {
            let (worst, scenario) = worst_loss_scaled(pnl, &prices.scenario_covers).unwrap_or((i128::MAX, None));
            ScenarioView {
                underlying: *asset,
                scenario_pnl: pnl.iter().map(|v| Decimal::from_raw(*v)).collect(),
                worst_scenario: scenario,
                requirement: Decimal::from_raw(super::health::ceil_div_ppm(QuoteScaled(worst)).0),
            }
        })
        .collect()
}

/// The largest scenario loss, each weighted by its cover, scaled by 10^6 (zero if every
/// scenario gains), and the scenario it comes from.
pub(crate) fn worst_loss_scaled(
    pnl: &[i128; SCENARIOS],
    covers: &[novation_math::Ppm; SCENARIOS],
) -> Option<(i128, Option<usize>)> {
    let (mut worst, mut which) = (0i128, None);
    for (scenario, (profit, cover)) in pnl.iter().zip(covers).enumerate() {
        let loss = profit.checked_neg()?.checked_mul(cover.0 as i128)?;
        if loss > worst {
            (worst, which) = (loss, Some(scenario));
        }
    }
    Some((worst, which))
}

/// `value × fraction / 10^6`, rounded up (value ≥ 0).
fn ceil_ppm(value: i128, fraction: i128) -> Option<i128> {
    novation_math::div_i128(value.checked_mul(fraction)?, PPM, novation_math::Rounding::Ceil).ok()
}

/// The standard initial requirement of a position's open orders on their own: the larger of
/// all its bids and all its asks.
fn order_requirement(position: &Position, params: &MarketParams, market: &super::prices::MarketRisk) -> Option<i128> {
    if position.open_bid_lots == Lots(0) && position.open_ask_lots == Lots(0) {
        return Some(0);
    }
    let alone = |size: i64| Position {
        size_lots: SignedLots(size),
        open_bid_lots: Lots(0),
        open_ask_lots: Lots(0),
        ..*position
    };
    let bids = alone(i64::try_from(position.open_bid_lots.0).ok()?);
    let asks = alone(i64::try_from(position.open_ask_lots.0).ok()?.checked_neg()?);
    let (bid_initial, _) = standard_requirement(&bids, params, market, OrderExposure::PositionsOnly)?;
    let (ask_initial, _) = standard_requirement(&asks, params, market, OrderExposure::PositionsOnly)?;
    Some(bid_initial.max(ask_initial).0)
}
