//! Risk: margin requirements and health of subaccounts.
//!
//! Prices change only at the end of a block, so the values every health check needs (value
//! of one smallest unit of each asset, weighted four ways; value of one lot of each market at
//! mark) are computed once per block into `RiskPrices`. A health check is then integer
//! multiplications and additions only: no division on the hot path. Requirements are kept
//! scaled by 10^6 (fractions are parts per million), so "equity ≥ requirement" is compared
//! exactly as `equity × 10^6 ≥ Σ notional × fraction`.

#[cfg(test)]
mod coverage_tests;
mod health;
mod index;
mod naked;
mod portfolio;
mod prices;
mod scenarios;

pub use health::Health;
pub use portfolio::ScenarioView;

pub(crate) use health::{ceil_div_ppm, compute_equity, compute_health, standard_requirements, OrderExposure, PPM};
pub(crate) use index::RiskIndex;
pub(crate) use portfolio::portfolio_breakdown;
pub(crate) use prices::{within_band, RiskPrices};

use crate::state::State;

impl State {
    /// Recomputes the per-block risk values from the oracle and the marks.
    pub(crate) fn refresh_risk_prices(&mut self) {
        self.risk = RiskPrices::compute(self);
    }
}

use novation_types::{ErrorCode, QuoteRaw, SubaccountId};

use crate::accounts::Subaccount;

impl State {
    /// Health of `sub` at this block's prices.
    pub(crate) fn health_of(&self, sub: &Subaccount, exposure: OrderExposure) -> Result<Health, ErrorCode> {
        compute_health(sub, &self.params.markets, &self.risk, exposure)
    }

    /// Whether every price `sub`'s risk depends on may be used to add risk.
    pub(crate) fn prices_valid_for(&self, sub: &Subaccount) -> bool {
        let assets_valid =
            sub.balances.iter().all(|(asset, _)| self.risk.assets.get(asset.0 as usize).is_some_and(|a| a.valid));
        let markets_valid =
            sub.positions.iter().all(|p| self.risk.markets.get(p.market.0 as usize).is_some_and(|m| m.valid));
        assets_valid && markets_valid
    }

    /// Like [`State::prices_valid_for`], but also accepting prices that are only moving too
    /// fast (fresh and confident, far from their EMA): what a maker needs to take the other
    /// side of a liquidation inside the price band in a fast market.
    pub(crate) fn prices_fresh_for(&self, sub: &Subaccount) -> bool {
        use crate::oracle::PriceValidity::{TooVolatile, Valid};
        let fresh = |asset: novation_types::AssetId| {
            self.oracle.assets.get(asset.0 as usize).is_some_and(|o| matches!(o.validity, Valid | TooVolatile))
        };
        let assets_fresh = sub.balances.iter().all(|(asset, _)| fresh(*asset));
        let markets_fresh = sub.positions.iter().all(|p| {
            let Some(risk) = self.risk.markets.get(p.market.0 as usize) else { return false };
            let linear = self.params.market(p.market).is_ok_and(|m| !m.kind.is_option() && fresh(m.base_asset));
            risk.valid || (linear && risk.lot_value.0 > 0)
        });
        assets_fresh && markets_fresh
    }

    /// Initial margin for a maker filling a liquidation order: as
    /// [`State::require_initial_margin`] with positions only, but fast (not stale) prices
    /// suffice, so the book rather than the backstop takes liquidations whenever it can.
    pub(crate) fn require_initial_margin_for_liquidation_maker(&self, sub: &Subaccount) -> Result<(), ErrorCode> {
        if !self.prices_fresh_for(sub) {
            return Err(ErrorCode::OraclePriceInvalid);
        }
        if self.health_of(sub, OrderExposure::PositionsOnly)?.meets_initial() {
            Ok(())
        } else {
            Err(ErrorCode::InsufficientMargin)
        }
    }

