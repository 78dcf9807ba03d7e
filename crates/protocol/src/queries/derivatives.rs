//! Views of dated futures, options, the volatility surface, Greeks and margin breakdowns.

use novation_math::{Decimal, Greeks, Rounding, SviParams};
use novation_types::{AssetId, MarginMode, MarketId, QuoteScaled, SubaccountId};
use serde::{Deserialize, Serialize};

use crate::derivatives::{surface_vol, years_to_expiry, SmileValidity};
use crate::params::MarketKind;
use crate::risk::{portfolio_breakdown, standard_requirements, OrderExposure, ScenarioView};
use crate::state::State;

/// One expiry's smile of an underlying.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SmileView {
    /// The expiry.
    pub expiry_ms: u64,
    /// The current (last valid) raw-SVI parameters.
    pub svi: Option<SviParams>,
    /// Validity of the current smile.
    pub validity: SmileValidity,
    /// Block time it was last accepted.
    pub updated_ms: u64,
    /// Publishers whose latest smile is stored.
    pub reports: usize,
    /// At-the-money (strike = index) implied volatility.
    pub atm_vol: Option<Decimal>,
}

/// A dated future or option series with its pricing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SeriesView {
    /// Market id.
    pub market: MarketId,
    /// Ticker.
    pub symbol: String,
    /// What it trades.
    pub kind: MarketKind,
    /// The underlying.
    pub underlying: AssetId,
    /// The underlying's index.
    pub index: Option<Decimal>,
    /// Years to expiry (zero once expired).
    pub time_to_expiry_years: Option<Decimal>,
    /// Mark price per whole contract.
    pub mark: Option<Decimal>,
    /// Options: the implied volatility behind the mark.
    pub implied_vol: Option<Decimal>,
    /// Options: sensitivities of one whole long contract.
    pub greeks: Option<ContractGreeks>,
    /// The prices behind the mark may be used to add risk.
    pub valid: bool,
    /// Open interest in lots.
    pub open_interest_lots: u64,
    /// Set once the series expired and settled.
    pub settlement_price: Option<Decimal>,
}

/// Black-76 sensitivities of one whole long option contract (delta with respect to the
/// index, discounted; vega per 1.00 of volatility; theta per year).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContractGreeks {
    /// ∂V/∂S.
    pub delta: Decimal,
    /// ∂²V/∂S².
    pub gamma: Decimal,
    /// ∂V/∂σ.
    pub vega: Decimal,
    /// −∂V/∂T.
    pub theta: Decimal,
}

/// Net sensitivities of positions on one underlying, in quote currency per unit of the
/// underlying's price (delta, gamma), per 1.00 of volatility (vega) and per year (theta).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GreeksView {
    /// The underlying.
    pub underlying: AssetId,
    /// Units of the underlying the positions are long (perpetuals and futures count 1 each).
    pub delta: Decimal,
    /// Change of delta per unit move of the underlying.
    pub gamma: Decimal,
    /// Value change per 1.00 of volatility.
    pub vega: Decimal,
    /// Value change per year of passing time.
    pub theta: Decimal,
}

/// How a subaccount's requirement is made up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MarginBreakdown {
    /// The mode in force.
    pub mode: MarginMode,
    /// Initial requirement (positions and open orders) in force.
    pub initial_requirement: Decimal,
    /// Maintenance requirement in force.
    pub maintenance_requirement: Decimal,
    /// Each position's standard requirements (what standard margin would charge).
    pub positions: Vec<PositionMargin>,
    /// Standard-margin totals, for comparison (positions and open orders).
    pub standard_initial: Decimal,
    /// Standard maintenance total.
    pub standard_maintenance: Decimal,
    /// Per underlying: the profit in every portfolio scenario and the worst loss.
    pub portfolio: Vec<ScenarioView>,
}

/// One position's standard requirements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PositionMargin {
    /// Market.
    pub market: MarketId,
    /// Signed size in lots.
    pub size_lots: i64,
    /// Value at mark.
    pub value: Decimal,
    /// Standard initial requirement (with its open orders).
    pub initial: Decimal,
    /// Standard maintenance requirement.
    pub maintenance: Decimal,
}

impl State {
    /// The volatility smiles of `asset`, one per listed option expiry, by expiry.
    pub fn vol_surface(&self, asset: AssetId) -> Vec<SmileView> {
        let index = self.oracle.assets.get(asset.0 as usize).and_then(|o| o.index);
        self.derivatives
            .surfaces
            .range((asset, 0)..=(asset, u64::MAX))
            .map(|(&(_, expiry_ms), smile)| {
                let time_years = years_to_expiry(self.clock.time_ms, expiry_ms);
                let atm_vol = smile
                    .current
                    .filter(|_| index.is_some() && time_years.is_positive())
                    .and_then(|svi| svi.implied_vol(Decimal::ZERO, time_years).ok());
                SmileView {
                    expiry_ms,
                    svi: smile.current,
                    validity: smile.validity,
                    updated_ms: smile.updated_ms,
                    reports: smile.reports.len(),
                    atm_vol,
                }
            })
            .collect()
    }

    /// The implied volatility the surface gives `asset` at `strike` for `expiry_ms`.
    pub fn implied_vol_at(&self, asset: AssetId, expiry_ms: u64, strike: Decimal) -> Option<Decimal> {
        surface_vol(self, asset, expiry_ms, strike)
    }

