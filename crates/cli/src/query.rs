//! `novation query`: read the chain through the node's JSON-RPC API and print aligned tables
//! (or the node's JSON as is with `--json`).

use serde_json::{json, Value};

use crate::cli::QueryCommand;
use crate::error::{CliError, CliResult};
use crate::events::{events_table, plain, Names};
use crate::history::Which;
use novation_math::{Decimal, Rounding};

use crate::markets::{
    as_decimal, decimal_field, fetch_assets, fetch_markets, field, find_market, parse_markets, MarketInfo,
};
use crate::rpc::RpcClient;
use crate::table::{key_values, Table};
use crate::tx::resolve_address;
use crate::units::{from_steps, leverage_text, percent_text, price_text, usd_text};
use crate::Context;

/// Runs `novation query`.
pub(crate) fn run(ctx: &Context, command: &QueryCommand) -> CliResult<()> {
    let rpc = RpcClient::new(&ctx.rpc);
    match command {
        QueryCommand::Account { subaccount, .. }
        | QueryCommand::Orders { subaccount, .. }
        | QueryCommand::AdlRank { subaccount, .. }
        | QueryCommand::Margin { subaccount, .. } => crate::tx::check_subaccount(*subaccount, "--subaccount")?,
        _ => {}
    }
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
            let markets = fetch_markets(&rpc).unwrap_or_default();
            render_account(&address.to_string(), *subaccount, &view, &markets)
        }
        QueryCommand::Tx { hash } => {
            let hex_digits = hash.trim_start_matches("0x");
            if hex_digits.len() != 64 || !hex_digits.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(CliError::Usage(format!("`{hash}` is not a transaction hash (0x and 64 hex digits)")));
            }
            let receipt = rpc.call("nov_getTransaction", json!([hash]))?;
            if ctx.json {
                return ctx.print_json(&json!({"tx_hash": hash, "status": receipt.get("status").cloned().unwrap_or(json!("unknown")), "receipt": receipt}));
            }
            match receipt.get("status").and_then(Value::as_str) {
                Some("included") => {
                    let markets = fetch_markets(&rpc).unwrap_or_default();
                    let assets = fetch_assets(&rpc);
                    crate::tx::render_receipt(hash, &receipt, &Names { markets: &markets, assets: &assets })
                }
                Some("pending") => format!("transaction {hash}: pending (in the node's mempool, not in a block yet)\n"),
                _ => format!(
                    "transaction {hash}: unknown to this node (never received, expired from the mempool, or included \
                     too long ago for its index)\n"
                ),
            }
        }
        QueryCommand::Fills { account, page } => {
            return crate::history::run(ctx, &rpc, Which::Fills, account.as_deref(), page);
        }
        QueryCommand::Funding { account, page } => {
            return crate::history::run(ctx, &rpc, Which::Funding, account.as_deref(), page);
        }
        QueryCommand::History { account, kind, page } => {
            return crate::history::run(ctx, &rpc, Which::Kind(*kind), account.as_deref(), page);
        }
        QueryCommand::Orders { account, subaccount } => {
            let address = crate::tx::resolve_account_or_only_key(ctx, account.as_deref())?;
            let orders = rpc.call("nov_getOpenOrders", json!([address.to_string(), subaccount]))?;
            if ctx.json {
                return ctx.print_json(&orders);
            }
            let markets = fetch_markets(&rpc).unwrap_or_default();
            render_orders(&address.to_string(), *subaccount, &orders, &markets)
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
        QueryCommand::AdlRank { account, subaccount } => {
            let address = resolve_address(ctx, account)?;
            let standing = rpc.call("nov_getAdlRank", json!([address.to_string(), subaccount]))?;
            if ctx.json {
                return ctx.print_json(&standing);
            }
            let markets = fetch_markets(&rpc).unwrap_or_default();
            render_adl_rank(&standing, &markets)
        }
        QueryCommand::Backstop => {
            let backstop = rpc.call("nov_getBackstop", json!([]))?;
            if ctx.json {
                return ctx.print_json(&backstop);
            }
            render_backstop(&backstop)
        }
        QueryCommand::Subaccounts { limit, after, after_subaccount } => {
            let params = match after {
                Some(account) => json!([limit, resolve_address(ctx, account)?.to_string(), after_subaccount]),
                None => json!([limit]),
            };
            let page = rpc.call("nov_listSubaccounts", params)?;
            if ctx.json {
                return ctx.print_json(&page);
            }
            render_subaccounts(&page)
        }
        QueryCommand::Surface { asset } => {
            let surface = rpc.call("nov_getSurface", json!([asset]))?;
            if ctx.json {
                return ctx.print_json(&surface);
            }
            render_surface(&surface)
        }
        QueryCommand::Series { market } => {
            let markets = fetch_markets(&rpc)?;
            let params = match market {
                Some(name) => json!([find_market(&markets, name)?.id]),
                None => json!([]),
            };
            let result = rpc.call("nov_getSeries", params)?;
            if ctx.json {
                return ctx.print_json(&result);
            }
            let list = match result {
                Value::Array(items) => items,
                one => vec![one],
            };
            render_series(&list)
        }
        QueryCommand::Greeks { address, subaccount } => {
            let params = match address {
                Some(account) => json!([resolve_address(ctx, account)?.to_string(), subaccount.unwrap_or(0)]),
                None => json!([]),
            };
            let greeks = rpc.call("nov_getGreeks", params)?;
            if ctx.json {
                return ctx.print_json(&greeks);
            }
            render_greeks(&greeks)
        }
        QueryCommand::Margin { address, subaccount } => {
            let address = resolve_address(ctx, address)?;
            let breakdown = rpc.call("nov_getMarginBreakdown", json!([address.to_string(), subaccount]))?;
            if ctx.json {
                return ctx.print_json(&breakdown);
            }
            let markets = fetch_markets(&rpc).unwrap_or_default();
            let assets = fetch_assets(&rpc);
            render_margin(&address.to_string(), *subaccount, &breakdown, &Names { markets: &markets, assets: &assets })
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
        Some(ticks) => from_steps(ticks, tick_size).map_or_else(|| ticks.to_string(), |p| price_text(p, tick_size)),
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
        ">maker fee",
        ">taker fee",
        "status",
    ]);
    for (info, market) in infos.iter().zip(list) {
        let price = |key: &str| {
            decimal_field(market, key).map_or_else(|| text_of(market, key), |p| price_text(p, info.tick_size))
        };
        let fee = |rate: Option<novation_math::Decimal>| rate.map_or_else(|| "-".to_string(), percent_text);
        table.row([
            info.symbol.clone(),
            info.id.to_string(),
            info.tick_size.to_string(),
            info.lot_size.to_string(),
            price("mark"),
            price("index"),
            text_of(market, "index_validity"),
            ticks_text(market, "best_bid_ticks", info.tick_size),
            ticks_text(market, "best_ask_ticks", info.tick_size),
            decimal_field(market, "open_interest_notional")
                .map_or_else(|| text_of(market, "open_interest_notional"), usd_text),
            decimal_field(market, "volume").map_or_else(|| text_of(market, "volume"), usd_text),
            fee(info.maker_fee),
            fee(info.taker_fee),
            text_of(market, "status"),
        ]);
    }
    Ok(table.render())
}

