//! The chain's assets and markets as a client shows them: fractions as fractions (`0.0005`,
//! not 500 ppm), sizes in base units, price and size precision, and `null` where a limit is
//! unbounded.

use novation_math::Decimal;
use novation_types::{AssetId, MarketId};
use serde::{Deserialize, Serialize};

use crate::params::{MarketKind, MarketStatus, OptionRight};
use crate::state::State;

/// One collateral asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssetInfo {
    /// Its id.
    pub id: AssetId,
    /// Ticker.
    pub symbol: String,
    /// Decimals of its smallest unit.
    pub decimals: u8,
    /// Share of a balance's value counted toward initial margin (the haircut is 1 − this).
    pub weight_initial: Decimal,
    /// Share counted toward maintenance margin.
    pub weight_maintenance: Decimal,
    /// Multiple of a negative balance counted as debt for initial margin.
    pub liability_weight_initial: Decimal,
    /// Multiple counted for maintenance margin.
    pub liability_weight_maintenance: Decimal,
    /// Most the chain holds in deposits, in whole units (`null`: unbounded).
    pub deposit_cap: Option<Decimal>,
    /// A fixed price (the quote currency), or `null` for an oracle-priced asset.
    pub fixed_price: Option<Decimal>,
    /// Discount at which liquidation sells it to repay debt.
    pub liquidation_discount: Decimal,
    /// Its oracle index now (`null` before the first aggregate; the fixed price if it has one).
    pub index: Option<Decimal>,
}

/// One margin tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TierInfo {
    /// Largest position notional of the tier (`null`: unbounded, the last tier).
    pub max_notional: Option<Decimal>,
    /// Initial margin fraction.
    pub initial: Decimal,
    /// Maintenance margin fraction.
    pub maintenance: Decimal,
}

/// One market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MarketInfo {
    /// Its id.
    pub id: MarketId,
    /// Ticker.
    pub symbol: String,
    /// `perpetual`, `future` or `option`.
    pub kind: String,
    /// Expiry of a dated future or option (ms since the epoch).
    pub expiry_ms: Option<u64>,
    /// Strike of an option.
    pub strike: Option<Decimal>,
    /// Call or put, for an option.
    pub right: Option<OptionRight>,
    /// The underlying asset's symbol.
    pub base_asset: String,
    /// Price step.
    pub tick_size: Decimal,
    /// Size step, in base units.
    pub lot_size: Decimal,
    /// Decimals a price is shown with (those of the tick).
    pub price_decimals: u32,
    /// Decimals a size is shown with (those of the lot).
    pub size_decimals: u32,
    /// Smallest order, in base units.
    pub min_order_size: Decimal,
    /// Highest leverage.
    pub max_leverage: u32,
    /// Maker fee rate (negative: a rebate).
    pub maker_fee: Decimal,
    /// Taker fee rate.
    pub taker_fee: Decimal,
    /// Whether it accepts new risk.
    pub status: MarketStatus,
    /// Margin tiers by position notional.
    pub margin_tiers: Vec<TierInfo>,
    /// Cap on open interest, in base units (`null`: unbounded).
    pub open_interest_cap: Option<Decimal>,
    /// Orders and fills lie within this fraction of the mark.
    pub price_band: Decimal,
    /// Share of unrealised profit counted toward initial margin.
    pub unrealized_profit_weight: Decimal,
    /// Funding interval of a perpetual (ms; `null` for dated markets).
    pub funding_interval_ms: Option<u64>,
    /// Largest funding rate per interval of a perpetual.
    pub funding_cap_per_interval: Option<Decimal>,
}

impl State {
    /// Every asset, by id.
    pub fn asset_infos(&self) -> Vec<AssetInfo> {
        self.params
            .assets
            .iter()
            .map(|asset| AssetInfo {
                id: asset.id,
                symbol: asset.symbol.clone(),
                decimals: asset.decimals,
                weight_initial: asset.weight_initial.to_decimal(),
                weight_maintenance: asset.weight_maintenance.to_decimal(),
                liability_weight_initial: asset.liability_weight_initial.to_decimal(),
                liability_weight_maintenance: asset.liability_weight_maintenance.to_decimal(),
                deposit_cap: (asset.deposit_cap != Decimal::MAX).then_some(asset.deposit_cap),
                fixed_price: asset.fixed_price,
                liquidation_discount: asset.liquidation_discount.to_decimal(),
                index: asset.fixed_price.or_else(|| self.oracle(asset.id).and_then(|o| o.index)),
            })
            .collect()
    }