    /// Refuses an action that adds risk unless prices are valid and `sub` (the state the
    /// action would leave) meets initial margin.
    pub(crate) fn require_initial_margin(&self, sub: &Subaccount, exposure: OrderExposure) -> Result<(), ErrorCode> {
        if !self.prices_valid_for(sub) {
            return Err(ErrorCode::OraclePriceInvalid);
        }
        if self.health_of(sub, exposure)?.meets_initial() {
            Ok(())
        } else {
            Err(ErrorCode::InsufficientMargin)
        }
    }

    /// [`State::require_initial_margin`] for collateral leaving a subaccount (withdrawals,
    /// transfers, insurance payments): no unrealised profit counts, and realised profit not
    /// yet vested stays behind.
    pub(crate) fn require_initial_margin_without_profit(&self, sub: &Subaccount) -> Result<(), ErrorCode> {
        if !self.prices_valid_for(sub) {
            return Err(ErrorCode::OraclePriceInvalid);
        }
        let health = self.health_of(sub, OrderExposure::WithOpenOrders)?;
        if health.meets_initial_without_profit_less(QuoteRaw(self.unvested_profit_of(sub))) {
            Ok(())
        } else {
            Err(ErrorCode::InsufficientMargin)
        }
    }
}

impl State {
    /// Health of a subaccount with every one of its markets revalued from scratch — marks,
    /// standard requirements and the whole portfolio scenario grid, option by option with
    /// Black-76 — instead of from the per-block tables. Equal to the cached answer; for risk
    /// tools and benchmarks that need the cost of a full revaluation.
    pub fn health_revalued(&self, id: SubaccountId) -> Result<Health, ErrorCode> {
        let empty = Subaccount::default();
        let sub = self.accounts.subaccounts.get(&id).unwrap_or(&empty);
        let mut prices = self.risk.clone();
        let mut shared = prices::SharedValues::default();
        for position in &sub.positions {
            let index = position.market.0 as usize;
            let params = self.params.markets.get(index).ok_or(ErrorCode::UnknownMarket)?;
            let fresh = prices::market_risk(self, params, &self.markets.states[index], &mut shared, false);
            if let Some(slot) = prices.markets.get_mut(index) {
                *slot = crate::risk::prices::MarketRisk { greeks: slot.greeks, ..fresh };
            }
        }
        compute_health(sub, &self.params.markets, &prices, OrderExposure::PositionsOnly)
    }
}

/// The result of re-checking every subaccount's health at the current prices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthScan {
    /// Subaccounts checked.
    pub checked: u64,
    /// Subaccounts below maintenance margin (liquidatable), in id order.
    pub below_maintenance: Vec<novation_types::SubaccountId>,
}

impl State {
    /// Re-checks the health of every subaccount at this block's prices, from the compact
    /// risk index (accounts too complex for it are checked the full way).
    pub fn scan_health(&self) -> HealthScan {
        let prices = index::NanoPrices::new(&self.risk, &self.params.markets);
        let (checked, below_maintenance, unsure) = self.risk_index.scan(&prices);
        let mut scan = HealthScan { checked, below_maintenance };
        for id in unsure {
            let health =
                self.accounts.subaccounts.get(&id).map(|sub| self.health_of(sub, OrderExposure::PositionsOnly));
            if !matches!(health, Some(Ok(h)) if !h.below_maintenance()) {
                scan.below_maintenance.push(id);
            }
        }
        scan.below_maintenance.sort_unstable();
        scan
    }

    /// The full-way twin of [`State::scan_health`]: walks every subaccount and computes its
    /// health from scratch. Used to check the index.
    pub fn scan_health_full(&self) -> HealthScan {
        let mut scan = HealthScan { checked: self.accounts.subaccounts.len() as u64, ..HealthScan::default() };
        for (id, sub) in &self.accounts.subaccounts {
            let health = self.health_of(sub, OrderExposure::PositionsOnly);
            if !matches!(health, Ok(h) if !h.below_maintenance()) {
                scan.below_maintenance.push(*id);
            }
        }
        scan
    }
}
