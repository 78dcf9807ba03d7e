//! Per-block risk values derived from oracle prices and marks.

use novation_math::{Decimal, Ppm, Rounding};

use crate::markets::MarketState;
use crate::oracle::AssetOracle;
use crate::params::Genesis;

/// Values of one smallest unit of an asset, in raw quote decimals (10^-18 quote).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AssetRisk {
    /// The price may be used to add risk.
    pub(crate) valid: bool,
    /// Unweighted value, rounded down.
    pub(crate) unit_value: i128,
    /// Weighted for initial margin (positive balances), rounded down.
    pub(crate) asset_initial: i128,
    /// Weighted for maintenance margin (positive balances), rounded down.
    pub(crate) asset_maintenance: i128,
    /// Weighted for initial margin (negative balances), rounded up.
    pub(crate) liability_initial: i128,
    /// Weighted for maintenance margin (negative balances), rounded up.
    pub(crate) liability_maintenance: i128,
}

/// Value of one lot of a market at mark, in raw quote decimals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MarketRisk {
    /// The index behind the mark may be used to add risk.
    pub(crate) valid: bool,
    /// Mark × lot size, rounded down (the same for longs and shorts, so PnL stays zero-sum).
    pub(crate) lot_value: i128,
    /// Tick size × lot size: the quote value of one lot at one tick (exact).
    pub(crate) tick_lot_value: i128,
    /// The market's cumulative funding index (raw quote per lot).
    pub(crate) funding_index: i128,
}

/// Everything a health check needs about prices, for the current block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RiskPrices {
    pub(crate) assets: Vec<AssetRisk>,
    pub(crate) markets: Vec<MarketRisk>,
}

impl RiskPrices {
    pub(crate) fn compute(genesis: &Genesis, oracle: &[AssetOracle], markets: &[MarketState]) -> Self {
        let assets = genesis
            .assets
            .iter()
            .zip(oracle)
            .map(|(params, oracle)| {
                let Some(price) = oracle.index else {
                    return AssetRisk::default();
                };
                let unit = Decimal::from_raw(10i128.pow(params.decimals as u32));
                let floor = price.raw().checked_div(unit.raw()).unwrap_or(0);
                let ceil =
                    Decimal::from_raw(price.raw()).div_int(unit.raw(), Rounding::Ceil).map_or(i128::MAX, |d| d.raw());
                let weigh = |value: i128, weight: Ppm, rounding| weight.apply(value, rounding).unwrap_or(i128::MAX);
                AssetRisk {
                    valid: oracle.valid_price().is_some(),
                    unit_value: floor,
                    asset_initial: weigh(floor, params.weight_initial, Rounding::Floor),
                    asset_maintenance: weigh(floor, params.weight_maintenance, Rounding::Floor),
                    liability_initial: weigh(ceil, params.liability_weight_initial, Rounding::Ceil),
                    liability_maintenance: weigh(ceil, params.liability_weight_maintenance, Rounding::Ceil),
                }
            })
            .collect();
        let markets = genesis
            .markets
            .iter()
            .zip(markets)
            .map(|(params, state)| {
                let lot_value =
                    state.mark.and_then(|m| m.mul(params.lot_size, Rounding::Floor).ok()).map_or(0, |v| v.raw());
                let tick_lot_value = params.tick_size.mul(params.lot_size, Rounding::Floor).map_or(0, |v| v.raw());
                let index_valid = oracle[params.base_asset.0 as usize].valid_price().is_some();
                MarketRisk {
                    valid: index_valid && state.mark.is_some(),
                    lot_value,
                    tick_lot_value,
                    funding_index: state.funding_index,
                }
            })
            .collect();
        RiskPrices { assets, markets }
    }
}
