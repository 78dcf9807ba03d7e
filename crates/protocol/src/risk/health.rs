//! Health of one subaccount: weighted collateral, unrealised PnL and its three named
//! requirements, all computed here and nowhere else:
//!
//! - **initial**: what adding risk needs (initial weights, initial fractions);
//! - **liquidation-end**: what a partial liquidation restores — maintenance × (1 + buffer),
//!   never above initial;
//! - **maintenance**: below it the subaccount is liquidated.
//!
//! Invariant (tested, and asserted in debug builds): requirement initial ≥ liquidation-end ≥
//! maintenance, and weighted initial collateral ≤ weighted maintenance collateral, so health
//! initial ≤ health liquidation-end ≤ health maintenance: an account that meets initial
//! margin meets the liquidation-end target, and one that meets that is not liquidated.

use novation_math::Ppm;
use novation_types::{ErrorCode, QuoteRaw, QuoteScaled};

use super::prices::{MarketRisk, RiskPrices};
use crate::accounts::{Position, Subaccount};
use crate::params::MarketParams;

/// Whether open orders count toward the requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderExposure {
    /// Positions only (fills, maintenance, withdrawals of a flat book).
    PositionsOnly,
    /// Positions as if every open order on its worse side filled (placing orders, withdrawals).
    WithOpenOrders,
}

/// Health of a subaccount in raw quote decimals (10^-18 of the quote currency).
/// Requirements are scaled by 10^6 so comparisons are exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// Unweighted value of all balances.
    pub collateral: QuoteRaw,
    /// Balances weighted for initial margin.
    pub collateral_initial: QuoteRaw,
    /// Balances weighted for maintenance margin.
    pub collateral_maintenance: QuoteRaw,
    /// Unrealised PnL of all positions at mark.
    pub unrealized_pnl: QuoteRaw,
    /// Sum of |position| × mark value.
    pub notional: QuoteRaw,
    /// Unrealised profit of the positions in profit (losses not netted).
    pub unrealized_profit: QuoteRaw,
    /// The part of unrealised PnL initial margin does not count: profit beyond its market's
    /// (shrinking) weight, and what valuing each position at the worse of mark and stable
    /// price takes away.
    pub initial_pnl_excluded: QuoteRaw,
    /// Initial requirement × 10^6.
    pub initial_scaled: QuoteScaled,
    /// Maintenance requirement × 10^6.
    pub maintenance_scaled: QuoteScaled,
    /// The liquidation buffer: the liquidation-end target's margin above maintenance.
    pub liquidation_buffer: Ppm,
}

/// Requirements are kept scaled by this (parts per million).
pub(crate) const PPM: i128 = Ppm::SCALE;

impl Health {
    /// Collateral plus unrealised PnL.
    pub fn equity(&self) -> QuoteRaw {
        self.collateral.saturating_add(self.unrealized_pnl)
    }

    /// Weighted collateral plus unrealised PnL, for initial margin: each position valued at
    /// the worse of mark and stable price, profit counted only at its market's weight.
    pub fn equity_initial(&self) -> QuoteRaw {
        self.collateral_initial.saturating_add(self.unrealized_pnl).saturating_sub(self.initial_pnl_excluded)
    }

    /// Initial equity without any unrealised profit (and losses at the worse of mark and
    /// stable price): what backs moving collateral out.
    pub fn equity_without_profit(&self) -> QuoteRaw {
        let without_profit =
            self.collateral_initial.saturating_add(self.unrealized_pnl).saturating_sub(self.unrealized_profit);
        without_profit.min(self.equity_initial())
    }

    /// Initial margin holds with no unrealised profit counted: the test for withdrawals
    /// and transfers, so profit leaves the chain only once realised.
    pub fn meets_initial_without_profit(&self) -> bool {
        self.meets_initial_without_profit_less(QuoteRaw(0))
    }

    /// [`Health::meets_initial_without_profit`] with `held_back` (realised profit not yet
    /// vested) also kept out of the equity.
    pub fn meets_initial_without_profit_less(&self, held_back: QuoteRaw) -> bool {
        scale(self.equity_without_profit().saturating_sub(held_back)) >= self.initial_scaled
    }

    /// Weighted collateral plus unrealised PnL, for maintenance margin.
    pub fn equity_maintenance(&self) -> QuoteRaw {
        self.collateral_maintenance.saturating_add(self.unrealized_pnl)
    }

