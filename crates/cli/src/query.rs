//! `novation query`: read the chain through the node's JSON-RPC API and print aligned tables
//! (or the node's JSON as is with `--json`).

use serde_json::{json, Value};

use crate::cli::QueryCommand;
use crate::error::{CliError, CliResult};
use crate::events::{events_table, plain, Names};
use crate::markets::{decimal_field, fetch_assets, fetch_markets, field, find_market, parse_markets, MarketInfo};
use crate::rpc::RpcClient;
use crate::table::{key_values, Table};
use crate::tx::resolve_address;
use crate::units::from_steps;
use crate::Context;

/// Runs `novation query`.
pub(crate) fn run(ctx: &Context, command: &QueryCommand) -> CliResult<()> {
    let rpc = RpcClient::new(&ctx.rpc);
    let text = match command {
        QueryCommand::Status => {
            let status = rpc.call("nov_status", json!([]))?;
            if ctx.json {
                return ctx.print_json(&status);
            }
            render_status(&status)
        }
        QueryCommand::Markets => {
            let result = rpc.call("nov_getMarkets", json!([]))?;
            if ctx.json {
                return ctx.print_json(&result);
            }
            render_markets(&result)?
        }
        QueryCommand::Book { market, depth } => {
            let markets = fetch_markets(&rpc)?;
            let market = find_market(&markets, market)?;
            let book = rpc.call("nov_getBook", json!([market.id, depth]))?;
            if ctx.json {
                return ctx.print_json(&book);
            }
            render_book(&book, market)
        }
        QueryCommand::Account { account, subaccount } => {
            let address = resolve_address(ctx, account)?;
            let view = rpc.call("nov_getAccount", json!([address.to_string(), subaccount]))?;
            if ctx.json {
                return ctx.print_json(&view);
            }
            render_account(&address.to_string(), *subaccount, &view)
        }
        QueryCommand::Block { height } => {
            let block = rpc.call("nov_getBlock", json!([height]))?;
            if ctx.json {
                return ctx.print_json(&block);
            }
            if block.is_null() {
                return Err(CliError::Input(format!("no block at height {height} yet")));
            }
            let markets = fetch_markets(&rpc).unwrap_or_default();
            let assets = fetch_assets(&rpc);
            render_block(&block, &Names { markets: &markets, assets: &assets })
        }
        QueryCommand::Risk => {
            let risk = rpc.call("nov_getRiskView", json!([10]))?;
            let totals = rpc.call("nov_getSystemTotals", json!([])).unwrap_or(Value::Null);
            if ctx.json {
                return ctx.print_json(&json!({ "risk": risk, "totals": totals }));
            }
            render_risk(&risk, &totals)
        }
    };
    ctx.print(&text);
    Ok(())
}

fn text_of(value: &Value, key: &str) -> String {
    field(value, key).map(plain).unwrap_or_else(|| "-".to_string())
}

fn render_status(status: &Value) -> String {
    key_values(&[
        ("chain id", text_of(status, "chain_id")),
        ("height", text_of(status, "height")),
        ("time (ms)", text_of(status, "time_ms")),
        ("block hash", text_of(status, "block_hash")),
        ("state root", text_of(status, "state_root")),
    ])
}

fn ticks_text(value: &Value, key: &str, tick_size: novation_math::Decimal) -> String {
    match field(value, key).and_then(Value::as_u64) {
        Some(ticks) => from_steps(ticks, tick_size).map_or_else(|| ticks.to_string(), |p| p.to_string()),
        None => "-".to_string(),
    }
}

fn render_markets(result: &Value) -> CliResult<String> {
    let infos = parse_markets(result)?;
    let list: Vec<&Value> = match result {
        Value::Array(items) => items.iter().collect(),
        other => other.get("markets").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default(),
    };
    let mut table = Table::new(&[
        "market",
        ">id",
        ">tick",
        ">lot",
        ">mark",
        ">index",
        "oracle",
        ">best bid",
        ">best ask",
        ">open interest",
        ">volume",
        "status",
    ]);
    for (info, market) in infos.iter().zip(list) {
        table.row([
            info.symbol.clone(),
            info.id.to_string(),
            info.tick_size.to_string(),
            info.lot_size.to_string(),
            text_of(market, "mark"),
            text_of(market, "index"),
            text_of(market, "index_validity"),
            ticks_text(market, "best_bid_ticks", info.tick_size),
            ticks_text(market, "best_ask_ticks", info.tick_size),
            text_of(market, "open_interest_notional"),
            text_of(market, "volume"),
            text_of(market, "status"),
        ]);
    }
    Ok(table.render())
}

