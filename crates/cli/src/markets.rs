//! What the command needs to know about markets and assets: resolving a symbol or id typed by
//! a user, and each market's tick and lot sizes (from `nov_getMarkets`) to convert human units.
//! The node's JSON is read leniently: a field may sit at the top of a market object or one
//! level down (e.g. under `params` or `stats`).

use novation_math::{Decimal, Ppm};
use novation_protocol::params::Genesis;
use serde_json::Value;

use crate::error::{CliError, CliResult};
use crate::rpc::RpcClient;

/// A market's identity, grid, fees and margin, as far as the command needs them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MarketInfo {
    /// Market id.
    pub(crate) id: u16,
    /// Symbol, e.g. `BTC-PERP`.
    pub(crate) symbol: String,
    /// Price step in quote per base unit.
    pub(crate) tick_size: Decimal,
    /// Size step in base units.
    pub(crate) lot_size: Decimal,
    /// Smallest order in lots (0 when the node did not say).
    pub(crate) min_order_lots: u64,
    /// Maker fee rate as a fraction (negative: a rebate).
    pub(crate) maker_fee: Option<Decimal>,
    /// Taker fee rate as a fraction.
    pub(crate) taker_fee: Option<Decimal>,
    /// Initial margin fraction of the smallest positions (the first margin tier).
    pub(crate) initial_margin: Option<Decimal>,
    /// The mark price when the markets were fetched.
    pub(crate) mark: Option<Decimal>,
}

impl MarketInfo {
    /// BTC-PERP with the devnet's tick (0.1) and lot (0.0001), for unit tests.
    #[cfg(test)]
    pub(crate) fn btc_perp_for_tests() -> MarketInfo {
        MarketInfo {
            id: 0,
            symbol: "BTC-PERP".into(),
            tick_size: "0.1".parse().unwrap(),
            lot_size: "0.0001".parse().unwrap(),
            ..Default::default()
        }
    }

    /// The smallest order as a size in base units.
    pub(crate) fn min_size(&self) -> Decimal {
        Decimal::from_units(i128::from(self.min_order_lots.max(1)), self.lot_size).unwrap_or(self.lot_size)
    }
}

/// `value[key]`, or the same key inside one of `value`'s object fields.
pub(crate) fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    if let Some(found) = object.get(key) {
        return Some(found);
    }
    object.values().filter(|inner| inner.is_object()).find_map(|inner| inner.as_object().and_then(|o| o.get(key)))
}

/// A decimal field (a decimal string or a JSON number).
pub(crate) fn decimal_field(value: &Value, key: &str) -> Option<Decimal> {
    as_decimal(field(value, key)?)
}

/// A JSON string or number as a decimal.
pub(crate) fn as_decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::String(text) => text.parse().ok(),
        Value::Number(number) => number.to_string().parse().ok(),
        _ => None,
    }
}

/// A rate as a fraction of one, from either form the node uses: parts per million (a JSON
/// integer, as in the raw market parameters) or a fraction (a decimal string, as in the
/// human-unit market info).
fn rate(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(number) => number.as_i64().map(|ppm| Ppm::new(ppm).to_decimal()),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

fn rate_field(value: &Value, key: &str) -> Option<Decimal> {
    field(value, key).and_then(rate)
}

/// An id field: a number, or a newtype written as a one-field array/object.
fn id_field(value: &Value, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|key| field(value, key).and_then(Value::as_u64))
}

/// The list of markets in a `nov_getMarkets` result (an array, or an object holding one).
fn market_list(result: &Value) -> Vec<&Value> {
    match result {
        Value::Array(items) => items.iter().collect(),
        Value::Object(object) => match object.get("markets") {
            Some(Value::Array(items)) => items.iter().collect(),
            _ => object.values().filter(|v| v.is_object()).collect(),
        },
        _ => Vec::new(),
    }
}

