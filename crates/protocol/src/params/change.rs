//! The one way parameters change: [`State::set_param`]. A change replaces one section (an
//! asset, a market, the oracle rules, …) or lists a new market; it applies only if the whole
//! parameter set still validates, and it is journaled like any other write. Governance will
//! call it; today the series schedules list markets through it.

use novation_types::{AssetId, MarketId};

use super::{
    AssetParams, ChainParams, DerivativesParams, GenesisError, HyperliquidParams, Limits, LiquidationParams,
    MarketParams, OracleParams, Publisher, SeriesSchedule, SettlementParams,
};
use crate::state::State;

/// One change to the chain parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamChange {
    /// Replaces the asset with the same id.
    Asset(AssetParams),
    /// Replaces the market with the same id.
    Market(MarketParams),
    /// Lists a new market; its id must be the next free one. Only outside transactions.
    ListMarket(MarketParams),
    /// Replaces the oracle rules.
    Oracle(OracleParams),
    /// Replaces the publisher set.
    Publishers(Vec<Publisher>),
    /// Replaces the limits.
    Limits(Limits),
    /// Replaces the liquidation rules.
    Liquidation(LiquidationParams),
    /// Replaces the derivatives rules.
    Derivatives(DerivativesParams),
    /// Replaces the series schedules.
    SeriesSchedules(Vec<SeriesSchedule>),
    /// Replaces the settlement rules.
    Settlement(SettlementParams),
    /// Replaces which Hyperliquid signatures are accepted.
    Hyperliquid(HyperliquidParams),
}

/// How to undo one parameter change: the section's value before it.
#[derive(Clone, Debug)]
pub(crate) enum Undo {
    Asset(AssetId, Box<AssetParams>),
    Market(MarketId, Box<MarketParams>),
    Listed,
    Oracle(OracleParams),
    Publishers(Vec<Publisher>),
    Limits(Limits),
    Liquidation(LiquidationParams),
    Derivatives(Box<DerivativesParams>),
    SeriesSchedules(Vec<SeriesSchedule>),
    Settlement(SettlementParams),
    Hyperliquid(HyperliquidParams),
}

fn unknown(what: &str, id: u16) -> GenesisError {
    GenesisError(format!("unknown {what} {id}"))
}

impl ChainParams {
    /// Applies `change` in place and returns how to undo it (no validation).
    fn apply(&mut self, change: ParamChange) -> Result<Undo, GenesisError> {
        Ok(match change {
            ParamChange::Asset(asset) => {
                let id = asset.id;
                let slot = self.assets.get_mut(id.0 as usize).ok_or_else(|| unknown("asset", id.0))?;
                Undo::Asset(id, Box::new(std::mem::replace(slot, asset)))
            }
            ParamChange::Market(market) => {
                let id = market.id;
                let slot = self.markets.get_mut(id.0 as usize).ok_or_else(|| unknown("market", id.0))?;
                Undo::Market(id, Box::new(std::mem::replace(slot, market)))
            }
            ParamChange::ListMarket(market) => {
                if market.id.0 as usize != self.markets.len() {
                    return Err(GenesisError(format!("a new market needs id {}", self.markets.len())));
                }
                self.markets.push(market);
                Undo::Listed
            }
            ParamChange::Oracle(oracle) => Undo::Oracle(std::mem::replace(&mut self.oracle, oracle)),
            ParamChange::Publishers(list) => Undo::Publishers(std::mem::replace(&mut self.publishers, list)),
            ParamChange::Limits(limits) => Undo::Limits(std::mem::replace(&mut self.limits, limits)),
            ParamChange::Liquidation(rules) => Undo::Liquidation(std::mem::replace(&mut self.liquidation, rules)),
            ParamChange::Derivatives(rules) => {
                Undo::Derivatives(Box::new(std::mem::replace(&mut self.derivatives, rules)))
            }
            ParamChange::SeriesSchedules(list) => {
                Undo::SeriesSchedules(std::mem::replace(&mut self.series_schedules, list))
            }
            ParamChange::Settlement(rules) => Undo::Settlement(std::mem::replace(&mut self.settlement, rules)),
            ParamChange::Hyperliquid(rules) => Undo::Hyperliquid(std::mem::replace(&mut self.hyperliquid, rules)),
        })
    }

    /// Restores what `undo` saved.
    pub(crate) fn undo(&mut self, undo: Undo) {
        match undo {
            Undo::Asset(id, before) => {
                if let Some(slot) = self.assets.get_mut(id.0 as usize) {
                    *slot = *before;
                }
            }
            Undo::Market(id, before) => {
                if let Some(slot) = self.markets.get_mut(id.0 as usize) {
                    *slot = *before;
                }
            }
            Undo::Listed => {
                self.markets.pop();
            }
            Undo::Oracle(before) => self.oracle = before,
            Undo::Publishers(before) => self.publishers = before,
            Undo::Limits(before) => self.limits = before,
            Undo::Liquidation(before) => self.liquidation = before,
            Undo::Derivatives(before) => self.derivatives = *before,
            Undo::SeriesSchedules(before) => self.series_schedules = before,
            Undo::Settlement(before) => self.settlement = before,
            Undo::Hyperliquid(before) => self.hyperliquid = before,
        }
    }
}

impl State {
    /// Changes one section of the chain parameters, if the result validates; otherwise
    /// nothing changes. The id of an asset or market cannot change, and a listed market
    /// brings its running state, book and expiry tracking with it.
    pub fn set_param(&mut self, change: ParamChange) -> Result<(), GenesisError> {
        let listing = match &change {
            ParamChange::ListMarket(market) => Some(market.clone()),
            _ => None,
        };
        if listing.is_some() && self.journal.active {
            return Err(GenesisError("markets are listed at the end of a block".into()));
        }
        let undo = self.params.apply(change)?;
        if let Err(why) = self.params.validate() {
            self.params.undo(undo);
            return Err(why);
        }
        if let Some(market) = listing {
            self.markets.states.push(Default::default());
            self.trading.books.push(crate::book::OrderBook::new());
            self.derivatives.add_series(&market);
            self.risk_index.add_market(market.kind.is_option());
        }
        self.journal.record(undo);
        Ok(())
    }
}
