//! What the backstop holds and may still take, and where each position stands in the
//! auto-deleveraging queue.

use novation_math::Decimal;
use novation_types::{MarketId, SubaccountId};
use serde::{Deserialize, Serialize};

use crate::risk::OrderExposure;
use crate::state::State;

/// The backstop liquidator's solvency and limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackstopView {
    /// Its subaccount.
    pub subaccount: SubaccountId,
    /// Equity at mark (booked at once when it would turn negative).
    pub equity: Decimal,
    /// Highest equity seen at the end of a block.
    pub peak_equity: Decimal,
    /// Peak minus current equity.
    pub drawdown: Decimal,
    /// Its maintenance requirement.
    pub maintenance_requirement: Decimal,
    /// It meets its own initial margin: only then does it take new risk.
    pub meets_initial: bool,
    /// Its exposure and limit per market.
    pub markets: Vec<BackstopExposure>,
}

/// The backstop in one market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackstopExposure {
    /// Market.
    pub market: MarketId,
    /// Ticker.
    pub symbol: String,
    /// Its signed position, lots.
    pub size_lots: i64,
    /// Its position's notional at mark.
    pub notional: Decimal,
    /// Most lots it may hold now (its share of open interest, its notional limit, and none
    /// while it fails its initial margin).
    pub limit_lots: u64,
}

/// One position's place in the auto-deleveraging queue of its market and side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AdlStanding {
    /// Market.
    pub market: MarketId,
    /// Signed position, lots.
    pub size_lots: i64,
    /// Unrealised profit × leverage, in quote (0 without profit): the ranking key.
    pub score: Decimal,
    /// 1 = deleveraged first against a bankrupt position on the other side.
    pub rank: u64,
    /// Holders on this side of the market.
    pub of: u64,
}

impl State {
    /// The backstop's equity, drawdown and limits per market.
    pub fn backstop_view(&self) -> BackstopView {
        let id = self.backstop_subaccount();
        let sub = self.accounts.subaccounts.get(&id);
        let health = sub.and_then(|s| self.health_of(s, OrderExposure::PositionsOnly).ok()).unwrap_or_default();
        let equity = health.equity().0;
        let peak = self.liquidation.stats.backstop_peak_equity.max(equity);
        let markets = self
            .params
            .markets
            .iter()
            .filter(|params| self.markets.states[params.id.0 as usize].settlement_price.is_none())
            .map(|params| {
                let size_lots = sub.map_or(0, |s| s.size_lots(params.id).0);
                let lot_value = self.risk.markets[params.id.0 as usize].lot_value.0;
                BackstopExposure {
                    market: params.id,
                    symbol: params.symbol.clone(),
                    size_lots,
                    notional: Decimal::from_raw(i128::from(size_lots).saturating_mul(lot_value).saturating_abs()),
                    limit_lots: crate::liquidation::backstop_limit_lots(self, params.id),
                }
            })
            .collect();
        BackstopView {
            subaccount: id,
            equity: Decimal::from_raw(equity),
            peak_equity: Decimal::from_raw(peak),
            drawdown: Decimal::from_raw(peak.saturating_sub(equity)),
            maintenance_requirement: Decimal::from_raw(health.maintenance_requirement().0),
            meets_initial: sub.is_none() || health.meets_initial(),
            markets,
        }
    }

    /// Where each of `id`'s positions stands in its market's auto-deleveraging queue (the
    /// published order: highest unrealised profit × leverage first, then subaccount id).
    pub fn adl_standing(&self, id: SubaccountId) -> Vec<AdlStanding> {
        let Some(sub) = self.accounts.subaccounts.get(&id) else { return Vec::new() };
        sub.positions
            .iter()
            .filter(|p| !p.size_lots.is_zero())
            .map(|position| {
                // Holders of this side are deleveraged against bankrupt positions of the other.
                let ranked =
                    crate::liquidation::adl_ranking_scored(self, position.market, -position.size_lots.0.signum());
                let place = ranked.iter().position(|(_, holder)| *holder == id).unwrap_or(ranked.len());
                AdlStanding {
                    market: position.market,
                    size_lots: position.size_lots.0,
                    score: Decimal::from_raw(ranked.get(place).map_or(0, |(score, _)| *score)),
                    rank: place as u64 + 1,
                    of: ranked.len() as u64,
                }
            })
            .collect()
    }
}