/// Every market of a `nov_getMarkets` result.
pub(crate) fn parse_markets(result: &Value) -> CliResult<Vec<MarketInfo>> {
    market_list(result)
        .into_iter()
        .map(|market| {
            let missing = |what: &str| CliError::BadResponse(format!("a market without `{what}`: {market}"));
            let id = id_field(market, &["id", "market", "market_id"]).ok_or_else(|| missing("id"))?;
            Ok(MarketInfo {
                id: u16::try_from(id).map_err(|_| missing("id below 65536"))?,
                symbol: field(market, "symbol").and_then(Value::as_str).ok_or_else(|| missing("symbol"))?.to_string(),
                tick_size: decimal_field(market, "tick_size").ok_or_else(|| missing("tick_size"))?,
                lot_size: decimal_field(market, "lot_size").ok_or_else(|| missing("lot_size"))?,
                min_order_lots: field(market, "min_order_lots").and_then(Value::as_u64).unwrap_or(0),
                maker_fee: rate_field(market, "maker_fee"),
                taker_fee: rate_field(market, "taker_fee"),
                initial_margin: field(market, "margin_tiers")
                    .and_then(|tiers| tiers.get(0))
                    .and_then(|tier| tier.get("initial"))
                    .and_then(rate),
                mark: decimal_field(market, "mark"),
            })
        })
        .collect()
}

/// The market named `name` (symbol, any case, or id) among `markets`.
pub(crate) fn find_market<'a>(markets: &'a [MarketInfo], name: &str) -> CliResult<&'a MarketInfo> {
    let by_id = name.parse::<u16>().ok();
    markets.iter().find(|m| Some(m.id) == by_id || m.symbol.eq_ignore_ascii_case(name)).ok_or_else(|| {
        let known: Vec<&str> = markets.iter().map(|m| m.symbol.as_str()).collect();
        CliError::refused(
            format!("unknown market `{name}`: the markets are {}", known.join(", ")),
            "see `novation query markets`",
        )
    })
}

/// The node's markets.
pub(crate) fn fetch_markets(rpc: &RpcClient) -> CliResult<Vec<MarketInfo>> {
    parse_markets(&rpc.call("nov_getMarkets", Value::Array(Vec::new()))?)
}

/// An asset's id and symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AssetInfo {
    /// Asset id.
    pub(crate) id: u16,
    /// Symbol, e.g. `USD`.
    pub(crate) symbol: String,
}

/// The assets the node reports in `nov_getSystemTotals` (`collateral` entries with `asset`
/// and `symbol`), or, if it reports none, those of the example genesis the devnet runs.
pub(crate) fn fetch_assets(rpc: &RpcClient) -> Vec<AssetInfo> {
    let mut assets = Vec::new();
    if let Ok(totals) = rpc.call("nov_getSystemTotals", Value::Array(Vec::new())) {
        for key in ["collateral", "net_deposits", "assets"] {
            for entry in totals.get(key).and_then(Value::as_array).into_iter().flatten() {
                let id = id_field(entry, &["asset", "id"]).and_then(|id| u16::try_from(id).ok());
                let symbol = entry.get("symbol").and_then(Value::as_str);
                if let (Some(id), Some(symbol)) = (id, symbol) {
                    if !assets.iter().any(|a: &AssetInfo| a.id == id) {
                        assets.push(AssetInfo { id, symbol: symbol.to_string() });
                    }
                }
            }
        }
    }
    if assets.is_empty() {
        assets = example_assets();
    }
    assets
}

fn example_assets() -> Vec<AssetInfo> {
    Genesis::example(&[]).assets.iter().map(|a| AssetInfo { id: a.id.0, symbol: a.symbol.clone() }).collect()
}

/// The asset named `name` (symbol, any case, or id) among `assets`.
pub(crate) fn find_asset<'a>(assets: &'a [AssetInfo], name: &str) -> CliResult<&'a AssetInfo> {
    let by_id = name.parse::<u16>().ok();
    assets.iter().find(|a| Some(a.id) == by_id || a.symbol.eq_ignore_ascii_case(name)).ok_or_else(|| {
        let known: Vec<&str> = assets.iter().map(|a| a.symbol.as_str()).collect();
        CliError::refused(
            format!("unknown asset `{name}`: the assets are {}", known.join(", ")),
            "name an asset by symbol or id",
        )
    })
}

