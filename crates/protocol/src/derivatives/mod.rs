//! Dated futures and options through their whole life: listing (in the genesis, or by a
//! series schedule as time passes), marks,
//! the volatility surface, expiry and cash settlement.
//!
//! ```text
//!  listed ──► trading (book, margin) ──► final window: index TWAP ──► expiry: orders
//!  cancelled, settlement price fixed, every position cash-settled, series closed
//! ```
//!
//! A dated future's mark follows the perpetual's rule (index, book and basis); an option's
//! mark is its Black-76 value on the index with the volatility the surface gives its strike
//! and expiry. Positions in both use the perpetual's cost basis, so settlement is a fill at
//! the payoff: size × payoff − cost is realised into the quote balance against the
//! `Settlement` ledger account, exactly as a closing trade would be.

mod expiry;
mod listing;
mod option_marks;
mod state_key;
mod surface;

pub(crate) use expiry::{settle_expiries, SettlementTwap};
pub(crate) use listing::list_scheduled;
pub use listing::{expiry_code, series_symbol};
pub(crate) use option_marks::{option_inputs, surface_vol, update_option_marks, OptionInputs};
pub use option_marks::{years_to_expiry, MS_PER_YEAR};
pub(crate) use surface::aggregate_surfaces;
pub use surface::{SmileState, SmileValidity};

use std::collections::BTreeMap;

use novation_types::{Address, AssetId};
use serde::Serialize;

use crate::params::{ChainParams, MarketParams};
use crate::state::State;

/// The derivatives component's state, keyed by (underlying, expiry in ms).
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Derivatives {
    /// The volatility smile of each underlying and listed option expiry.
    pub(crate) surfaces: BTreeMap<(AssetId, u64), SmileState>,
    /// The settlement average of each underlying and dated expiry.
    pub(crate) settlement_twaps: BTreeMap<(AssetId, u64), SettlementTwap>,
}

/// How to undo one write to the derivatives component.
#[derive(Clone, Debug)]
pub(crate) enum Undo {
    Smile(AssetId, u64, Address, Option<Box<(novation_math::SviParams, u64)>>),
}

impl Derivatives {
    pub(crate) fn new(params: &ChainParams) -> Self {
        let mut derivatives = Derivatives::default();
        for market in &params.markets {
            derivatives.add_series(market);
        }
        derivatives
    }

    /// Starts tracking the expiry of a newly listed series (nothing for a perpetual).
    pub(crate) fn add_series(&mut self, market: &MarketParams) {
        let Some(expiry_ms) = market.kind.expiry_ms() else { return };
        self.settlement_twaps.entry((market.base_asset, expiry_ms)).or_default();
        if market.kind.is_option() {
            self.surfaces.entry((market.base_asset, expiry_ms)).or_default();
        }
    }

    pub(crate) fn undo(&mut self, undo: Undo) {
        match undo {
            Undo::Smile(asset, expiry_ms, publisher, before) => {
                if let Some(smile) = self.surfaces.get_mut(&(asset, expiry_ms)) {
                    match before {
                        Some(report) => smile.reports.insert(publisher, *report),
                        None => smile.reports.remove(&publisher),
                    };
                }
            }
        }
    }
}

impl State {
    pub(crate) fn set_smile_report(
        &mut self,
        asset: AssetId,
        expiry_ms: u64,
        publisher: Address,
        report: Option<(novation_math::SviParams, u64)>,
    ) {
        let Some(smile) = self.derivatives.surfaces.get_mut(&(asset, expiry_ms)) else { return };
        let before = match report {
            Some(report) => smile.reports.insert(publisher, report),
            None => smile.reports.remove(&publisher),
        };
        self.journal.record(Undo::Smile(asset, expiry_ms, publisher, before.map(Box::new)));
    }
}
