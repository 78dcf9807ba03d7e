//! Portfolio margin: an opt-in mode in which each underlying's positions — perpetuals,
//! futures and options together — are revalued under the scenario grid (see `scenarios`).
//! Per underlying:
//!
//! ```text
//! scenario P&L  = Σ_expiry (w_e × V_e(s) if V_e(s) > 0 else V_e(s)) − V_e(mark)   options
//!               + Σ size × (value(s) − value(mark))                               perps, futures
//! scenario loss = max_s −P&L(s) × cover(s)
//! basis loss    = Σ_expiry max(0, −min(P&L_e(+basis), P&L_e(−basis))) × (1 + k × T_e)
//! maintenance   = max(scenario loss, basis loss) + naked shorts × c_o × S + linear contracts × c_l × S
//! initial       = maintenance × initial_factor
//! ```
//!
//! Hedges offset inside an expiry and across expiries in the grid, but the basis check
//! moves each expiry alone, so a calendar spread carries its basis risk; a short option is
//! covered only by a long at the same strike and expiry. Different underlyings do not offset:
//! their requirements add up. An underlying that holds only long options needs at most
//! their value initially and nothing for maintenance, as in standard margin: it cannot lose
//! more than it holds.
//!
//! Open orders add, per position, the larger of the standard initial requirements of all
//! its open bids and of all its open asks on their own. A position whose market has no
//! valid scenario values (no index, or no smile) is margined the standard way.

use novation_math::{Decimal, Ppm, Rounding};
use novation_types::{AssetId, Lots, QuoteScaled, SignedLots};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::health::{ceil_div_ppm, standard_requirement, Health, OrderExposure, PPM};
use super::naked::NakedShorts;
use super::prices::{MarketRisk, RiskPrices, UnderlyingRisk};
use super::scenarios::{BASIS_MOVES, SCENARIOS};
use crate::accounts::{Position, Subaccount};
use crate::params::{MarketKind, MarketParams};

/// One underlying's scenario results and contingencies, for the margin breakdown. Amounts
/// in quote, requirements rounded up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScenarioView {
    /// The underlying.
    pub underlying: AssetId,
    /// Each scenario, in grid order (index −20% … +20% in quarter steps with volatility up,
    /// the same with volatility down, then the extended up and down moves).
    pub scenarios: Vec<String>,
    /// Profit of its positions in each scenario (positive expiry values haircut).
    pub scenario_pnl: Vec<Decimal>,
    /// The scenario with the worst cover-weighted loss (`None`: no scenario loses).
    pub worst_scenario: Option<usize>,
    /// That loss, weighted by its cover.
    pub scenario_loss: Decimal,
    /// The per-expiry basis check's loss (each expiry moved alone, scaled by its expiry).
    pub basis_loss: Decimal,
    /// What binds: the worst scenario's label, `basis check`, or `none`.
    pub binding: String,
    /// Contingency for naked short options (per strike and expiry).
    pub naked_short_contingency: Decimal,
    /// Contingency for perpetual and future contracts.
    pub linear_contingency: Decimal,
    /// The underlying holds only long options: at most their value × the initial factor, no
    /// maintenance.
    pub long_options_only: bool,
    /// Maintenance requirement of the underlying: the binding loss plus the contingencies.
    pub maintenance_requirement: Decimal,
    /// Initial requirement of the underlying (positions only): maintenance × the initial factor.
    pub requirement: Decimal,
}

/// One expiry's option values under every scenario and its dated lots under the basis check.
#[derive(Clone, Copy)]
struct ExpiryBucket {
    underlying: AssetId,
    expiry_ms: u64,
    option_values: [i128; SCENARIOS],
    option_mark: i128,
    basis_values: [i128; BASIS_MOVES],
    basis_mark: i128,
    value_weight: Ppm,
    basis_factor: Ppm,
}

/// One underlying's accumulated values, raw quote decimals (`_scaled`: × 10^6).
#[derive(Clone, Copy)]
struct UnderlyingBucket {
    underlying: AssetId,
    /// Scenario P&L of perpetuals and futures, then of everything.
    pnl: [i128; SCENARIOS],
    linear_scaled: i128,
    long_option_value: i128,
    risky: bool,
}

