//! `novation query fills | funding | history`: an account's past from the node's store
//! (`nov_getFills`, `nov_getFunding`, `nov_getAccountHistory`), a page at a time, newest first.
//!
//! History is kept per address, so a page covers every subaccount of the account; each row
//! names its subaccount. Fills are shown from the account's side: the side it traded, whether
//! it was maker or taker, and its own fee and realised PnL. Each page ends with the cursor of
//! the next, older page (`--before`). `--json` prints the node's page as is.

use serde_json::{json, Value};

use crate::cli::{HistoryKindArg, PageArgs};
use crate::error::{CliError, CliResult};
use crate::events::{event_row, plain, Names};
use crate::markets::{as_decimal, fetch_assets, fetch_markets, MarketInfo};
use crate::rpc::RpcClient;
use crate::table::Table;
use crate::units::price_text;
use crate::Context;

/// Which history a command shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Which {
    /// `query fills`.
    Fills,
    /// `query funding`.
    Funding,
    /// `query history --kind K`.
    Kind(HistoryKindArg),
}

impl Which {
    /// The API's name of the history kind.
    fn kind_name(self) -> &'static str {
        match self {
            Which::Fills => "fills",
            Which::Funding => "funding",
            Which::Kind(kind) => kind.api_name(),
        }
    }

    /// The command that shows the next page.
    fn command(self) -> String {
        match self {
            Which::Fills => "query fills".into(),
            Which::Funding => "query funding".into(),
            Which::Kind(HistoryKindArg::Liquidations) => "query history".into(),
            Which::Kind(kind) => format!("query history --kind {}", kind.api_name()),
        }
    }
}

/// Runs `query fills`, `query funding` or `query history` for `account`.
pub(crate) fn run(
    ctx: &Context,
    rpc: &RpcClient,
    which: Which,
    account: Option<&str>,
    page: &PageArgs,
) -> CliResult<()> {
    let address = crate::tx::resolve_account_or_only_key(ctx, account)?.to_string();
    let mut options = json!({"limit": page.limit});
    if let Some(before) = &page.before {
        options["before"] = json!(before);
    }
    let answer = match which {
        Which::Fills => rpc.call("nov_getFills", json!([address, options]))?,
        Which::Funding => rpc.call("nov_getFunding", json!([address, options]))?,
        Which::Kind(kind) => {
            options["kind"] = json!(kind.api_name());
            rpc.call("nov_getAccountHistory", json!([address, options]))?
        }
    };
    if ctx.json {
        return ctx.print_json(&answer);
    }
    let records = answer
        .get("records")
        .and_then(Value::as_array)
        .ok_or_else(|| CliError::BadResponse(format!("a history page without records: {answer}")))?;
    let markets = fetch_markets(rpc).unwrap_or_default();
    let assets = fetch_assets(rpc);
    let names = Names { markets: &markets, assets: &assets };
    let mut out = format!("{} of {address}, newest first\n\n", which.kind_name());
    let table = match which {
        Which::Fills => fills_table(&address, records, &markets),
        Which::Funding => funding_table(records, &markets),
        Which::Kind(_) => events_table(records, &names),
    };
    if table.is_empty() {
        out.push_str("(none)\n");
    } else {
        out.push_str(&table.render());
    }
    out.push_str(&next_line(&answer, &address, which));
    ctx.print(&out);
    Ok(())
}

/// The last line of a page: the command for the next page, or that there is none.
fn next_line(answer: &Value, address: &str, which: Which) -> String {
    match answer.get("next").and_then(Value::as_str) {
        Some(next) => {
            format!("\nnext page: --before {next}  (novation {} {address} --before {next})\n", which.command())
        }
        None => "\n(no older records)\n".to_string(),
    }
}

/// `2026-12-01 19:30:05` (UTC) for a time in ms since the Unix epoch.
pub(crate) fn utc_seconds(time_ms: u64) -> String {
    format!("{}:{:02}", crate::query::utc_text(time_ms), time_ms / 1_000 % 60)
}

/// A record's block time in UTC.
fn time_of(record: &Value) -> String {
    record.get("time_ms").and_then(Value::as_u64).map_or_else(|| "-".to_string(), utc_seconds)
}

/// The `(name, body)` of an externally tagged event.
fn tagged(event: &Value) -> Option<(&str, &Value)> {
    let object = event.as_object().filter(|o| o.len() == 1)?;
    object.iter().next().map(|(name, body)| (name.as_str(), body))
}