    /// Initial margin holds.
    pub fn meets_initial(&self) -> bool {
        scale(self.equity_initial()) >= self.initial_scaled
    }

    /// Maintenance-weighted equity minus the maintenance requirement, × 10^6: below zero the
    /// subaccount is liquidatable.
    pub fn maintenance_health_scaled(&self) -> QuoteScaled {
        scale(self.equity_maintenance()).saturating_sub(self.maintenance_scaled)
    }

    /// Equity is below maintenance margin: the liquidation line.
    pub fn below_maintenance(&self) -> bool {
        scale(self.equity_maintenance()) < self.maintenance_scaled
    }

    /// Liquidation-end requirement × 10^6, what partial liquidation restores:
    /// maintenance × (1 + buffer), capped at the initial requirement and never below
    /// maintenance. (Computed on demand: only liquidation needs it.)
    pub fn liquidation_end_scaled(&self) -> QuoteScaled {
        let buffered = Ppm::new(Ppm::ONE.0.saturating_add(self.liquidation_buffer.0))
            .apply(self.maintenance_scaled.0, novation_math::Rounding::Ceil)
            .unwrap_or(i128::MAX);
        let end = QuoteScaled(buffered).min(self.initial_scaled).max(self.maintenance_scaled);
        debug_assert!(end >= self.maintenance_scaled);
        debug_assert!(self.initial_scaled < self.maintenance_scaled || end <= self.initial_scaled);
        end
    }

    /// The liquidation-end target holds: partial liquidation may stop.
    pub fn meets_liquidation_end(&self) -> bool {
        scale(self.equity_maintenance()) >= self.liquidation_end_scaled()
    }

    /// How far (× 10^6) maintenance-weighted equity is below the liquidation-end target
    /// (0 when it is met).
    pub fn liquidation_end_deficit_scaled(&self) -> QuoteScaled {
        self.liquidation_end_scaled().saturating_sub(scale(self.equity_maintenance())).max(QuoteScaled::ZERO)
    }

    /// Initial requirement, rounded up.
    pub fn initial_requirement(&self) -> QuoteRaw {
        ceil_div_ppm(self.initial_scaled)
    }

    /// Maintenance requirement, rounded up.
    pub fn maintenance_requirement(&self) -> QuoteRaw {
        ceil_div_ppm(self.maintenance_scaled)
    }
}

/// A quote amount scaled by 10^6 (saturating), to compare with requirements.
pub(crate) fn scale(amount: QuoteRaw) -> QuoteScaled {
    QuoteScaled(amount.0.saturating_mul(PPM))
}

/// A requirement scaled by 10^6 as a quote amount, rounded up (requirements favour the
/// protocol).
pub(crate) fn ceil_div_ppm(scaled: QuoteScaled) -> QuoteRaw {
    QuoteRaw(novation_math::div_i128(scaled.0, PPM, novation_math::Rounding::Ceil).unwrap_or(i128::MAX))
}

/// Equity alone (collateral at unit value plus unrealised PnL at mark), exactly
/// `compute_health(..).equity()` without the requirements: what ranking many holders needs.
pub(crate) fn compute_equity(sub: &Subaccount, prices: &RiskPrices) -> Option<i128> {
    equity_at(sub, prices, |market| market.lot_value)
}

/// Equity with every perpetual and future valued at its stable price instead of the mark:
/// what the subaccount would be worth had prices moved only as fast as the stable price.
pub(crate) fn compute_equity_at_stable(sub: &Subaccount, prices: &RiskPrices) -> Option<i128> {
    equity_at(sub, prices, |market| market.stable_lot_value)
}

fn equity_at(sub: &Subaccount, prices: &RiskPrices, lot_value: impl Fn(&MarketRisk) -> QuoteRaw) -> Option<i128> {
    let (mut collateral, mut pnl) = (0i128, 0i128);
    for &(asset, units) in &sub.balances {
        let risk = prices.assets.get(asset.0 as usize)?;
        collateral = collateral.checked_add(risk.unit_value.times_units(units)?.0)?;
    }
    for position in &sub.positions {
        let market = prices.markets.get(position.market.0 as usize)?;
        let value = lot_value(market).times_lots(position.size_lots)?.0;
        let owed = crate::markets::funding::funding_owed(position, market.funding_index)?;
        pnl = pnl.checked_add(value.checked_sub(position.cost.raw())?.checked_sub(owed)?)?;
    }
    Some(collateral.saturating_add(pnl))
}

