//! The API's questions about the past, answered from the store's history
//! ([`crate::history`]): an account's events by kind, a market's trades and candles, a
//! transaction's status — paged, and the same after a restart.
//!
//! Pages run newest first; each record carries its `height` and `seq`, and a page that may
//! have more after it gives `next` (`"height:seq"`), to pass as `before` for the next page.
//! The chain's lock is held only to copy the store handle and the markets' units: reading
//! history never delays a block.

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{json, Map, Value};

use crate::header::{hex, Hash32};
use crate::history::{self, candle_interval, HistoryKind, Position};
use crate::rpc::{arg_address, arg_limit, invalid, resolve_market, stored_block, tx_result_json};
use crate::{Node, NodeError};

type RpcResult = Result<Value, ErrorObjectOwned>;

/// Default and largest page of history.
const PAGE_DEFAULT: usize = 100;
const PAGE_MAX: usize = 1_000;
/// Default and most candles in one answer.
const CANDLES_DEFAULT: usize = 500;
const CANDLES_MAX: usize = 5_000;

/// `before` as `"height:seq"`, a bare height (string or integer), or absent.
fn parse_before(value: Option<&Value>, what: &str) -> Result<Option<Position>, ErrorObjectOwned> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|height| Some(Position { height, seq: 0 }))
            .ok_or_else(|| invalid(format!("{what}: a height"))),
        Some(Value::String(text)) => Position::parse(text)
            .map(Some)
            .ok_or_else(|| invalid(format!("{what}: \"height:seq\" from a page's next, or a height"))),
        Some(_) => Err(invalid(format!("{what}: \"height:seq\" from a page's next, or a height"))),
    }
}

/// The options object of a history call: only the keys in `allowed`, each at most once.
fn options<'a>(
    args: &'a [Value],
    index: usize,
    allowed: &[&str],
) -> Result<Option<&'a Map<String, Value>>, ErrorObjectOwned> {
    match args.get(index) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            if let Some(unknown) = map.keys().find(|key| !allowed.contains(&key.as_str())) {
                return Err(invalid(format!(
                    "param {index}: unknown option {unknown:?} (known: {})",
                    allowed.join(", ")
                )));
            }
            Ok(Some(map))
        }
        Some(_) => Err(invalid(format!("param {index}: an options object {{{}}}", allowed.join(", ")))),
    }
}

fn option_limit(map: Option<&Map<String, Value>>, default: usize, max: usize) -> Result<usize, ErrorObjectOwned> {
    match map.and_then(|m| m.get("limit")) {
        None | Some(Value::Null) => Ok(default),
        Some(value) => value
            .as_u64()
            .filter(|n| *n > 0)
            .map(|n| (n as usize).min(max))
            .ok_or_else(|| invalid(format!("limit: a positive integer (at most {max})"))),
    }
}

/// `[address, {"kind", "before", "limit"}]` (`kind` only when `fixed` is `None`): one page of
/// the account's history.
pub(crate) fn account_history(node: &Node, args: &[Value], fixed: Option<HistoryKind>) -> RpcResult {
    let address = arg_address(args, 0)?;
    let allowed: &[&str] = if fixed.is_some() { &["before", "limit"] } else { &["kind", "before", "limit"] };
    let opts = options(args, 1, allowed)?;
    let kind = match (fixed, opts.and_then(|m| m.get("kind"))) {
        (Some(kind), _) => kind,
        (None, None | Some(Value::Null)) => HistoryKind::All,
        (None, Some(value)) => value.as_str().and_then(HistoryKind::parse).ok_or_else(|| {
            let names: Vec<&str> = HistoryKind::ALL.iter().map(|k| k.name()).collect();
            invalid(format!("kind: one of {}", names.join(", ")))
        })?,
    };
    let before = parse_before(opts.and_then(|m| m.get("before")), "before")?;
    let limit = option_limit(opts, PAGE_DEFAULT, PAGE_MAX)?;
    let (store, units) = node.history_reader()?;
    let page = history::account_page(&store, &address, kind, before, limit, &units)?;
    let mut value = page.to_json();
    if let Value::Object(map) = &mut value {
        map.insert("kind".into(), json!(kind.name()));
    }
    Ok(value)
}