/// One underlying's requirement and the figures behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UnderlyingMargin {
    pub(crate) underlying: AssetId,
    pub(crate) pnl: [i128; SCENARIOS],
    pub(crate) worst_scaled: i128,
    pub(crate) worst_scenario: Option<usize>,
    pub(crate) basis_scaled: i128,
    pub(crate) naked_scaled: i128,
    pub(crate) linear_scaled: i128,
    pub(crate) long_options_only: bool,
    pub(crate) maintenance_scaled: i128,
    pub(crate) initial_scaled: i128,
}

type Margins = SmallVec<[UnderlyingMargin; 2]>;

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
    for margin in &underlying_margins(sub, markets, prices)? {
        debug_assert!(margin.initial_scaled >= margin.maintenance_scaled && margin.maintenance_scaled >= 0);
        health.initial_scaled = health.initial_scaled.checked_add(QuoteScaled(margin.initial_scaled))?;
        health.maintenance_scaled = health.maintenance_scaled.checked_add(QuoteScaled(margin.maintenance_scaled))?;
    }
    Some(())
}

/// The portfolio requirement of every underlying `sub` holds positions with scenario values on.
pub(crate) fn underlying_margins(sub: &Subaccount, markets: &[MarketParams], prices: &RiskPrices) -> Option<Margins> {
    if sums_fit(sub, markets, prices) {
        margins::<false>(sub, markets, prices)
    } else {
        margins::<true>(sub, markets, prices)
    }
}

/// Whether the dated positions' sizes × lot values sum below 2^126 in magnitude (by the
/// tables' value bounds), so that no product or sum of them can overflow.
fn sums_fit(sub: &Subaccount, markets: &[MarketParams], prices: &RiskPrices) -> bool {
    const LIMIT: u128 = 1 << 126;
    let mut bound = 0u128;
    for position in &sub.positions {
        let index = position.market.0 as usize;
        let (Some(params), Some(market)) = (markets.get(index), prices.markets.get(index)) else { return false };
        if params.kind.expiry_ms().is_none() || market.scenario_values.is_none() {
            continue;
        }
        let size = u128::from(position.size_lots.0.unsigned_abs());
        if (u128::BITS - size.leading_zeros()) + market.value_bits > 126 {
            return false;
        }
        bound += size << market.value_bits;
        if bound > LIMIT {
            return false;
        }
    }
    true
}