    /// A series with its mark, implied volatility and Greeks (any market; perpetuals too).
    pub fn series(&self, market: MarketId) -> Option<SeriesView> {
        let params = self.params.markets.get(market.0 as usize)?;
        let state = &self.markets.states[market.0 as usize];
        let risk = &self.risk.markets[market.0 as usize];
        Some(SeriesView {
            market,
            symbol: params.symbol.clone(),
            kind: params.kind,
            underlying: params.base_asset,
            index: self.oracle.assets[params.base_asset.0 as usize].index,
            time_to_expiry_years: params.kind.expiry_ms().map(|e| years_to_expiry(self.clock.time_ms, e)),
            mark: state.mark,
            implied_vol: state.implied_vol,
            greeks: risk.greeks.map(|g| ContractGreeks {
                delta: g.delta,
                gamma: g.gamma,
                vega: g.vega,
                theta: g.theta,
            }),
            valid: risk.valid,
            open_interest_lots: state.open_interest_lots,
            settlement_price: state.settlement_price,
        })
    }

    /// Every dated future and option series, listed or settled, in id order.
    pub fn list_series(&self) -> Vec<SeriesView> {
        self.params
            .markets
            .iter()
            .filter(|m| m.kind != MarketKind::Perpetual)
            .filter_map(|m| self.series(m.id))
            .collect()
    }

    /// Net Greeks of a subaccount's positions, per underlying.
    pub fn account_greeks(&self, id: SubaccountId) -> Vec<GreeksView> {
        let mut views: Vec<GreeksView> = Vec::new();
        let Some(sub) = self.accounts.subaccounts.get(&id) else { return views };
        for position in &sub.positions {
            self.add_greeks(&mut views, position.market, position.size_lots.0);
        }
        views
    }

    /// System-wide Greeks per underlying: those of every long position (open interest); the
    /// short side holds exactly the opposite.
    pub fn system_greeks(&self) -> Vec<GreeksView> {
        let mut views: Vec<GreeksView> = Vec::new();
        for (index, market) in self.markets.states.iter().enumerate() {
            let lots = i64::try_from(market.open_interest_lots).unwrap_or(i64::MAX);
            self.add_greeks(&mut views, MarketId(index as u16), lots);
        }
        views
    }

    fn add_greeks(&self, views: &mut Vec<GreeksView>, market: MarketId, size_lots: i64) {
        let Some(params) = self.params.markets.get(market.0 as usize) else { return };
        if size_lots == 0 || self.markets.states[market.0 as usize].settlement_price.is_some() {
            return;
        }
        let Ok(contracts) = Decimal::from_units(size_lots as i128, params.lot_size) else { return };
        let per_contract = match self.risk.markets[market.0 as usize].greeks {
            Some(greeks) if params.kind.is_option() => greeks,
            Some(_) | None if params.kind.is_option() => return,
            _ => Greeks { delta: Decimal::ONE, gamma: Decimal::ZERO, vega: Decimal::ZERO, theta: Decimal::ZERO },
        };
        let slot = match views.iter().position(|v| v.underlying == params.base_asset) {
            Some(slot) => slot,
            None => {
                views.push(GreeksView { underlying: params.base_asset, ..GreeksView::default() });
                views.len() - 1
            }
        };
        let view = &mut views[slot];
        let add = |total: Decimal, greek: Decimal| {
            greek.mul(contracts, Rounding::HalfEven).and_then(|g| total.checked_add(g)).unwrap_or(total)
        };
        view.delta = add(view.delta, per_contract.delta);
        view.gamma = add(view.gamma, per_contract.gamma);
        view.vega = add(view.vega, per_contract.vega);
        view.theta = add(view.theta, per_contract.theta);
    }

    /// How a subaccount's margin requirement is made up: standard requirements per position
    /// and, per underlying, the profit in every portfolio scenario.
    pub fn margin_breakdown(&self, id: SubaccountId) -> MarginBreakdown {
        let sub = self.accounts.subaccounts.get(&id).cloned().unwrap_or_default();
        let health = self.health_of(&sub, OrderExposure::WithOpenOrders).unwrap_or_default();
        let maintenance = self.health_of(&sub, OrderExposure::PositionsOnly).unwrap_or_default();
        let standard = standard_requirements(&sub, &self.params.markets, &self.risk);
        let positions = sub
            .positions
            .iter()
            .zip(&standard.positions)
            .map(|(p, &(initial, maintenance))| PositionMargin {
                market: p.market,
                size_lots: p.size_lots.0,
                value: Decimal::from_raw(
                    i128::from(p.size_lots.0).saturating_mul((self.risk.markets[p.market.0 as usize].lot_value).0),
                ),
                initial: ceil_scaled(initial.0),
                maintenance: ceil_scaled(maintenance.0),
            })
            .collect();
        MarginBreakdown {
            mode: sub.margin_mode,
            initial_requirement: Decimal::from_raw(health.initial_requirement().0),
            maintenance_requirement: Decimal::from_raw(maintenance.maintenance_requirement().0),
            positions,
            standard_initial: ceil_scaled(standard.initial.0),
            standard_maintenance: ceil_scaled(standard.maintenance.0),
            portfolio: portfolio_breakdown(&sub, &self.params.markets, &self.risk),
        }
    }
}

/// A requirement scaled by 10^6 as a quote amount, rounded up.
fn ceil_scaled(scaled: i128) -> Decimal {
    Decimal::from_raw(crate::risk::ceil_div_ppm(QuoteScaled(scaled)).0)
}