/// The symbol of asset `id`, or the id itself.
pub(crate) fn asset_symbol(assets: &[AssetInfo], id: u16) -> String {
    assets.iter().find(|a| a.id == id).map_or_else(|| format!("#{id}"), |a| a.symbol.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn flat_and_nested_market_objects_both_parse() {
        let flat = json!([{"id": 0, "symbol": "BTC-PERP", "tick_size": "0.1", "lot_size": "0.0001"}]);
        let nested = json!({"markets": [{"params": {"id": 1, "symbol": "ETH-PERP", "tick_size": "0.01",
            "lot_size": "0.001"}, "stats": {"market": 1, "volume": "0"}}]});
        let flat = parse_markets(&flat).unwrap();
        assert_eq!(
            flat[0],
            MarketInfo {
                id: 0,
                symbol: "BTC-PERP".into(),
                tick_size: dec("0.1"),
                lot_size: dec("0.0001"),
                min_order_lots: 0,
                ..Default::default()
            }
        );
        let nested = parse_markets(&nested).unwrap();
        assert_eq!((nested[0].id, nested[0].lot_size), (1, dec("0.001")));
        let full = json!([{"params": {"id": 0, "symbol": "BTC-PERP", "tick_size": "0.1", "lot_size": "0.0001",
            "min_order_lots": 10, "maker_fee": -100, "taker_fee": 500,
            "margin_tiers": [{"max_notional": "1000000", "initial": 50000, "maintenance": 30000}]},
            "stats": {"mark": "60000.5"}}]);
        let full = &parse_markets(&full).unwrap()[0];
        assert_eq!((full.min_order_lots, full.min_size()), (10, dec("0.001")));
        assert_eq!((full.maker_fee, full.taker_fee), (Some(dec("-0.0001")), Some(dec("0.0005"))));
        assert_eq!((full.initial_margin, full.mark), (Some(dec("0.05")), Some(dec("60000.5"))));
        // The human-unit form (`info`: fractions as decimal strings) reads the same.
        let info = json!([{"info": {"id": 0, "symbol": "BTC-PERP", "tick_size": "0.1", "lot_size": "0.0001",
            "maker_fee": "-0.0001", "taker_fee": "0.0005",
            "margin_tiers": [{"max_notional": "1000000", "initial": "0.05", "maintenance": "0.03"}]},
            "params": {"id": 0, "symbol": "BTC-PERP", "tick_size": "0.1", "lot_size": "0.0001", "min_order_lots": 10,
            "maker_fee": -100, "taker_fee": 500}, "stats": {"mark": "60000.5"}}]);
        assert_eq!(&parse_markets(&info).unwrap()[0], full);
    }

    #[test]
    fn a_market_without_its_grid_is_a_bad_response() {
        assert!(matches!(parse_markets(&json!([{"id": 0, "symbol": "X"}])), Err(CliError::BadResponse(_))));
    }

    #[test]
    fn markets_resolve_by_symbol_in_any_case_or_by_id() {
        let markets = parse_markets(&json!([
            {"id": 0, "symbol": "BTC-PERP", "tick_size": "0.1", "lot_size": "0.0001"},
            {"id": 1, "symbol": "ETH-PERP", "tick_size": "0.01", "lot_size": "0.001"},
        ]))
        .unwrap();
        assert_eq!(find_market(&markets, "btc-perp").unwrap().id, 0);
        assert_eq!(find_market(&markets, "1").unwrap().symbol, "ETH-PERP");
        let error = find_market(&markets, "DOGE-PERP").unwrap_err().to_string();
        assert_eq!(error, "unknown market `DOGE-PERP`: the markets are BTC-PERP, ETH-PERP (nothing was sent)");
    }

    #[test]
    fn the_example_assets_are_known_offline() {
        let assets = example_assets();
        assert_eq!(find_asset(&assets, "usd").unwrap().id, 0);
        assert_eq!(find_asset(&assets, "BTC").unwrap().id, 1);
        assert!(find_asset(&assets, "DOGE").unwrap_err().to_string().contains("unknown asset `DOGE`"));
        assert_eq!(asset_symbol(&assets, 2), "ETH");
        assert_eq!(asset_symbol(&assets, 99), "#99");
    }
}