/// The market with id `id`.
fn market_by_id(markets: &[MarketInfo], id: Option<u64>) -> Option<&MarketInfo> {
    markets.iter().find(|m| Some(u64::from(m.id)) == id)
}

/// A decimal field shown as is (`-` when absent).
fn amount(body: &Value, key: &str) -> String {
    body.get(key).and_then(as_decimal).map_or_else(|| "-".to_string(), |d| d.to_string())
}

/// Whether `subaccount` (`{owner, number}`) belongs to `address`.
fn owned_by(subaccount: Option<&Value>, address: &str) -> bool {
    subaccount
        .and_then(|s| s.get("owner"))
        .and_then(Value::as_str)
        .is_some_and(|owner| owner.eq_ignore_ascii_case(address))
}

/// The number of a subaccount (`{owner, number}`), or `-`.
fn number_of(subaccount: Option<&Value>) -> String {
    subaccount.and_then(|s| s.get("number")).map(plain).unwrap_or_else(|| "-".to_string())
}

/// One row per side of each fill the account took part in (both, if it traded with itself
/// across subaccounts).
fn fills_table(address: &str, records: &[Value], markets: &[MarketInfo]) -> Table {
    let mut table = Table::new(&[
        "time (UTC)",
        "market",
        ">sub",
        "side",
        "role",
        ">price",
        ">size",
        ">notional",
        ">fee",
        ">realised pnl",
    ]);
    for record in records {
        let Some(("Fill", fill)) = record.get("event").and_then(tagged) else { continue };
        let market = market_by_id(markets, fill.get("market").and_then(Value::as_u64));
        let symbol = record
            .get("market")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| market.map(|m| m.symbol.clone()))
            .unwrap_or_else(|| plain(fill.get("market").unwrap_or(&Value::Null)));
        let price = match (record.get("price").and_then(as_decimal), market) {
            (Some(price), Some(market)) => price_text(price, market.tick_size),
            (Some(price), None) => price.to_string(),
            (None, _) => format!("{} ticks", plain(fill.get("price_ticks").unwrap_or(&Value::Null))),
        };
        let size = record.get("size").map(plain).unwrap_or_else(|| "-".to_string());
        let taker_side = fill.get("taker_side").and_then(Value::as_str).unwrap_or("?").to_lowercase();
        for role in ["taker", "maker"] {
            if !owned_by(fill.get(role), address) {
                continue;
            }
            let side = match (role, taker_side.as_str()) {
                ("taker", side) => side.to_string(),
                (_, "buy") => "sell".to_string(),
                (_, "sell") => "buy".to_string(),
                (_, other) => other.to_string(),
            };
            table.row([
                time_of(record),
                symbol.clone(),
                number_of(fill.get(role)),
                side,
                role.to_string(),
                price.clone(),
                size.clone(),
                amount(fill, "notional"),
                amount(fill, &format!("{role}_fee")),
                amount(fill, &format!("{role}_realized_pnl")),
            ]);
        }
    }
    table
}

/// One row per funding settlement: received when positive, paid when negative.
fn funding_table(records: &[Value], markets: &[MarketInfo]) -> Table {
    let mut table = Table::new(&["time (UTC)", ">block", "market", ">sub", ">amount (USD)", "direction"]);
    for record in records {
        let Some(("FundingSettled", body)) = record.get("event").and_then(tagged) else { continue };
        let id = body.get("market").and_then(Value::as_u64);
        let symbol = market_by_id(markets, id)
            .map_or_else(|| plain(body.get("market").unwrap_or(&Value::Null)), |m| m.symbol.clone());
        let value = body.get("amount").and_then(as_decimal);
        let direction = match value {
            Some(v) if v.is_negative() => "paid",
            Some(v) if v.is_positive() => "received",
            _ => "-",
        };
        table.row([
            time_of(record),
            record.get("height").map(plain).unwrap_or_default(),
            symbol,
            number_of(body.get("subaccount")),
            value.map_or_else(|| "-".to_string(), |v| v.to_string()),
            direction.to_string(),
        ]);
    }
    table
}

