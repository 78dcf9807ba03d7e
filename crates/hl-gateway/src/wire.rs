//! Hyperliquid's wire conventions, from novation's own values: numbers as decimal strings,
//! and the mapping between novation's markets and Hyperliquid's coins and asset ids.
//!
//! Numbers: Hyperliquid sends every price, size and amount as a decimal string with no
//! exponent and no trailing fractional zeros, but with at least one fractional digit
//! (`"26951.0"`, `"0.0"`, `"2.111"`, `"-0.00756643"`). [`number`] prints a [`Decimal`] so;
//! nothing here goes through floating point.
//!
//! Coins: Hyperliquid's perpetual universe lists coins by name (`BTC`); novation's perpetual
//! `X-PERP` is the coin `X`, and its asset id is its position among novation's perpetuals
//! in market-id order (what `meta`'s `universe` lists). Dated futures and options have no
//! place in that universe and are not listed (docs/hyperliquid.md).

use novation_math::{Decimal, Rounding};
use novation_protocol::params::MarketParams;
use novation_protocol::State;
use novation_types::MarketId;

/// A decimal as Hyperliquid writes it: shortest exact form, always with a fractional part.
pub(crate) fn number(value: Decimal) -> String {
    let text = value.to_string();
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// Decimals of a USD amount on Hyperliquid's wire (USDC has 6).
pub(crate) const USD_DECIMALS: u32 = 6;

/// A USD amount as Hyperliquid writes it: [`number`] rounded to [`USD_DECIMALS`] by
/// `rounding` (requirements up, what may be withdrawn down, values half-even).
pub(crate) fn usd(value: Decimal, rounding: Rounding) -> String {
    number(value.round_dp(USD_DECIMALS, rounding).unwrap_or(value))
}

/// [`number`], or JSON `null` when absent.
pub(crate) fn optional_number(value: Option<Decimal>) -> serde_json::Value {
    value.map_or(serde_json::Value::Null, |v| serde_json::Value::String(number(v)))
}

/// One perpetual as a Hyperliquid coin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Coin {
    /// Hyperliquid's name: the symbol without `-PERP`.
    pub(crate) name: String,
    /// Hyperliquid's asset id: the index in the universe.
    pub(crate) asset: u32,
    /// novation's market.
    pub(crate) market: MarketId,
    /// Size decimals, see [`size_decimals`].
    pub(crate) sz_decimals: u32,
    /// Highest leverage.
    pub(crate) max_leverage: u32,
    /// Price step.
    pub(crate) tick_size: Decimal,
    /// Size step.
    pub(crate) lot_size: Decimal,
}

fn coin_name(params: &MarketParams) -> String {
    params.symbol.strip_suffix("-PERP").unwrap_or(&params.symbol).to_string()
}

/// Every perpetual of `state` as a coin, in universe order.
pub(crate) fn universe(state: &State) -> Vec<Coin> {
    state
        .hyperliquid_markets()
        .enumerate()
        .map(|(index, m)| Coin {
            name: coin_name(m),
            asset: index as u32,
            market: m.id,
            // A size has the lot's decimals (and must still be a whole number of lots).
            sz_decimals: m.lot_size.decimal_places(),
            max_leverage: m.max_leverage,
            tick_size: m.tick_size,
            lot_size: m.lot_size,
        })
        .collect()
}

/// The coin named `name` (exactly, as Hyperliquid's names are case-sensitive).
pub(crate) fn coin_by_name(state: &State, name: &str) -> Option<Coin> {
    universe(state).into_iter().find(|c| c.name == name)
}

/// The coin of `market`, if it is a perpetual.
pub(crate) fn coin_of_market(coins: &[Coin], market: MarketId) -> Option<&Coin> {
    coins.iter().find(|c| c.market == market)
}

impl Coin {
    /// A price in ticks as a decimal.
    pub(crate) fn price(&self, ticks: u64) -> Decimal {
        Decimal::from_units(i128::from(ticks), self.tick_size).unwrap_or_default()
    }

    /// A size in lots as a decimal.
    pub(crate) fn size(&self, lots: u64) -> Decimal {
        Decimal::from_units(i128::from(lots), self.lot_size).unwrap_or_default()
    }

    /// A signed size in lots as a decimal.
    pub(crate) fn signed_size(&self, lots: i64) -> Decimal {
        Decimal::from_units(i128::from(lots), self.lot_size).unwrap_or_default()
    }
}

/// `numerator / denominator` to 8 decimals (Hyperliquid's precision for ratios such as
/// `returnOnEquity`), half-even; `None` when the denominator is zero or the ratio overflows.
pub(crate) fn ratio(numerator: Decimal, denominator: Decimal) -> Option<Decimal> {
    if denominator.is_zero() {
        return None;
    }
    numerator.div(denominator, Rounding::HalfEven).ok()?.round_dp(8, Rounding::HalfEven).ok()
}

/// The candle intervals served (as the node's history keeps them; Hyperliquid's `1M` is not).
pub(crate) const CANDLE_INTERVALS: [&str; 13] =
    ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "8h", "12h", "1d", "3d", "1w"];

/// A trade id unique per fill: its block height × 2²⁰ plus its event's number in the block.
pub(crate) fn trade_id(height: u64, seq: u32) -> u64 {
    height.saturating_mul(1 << 20).saturating_add(u64::from(seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn numbers_print_as_hyperliquid_does() {
        assert_eq!(number(dec("26951")), "26951.0");
        assert_eq!(number(Decimal::ZERO), "0.0");
        assert_eq!(number(dec("2.1110")), "2.111");
        assert_eq!(number(dec("-0.00756643")), "-0.00756643");
        assert_eq!(number(dec("-3")), "-3.0");
        assert_eq!(number(dec("0.0001")), "0.0001");
    }

    #[test]
    fn usd_amounts_keep_six_decimals_rounded_as_asked() {
        assert_eq!(usd(dec("120.6244394358198"), Rounding::Ceil), "120.62444");
        assert_eq!(usd(dec("1792595.6519095318894413"), Rounding::Floor), "1792595.651909");
        assert_eq!(usd(dec("-0.1773270349"), Rounding::HalfEven), "-0.177327");
        assert_eq!(usd(dec("5"), Rounding::HalfEven), "5.0");
    }

    #[test]
    fn size_decimals_follow_the_lot_size() {
        assert_eq!(dec("0.0001").decimal_places(), 4);
        assert_eq!(dec("0.01").decimal_places(), 2);
        assert_eq!(dec("1").decimal_places(), 0);
        assert_eq!(dec("10").decimal_places(), 0);
        assert_eq!(dec("0.0005").decimal_places(), 4);
    }

    #[test]
    fn ratios_round_to_eight_decimals_and_refuse_zero() {
        assert_eq!(ratio(dec("1"), dec("3")), Some(dec("0.33333333")));
        assert_eq!(ratio(dec("1"), Decimal::ZERO), None);
    }

    #[test]
    fn the_universe_lists_perpetuals_as_coins() {
        let genesis = novation_protocol::params::Genesis::example(&[]);
        let state = State::new(genesis).unwrap();
        let coins = universe(&state);
        assert_eq!(coins[0].name, "BTC");
        assert_eq!(coins[0].asset, 0);
        assert_eq!(coins[0].sz_decimals, 4);
        assert!(coins.iter().all(|c| !c.name.ends_with("-PERP")));
        assert_eq!(coin_by_name(&state, "BTC").map(|c| c.market), Some(coins[0].market));
        assert_eq!(coin_by_name(&state, "btc"), None, "names are case-sensitive");
    }
}