/// [`underlying_margins`]; `CHECKED`: with every sum of dated lot values checked for
/// overflow (else the caller knows none can overflow).
fn margins<const CHECKED: bool>(sub: &Subaccount, markets: &[MarketParams], prices: &RiskPrices) -> Option<Margins> {
    let mut underlyings: SmallVec<[UnderlyingBucket; 2]> = SmallVec::new();
    let mut expiries: SmallVec<[ExpiryBucket; 8]> = SmallVec::new();
    let mut naked = NakedShorts::default();
    for position in &sub.positions {
        let index = position.market.0 as usize;
        let (params, market) = (markets.get(index)?, prices.markets.get(index)?);
        let (Some(values), true) = (market.scenario_values.as_ref(), position.size_lots != SignedLots(0)) else {
            continue;
        };
        let rules = prices.portfolio.get(params.base_asset.0 as usize)?;
        let size = i128::from(position.size_lots.0);
        let slot = match underlyings.iter().position(|u| u.underlying == params.base_asset) {
            Some(slot) => slot,
            None => {
                underlyings.push(UnderlyingBucket {
                    underlying: params.base_asset,
                    pnl: [0; SCENARIOS],
                    linear_scaled: 0,
                    long_option_value: 0,
                    risky: false,
                });
                underlyings.len() - 1
            }
        };
        let underlying = &mut underlyings[slot];
        if let Some(expiry_ms) = params.kind.expiry_ms() {
            let mark =
                if CHECKED { size.checked_mul(market.lot_value.0)? } else { size.wrapping_mul(market.lot_value.0) };
            let bucket = expiry_bucket(&mut expiries, params.base_asset, expiry_ms, market);
            add_values::<CHECKED, BASIS_MOVES>(&mut bucket.basis_values, &market.basis_values, size)?;
            bucket.basis_mark = add::<CHECKED>(bucket.basis_mark, mark)?;
            if let MarketKind::Option { strike, .. } = params.kind {
                add_values::<CHECKED, SCENARIOS>(&mut bucket.option_values, values, size)?;
                bucket.option_mark = add::<CHECKED>(bucket.option_mark, mark)?;
                naked.add(params.base_asset, expiry_ms, strike, size.checked_mul(market.index_lot_value)?)?;
                if size > 0 {
                    underlying.long_option_value = add::<CHECKED>(underlying.long_option_value, mark)?;
                } else {
                    underlying.risky = true;
                }
                continue;
            }
        }
        // A perpetual or future: its scenario P&L, and its contingency.
        underlying.risky = true;
        for (pnl, value) in underlying.pnl.iter_mut().zip(values) {
            *pnl = pnl.checked_add(size.checked_mul(value.checked_sub(market.lot_value.0)?)?)?;
        }
        let charge =
            size.checked_abs()?.checked_mul(market.index_lot_value)?.checked_mul(rules.linear_charge.0.into())?;
        underlying.linear_scaled = underlying.linear_scaled.checked_add(charge)?;
    }
    let naked_values = naked.naked_values()?;
    let mut margins = Margins::new();
    for underlying in &mut underlyings {
        let rules = prices.portfolio.get(underlying.underlying.0 as usize)?;
        let mut basis_scaled = 0i128;
        for bucket in expiries.iter().filter(|b| b.underlying == underlying.underlying) {
            for (pnl, value) in underlying.pnl.iter_mut().zip(bucket.option_values) {
                *pnl = pnl.checked_add(weighted(value, bucket.value_weight)?.checked_sub(bucket.option_mark)?)?;
            }
            basis_scaled = basis_scaled.checked_add(basis_loss_scaled(bucket)?)?;
        }
        let naked_value: i128 =
            naked_values.iter().filter(|(asset, _)| *asset == underlying.underlying).map(|(_, value)| value).sum();
        let naked_scaled = naked_value.checked_mul(rules.naked_short_charge.0.into())?;
        margins.push(requirement(underlying, rules, basis_scaled, naked_scaled)?);
    }
    Some(margins)
}

/// The expiry's bucket, added if new.
#[inline]
fn expiry_bucket<'a>(
    expiries: &'a mut SmallVec<[ExpiryBucket; 8]>,
    underlying: AssetId,
    expiry_ms: u64,
    market: &MarketRisk,
) -> &'a mut ExpiryBucket {
    // From the last: positions come in market order, which lists an expiry's series together.
    let slot = match expiries.iter().rposition(|b| b.underlying == underlying && b.expiry_ms == expiry_ms) {
        Some(slot) => slot,
        None => {
            expiries.push(ExpiryBucket {
                underlying,
                expiry_ms,
                option_values: [0; SCENARIOS],
                option_mark: 0,
                basis_values: [0; BASIS_MOVES],
                basis_mark: 0,
                value_weight: market.value_weight,
                basis_factor: market.basis_factor,
            });
            expiries.len() - 1
        }
    };
    &mut expiries[slot]
}

/// Adds `size` × each value to its sum (`CHECKED`: `None` on overflow; else none can).
#[inline]
fn add_values<const CHECKED: bool, const N: usize>(sums: &mut [i128; N], values: &[i128; N], size: i128) -> Option<()> {
    if CHECKED {
        for (sum, value) in sums.iter_mut().zip(values) {
            *sum = sum.checked_add(size.checked_mul(*value)?)?;
        }
    } else {
        for (sum, value) in sums.iter_mut().zip(values) {
            *sum = sum.wrapping_add(size.wrapping_mul(*value));
        }
    }
    Some(())
}

/// `a + b` (`CHECKED`: `None` on overflow; else it cannot overflow).
#[inline]
fn add<const CHECKED: bool>(a: i128, b: i128) -> Option<i128> {
    if CHECKED {
        a.checked_add(b)
    } else {
        Some(a.wrapping_add(b))
    }
}

/// A positive expiry value counts at its weight (rounded down); a negative one in full.
fn weighted(value: i128, weight: Ppm) -> Option<i128> {
    if value > 0 {
        weight.apply(value, Rounding::Floor).ok()
    } else {
        Some(value)
    }
}