    /// Every market, by id.
    pub fn market_infos(&self) -> Vec<MarketInfo> {
        self.params
            .markets
            .iter()
            .map(|m| {
                let (kind, expiry_ms, strike, right) = match m.kind {
                    MarketKind::Perpetual => ("perpetual", None, None, None),
                    MarketKind::Future { expiry_ms } => ("future", Some(expiry_ms), None, None),
                    MarketKind::Option { expiry_ms, strike, right } => {
                        ("option", Some(expiry_ms), Some(strike), Some(right))
                    }
                };
                let lots = |n: u64| Decimal::from_units(i128::from(n), m.lot_size).ok();
                let perpetual = matches!(m.kind, MarketKind::Perpetual);
                MarketInfo {
                    id: m.id,
                    symbol: m.symbol.clone(),
                    kind: kind.to_string(),
                    expiry_ms,
                    strike,
                    right,
                    base_asset: self
                        .params
                        .assets
                        .get(m.base_asset.0 as usize)
                        .map(|a| a.symbol.clone())
                        .unwrap_or_default(),
                    tick_size: m.tick_size,
                    lot_size: m.lot_size,
                    price_decimals: m.tick_size.decimal_places(),
                    size_decimals: m.lot_size.decimal_places(),
                    min_order_size: lots(m.min_order_lots).unwrap_or_default(),
                    max_leverage: m.max_leverage,
                    maker_fee: m.maker_fee.to_decimal(),
                    taker_fee: m.taker_fee.to_decimal(),
                    status: m.status,
                    margin_tiers: m
                        .margin_tiers
                        .iter()
                        .map(|t| TierInfo {
                            max_notional: (t.max_notional != Decimal::MAX).then_some(t.max_notional),
                            initial: t.initial.to_decimal(),
                            maintenance: t.maintenance.to_decimal(),
                        })
                        .collect(),
                    open_interest_cap: if m.open_interest_cap_lots == u64::MAX {
                        None
                    } else {
                        lots(m.open_interest_cap_lots)
                    },
                    price_band: m.price_band.to_decimal(),
                    unrealized_profit_weight: m.unrealized_profit_weight.to_decimal(),
                    funding_interval_ms: perpetual.then_some(m.funding.interval_ms),
                    funding_cap_per_interval: perpetual.then(|| m.funding.cap_per_interval.to_decimal()),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use novation_math::Rounding;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn fees_and_tiers_are_fractions_and_unbounded_limits_are_null() {
        let state = State::new(crate::params::Genesis::example(&[novation_types::Address([1; 20])])).unwrap();
        let markets = state.market_infos();
        let btc = markets.iter().find(|m| m.symbol == "BTC-PERP").unwrap();
        let params = &state.params.markets[btc.id.0 as usize];
        assert_eq!(
            btc.taker_fee,
            Decimal::from_ratio(i128::from(params.taker_fee.0), 1_000_000, Rounding::HalfEven).unwrap()
        );
        assert_eq!(btc.tick_size, dec("0.1"));
        assert_eq!(btc.price_decimals, 1);
        assert_eq!(btc.size_decimals, 4);
        assert_eq!(btc.kind, "perpetual");
        assert_eq!(btc.margin_tiers.last().unwrap().max_notional, None);
        assert!(btc.margin_tiers.iter().all(|t| t.initial > t.maintenance && t.initial < Decimal::ONE));
        let usd = state.asset_infos().into_iter().find(|a| a.symbol == "USD").unwrap();
        assert_eq!(usd.index, Some(Decimal::ONE));
        assert_eq!(usd.weight_initial, Decimal::ONE);
    }
}