/// Computes the health of `sub` at this block's prices.
pub(crate) fn compute_health(
    sub: &Subaccount,
    markets: &[MarketParams],
    prices: &RiskPrices,
    exposure: OrderExposure,
) -> Result<Health, ErrorCode> {
    let overflow = || ErrorCode::ArithmeticOverflow;
    let mut health = Health::default();
    for &(asset, units) in &sub.balances {
        let risk = prices.assets.get(asset.0 as usize).ok_or(ErrorCode::UnknownAsset)?;
        let (initial, maintenance) = if units.is_negative() {
            (risk.liability_initial, risk.liability_maintenance)
        } else {
            (risk.asset_initial, risk.asset_maintenance)
        };
        let value = risk.unit_value.times_units(units).ok_or_else(overflow)?;
        health.collateral = health.collateral.checked_add(value).ok_or_else(overflow)?;
        let weighted_initial = initial.times_units(units).ok_or_else(overflow)?;
        health.collateral_initial = health.collateral_initial.checked_add(weighted_initial).ok_or_else(overflow)?;
        let weighted_maintenance = maintenance.times_units(units).ok_or_else(overflow)?;
        health.collateral_maintenance =
            health.collateral_maintenance.checked_add(weighted_maintenance).ok_or_else(overflow)?;
    }
    let portfolio = sub.margin_mode == novation_types::MarginMode::Portfolio;
    for position in &sub.positions {
        add_position(&mut health, position, markets, prices, exposure, !portfolio).ok_or_else(overflow)?;
    }
    if portfolio {
        super::portfolio::add_portfolio_requirement(&mut health, sub, markets, prices, exposure)
            .ok_or_else(overflow)?;
    }
    health.liquidation_buffer = prices.liquidation_buffer;
    Ok(health)
}

fn add_position(
    health: &mut Health,
    position: &Position,
    markets: &[MarketParams],
    prices: &RiskPrices,
    exposure: OrderExposure,
    with_requirement: bool,
) -> Option<()> {
    let index = position.market.0 as usize;
    let params = markets.get(index)?;
    let market = prices.markets.get(index)?;
    let value = market.lot_value.times_lots(position.size_lots)?.0;
    let owed = crate::markets::funding::funding_owed(position, market.funding_index)?;
    let pnl = value.checked_sub(position.cost.raw())?.checked_sub(owed)?;
    health.unrealized_pnl = health.unrealized_pnl.checked_add(QuoteRaw(pnl))?;
    if pnl > 0 {
        health.unrealized_profit = health.unrealized_profit.checked_add(QuoteRaw(pnl))?;
    }
    let stable_value = market.stable_lot_value.times_lots(position.size_lots)?.0;
    let initial_pnl = pnl.min(stable_value.checked_sub(position.cost.raw())?.checked_sub(owed)?);
    let counted = if initial_pnl > 0 { counted_profit(initial_pnl, market)? } else { initial_pnl };
    health.initial_pnl_excluded = health.initial_pnl_excluded.checked_add(QuoteRaw(pnl.checked_sub(counted)?))?;
    health.notional = health.notional.checked_add(QuoteRaw(value.checked_abs()?))?;
    if !with_requirement {
        return Some(());
    }
    let (initial, maintenance) = standard_requirement(position, params, market, exposure)?;
    health.maintenance_scaled = health.maintenance_scaled.checked_add(maintenance)?;
    health.initial_scaled = health.initial_scaled.checked_add(initial)?;
    Some(())
}

/// The share of a profit `profit` (> 0) initial margin counts, with H the market's
/// `profit_half_weight`: the first H at the full weight, the next 2H at half of it, nothing
/// beyond 3H (so at most 2 × weight × H in all; multiplications by fractions only, as cheap
/// as the rest of a health check).
fn counted_profit(profit: i128, market: &MarketRisk) -> Option<i128> {
    let weigh = |amount: i128| market.profit_weight.apply(amount, novation_math::Rounding::Floor).ok();
    let Some(half) = market.profit_half_weight else { return weigh(profit) };
    let full = weigh(profit.min(half))?;
    let halved = weigh(profit.saturating_sub(half).clamp(0, half.saturating_mul(2)))? / 2;
    full.checked_add(halved)
}