/// The basis check's loss of one expiry, × its scale (so already × 10^6).
fn basis_loss_scaled(bucket: &ExpiryBucket) -> Option<i128> {
    let mut loss = 0i128;
    for value in bucket.basis_values {
        loss = loss.max(bucket.basis_mark.checked_sub(value)?);
    }
    loss.checked_mul(bucket.basis_factor.0.into())
}

/// The largest scenario loss, each weighted by its cover, scaled by 10^6 (zero if every
/// scenario gains), and the scenario it comes from.
pub(crate) fn worst_loss_scaled(pnl: &[i128; SCENARIOS], covers: &[Ppm; SCENARIOS]) -> Option<(i128, Option<usize>)> {
    let (mut worst, mut which) = (0i128, None);
    for (scenario, (profit, cover)) in pnl.iter().zip(covers).enumerate() {
        let loss = profit.checked_neg()?.checked_mul(cover.0 as i128)?;
        if loss > worst {
            (worst, which) = (loss, Some(scenario));
        }
    }
    Some((worst, which))
}

/// maintenance = max(scenario loss, basis loss) + contingencies; initial = × the factor.
fn requirement(
    underlying: &UnderlyingBucket,
    rules: &UnderlyingRisk,
    basis_scaled: i128,
    naked_scaled: i128,
) -> Option<UnderlyingMargin> {
    let (worst_scaled, worst_scenario) = worst_loss_scaled(&underlying.pnl, &rules.covers)?;
    let maintenance =
        worst_scaled.max(basis_scaled).checked_add(naked_scaled)?.checked_add(underlying.linear_scaled)?;
    let initial = ceil_ppm(maintenance, rules.initial_factor.0.into())?;
    let long_options_only = !underlying.risky;
    let (maintenance_scaled, initial_scaled) = if long_options_only {
        // A long option loses at most its value: the initial factor applies to that bound.
        let value_scaled = underlying.long_option_value.checked_mul(i128::from(rules.initial_factor.0))?;
        (0, initial.min(value_scaled))
    } else {
        (maintenance, initial)
    };
    Some(UnderlyingMargin {
        underlying: underlying.underlying,
        pnl: underlying.pnl,
        worst_scaled,
        worst_scenario,
        basis_scaled,
        naked_scaled,
        linear_scaled: underlying.linear_scaled,
        long_options_only,
        maintenance_scaled,
        initial_scaled,
    })
}

/// The portfolio (initial, maintenance) requirement of one short lot of an option on its
/// own, raw quote rounded up: standard margin never asks less of a short option.
pub(crate) fn single_short_lot(market: &MarketRisk, rules: &UnderlyingRisk) -> Option<(i128, i128)> {
    let values = market.scenario_values?;
    let lot = market.lot_value.0;
    let pnl: [i128; SCENARIOS] = std::array::from_fn(|s| lot.saturating_sub(values[s]));
    let (worst_scaled, _) = worst_loss_scaled(&pnl, &rules.covers)?;
    let basis = market.basis_values.iter().map(|v| v.saturating_sub(lot)).max().unwrap_or(0).max(0);
    let basis_scaled = basis.checked_mul(market.basis_factor.0.into())?;
    let naked_scaled = market.index_lot_value.checked_mul(rules.naked_short_charge.0.into())?;
    let maintenance = worst_scaled.max(basis_scaled).checked_add(naked_scaled)?;
    let initial = ceil_ppm(maintenance, rules.initial_factor.0.into())?;
    Some((ceil_div_ppm(QuoteScaled(initial)).0, ceil_div_ppm(QuoteScaled(maintenance)).0))
}

