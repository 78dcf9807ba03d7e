//! The oracle: registered publishers report prices, as `PriceReport` transactions or as the
//! block prices a block's consensus carries ([`PublisherPrices`], under the same rules); at
//! the end of every block the reports are aggregated per asset into an index price with an
//! EMA and a validity state, given a quorum of fresh reports by count and by stake.
//!
//! Rule (DESIGN §3.6): a price that is stale, too uncertain or too far from its own EMA may
//! not be used to add risk; risk-reducing actions never depend on it.

mod aggregate;
mod block_prices;
mod report;
mod state_key;

use std::collections::BTreeMap;

use novation_math::Decimal;
use novation_types::{Address, AssetId};
use serde::{Deserialize, Serialize};

use crate::params::{AssetParams, ChainParams};
use crate::state::State;

pub(crate) use aggregate::{aggregate_all, meets_stake_quorum, weighted_median};
pub(crate) use block_prices::apply_block_prices;
pub use block_prices::PublisherPrices;

/// The latest report of one publisher for one asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceReportEntry {
    /// Reported price of one whole unit.
    pub price: Decimal,
    /// Reported confidence half-width.
    pub confidence: Decimal,
    /// When the publisher observed it (ms since the Unix epoch).
    pub publish_time_ms: u64,
}

/// Whether an asset's price may be used to add risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum PriceValidity {
    /// Fresh, confident and close to its EMA.
    Valid,
    /// No price yet.
    Missing,
    /// No quorum of fresh reports within the maximum age.
    Stale,
    /// Confidence too wide relative to the price.
    Uncertain,
    /// Too far from its EMA: moving too fast to trust.
    TooVolatile,
}

/// The oracle state of one asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetOracle {
    /// Latest report per publisher.
    pub reports: BTreeMap<Address, PriceReportEntry>,
    /// Aggregated index price (fixed for the quote asset).
    pub index: Option<Decimal>,
    /// EMA of the index.
    pub ema: Option<Decimal>,
    /// Aggregated confidence half-width.
    pub confidence: Decimal,
    /// Publish time of the newest report in the last successful aggregation.
    pub last_update_ms: u64,
    /// Current validity.
    pub validity: PriceValidity,
    /// Fixed price (quote currency): never stale.
    pub fixed: bool,
}

impl AssetOracle {
    pub(crate) fn new(asset: &AssetParams) -> Self {
        AssetOracle {
            reports: BTreeMap::new(),
            index: asset.fixed_price,
            ema: asset.fixed_price,
            confidence: Decimal::ZERO,
            last_update_ms: 0,
            validity: if asset.fixed_price.is_some() { PriceValidity::Valid } else { PriceValidity::Missing },
            fixed: asset.fixed_price.is_some(),
        }
    }

    /// The index, only if it may be used to add risk.
    pub fn valid_price(&self) -> Option<Decimal> {
        match self.validity {
            PriceValidity::Valid => self.index,
            _ => None,
        }
    }
}

/// The oracle component's state: one [`AssetOracle`] per asset, by id.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Oracle {
    pub(crate) assets: Vec<AssetOracle>,
}

/// How to undo one write to the oracle component.
#[derive(Clone, Debug)]
pub(crate) enum Undo {
    Report(AssetId, Address, Option<PriceReportEntry>),
}

impl Oracle {
    pub(crate) fn new(params: &ChainParams) -> Self {
        Oracle { assets: params.assets.iter().map(AssetOracle::new).collect() }
    }

    pub(crate) fn undo(&mut self, undo: Undo) {
        match undo {
            Undo::Report(asset, publisher, before) => {
                let Some(oracle) = self.assets.get_mut(asset.0 as usize) else { return };
                match before {
                    Some(entry) => oracle.reports.insert(publisher, entry),
                    None => oracle.reports.remove(&publisher),
                };
            }
        }
    }
}

impl State {
    /// Stores `publisher`'s latest report for `asset` (an asset the caller checked exists).
    pub(crate) fn set_report(&mut self, asset: AssetId, publisher: Address, entry: PriceReportEntry) {
        let Some(oracle) = self.oracle.assets.get_mut(asset.0 as usize) else { return };
        let before = oracle.reports.insert(publisher, entry);
        self.journal.record(Undo::Report(asset, publisher, before));
    }
}