/// Concentration's addition to a position's initial requirement (scaled by 10^6): factor ×
/// notional × share, share = notional / max(open interest notional, reference), at most 1,
/// the share and factor × share each rounded up to a part per million.
fn concentration_scaled(notional: i128, market: &MarketRisk) -> Option<i128> {
    let (factor, reference) = market.concentration;
    if factor.0 == 0 || notional == 0 {
        return Some(0);
    }
    let measure = market.open_interest_notional.max(reference).max(1);
    // The share in parts per million (rounded up), then factor × share: narrow arithmetic
    // only, since every health check pays for this.
    let share_ppm =
        novation_math::div_i128(notional.min(measure).checked_mul(PPM)?, measure, novation_math::Rounding::Ceil)
            .ok()?;
    let fraction =
        novation_math::div_i128(i128::from(factor.0).checked_mul(share_ppm)?, PPM, novation_math::Rounding::Ceil)
            .ok()?;
    notional.checked_mul(fraction)
}

/// The standard (initial, maintenance) requirements of one position, scaled by 10^6.
pub(crate) fn standard_requirement(
    position: &Position,
    params: &MarketParams,
    market: &MarketRisk,
    exposure: OrderExposure,
) -> Option<(QuoteScaled, QuoteScaled)> {
    let lot_value = market.lot_value.0;
    let size = i128::from(position.size_lots.0);
    if params.kind.is_option() {
        let short = market.option.unwrap_or_default();
        // Long: the premium × the underlying's initial factor (as portfolio margin asks, so
        // neither mode is looser); short: the formula.
        let initial_of = |lots: i128| -> Option<i128> {
            let per_lot_scaled = if lots >= 0 {
                lot_value.checked_mul(i128::from(market.long_option_factor.0))?
            } else {
                short.initial_per_lot.checked_mul(PPM)?
            };
            lots.checked_abs()?.checked_mul(per_lot_scaled)
        };
        let initial = match exposure {
            OrderExposure::PositionsOnly => initial_of(size)?,
            OrderExposure::WithOpenOrders => {
                let all_bids = size.checked_add(i128::from(position.open_bid_lots.0))?;
                let all_asks = size.checked_sub(i128::from(position.open_ask_lots.0))?;
                initial_of(all_bids)?.max(initial_of(all_asks)?)
            }
        };
        let maintenance =
            if size < 0 { size.checked_neg()?.checked_mul(short.maintenance_per_lot)?.checked_mul(PPM)? } else { 0 };
        return Some((QuoteScaled(initial), QuoteScaled(maintenance)));
    }
    let notional = size.checked_mul(lot_value)?.checked_abs()?;
    let maintenance_tier = params.tier_for(notional);
    let initial_notional = match exposure {
        OrderExposure::PositionsOnly => notional,
        OrderExposure::WithOpenOrders => (position.worst_case_size_lots() as i128).checked_mul(lot_value)?,
    };
    let initial_tier = params.tier_for(initial_notional);
    let maintenance = scaled(notional, maintenance_tier.maintenance)?;
    let concentration = concentration_scaled(initial_notional, market)?;
    let initial = QuoteScaled(scaled(initial_notional, initial_tier.initial)?.0.checked_add(concentration)?);
    Some((initial, maintenance))
}

fn scaled(notional: i128, fraction: Ppm) -> Option<QuoteScaled> {
    notional.checked_mul(fraction.0 as i128).map(QuoteScaled)
}

/// Standard requirements of every position (in position order) and their totals, scaled by
/// 10^6: what standard margin charges, whatever the subaccount's mode.
pub(crate) struct StandardTotals {
    pub(crate) positions: Vec<(QuoteScaled, QuoteScaled)>,
    pub(crate) initial: QuoteScaled,
    pub(crate) maintenance: QuoteScaled,
}

