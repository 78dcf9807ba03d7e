//! Protocol events (`{"Fill": {...}}`, externally tagged as in novation's JSON) as a readable
//! table: ticks and lots become prices and sizes, ids become symbols, everything else lands in
//! a detail column. Unknown events still print, by name and fields.

use serde_json::Value;

use crate::markets::{as_decimal, asset_symbol, AssetInfo, MarketInfo};
use crate::table::Table;
use crate::units::{from_steps, price_text};

/// Fields shown in their own columns (or not at all), never in the detail column.
const COLUMN_FIELDS: &[&str] = &[
    "market",
    "order_id",
    "taker_order",
    "side",
    "taker_side",
    "price_ticks",
    "size_lots",
    "remaining_lots",
    "subaccount",
    "maker",
    "taker",
    "account",
];

/// What the event table needs to name things.
pub(crate) struct Names<'a> {
    /// Markets (for symbols, ticks and lots).
    pub(crate) markets: &'a [MarketInfo],
    /// Assets (for symbols).
    pub(crate) assets: &'a [AssetInfo],
}

impl Names<'_> {
    fn market(&self, value: Option<&Value>) -> Option<&MarketInfo> {
        let id = value?.as_u64()?;
        self.markets.iter().find(|m| u64::from(m.id) == id)
    }
}

/// A table of `events`.
pub(crate) fn events_table(events: &[Value], names: &Names<'_>) -> Table {
    let mut table = Table::new(&["event", "market", ">order", "side", ">price", ">size", "detail"]);
    for event in events {
        // Lists of a block's events wrap each one as `{"tx_index": .., "event": {..}}`.
        let event = event.get("event").unwrap_or(event);
        table.row(event_row(event, names));
    }
    table
}

/// The seven cells of one event: name, market, order, side, price, size, detail.
pub(crate) fn event_row(event: &Value, names: &Names<'_>) -> Vec<String> {
    let (name, body) = match event.as_object().filter(|o| o.len() == 1).and_then(|o| o.iter().next()) {
        Some((name, body)) => (name.as_str(), body),
        None => {
            return vec![
                "event".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                event.to_string(),
            ]
        }
    };
    let get = |key: &str| body.get(key);
    let market = names.market(get("market"));
    let market_name = match (market, get("market")) {
        (Some(m), _) => m.symbol.clone(),
        (None, Some(v)) if !v.is_null() => plain(v),
        _ => String::new(),
    };
    let order = get("order_id").or_else(|| get("taker_order")).map(plain).unwrap_or_default();
    let side = get("side").or_else(|| get("taker_side")).map(|s| plain(s).to_lowercase()).unwrap_or_default();
    let ticks_text = |ticks: u64| match market {
        Some(m) => {
            from_steps(ticks, m.tick_size).map_or_else(|| format!("{ticks} ticks"), |p| price_text(p, m.tick_size))
        }
        None => format!("{ticks} ticks"),
    };
    let price = get("price_ticks").and_then(Value::as_u64).map(ticks_text);
    let lots = get("size_lots").or_else(|| get("remaining_lots")).and_then(Value::as_u64);
    let size = lots.map(|lots| match market {
        Some(m) => from_steps(lots, m.lot_size).map_or_else(|| format!("{lots} lots"), |s| s.to_string()),
        None => format!("{lots} lots"),
    });
    let mut detail = Vec::new();
    if get("remaining_lots").is_some() && name == "OrderRested" {
        detail.push("resting".to_string());
    }
    if name == "MarginModeChanged" && get("isolated_market").is_some_and(Value::is_null) {
        detail.push("cross margin".to_string());
    }
    if let Some(fields) = body.as_object() {
        for (key, value) in fields {
            let zero_pnl = key.ends_with("realized_pnl") && as_decimal(value).is_some_and(|pnl| pnl.is_zero());
            if COLUMN_FIELDS.contains(&key.as_str()) || value.is_null() || zero_pnl {
                continue;
            }
            let shown = match (key.as_str(), value.as_u64()) {
                ("asset", Some(id)) => asset_symbol(names.assets, u16::try_from(id).unwrap_or(u16::MAX)),
                ("isolated_market", Some(_)) => {
                    names.market(Some(value)).map_or_else(|| plain(value), |m| m.symbol.clone())
                }
                ("trigger_price_ticks", Some(ticks)) => {
                    detail.push(format!("trigger={}", ticks_text(ticks)));
                    continue;
                }
                // A subaccount (`{owner, number}`) by its number: the owner is the account's.
                _ => match value.get("number").filter(|_| value.get("owner").is_some()) {
                    Some(number) => format!("sub {}", plain(number)),
                    None => plain(value),
                },
            };
            detail.push(format!("{key}={shown}"));
        }
    }
    vec![
        humanize(name),
        market_name,
        order,
        side,
        price.unwrap_or_default(),
        size.unwrap_or_default(),
        detail.join(" "),
    ]
}