/// Any events, one row each, in the event table's columns with time, block and subaccount.
pub(crate) fn events_table(records: &[Value], names: &Names<'_>) -> Table {
    let mut table =
        Table::new(&["time (UTC)", ">block", "event", "market", ">sub", ">order", "side", ">price", ">size", "detail"]);
    for record in records {
        let event = record.get("event").unwrap_or(&Value::Null);
        let sub = tagged(event).map(|(_, body)| number_of(body.get("subaccount"))).unwrap_or_default();
        let cells = event_row(event, names);
        let mut row = vec![time_of(record), record.get("height").map(plain).unwrap_or_default()];
        row.push(cells[0].clone());
        row.push(cells[1].clone());
        row.push(sub);
        row.extend(cells[2..].iter().cloned());
        table.row(row);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &str = "0x00000000000000000000000000000000000000aa";
    const THEM: &str = "0x00000000000000000000000000000000000000bb";

    fn markets() -> Vec<MarketInfo> {
        vec![MarketInfo::btc_perp_for_tests()]
    }

    fn fill(maker: &str, taker: &str, taker_side: &str) -> Value {
        json!({"height": 42, "seq": 3, "time_ms": 1_795_766_405_000u64, "tx_index": 0,
            "market": "BTC-PERP", "price": "58000", "size": "0.004",
            "event": {"Fill": {"market": 0, "maker_order": 1, "taker_order": 2,
                "maker": {"owner": maker, "number": 1}, "taker": {"owner": taker, "number": 0},
                "taker_side": taker_side, "price_ticks": 580000, "size_lots": 40, "notional": "232",
                "maker_fee": "-0.0232", "taker_fee": "0.116", "maker_realized_pnl": "0",
                "taker_realized_pnl": "-1.5"}}})
    }

    #[test]
    fn a_fill_shows_the_accounts_own_side_role_fee_and_pnl() {
        let text = fills_table(ME, &[fill(THEM, ME, "Sell"), fill(ME, THEM, "Sell")], &markets()).render();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("time (UTC)") && lines[0].contains("realised pnl"), "{text}");
        assert_eq!(
            lines[2],
            "2026-11-27 08:00:05  BTC-PERP    0  sell  taker  58000.0  0.004       232    0.116          -1.5"
        );
        assert_eq!(
            lines[3],
            "2026-11-27 08:00:05  BTC-PERP    1  buy   maker  58000.0  0.004       232  -0.0232             0"
        );
    }

    #[test]
    fn a_fill_with_itself_across_subaccounts_shows_both_sides() {
        let text = fills_table(ME, &[fill(ME, ME, "Buy")], &markets()).render();
        assert!(text.contains("buy   taker") && text.contains("sell  maker"), "{text}");
        assert_eq!(fills_table(ME, &[fill(THEM, THEM, "Buy")], &markets()).render().lines().count(), 2);
    }

    #[test]
    fn funding_says_received_or_paid() {
        let record = |amount: &str| {
            json!({"height": 9, "seq": 0, "time_ms": 0, "tx_index": null, "event": {"FundingSettled":
                {"subaccount": {"owner": ME, "number": 0}, "market": 0, "amount": amount}}})
        };
        let text = funding_table(&[record("-0.25"), record("1.5")], &markets()).render();
        assert!(text.contains("BTC-PERP    0         -0.25  paid"), "{text}");
        assert!(text.contains("1.5  received"), "{text}");
    }

    #[test]
    fn other_events_show_their_block_subaccount_and_details() {
        let record = json!({"height": 77, "seq": 1, "time_ms": 0, "tx_index": null, "event": {"AutoDeleveraged":
            {"subaccount": {"owner": ME, "number": 2}, "bankrupt": {"owner": THEM, "number": 0}, "market": 0,
             "size_lots": 40, "price": "57000"}}});
        let text = events_table(&[record], &Names { markets: &markets(), assets: &[] }).render();
        assert!(text.contains("77  auto deleveraged  BTC-PERP    2"), "{text}");
        assert!(text.contains("0.004") && text.contains("price=57000"), "{text}");
    }

    #[test]
    fn a_page_ends_with_the_next_cursor_or_says_it_is_the_last() {
        let line = next_line(&json!({"next": "42:3"}), ME, Which::Fills);
        assert!(line.contains("--before 42:3") && line.contains("novation query fills"), "{line}");
        let line = next_line(&json!({"next": "9:0"}), ME, Which::Kind(HistoryKindArg::Orders));
        assert!(line.contains("query history --kind orders"), "{line}");
        assert!(next_line(&json!({"next": null}), ME, Which::Funding).contains("no older records"));
    }

    #[test]
    fn times_have_seconds() {
        assert_eq!(utc_seconds(1_795_766_405_000), "2026-11-27 08:00:05");
    }
}