pub(crate) fn standard_requirements(sub: &Subaccount, markets: &[MarketParams], prices: &RiskPrices) -> StandardTotals {
    let mut totals =
        StandardTotals { positions: Vec::new(), initial: QuoteScaled::ZERO, maintenance: QuoteScaled::ZERO };
    for position in &sub.positions {
        let index = position.market.0 as usize;
        let requirement = markets
            .get(index)
            .zip(prices.markets.get(index))
            .and_then(|(params, market)| standard_requirement(position, params, market, OrderExposure::WithOpenOrders));
        let (initial, maintenance) = requirement.unwrap_or((QuoteScaled(i128::MAX), QuoteScaled(i128::MAX)));
        totals.initial = totals.initial.saturating_add(initial);
        totals.maintenance = totals.maintenance.saturating_add(maintenance);
        totals.positions.push((initial, maintenance));
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn liquidation_end(initial_scaled: i128, maintenance_scaled: i128, buffer: i64) -> i128 {
        let health = Health {
            initial_scaled: QuoteScaled(initial_scaled),
            maintenance_scaled: QuoteScaled(maintenance_scaled),
            liquidation_buffer: Ppm::new(buffer),
            ..Health::default()
        };
        health.liquidation_end_scaled().0
    }

    proptest! {
        /// initial ≥ liquidation-end ≥ maintenance for requirements, so for health (equity
        /// minus requirement, with initial weights no kinder than maintenance weights)
        /// initial ≤ liquidation-end ≤ maintenance.
        #[test]
        fn initial_health_le_liquidation_end_le_maintenance(
            maintenance in 0i128..1_000_000_000_000,
            extra in 0i128..1_000_000_000_000,
            buffer in 0i64..2_000_000,
            collateral_maintenance in -1_000_000_000i128..1_000_000_000,
            haircut in 0i128..1_000_000_000,
            pnl in -1_000_000_000i128..1_000_000_000,
        ) {
            let initial = maintenance + extra;
            let end = liquidation_end(initial, maintenance, buffer);
            prop_assert!(initial >= end && end >= maintenance);
            let health = Health {
                collateral_initial: QuoteRaw(collateral_maintenance - haircut),
                collateral_maintenance: QuoteRaw(collateral_maintenance),
                unrealized_pnl: QuoteRaw(pnl),
                initial_scaled: QuoteScaled(initial),
                maintenance_scaled: QuoteScaled(maintenance),
                liquidation_buffer: Ppm::new(buffer),
                ..Health::default()
            };
            let health_initial = health.equity_initial().0 * PPM - initial;
            let health_end = health.equity_maintenance().0 * PPM - end;
            let health_maintenance = health.equity_maintenance().0 * PPM - maintenance;
            prop_assert!(health_initial <= health_end && health_end <= health_maintenance);
            prop_assert!(!health.meets_initial() || health.meets_liquidation_end());
            prop_assert!(!health.meets_liquidation_end() || !health.below_maintenance());
            prop_assert_eq!(health.meets_liquidation_end(), health.liquidation_end_deficit_scaled().is_zero());
        }
    }

    #[test]
    fn large_profit_counts_at_a_shrinking_weight() {
        let quote = |n: i128| n * 10i128.pow(18);
        let market = MarketRisk {
            profit_weight: Ppm::new(800_000),
            profit_half_weight: Some(quote(1_000_000)),
            ..MarketRisk::default()
        };
        assert_eq!(counted_profit(quote(500_000), &market), Some(quote(400_000)), "full weight up to H");
        assert_eq!(counted_profit(quote(2_000_000), &market), Some(quote(1_200_000)), "then half of it");
        assert_eq!(counted_profit(quote(3_000_000), &market), Some(quote(1_600_000)));
        assert_eq!(counted_profit(quote(1_000_000_000), &market), Some(quote(1_600_000)), "nothing beyond 3H");
        let unbounded = MarketRisk { profit_half_weight: None, ..market };
        assert_eq!(counted_profit(quote(9_000_000), &unbounded), Some(quote(7_200_000)));
    }

    #[test]
    fn concentration_grows_with_the_share_of_open_interest() {
        let market = MarketRisk {
            concentration: (Ppm::new(200_000), 10_000_000),
            open_interest_notional: 1_000_000,
            ..MarketRisk::default()
        };
        // Below the reference, shares are measured against it: 1M of 10M → 10% × 20%.
        assert_eq!(concentration_scaled(1_000_000, &market), Some(1_000_000 * 200_000 / 10));
        // Deep market: 1M of 100M → 1%.
        let deep = MarketRisk { open_interest_notional: 100_000_000, ..market };
        assert_eq!(concentration_scaled(1_000_000, &deep), Some(1_000_000 * 200_000 / 100));
        // The share is at most 1.
        assert_eq!(concentration_scaled(50_000_000, &market), Some(50_000_000 * 200_000));
    }

    #[test]
    fn the_liquidation_end_target_is_the_buffer_above_maintenance_but_never_above_initial() {
        assert_eq!(liquidation_end(2_000, 1_000, 200_000), 1_200);
        assert_eq!(liquidation_end(1_100, 1_000, 200_000), 1_100, "capped at initial");
        assert_eq!(liquidation_end(1_000, 1_000, 0), 1_000);
    }
}