/// A market's L2 book as a side-by-side table, prices in the market's precision.
pub(crate) fn render_book(book: &Value, market: &MarketInfo) -> String {
    let side = |key: &str| book.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let (bids, asks) = (side("bids"), side("asks"));
    let level = |level: &Value| -> (String, String, String) {
        let price = decimal_field(level, "price")
            .map(|p| price_text(p, market.tick_size))
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

/// A subaccount's open orders as a table.
pub(crate) fn render_orders(
    address: &str,
    subaccount: u16,
    answer: &Value,
    markets: &[crate::markets::MarketInfo],
) -> String {
    let orders = answer.get("orders").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut out = format!("open orders of {address} / subaccount {subaccount}\n");
    if orders.is_empty() {
        out.push_str("\n(none)\n");
        return out;
    }
    let mut table = Table::new(&[
        "market",
        ">order id",
        ">client id",
        "side",
        ">price",
        ">size",
        ">filled",
        ">remaining",
        "flags",
        ">placed (ms)",
    ]);
    for order in &orders {
        let market = order.get("market").and_then(Value::as_u64);
        let symbol = markets
            .iter()
            .find(|m| Some(u64::from(m.id)) == market)
            .map_or_else(|| market.map_or("-".into(), |m| m.to_string()), |m| m.symbol.clone());
        let filled_lots = order.get("filled_lots").and_then(Value::as_u64).unwrap_or(0);
        let lot = markets.iter().find(|m| Some(u64::from(m.id)) == market).map(|m| m.lot_size);
        let filled = lot
            .and_then(|lot| novation_math::Decimal::from_units(i128::from(filled_lots), lot).ok())
            .map_or_else(|| format!("{filled_lots} lots"), |d| d.to_string());
        let client = order.get("client_order_id").filter(|c| !c.is_null()).map_or("-".to_string(), plain);
        let flags = if order.get("reduce_only").and_then(Value::as_bool) == Some(true) { "reduce-only" } else { "" };
        let tick = markets.iter().find(|m| Some(u64::from(m.id)) == market).map(|m| m.tick_size);
        let price = match (decimal_field(order, "price"), tick) {
            (Some(price), Some(tick)) => price_text(price, tick),
            _ => text_of(order, "price"),
        };
        table.row([
            symbol,
            text_of(order, "order_id"),
            client,
            text_of(order, "side").to_lowercase(),
            price,
            text_of(order, "size"),
            filled,
            text_of(order, "remaining"),
            flags.to_string(),
            text_of(order, "placed_ms"),
        ]);
    }
    out.push_str(&table.render());
    out
}

/// A subaccount's balances, positions (prices in each market's precision) and health
/// (leverage as `3.2x`).
pub(crate) fn render_account(address: &str, subaccount: u16, view: &Value, markets: &[MarketInfo]) -> String {
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
        let tick = markets.iter().find(|m| Some(u64::from(m.id)) == position.get("market").and_then(Value::as_u64));
        let price = |key: &str| match (decimal_field(&position, key), tick) {
            (Some(price), Some(market)) => price_text(price, market.tick_size),
            _ => text_of(&position, key),
        };
        positions.row([
            text_of(&position, "symbol"),
            text_of(&position, "size"),
            price("entry_price"),
            price("mark"),
            decimal_field(&position, "notional").map_or_else(|| text_of(&position, "notional"), usd_text),
            decimal_field(&position, "unrealized_pnl").map_or_else(|| text_of(&position, "unrealized_pnl"), usd_text),
            text_of(&position, "open_bid_lots"),
            text_of(&position, "open_ask_lots"),
        ]);
    }
    out.push_str("\npositions\n");
    out.push_str(&if positions.is_empty() { "(none)\n".to_string() } else { positions.render() });
    if let Some(health) = view.get("health").filter(|h| h.is_object()) {
        out.push_str("\nhealth\n");
        let usd = |key: &str| decimal_field(health, key).map_or_else(|| text_of(health, key), usd_text);
        out.push_str(&key_values(&[
            ("equity", usd("equity")),
            ("collateral", usd("collateral")),
            ("unrealized pnl", usd("unrealized_pnl")),
            ("initial requirement", usd("initial_requirement")),
            ("maintenance requirement", usd("maintenance_requirement")),
            ("free collateral", usd("free_collateral")),
            ("notional", usd("notional")),
            ("leverage", decimal_field(health, "leverage").map_or_else(|| "-".to_string(), leverage_text)),
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

fn render_subaccounts(page: &Value) -> String {
    let mut table =
        Table::new(&["owner", ">sub", ">equity", ">maintenance", ">positions", ">orders", "debt", "liquidatable"]);
    for row in page.get("subaccounts").and_then(Value::as_array).cloned().unwrap_or_default() {
        table.row([
            text_of(&row["subaccount"], "owner"),
            text_of(&row["subaccount"], "number"),
            text_of(&row, "equity"),
            text_of(&row, "maintenance_requirement"),
            text_of(&row, "positions"),
            text_of(&row, "open_orders"),
            text_of(&row, "has_debt"),
            text_of(&row, "below_maintenance"),
        ]);
    }
    let mut out = table.render();
    if let Some(next) = page.get("next").filter(|n| !n.is_null()) {
        out.push_str(&format!(
            "more: --after {} --after-subaccount {}\n",
            text_of(next, "owner"),
            text_of(next, "number")
        ));
    }
    out
}

fn render_adl_rank(standing: &Value, markets: &[crate::markets::MarketInfo]) -> String {
    let mut table = Table::new(&["market", ">size lots", ">score", ">rank", ">of"]);
    for row in standing.as_array().cloned().unwrap_or_default() {
        let id = row.get("market").and_then(Value::as_u64);
        let symbol = markets
            .iter()
            .find(|m| Some(u64::from(m.id)) == id)
            .map_or_else(|| text_of(&row, "market"), |m| m.symbol.clone());
        table.row([
            symbol,
            text_of(&row, "size_lots"),
            text_of(&row, "score"),
            text_of(&row, "rank"),
            text_of(&row, "of"),
        ]);
    }
    if table.is_empty() {
        return "no open positions\n".to_string();
    }
    table.render()
}

fn render_backstop(backstop: &Value) -> String {
    let subaccount = &backstop["subaccount"];
    let mut out = key_values(&[
        ("subaccount", format!("{}/{}", text_of(subaccount, "owner"), text_of(subaccount, "number"))),
        ("equity", text_of(backstop, "equity")),
        ("peak equity", text_of(backstop, "peak_equity")),
        ("drawdown", text_of(backstop, "drawdown")),
        ("maintenance requirement", text_of(backstop, "maintenance_requirement")),
        ("meets initial margin", text_of(backstop, "meets_initial")),
    ]);
    let mut table = Table::new(&["market", ">size lots", ">notional", ">limit lots"]);
    for market in backstop.get("markets").and_then(Value::as_array).cloned().unwrap_or_default() {
        table.row([
            text_of(&market, "symbol"),
            text_of(&market, "size_lots"),
            text_of(&market, "notional"),
            text_of(&market, "limit_lots"),
        ]);
    }
    out.push('\n');
    out.push_str(&table.render());
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
        ("uncovered loss", text_of(risk, "uncovered_loss")),
        ("backstop equity", text_of(risk, "backstop_equity")),
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

/// A decimal field rounded half-even to `dp` places, or `-`.
fn rounded(value: &Value, key: &str, dp: u32) -> String {
    decimal_field(value, key)
        .and_then(|d| d.round_dp(dp, Rounding::HalfEven).ok())
        .map_or_else(|| "-".to_string(), |d| d.to_string())
}

/// A fraction field as a percentage to two decimals (`0.5512` → `55.12%`), or `-`.
fn percent(value: &Value, key: &str) -> String {
    decimal_field(value, key)
        .and_then(|d| d.mul(Decimal::from_int(100), Rounding::HalfEven).ok())
        .and_then(|d| d.round_dp(2, Rounding::HalfEven).ok())
        .map_or_else(|| "-".to_string(), |d| format!("{d}%"))
}

/// `2026-11-27 08:00` (UTC) for a time in ms since the Unix epoch.
pub(crate) fn utc_text(time_ms: u64) -> String {
    let days = (time_ms / 86_400_000) as i64;
    let minutes = time_ms % 86_400_000 / 60_000;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year}-{month:02}-{day:02} {:02}:{:02}", minutes / 60, minutes % 60)
}

fn render_surface(surface: &Value) -> String {
    let mut out = format!(
        "{} volatility surface (index {}, height {})\n\n",
        text_of(surface, "symbol"),
        rounded(surface, "index", 2),
        text_of(surface, "height")
    );
    let smiles = surface.get("smiles").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut table =
        Table::new(&["expiry (UTC)", "validity", ">ATM vol", ">reports", ">a", ">b", ">rho", ">m", ">sigma"]);
    for smile in &smiles {
        let svi = smile.get("svi").cloned().unwrap_or(Value::Null);
        table.row([
            field(smile, "expiry_ms").and_then(Value::as_u64).map_or_else(|| "-".to_string(), utc_text),
            text_of(smile, "validity"),
            percent(smile, "atm_vol"),
            text_of(smile, "reports"),
            rounded(&svi, "a", 8),
            rounded(&svi, "b", 8),
            rounded(&svi, "rho", 6),
            rounded(&svi, "m", 6),
            rounded(&svi, "sigma", 6),
        ]);
    }
    out.push_str(&if table.is_empty() { "(no option expiries listed)\n".to_string() } else { table.render() });
    out
}

/// `future`, `call`, `put` or `perpetual`, with the expiry and strike of a dated series.
fn series_kind(kind: &Value) -> (String, Option<u64>, String) {
    if let Some(future) = kind.get("Future") {
        return ("future".into(), future.get("expiry_ms").and_then(Value::as_u64), "-".into());
    }
    if let Some(option) = kind.get("Option") {
        let right = option.get("right").and_then(Value::as_str).unwrap_or("?").to_lowercase();
        return (right, option.get("expiry_ms").and_then(Value::as_u64), text_of(option, "strike"));
    }
    ("perpetual".into(), None, "-".into())
}

fn render_series(list: &[Value]) -> String {
    let mut table = Table::new(&[
        "market",
        ">id",
        "kind",
        "expiry (UTC)",
        ">strike",
        ">mark",
        ">index",
        ">IV",
        ">delta",
        ">gamma",
        ">vega",
        ">theta",
        ">OI lots",
        "valid",
        ">settled at",
    ]);
    for series in list {
        let (kind, expiry_ms, strike) = series_kind(series.get("kind").unwrap_or(&Value::Null));
        let greeks = series.get("greeks").cloned().unwrap_or(Value::Null);
        table.row([
            text_of(series, "symbol"),
            text_of(series, "market"),
            kind,
            expiry_ms.map_or_else(|| "-".to_string(), utc_text),
            strike,
            rounded(series, "mark", 2),
            rounded(series, "index", 2),
            percent(series, "implied_vol"),
            rounded(&greeks, "delta", 4),
            rounded(&greeks, "gamma", 8),
            rounded(&greeks, "vega", 2),
            rounded(&greeks, "theta", 2),
            text_of(series, "open_interest_lots"),
            text_of(series, "valid"),
            rounded(series, "settlement_price", 2),
        ]);
    }
    if table.is_empty() {
        return "(no dated futures or options listed)\n".to_string();
    }
    table.render()
}

fn render_greeks(greeks: &Value) -> String {
    let mut out = match greeks.get("subaccount").filter(|s| s.is_object()) {
        Some(id) => format!("Greeks of {} / subaccount {}\n\n", text_of(id, "owner"), text_of(id, "number")),
        None => "System Greeks (every long position: the open interest)\n\n".to_string(),
    };
    let mut table = Table::new(&["underlying", ">delta", ">gamma", ">vega", ">theta (per year)"]);
    for view in greeks.get("greeks").and_then(Value::as_array).into_iter().flatten() {
        table.row([
            text_of(view, "symbol"),
            rounded(view, "delta", 6),
            rounded(view, "gamma", 10),
            rounded(view, "vega", 4),
            rounded(view, "theta", 4),
        ]);
    }
    out.push_str(&if table.is_empty() { "(no positions)\n".to_string() } else { table.render() });
    out
}

fn render_margin(address: &str, subaccount: u16, breakdown: &Value, names: &Names<'_>) -> String {
    let mut out = format!("margin of {address} / subaccount {subaccount}\n\n");
    out.push_str(&key_values(&[
        ("mode", text_of(breakdown, "mode")),
        ("initial requirement", rounded(breakdown, "initial_requirement", 6)),
        ("maintenance requirement", rounded(breakdown, "maintenance_requirement", 6)),
        ("standard initial", rounded(breakdown, "standard_initial", 6)),
        ("standard maintenance", rounded(breakdown, "standard_maintenance", 6)),
    ]));
    let list = |key: &str| breakdown.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut positions = Table::new(&["market", ">size lots", ">value", ">initial", ">maintenance"]);
    for position in list("positions") {
        let id = field(&position, "market").and_then(Value::as_u64);
        let symbol = id
            .and_then(|id| names.markets.iter().find(|m| u64::from(m.id) == id))
            .map_or_else(|| text_of(&position, "market"), |m| m.symbol.clone());
        positions.row([
            symbol,
            text_of(&position, "size_lots"),
            rounded(&position, "value", 6),
            rounded(&position, "initial", 6),
            rounded(&position, "maintenance", 6),
        ]);
    }
    out.push_str("\npositions (standard requirements)\n");
    out.push_str(&if positions.is_empty() { "(none)\n".to_string() } else { positions.render() });
    let mut portfolio = Table::new(&[
        "underlying",
        ">scenario loss",
        ">basis loss",
        ">naked shorts",
        ">perps/futures",
        ">maintenance",
        ">initial",
        "binds",
    ]);
    let mut scenarios = Table::new(&["underlying", "#", "scenario", ">PnL"]);
    for view in list("portfolio") {
        let underlying = field(&view, "underlying").and_then(Value::as_u64).unwrap_or(u64::MAX);
        let symbol = crate::markets::asset_symbol(names.assets, u16::try_from(underlying).unwrap_or(u16::MAX));
        let worst = view.get("worst_scenario").and_then(Value::as_u64);
        let binding = match view.get("binding").and_then(Value::as_str) {
            Some(label) => label.to_string(),
            None => worst.map_or_else(|| "-".to_string(), |w| format!("#{w}")),
        };
        portfolio.row([
            symbol.clone(),
            rounded(&view, "scenario_loss", 6),
            rounded(&view, "basis_loss", 6),
            rounded(&view, "naked_short_contingency", 6),
            rounded(&view, "linear_contingency", 6),
            rounded(&view, "maintenance_requirement", 6),
            rounded(&view, "requirement", 6),
            binding,
        ]);
        let pnl: Vec<Value> = view.get("scenario_pnl").and_then(Value::as_array).cloned().unwrap_or_default();
        let labels: Vec<Value> = view.get("scenarios").and_then(Value::as_array).cloned().unwrap_or_default();
        for (index, value) in pnl.iter().enumerate() {
            let label = labels.get(index).and_then(Value::as_str).unwrap_or("-");
            let marker = if worst == Some(index as u64) { "  <- worst" } else { "" };
            let amount = as_decimal(value)
                .and_then(|d| d.round_dp(6, Rounding::HalfEven).ok())
                .map_or_else(|| "-".to_string(), |d| d.to_string());
            scenarios.row([symbol.clone(), index.to_string(), format!("{label}{marker}"), amount]);
        }
    }
    out.push_str("\nportfolio margin (per underlying): maintenance = max(scenario loss, basis loss) + contingencies\n");
    out.push_str(&if portfolio.is_empty() { "(none)\n".to_string() } else { portfolio.render() });
    if !scenarios.is_empty() {
        out.push_str("\nportfolio scenarios (profit, positive expiry values haircut)\n");
        out.push_str(&scenarios.render());
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
        let text = render_account("0xabc", 0, &view, &[]);
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
            ..Default::default()
        };
        let book = json!({"market": 0,
            "bids": [{"price_ticks": 649990, "price": "64999", "size_lots": 10, "orders": 1}],
            "asks": [{"price_ticks": 650010, "size_lots": 25, "orders": 2}, {"price_ticks": 650020, "size_lots": 5, "orders": 1}]});
        let text = render_book(&book, &market);
        assert!(text.contains("     1     0.001  64999.0  65001.0    0.0025       2"), "{text}");
        assert!(text.contains("65002.0"), "{text}");
        assert!(render_book(&json!({"bids": [], "asks": []}), &market).contains("(empty)"));
    }

    #[test]
    fn times_render_as_utc_dates() {
        assert_eq!(utc_text(0), "1970-01-01 00:00");
        assert_eq!(utc_text(1_795_766_400_000), "2026-11-27 08:00");
        assert_eq!(utc_text(951_782_400_000 + 90_000), "2000-02-29 00:01");
    }

    #[test]
    fn a_surface_shows_each_expiry_with_its_atm_vol() {
        let surface = json!({"asset": 1, "symbol": "BTC", "index": "59886.03667", "height": 26,
            "smiles": [{"expiry_ms": 1_795_766_400_000u64, "validity": "Valid", "reports": 3,
                "atm_vol": "0.550000123376681299", "svi": {"a": "0.001575798292665525",
                "b": "0.001731646475456621", "rho": "-0.3", "m": "0", "sigma": "0.3"}}]});
        let text = render_surface(&surface);
        assert!(text.starts_with("BTC volatility surface (index 59886.04, height 26)"), "{text}");
        assert!(text.contains("2026-11-27 08:00  Valid         55%        3  0.0015758  0.00173165  -0.3"), "{text}");
        assert!(render_surface(&json!({"symbol": "ETH", "smiles": []})).contains("(no option expiries listed)"));
    }

    #[test]
    fn series_show_kind_strike_and_greeks() {
        let option = json!({"market": 7, "symbol": "BTC-27NOV26-60000-C", "underlying": 1,
            "kind": {"Option": {"expiry_ms": 1_795_766_400_000u64, "strike": "60000", "right": "Call"}},
            "index": "59886.03667", "mark": "1038.250699352617121441", "implied_vol": "0.549871850591800917",
            "greeks": {"delta": "0.492555410187104812", "gamma": "0.000145541841741784",
                "vega": "1988.014407452386180677", "theta": "-78909.99022878990629791"},
            "valid": true, "open_interest_lots": 10, "settlement_price": null});
        let future = json!({"market": 2, "symbol": "BTC-27NOV26", "kind": {"Future": {"expiry_ms": 1_795_766_400_000u64}},
            "mark": "59886.03667", "greeks": null, "valid": true, "open_interest_lots": 0});
        let text = render_series(&[future, option]);
        assert!(text.contains("BTC-27NOV26           2  future  2026-11-27 08:00"), "{text}");
        assert!(text.contains("call    2026-11-27 08:00   60000   1038.25  59886.04  54.99%  0.4926"), "{text}");
        assert_eq!(render_series(&[]), "(no dated futures or options listed)\n");
    }

    #[test]
    fn a_margin_breakdown_names_positions_and_the_worst_scenario() {
        let markets = vec![MarketInfo {
            id: 7,
            symbol: "BTC-27NOV26-60000-C".into(),
            tick_size: "0.1".parse().unwrap(),
            lot_size: "0.01".parse().unwrap(),
            ..Default::default()
        }];
        let assets = vec![crate::markets::AssetInfo { id: 1, symbol: "BTC".into() }];
        let breakdown = json!({"mode": "Portfolio", "initial_requirement": "1085.823439",
            "maintenance_requirement": "868.6587512", "standard_initial": "887.57967",
            "standard_maintenance": "438.389691",
            "positions": [{"market": 7, "size_lots": -10, "value": "-104.129057", "initial": "887.57967",
                "maintenance": "438.389691"}],
            "portfolio": [{"underlying": 1, "scenarios": ["index -20%, vol up", "index +20%, vol up"],
                "scenario_pnl": ["-5", "-848.65"], "worst_scenario": 1, "scenario_loss": "848.65",
                "basis_loss": "120", "binding": "index +20%, vol up", "naked_short_contingency": "20",
                "linear_contingency": "0", "maintenance_requirement": "868.65",
                "requirement": "1085.8125"}]});
        let text = render_margin("0xabc", 0, &breakdown, &Names { markets: &markets, assets: &assets });
        assert!(text.contains("mode                     Portfolio"), "{text}");
        assert!(text.contains("BTC-27NOV26-60000-C        -10  -104.129057  887.57967"), "{text}");
        let row = "BTC                848.65         120            20              0       868.65  1085.8125";
        assert!(text.contains(&format!("{row}  index +20%, vol up")), "{text}");
        assert!(text.contains("BTC         1  index +20%, vol up  <- worst  -848.65"), "{text}");
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