fn render_book(book: &Value, market: &MarketInfo) -> String {
    let side = |key: &str| book.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let (bids, asks) = (side("bids"), side("asks"));
    let level = |level: &Value| -> (String, String, String) {
        let price = decimal_field(level, "price")
            .map(|p| p.to_string())
            .unwrap_or_else(|| ticks_text(level, "price_ticks", market.tick_size));
        let size = match field(level, "size_lots").and_then(Value::as_u64) {
            Some(lots) => from_steps(lots, market.lot_size).map_or_else(|| lots.to_string(), |s| s.to_string()),
            None => text_of(level, "size"),
        };
        (price, size, text_of(level, "orders"))
    };
    let mut table = Table::new(&[">orders", ">bid size", ">bid", ">ask", ">ask size", ">orders"]);
    for row in 0..bids.len().max(asks.len()) {
        let (bid_price, bid_size, bid_orders) = bids.get(row).map(level).unwrap_or_default();
        let (ask_price, ask_size, ask_orders) = asks.get(row).map(level).unwrap_or_default();
        table.row([bid_orders, bid_size, bid_price, ask_price, ask_size, ask_orders]);
    }
    let mut out = format!("{} order book\n\n", market.symbol);
    if table.is_empty() {
        out.push_str("(empty)\n");
    } else {
        out.push_str(&table.render());
    }
    out
}

fn render_account(address: &str, subaccount: u16, view: &Value) -> String {
    let mut out = format!("account {address} / subaccount {subaccount}\n");
    if view.is_null() {
        out.push_str("\n(no such subaccount yet: deposit to create it)\n");
        return out;
    }
    let list = |key: &str| view.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut balances = Table::new(&["asset", ">balance"]);
    for balance in list("balances") {
        balances.row([text_of(&balance, "symbol"), text_of(&balance, "amount")]);
    }
    out.push_str("\nbalances\n");
    out.push_str(&if balances.is_empty() { "(none)\n".to_string() } else { balances.render() });
    let mut positions =
        Table::new(&["market", ">size", ">entry", ">mark", ">notional", ">unrealized pnl", ">open bids", ">open asks"]);
    for position in list("positions") {
        positions.row([
            text_of(&position, "symbol"),
            text_of(&position, "size"),
            text_of(&position, "entry_price"),
            text_of(&position, "mark"),
            text_of(&position, "notional"),
            text_of(&position, "unrealized_pnl"),
            text_of(&position, "open_bid_lots"),
            text_of(&position, "open_ask_lots"),
        ]);
    }
    out.push_str("\npositions\n");
    out.push_str(&if positions.is_empty() { "(none)\n".to_string() } else { positions.render() });
    if let Some(health) = view.get("health").filter(|h| h.is_object()) {
        out.push_str("\nhealth\n");
        out.push_str(&key_values(&[
            ("equity", text_of(health, "equity")),
            ("collateral", text_of(health, "collateral")),
            ("unrealized pnl", text_of(health, "unrealized_pnl")),
            ("initial requirement", text_of(health, "initial_requirement")),
            ("maintenance requirement", text_of(health, "maintenance_requirement")),
            ("free collateral", text_of(health, "free_collateral")),
            ("notional", text_of(health, "notional")),
            ("leverage", text_of(health, "leverage")),
            ("below maintenance", text_of(health, "below_maintenance")),
        ]));
    }
    match view.get("open_orders") {
        Some(Value::Array(orders)) => {
            out.push_str(&format!("\nopen orders: {}\n", orders.len()));
            for order in orders {
                out.push_str(&format!("  {order}\n"));
            }
        }
        Some(count) if !count.is_null() => out.push_str(&format!("\nopen orders: {}\n", plain(count))),
        _ => {}
    }
    out
}

fn render_block(block: &Value, names: &Names<'_>) -> String {
    let header = block.get("header").unwrap_or(block);
    let transactions = block.get("transactions").and_then(Value::as_array).map_or(0, Vec::len);
    let mut out = key_values(&[
        ("height", text_of(header, "height")),
        ("time (ms)", text_of(header, "time_ms")),
        ("parent hash", text_of(header, "parent_hash")),
        ("tx root", text_of(header, "tx_root")),
        ("state root", text_of(header, "state_root")),
        ("transactions", transactions.to_string()),
    ]);
    let results = block.get("results").and_then(Value::as_array).cloned().unwrap_or_default();
    if !results.is_empty() {
        let mut table = Table::new(&[">index", "result"]);
        for (index, outcome) in results.iter().enumerate() {
            let result = outcome.get("result").unwrap_or(outcome);
            let text = if result.get("ok").and_then(Value::as_bool) == Some(true) {
                "ok".to_string()
            } else {
                format!("error {}: {}", text_of(result, "code"), text_of(result, "message"))
            };
            table.row([index.to_string(), text]);
        }
        out.push('\n');
        out.push_str(&table.render());
    }
    let list = |value: &Value, key: &str| value.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut events: Vec<Value> = results.iter().flat_map(|outcome| list(outcome, "events")).collect();
    events.extend(list(block, "end_block_events"));
    if !events.is_empty() {
        out.push('\n');
        out.push_str(&events_table(&events, names).render());
    }
    out
}