/// `[address, limit, before]`: the account's latest events, as a list.
pub(crate) fn account_events(node: &Node, args: &[Value]) -> RpcResult {
    let address = arg_address(args, 0)?;
    let limit = arg_limit(args, 1, PAGE_DEFAULT, PAGE_MAX)?.max(1);
    let before = parse_before(args.get(2), "param 2")?;
    let (store, units) = node.history_reader()?;
    Ok(Value::Array(history::account_page(&store, &address, HistoryKind::All, before, limit, &units)?.records))
}

/// `[market, limit, before]`: the market's latest fills, newest first.
pub(crate) fn trades(node: &Node, args: &[Value]) -> RpcResult {
    let market = resolve_market(&node.chain(), args.first())?;
    let limit = arg_limit(args, 1, PAGE_DEFAULT, PAGE_MAX)?.max(1);
    let before = parse_before(args.get(2), "param 2")?;
    let (store, units) = node.history_reader()?;
    Ok(Value::Array(history::trades_page(&store, market, before, limit, &units)?.records))
}

/// `[market, interval, {"start_ms", "end_ms", "limit"}]`: OHLCV candles, oldest first.
pub(crate) fn candles(node: &Node, args: &[Value]) -> RpcResult {
    let (market, now_ms) = {
        let chain = node.chain();
        (resolve_market(&chain, args.first())?, chain.state.time_ms())
    };
    let names: Vec<&str> = history::CANDLE_INTERVALS.iter().map(|(name, _)| *name).collect();
    let (interval, length) = args
        .get(1)
        .and_then(Value::as_str)
        .and_then(candle_interval)
        .ok_or_else(|| invalid(format!("param 1: interval, one of {}", names.join(", "))))?;
    let opts = options(args, 2, &["start_ms", "end_ms", "limit"])?;
    let limit = option_limit(opts, CANDLES_DEFAULT, CANDLES_MAX)?;
    let time = |key: &str| -> Result<Option<u64>, ErrorObjectOwned> {
        match opts.and_then(|m| m.get(key)) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => {
                value.as_u64().map(Some).ok_or_else(|| invalid(format!("{key}: milliseconds since the epoch")))
            }
        }
    };
    let end_ms = time("end_ms")?.unwrap_or(now_ms);
    let start_ms = time("start_ms")?.unwrap_or_else(|| end_ms.saturating_sub(length.saturating_mul(limit as u64)));
    if start_ms > end_ms {
        return Err(invalid(format!("start_ms {start_ms} is after end_ms {end_ms}")));
    }
    let (store, units) = node.history_reader()?;
    let market_units = units.get(market.0 as usize).ok_or_else(|| NodeError::UnknownMarket(market.0.to_string()))?;
    Ok(Value::Array(history::candles(&store, market, interval, (start_ms, end_ms), limit, market_units)?))
}

/// A transaction's status: `pending` in the mempool, `included` with its block, result and
/// events, or `unknown`.
pub(crate) fn transaction_status(node: &Node, hash: &Hash32) -> RpcResult {
    if node.mempool().contains(hash) {
        return Ok(json!({"status": "pending", "tx_hash": hex(hash)}));
    }
    let chain = node.chain();
    let Some((height, index)) = chain.included(hash)? else {
        return Ok(json!({"status": "unknown", "tx_hash": hex(hash)}));
    };
    let (header, body, results) = stored_block(&chain, height)?;
    let index_usize = index as usize;
    let outcome =
        results.transactions.get(index_usize).ok_or_else(|| NodeError::Corrupt("results too short".into()))?;
    Ok(json!({
        "status": "included",
        "height": height,
        "time_ms": header.time_ms,
        "index": index,
        "tx_hash": hex(hash),
        "transaction": body.transactions.get(index_usize),
        "result": tx_result_json(&outcome.result),
        "events": outcome.events,
    }))
}