/// A JSON value as plain text (strings without quotes).
pub(crate) fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_string(),
        other => match as_decimal(other) {
            Some(decimal) if other.is_number() => decimal.to_string(),
            _ => other.to_string(),
        },
    }
}

/// `OrderAccepted` → `order accepted`.
fn humanize(name: &str) -> String {
    let mut out = String::new();
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names_for_test() -> (Vec<MarketInfo>, Vec<AssetInfo>) {
        let markets = vec![MarketInfo {
            id: 0,
            symbol: "BTC-PERP".into(),
            tick_size: "0.1".parse().unwrap(),
            lot_size: "0.0001".parse().unwrap(),
            ..Default::default()
        }];
        let assets = vec![AssetInfo { id: 0, symbol: "USD".into() }];
        (markets, assets)
    }

    #[test]
    fn a_fill_shows_price_size_and_fees_in_human_units() {
        let (markets, assets) = names_for_test();
        let names = Names { markets: &markets, assets: &assets };
        let fill = json!({"Fill": {"market": 0, "maker_order": 1, "taker_order": 2, "maker": {}, "taker": {},
            "taker_side": "Buy", "price_ticks": 650001, "size_lots": 150, "notional": "975.0015",
            "maker_fee": "-0.0975", "taker_fee": "0.4876", "maker_realized_pnl": "0", "taker_realized_pnl": "0"}});
        let row = event_row(&fill, &names);
        assert_eq!(&row[..6], ["fill", "BTC-PERP", "2", "buy", "65000.1", "0.015"]);
        let transfer = json!({"Transferred": {"from": {"owner": "0xaa", "number": 0}, "to": {"owner": "0xaa", "number": 1},
            "asset": 0, "amount": "100"}});
        assert_eq!(event_row(&transfer, &names)[6], "amount=100 asset=USD from=sub 0 to=sub 1");
        let trigger =
            json!({"TriggerPlaced": {"order_id": 2, "subaccount": {}, "market": 0, "trigger_price_ticks": 550000}});
        assert_eq!(event_row(&trigger, &names)[6], "trigger=55000.0");
        let isolated = json!({"MarginModeChanged": {"subaccount": {}, "isolated_market": 0}});
        assert_eq!(event_row(&isolated, &names)[6], "isolated_market=BTC-PERP");
        let cross = json!({"MarginModeChanged": {"subaccount": {}, "isolated_market": null}});
        assert_eq!(event_row(&cross, &names)[6], "cross margin");
        assert!(row[6].contains("taker_fee=0.4876"), "{}", row[6]);
        assert!(row[6].contains("maker_order=1"), "{}", row[6]);
        assert!(!row[6].contains("realized_pnl"), "zero PnL is left out: {}", row[6]);
    }

    #[test]
    fn deposits_name_their_asset_and_unknown_events_still_print() {
        let (markets, assets) = names_for_test();
        let names = Names { markets: &markets, assets: &assets };
        let row = event_row(&json!({"Deposited": {"subaccount": {}, "asset": 0, "amount": "100"}}), &names);
        assert_eq!(row[0], "deposited");
        assert_eq!(row[6], "amount=100 asset=USD");
        let row = event_row(&json!({"SomethingNew": {"x": 1}}), &names);
        assert_eq!((row[0].as_str(), row[6].as_str()), ("something new", "x=1"));
        let text = events_table(&[json!("odd")], &names).render();
        assert!(text.contains("\"odd\""));
    }
}