fn render_risk(risk: &Value, totals: &Value) -> String {
    let mut pairs = vec![
        ("insurance fund", text_of(risk, "insurance_fund")),
        ("insurance peak", text_of(risk, "insurance_peak")),
        ("insurance paid out", text_of(risk, "insurance_paid")),
        ("pending bad debt", text_of(risk, "pending_bad_debt")),
        ("total bad debt", text_of(risk, "bad_debt_total")),
        ("liquidations", text_of(risk, "liquidations")),
        ("liquidated notional", text_of(risk, "liquidated_notional")),
        ("auto-deleveragings", text_of(risk, "adl_events")),
    ];
    if totals.is_object() {
        pairs.push(("total equity", text_of(totals, "total_equity")));
        pairs.push(("open interest notional", text_of(totals, "open_interest_notional")));
        pairs.push(("aggregate leverage", text_of(totals, "aggregate_leverage")));
        pairs.push(("fee pool", text_of(totals, "fee_pool")));
        pairs.push(("subaccounts", text_of(totals, "subaccounts")));
    }
    let mut out = key_values(&pairs);
    let list = |key: &str| risk.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut open_interest = Table::new(&["market", ">long lots", ">short lots", ">notional"]);
    for market in list("open_interest") {
        open_interest.row([
            text_of(&market, "symbol"),
            text_of(&market, "long_lots"),
            text_of(&market, "short_lots"),
            text_of(&market, "notional"),
        ]);
    }
    if !open_interest.is_empty() {
        out.push_str("\nopen interest\n");
        out.push_str(&open_interest.render());
    }
    let mut closest = Table::new(&["subaccount", ">equity (maint.)", ">maintenance req.", ">margin ratio"]);
    for account in list("closest_to_liquidation") {
        let subaccount = match account.get("subaccount") {
            Some(id) => format!("{}/{}", text_of(id, "owner"), text_of(id, "number")),
            None => "-".to_string(),
        };
        closest.row([
            subaccount,
            text_of(&account, "equity_maintenance"),
            text_of(&account, "maintenance_requirement"),
            text_of(&account, "margin_ratio"),
        ]);
    }
    if !closest.is_empty() {
        out.push_str("\nclosest to liquidation\n");
        out.push_str(&closest.render());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_view_renders_balances_positions_and_health() {
        let view = json!({
            "subaccount": {"owner": "0x00", "number": 0},
            "balances": [{"asset": 0, "symbol": "USD", "amount": "10000"}],
            "positions": [{"market": 0, "symbol": "BTC-PERP", "size_lots": 10, "size": "0.001",
                "entry_price": "65000", "mark": "65100", "notional": "65.1", "unrealized_pnl": "0.1",
                "open_bid_lots": 0, "open_ask_lots": 0}],
            "health": {"equity": "10000.1", "initial_requirement": "3.255", "maintenance_requirement": "1.953",
                "free_collateral": "9996.8", "leverage": "0.0065", "below_maintenance": false},
            "open_orders": 2
        });
        let text = render_account("0xabc", 0, &view);
        assert!(text.contains("USD      10000"), "{text}");
        assert!(text.contains("BTC-PERP  0.001  65000  65100"), "{text}");
        assert!(text.contains("free collateral          9996.8"), "{text}");
        assert!(text.contains("open orders: 2"), "{text}");
    }

    #[test]
    fn a_book_shows_bids_and_asks_side_by_side() {
        let market = MarketInfo {
            id: 0,
            symbol: "BTC-PERP".into(),
            tick_size: "0.1".parse().unwrap(),
            lot_size: "0.0001".parse().unwrap(),
        };
        let book = json!({"market": 0,
            "bids": [{"price_ticks": 649990, "price": "64999", "size_lots": 10, "orders": 1}],
            "asks": [{"price_ticks": 650010, "size_lots": 25, "orders": 2}, {"price_ticks": 650020, "size_lots": 5, "orders": 1}]});
        let text = render_book(&book, &market);
        assert!(text.contains("     1     0.001  64999  65001    0.0025       2"), "{text}");
        assert!(text.contains("65002"), "{text}");
        assert!(render_book(&json!({"bids": [], "asks": []}), &market).contains("(empty)"));
    }

    #[test]
    fn markets_render_prices_from_ticks() {
        let result = json!([{"id": 0, "symbol": "BTC-PERP", "tick_size": "0.1", "lot_size": "0.0001",
            "mark": "65000", "best_bid_ticks": 649990, "best_ask_ticks": null}]);
        let text = render_markets(&result).unwrap();
        assert!(text.contains("BTC-PERP   0   0.1  0.0001  65000"), "{text}");
        assert!(text.contains("64999"), "{text}");
    }
}