/// Per underlying, the scenario profits, contingencies and requirements of `sub`'s positions.
pub(crate) fn portfolio_breakdown(
    sub: &Subaccount,
    markets: &[MarketParams],
    prices: &RiskPrices,
) -> Vec<ScenarioView> {
    let margins = underlying_margins(sub, markets, prices).unwrap_or_default();
    let amount = |scaled: i128| Decimal::from_raw(ceil_div_ppm(QuoteScaled(scaled)).0);
    margins
        .iter()
        .map(|m| {
            let grid =
                prices.portfolio.get(m.underlying.0 as usize).map(|rules| rules.grid.to_vec()).unwrap_or_default();
            let binding = match (m.worst_scenario, m.basis_scaled > m.worst_scaled) {
                (_, true) => "basis check".to_string(),
                (Some(scenario), false) => grid.get(scenario).map_or_else(String::new, |s| s.label()),
                (None, false) => "none".to_string(),
            };
            ScenarioView {
                underlying: m.underlying,
                scenarios: grid.iter().map(|s| s.label()).collect(),
                scenario_pnl: m.pnl.iter().map(|v| Decimal::from_raw(*v)).collect(),
                worst_scenario: m.worst_scenario,
                scenario_loss: amount(m.worst_scaled),
                basis_loss: amount(m.basis_scaled),
                binding,
                naked_short_contingency: amount(m.naked_scaled),
                linear_contingency: amount(m.linear_scaled),
                long_options_only: m.long_options_only,
                maintenance_requirement: amount(m.maintenance_scaled),
                requirement: amount(m.initial_scaled),
            }
        })
        .collect()
}

/// `value × fraction / 10^6`, rounded up (value ≥ 0).
fn ceil_ppm(value: i128, fraction: i128) -> Option<i128> {
    novation_math::div_i128(value.checked_mul(fraction)?, PPM, Rounding::Ceil).ok()
}

/// The standard initial requirement of a position's open orders on their own: the larger of
/// all its bids and all its asks.
fn order_requirement(position: &Position, params: &MarketParams, market: &MarketRisk) -> Option<i128> {
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

#[cfg(test)]
mod tests {
    use novation_types::{MarginMode, MarketId};
    use proptest::prelude::*;

    use super::*;
    use crate::risk::coverage_tests::{chain, holding};

    /// The naked index value per underlying the plain way: every strike's shorts and longs
    /// summed over all positions.
    fn naked_reference(sub: &Subaccount, markets: &[MarketParams], prices: &RiskPrices) -> i128 {
        let mut strikes: Vec<((u64, Decimal), i128, i128)> = Vec::new();
        for position in &sub.positions {
            let (params, market) = (&markets[position.market.0 as usize], &prices.markets[position.market.0 as usize]);
            let MarketKind::Option { expiry_ms, strike, .. } = params.kind else { continue };
            let value = i128::from(position.size_lots.0) * market.index_lot_value;
            let at = match strikes.iter().position(|(key, _, _)| *key == (expiry_ms, strike)) {
                Some(at) => at,
                None => {
                    strikes.push(((expiry_ms, strike), 0, 0));
                    strikes.len() - 1
                }
            };
            if value < 0 {
                strikes[at].1 -= value;
            } else {
                strikes[at].2 += value;
            }
        }
        strikes.iter().map(|(_, shorts, longs)| (shorts - longs).max(0)).sum()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Summing without overflow checks when the value bounds allow it gives exactly the
        /// checked sums, and the naked contingency nets every strike over all positions, in
        /// any position order.
        #[test]
        fn the_unchecked_sums_equal_the_checked_ones(
            legs in proptest::collection::vec((0usize..33, -3_000i64..=3_000), 1..=33),
            huge in proptest::option::of(0usize..33),
        ) {
            let (state, markets) = chain();
            let mut legs: Vec<(MarketId, i64)> = legs.iter().map(|&(m, lots)| (markets[m], lots)).collect();
            if let Some(m) = huge {
                legs.insert(0, (markets[m], 100_000_000_000_000_000));
            }
            let sub = holding(&state, &legs, MarginMode::Portfolio);
            let (params, prices) = (&state.params.markets[..], &state.risk);
            let checked = margins::<true>(&sub, params, prices);
            prop_assert_eq!(&underlying_margins(&sub, params, prices), &checked);
            if huge.is_none() {
                prop_assert!(sums_fit(&sub, params, prices));
                let margin = margins::<false>(&sub, params, prices);
                prop_assert_eq!(&margin, &checked);
                let naked = naked_reference(&sub, params, prices);
                let charge = prices.portfolio[BTC_ASSET].naked_short_charge.0;
                prop_assert_eq!(checked.unwrap().iter().map(|m| m.naked_scaled).sum::<i128>(), naked * i128::from(charge));
            }
        }
    }

    const BTC_ASSET: usize = crate::presets::BTC.0 as usize;
}
