//! The JSON-RPC 2.0 API (docs/api.md): methods over HTTP and WebSocket on one port,
//! subscriptions over WebSocket, `GET /metrics` (see [`crate::metrics`]) and the browser
//! dashboard at `GET /dashboard` (see [`crate::dashboard`]).

use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::server::{PendingSubscriptionSink, RpcModule, ServerHandle, SubscriptionMessage};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use novation_math::Decimal;
use novation_tx::SignedTransaction;
use novation_types::{Address, AssetId, Event, MarketId, SubaccountId};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::chain::{touched_addresses, BlockNotice, Chain};
use crate::front_door::RpcLimits;
use crate::header::{decode, decode_results, hex, parse_hash, BlockBody, Hash32, NodeHeader};
use crate::history::{record_json, HistoryKind, MarketUnits, Position};
use crate::{rpc_history, Node, NodeError};

type RpcResult = Result<Value, ErrorObjectOwned>;

/// Default book depth.
const BOOK_DEPTH_DEFAULT: usize = 20;
/// Deepest book served.
const BOOK_DEPTH_MAX: usize = 500;
/// Longest list served.
const LIST_MAX: usize = 1_000;
/// How far back a subscription may resume: blocks older than this are read with
/// `nov_getBlock` and the history methods.
const RESUME_MAX_BLOCKS: u64 = 100_000;

pub(crate) fn invalid(why: impl Into<String>) -> ErrorObjectOwned {
    NodeError::InvalidParams(why.into()).into()
}

/// The positional params as a list (none, `null` and `[]` are all empty).
fn args(params: &Params<'_>) -> Result<Vec<Value>, ErrorObjectOwned> {
    let Some(text) = params.as_str() else { return Ok(Vec::new()) };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(Value::Null) => Ok(Vec::new()),
        Ok(_) => Err(invalid("params must be a positional array")),
        Err(error) => Err(invalid(error.to_string())),
    }
}

pub(crate) fn arg_address(args: &[Value], index: usize) -> Result<Address, ErrorObjectOwned> {
    let text = args.get(index).and_then(Value::as_str).ok_or_else(|| invalid(format!("param {index}: address")))?;
    text.parse().map_err(|_| invalid(format!("param {index}: an address is 0x and 40 hex digits")))
}

fn arg_u64(args: &[Value], index: usize, default: Option<u64>) -> Result<u64, ErrorObjectOwned> {
    match args.get(index) {
        None | Some(Value::Null) => default.ok_or_else(|| invalid(format!("param {index}: missing integer"))),
        Some(value) => value
            .as_u64()
            .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| invalid(format!("param {index}: not a non-negative integer"))),
    }
}

pub(crate) fn arg_limit(args: &[Value], index: usize, default: usize, max: usize) -> Result<usize, ErrorObjectOwned> {
    Ok((arg_u64(args, index, Some(default as u64))? as usize).min(max))
}

fn arg_subaccount(args: &[Value], index: usize) -> Result<u16, ErrorObjectOwned> {
    u16::try_from(arg_u64(args, index, Some(0))?).map_err(|_| invalid(format!("param {index}: subaccount")))
}

/// A market by id (`0`, `"0"`) or symbol (`"BTC-PERP"`, any case).
pub(crate) fn resolve_market(chain: &Chain, value: Option<&Value>) -> Result<MarketId, ErrorObjectOwned> {
    let markets = &chain.state.params().markets;
    let found = match value {
        Some(Value::Number(n)) => n.as_u64().and_then(|id| markets.iter().find(|m| u64::from(m.id.0) == id)),
        Some(Value::String(text)) => match text.parse::<u64>() {
            Ok(id) => markets.iter().find(|m| u64::from(m.id.0) == id),
            Err(_) => markets.iter().find(|m| m.symbol.eq_ignore_ascii_case(text)),
        },
        _ => return Err(invalid("param 0: market id or symbol")),
    };
    found.map(|m| m.id).ok_or_else(|| NodeError::UnknownMarket(value.map(Value::to_string).unwrap_or_default()).into())
}

/// An asset by id (`1`, `"1"`) or symbol (`"BTC"`, any case).
fn resolve_asset(chain: &Chain, value: Option<&Value>) -> Result<AssetId, ErrorObjectOwned> {
    let assets = &chain.state.params().assets;
    let found = match value {
        Some(Value::Number(n)) => n.as_u64().and_then(|id| assets.iter().find(|a| u64::from(a.id.0) == id)),
        Some(Value::String(text)) => match text.parse::<u64>() {
            Ok(id) => assets.iter().find(|a| u64::from(a.id.0) == id),
            Err(_) => assets.iter().find(|a| a.symbol.eq_ignore_ascii_case(text)),
        },
        _ => return Err(invalid("param 0: asset id or symbol")),
    };
    found
        .map(|a| a.id)
        .ok_or_else(|| NodeError::NotFound(format!("asset {}", value.map(Value::to_string).unwrap_or_default())).into())
}

fn asset_symbol(chain: &Chain, asset: AssetId) -> String {
    chain.state.params().assets.get(asset.0 as usize).map(|a| a.symbol.clone()).unwrap_or_default()
}

/// A positive decimal given as a string (`"60000.5"`) or a JSON number.
fn arg_positive_decimal(args: &[Value], index: usize, what: &str) -> Result<Decimal, ErrorObjectOwned> {
    let text = match args.get(index) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => return Err(invalid(format!("param {index}: {what} (a decimal string)"))),
    };
    text.parse::<Decimal>()
        .ok()
        .filter(|d| d.is_positive())
        .ok_or_else(|| invalid(format!("param {index}: {what} must be a positive decimal, got {text}")))
}

fn to_value(value: impl serde::Serialize) -> RpcResult {
    serde_json::to_value(value).map_err(|e| NodeError::Corrupt(e.to_string()).into())
}

pub(crate) fn tx_result_json(result: &Result<(), novation_protocol::TxError>) -> Value {
    match result {
        Ok(()) => json!({"ok": true}),
        Err(error) => json!({
            "ok": false,
            "code": error.code.code(),
            "message": error.code.message(),
            "action_index": error.action_index,
        }),
    }
}

pub(crate) fn stored_block(
    chain: &Chain,
    height: u64,
) -> Result<(NodeHeader, BlockBody, novation_protocol::BlockOutcome), NodeError> {
    let missing = || NodeError::NotFound(format!("block {height}"));
    let header = decode(&chain.store.header(height)?.ok_or_else(missing)?, "header")?;
    let body = decode(&chain.store.block(height)?.ok_or_else(missing)?, "block")?;
    let results = decode_results(&chain.store.results(height)?.ok_or_else(missing)?)?;
    Ok((header, body, results))
}

fn envelope_json(envelope: &SignedTransaction) -> Value {
    serde_json::to_value(envelope).unwrap_or(Value::Null)
}

fn get_transaction(node: &Node, args: &[Value]) -> RpcResult {
    let hash = args.first().and_then(Value::as_str).and_then(parse_hash).ok_or_else(|| invalid("param 0: tx hash"))?;
    rpc_history::transaction_status(node, &hash)
}

fn get_block(node: &Node, args: &[Value]) -> RpcResult {
    let height = arg_u64(args, 0, None)?;
    let chain = node.chain();
    let (header, body, results) = stored_block(&chain, height)?;
    let transactions: Vec<Value> = body
        .envelopes
        .iter()
        .zip(&body.tx_hashes)
        .zip(&body.transactions)
        .map(|((envelope, hash), tx)| {
            json!({"tx_hash": hex(hash), "signer": tx.signer(), "nonce": tx.nonce, "envelope": envelope_json(envelope)})
        })
        .collect();
    let outcomes: Vec<Value> =
        results.transactions.iter().map(|o| json!({"result": tx_result_json(&o.result), "events": o.events})).collect();
    Ok(json!({
        "header": header.to_json(),
        "transactions": transactions,
        "results": outcomes,
        "end_block_events": results.end_block_events,
    }))
}

fn get_events(node: &Node, args: &[Value]) -> RpcResult {
    let height = arg_u64(args, 0, None)?;
    let chain = node.chain();
    let (header, _, results) = stored_block(&chain, height)?;
    let mut events = Vec::new();
    for (index, outcome) in results.transactions.iter().enumerate() {
        events.extend(outcome.events.iter().map(|e| json!({"tx_index": index, "event": e})));
    }
    events.extend(results.end_block_events.iter().map(|e| json!({"tx_index": null, "event": e})));
    Ok(json!({"height": header.height, "time_ms": header.time_ms, "events": events}))
}

fn get_account(node: &Node, args: &[Value]) -> RpcResult {
    let id = SubaccountId::new(arg_address(args, 0)?, arg_subaccount(args, 1)?);
    let chain = node.chain();
    let mut view = serde_json::to_value(chain.state.account(id)).map_err(|e| NodeError::Corrupt(e.to_string()))?;
    if let Value::Object(map) = &mut view {
        map.insert("nonce".into(), json!(chain.state.nonce(id.owner)));
        map.insert("height".into(), json!(chain.height()));
    }
    Ok(view)
}

/// `[address, subaccount]`: the subaccount's resting orders.
fn get_open_orders(node: &Node, args: &[Value]) -> RpcResult {
    let id = SubaccountId::new(arg_address(args, 0)?, arg_subaccount(args, 1)?);
    let chain = node.chain();
    Ok(json!({"height": chain.height(), "orders": to_value(chain.state.open_orders(id))?}))
}

/// `[address, subaccount, {"order_id": N} | {"client_order_id": N}]`: one order — `open`
/// with its view while it rests, `not_open` once filled, cancelled or never placed.
fn get_order_status(node: &Node, args: &[Value]) -> RpcResult {
    use novation_protocol::queries::OrderRef;
    let id = SubaccountId::new(arg_address(args, 0)?, arg_subaccount(args, 1)?);
    let wanted = args
        .get(2)
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("param 2: {\"order_id\": N} or {\"client_order_id\": N}"))?;
    let number = |key: &str| wanted.get(key).and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
    let order = match (number("order_id"), number("client_order_id"), wanted.len()) {
        (Some(order_id), None, 1) => OrderRef::Id(novation_types::OrderId(order_id)),
        (None, Some(client), 1) => OrderRef::ClientId(client),
        _ => return Err(invalid("param 2: exactly one of order_id or client_order_id, a non-negative integer")),
    };
    let chain = node.chain();
    let view = chain.state.open_order(id, order);
    Ok(json!({
        "height": chain.height(),
        "status": if view.is_some() { "open" } else { "not_open" },
        "order": to_value(view)?,
    }))
}

/// `[limit, after_address, after_subaccount]`: every subaccount in id order, a page at a time.
fn list_subaccounts(node: &Node, args: &[Value]) -> RpcResult {
    let limit = arg_limit(args, 0, 100, LIST_MAX)?;
    let after = match args.get(1) {
        None | Some(Value::Null) => None,
        Some(_) => Some(SubaccountId::new(arg_address(args, 1)?, arg_subaccount(args, 2)?)),
    };
    to_value(node.with_state(|s| s.list_subaccounts(after, limit)))
}

fn get_account_proof(node: &Node, args: &[Value]) -> RpcResult {
    let id = SubaccountId::new(arg_address(args, 0)?, arg_subaccount(args, 1)?);
    let chain = node.chain();
    let key = novation_protocol::StateKey::Subaccount(id).to_bytes();
    let value = chain.state.commitment_value(&novation_protocol::StateKey::Subaccount(id));
    let proof = chain.tree.prove(&key);
    Ok(json!({
        "height": chain.height(),
        "state_root": hex(&chain.tree.root()),
        "key": hex(&key),
        "value": value.as_deref().map(hex),
        "proof": hex(&proof.to_bytes()),
    }))
}

fn get_markets(node: &Node) -> RpcResult {
    let chain = node.chain();
    let markets: Vec<Value> = chain
        .state
        .params()
        .markets
        .iter()
        .zip(chain.state.market_infos())
        .map(|(params, info)| json!({"params": params, "info": info, "stats": chain.state.market(params.id)}))
        .collect();
    Ok(Value::Array(markets))
}

fn get_book(node: &Node, args: &[Value]) -> RpcResult {
    let chain = node.chain();
    let market = resolve_market(&chain, args.first())?;
    let depth = arg_limit(args, 1, BOOK_DEPTH_DEFAULT, BOOK_DEPTH_MAX)?;
    let book = chain.state.l2_book(market, depth).ok_or_else(|| NodeError::UnknownMarket(market.0.to_string()))?;
    let mut value = to_value(book)?;
    if let Value::Object(map) = &mut value {
        map.insert("height".into(), json!(chain.height()));
    }
    Ok(value)
}

fn send_transaction(node: &Node, args: &[Value]) -> RpcResult {
    let envelope = match args.first() {
        Some(Value::String(text)) => SignedTransaction::from_json(text.as_bytes()).map_err(NodeError::Tx)?,
        Some(value @ Value::Object(_)) => {
            let text = value.to_string();
            SignedTransaction::from_json(text.as_bytes()).map_err(NodeError::Tx)?
        }
        _ => return Err(invalid("param 0: a signed transaction envelope (object or its JSON text)")),
    };
    let admitted = node.submit(envelope)?;
    Ok(json!({"tx_hash": hex(&admitted.tx_hash), "signer": admitted.signer, "nonce": admitted.nonce}))
}

/// Most envelopes one `nov_relayTransactions` call carries.
const RELAY_MAX: usize = 1_000;

/// A peer relaying the transactions its clients sent: each is admitted like a client's, but
/// not relayed again (the sender relays to every peer itself). Answers how many were new.
///
/// The hottest call of a loaded network (every peer sends every client transaction), so its
/// params are read straight from the request's text, each envelope once into its own type,
/// never through a JSON tree. An envelope that does not parse or verify is skipped.
fn relay_transactions(node: &Node, params: &Params<'_>) -> RpcResult {
    let not_a_list = || invalid("param 0: an array of signed transaction envelopes");
    let text = params.as_str().ok_or_else(not_a_list)?;
    let args: Option<Vec<&RawValue>> =
        serde_json::from_str(text).map_err(|_| invalid("params must be a positional array"))?;
    let first = args.as_deref().and_then(<[_]>::first).ok_or_else(not_a_list)?;
    let envelopes: Vec<&RawValue> = serde_json::from_str(first.get()).map_err(|_| not_a_list())?;
    if envelopes.len() > RELAY_MAX {
        return Err(invalid(format!("at most {RELAY_MAX} envelopes per call")));
    }
    let mut admitted = 0u64;
    for raw in &envelopes {
        // The call's size is bounded by the API's request limit, each envelope's by its own.
        let Ok(envelope) = SignedTransaction::from_json(raw.get().as_bytes()) else { continue };
        if node.submit_quietly(envelope).is_ok() {
            admitted += 1;
        }
    }
    Ok(json!({"admitted": admitted, "received": envelopes.len()}))
}

fn get_surface(node: &Node, args: &[Value]) -> RpcResult {
    let chain = node.chain();
    let asset = resolve_asset(&chain, args.first())?;
    let index = chain.state.oracle(asset).and_then(|o| o.index);
    Ok(json!({
        "asset": asset,
        "symbol": asset_symbol(&chain, asset),
        "index": index,
        "height": chain.height(),
        "time_ms": chain.state.time_ms(),
        "smiles": to_value(chain.state.vol_surface(asset))?,
    }))
}

fn get_implied_vol(node: &Node, args: &[Value]) -> RpcResult {
    let chain = node.chain();
    let asset = resolve_asset(&chain, args.first())?;
    let expiry_ms = arg_u64(args, 1, None)?;
    let strike = arg_positive_decimal(args, 2, "strike")?;
    let listed = chain
        .state
        .params()
        .markets
        .iter()
        .any(|m| m.base_asset == asset && m.kind.is_option() && m.kind.expiry_ms() == Some(expiry_ms));
    if !listed {
        let symbol = asset_symbol(&chain, asset);
        return Err(NodeError::NotFound(format!("option expiry {expiry_ms} of {symbol}")).into());
    }
    let validity = chain.state.vol_surface(asset).into_iter().find(|s| s.expiry_ms == expiry_ms).map(|s| s.validity);
    Ok(json!({
        "asset": asset,
        "expiry_ms": expiry_ms,
        "strike": strike,
        "implied_vol": chain.state.implied_vol_at(asset, expiry_ms, strike),
        "validity": validity,
        "height": chain.height(),
    }))
}

fn get_series(node: &Node, args: &[Value]) -> RpcResult {
    let chain = node.chain();
    match args.first() {
        None | Some(Value::Null) => to_value(chain.state.list_series()),
        value => {
            let market = resolve_market(&chain, value)?;
            to_value(chain.state.series(market).ok_or_else(|| NodeError::UnknownMarket(market.0.to_string()))?)
        }
    }
}

fn get_greeks(node: &Node, args: &[Value]) -> RpcResult {
    let chain = node.chain();
    let (subaccount, greeks) = match args.first() {
        None | Some(Value::Null) => (None, chain.state.system_greeks()),
        Some(_) => {
            let id = SubaccountId::new(arg_address(args, 0)?, arg_subaccount(args, 1)?);
            (Some(id), chain.state.account_greeks(id))
        }
    };
    let greeks: Vec<Value> = greeks
        .iter()
        .map(|g| {
            let mut value = serde_json::to_value(g).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("symbol".into(), json!(asset_symbol(&chain, g.underlying)));
            }
            value
        })
        .collect();
    Ok(json!({"subaccount": subaccount, "height": chain.height(), "greeks": greeks}))
}

fn get_margin_breakdown(node: &Node, args: &[Value]) -> RpcResult {
    let id = SubaccountId::new(arg_address(args, 0)?, arg_subaccount(args, 1)?);
    let chain = node.chain();
    let mut value = to_value(chain.state.margin_breakdown(id))?;
    if let Value::Object(map) = &mut value {
        map.insert("subaccount".into(), json!(id));
        map.insert("height".into(), json!(chain.height()));
    }
    Ok(value)
}

/// Registers a synchronous method that reads the node.
macro_rules! method {
    ($module:expr, $name:literal, |$node:ident, $args:ident| $body:expr) => {
        $module
            .register_method($name, |params, $node: &Node, _| -> RpcResult {
                let $args = args(&params)?;
                $body
            })
            .map_err(|e| NodeError::InvalidParams(e.to_string()))?;
    };
}

/// Registers a method whose reads may be heavy (the block log, whole-state scans): it runs on
/// the blocking pool, never on the threads that serve connections.
macro_rules! blocking_method {
    ($module:expr, $name:literal, |$node:ident, $args:ident| $body:expr) => {
        $module
            .register_blocking_method($name, |params, node: Arc<Node>, _| -> RpcResult {
                let $node: &Node = &node;
                let $args = args(&params)?;
                $body
            })
            .map_err(|e| NodeError::InvalidParams(e.to_string()))?;
    };
}

/// Builds the RPC module with every method and subscription of docs/api.md.
pub fn rpc_module(node: Node) -> Result<RpcModule<Node>, NodeError> {
    let mut module = RpcModule::new(node);
    method!(module, "nov_status", |node, _a| Ok(node.status_json()));
    // The schema is the same for the life of the process: built once, served as a copy.
    let schema = std::sync::OnceLock::<Value>::new();
    module
        .register_method("nov_getSchema", move |_, _: &Node, _| -> RpcResult {
            Ok(schema.get_or_init(crate::wire_schema).clone())
        })
        .map_err(|e| NodeError::InvalidParams(e.to_string()))?;
    method!(module, "nov_sendTransaction", |node, a| send_transaction(node, &a));
    module
        .register_blocking_method("nov_relayTransactions", |params, node: Arc<Node>, _| -> RpcResult {
            relay_transactions(&node, &params)
        })
        .map_err(|e| NodeError::InvalidParams(e.to_string()))?;
    blocking_method!(module, "nov_getTransaction", |node, a| get_transaction(node, &a));
    method!(module, "nov_getNonce", |node, a| Ok(json!(node.next_nonce(arg_address(&a, 0)?))));
    method!(module, "nov_getAccount", |node, a| get_account(node, &a));
    // Scans the books for one owner's orders: off the async threads.
    blocking_method!(module, "nov_getOpenOrders", |node, a| get_open_orders(node, &a));
    blocking_method!(module, "nov_getOrderStatus", |node, a| get_order_status(node, &a));
    blocking_method!(module, "nov_getAccountProof", |node, a| get_account_proof(node, &a));
    method!(module, "nov_getMarkets", |node, _a| get_markets(node));
    method!(module, "nov_getAssets", |node, _a| to_value(node.with_state(|s| s.asset_infos())));
    method!(module, "nov_getBook", |node, a| get_book(node, &a));
    blocking_method!(module, "nov_getTrades", |node, a| rpc_history::trades(node, &a));
    blocking_method!(module, "nov_getCandles", |node, a| rpc_history::candles(node, &a));
    blocking_method!(module, "nov_getBlock", |node, a| get_block(node, &a));
    blocking_method!(module, "nov_getEvents", |node, a| get_events(node, &a));
    blocking_method!(module, "nov_getAccountEvents", |node, a| rpc_history::account_events(node, &a));
    blocking_method!(module, "nov_getAccountHistory", |node, a| rpc_history::account_history(node, &a, None));
    blocking_method!(module, "nov_getFills", |node, a| rpc_history::account_history(
        node,
        &a,
        Some(HistoryKind::Fills)
    ));
    blocking_method!(module, "nov_getFunding", |node, a| {
        rpc_history::account_history(node, &a, Some(HistoryKind::Funding))
    });
    blocking_method!(module, "nov_getLiquidations", |node, a| {
        rpc_history::account_history(node, &a, Some(HistoryKind::Liquidations))
    });
    blocking_method!(module, "nov_getRiskView", |node, a| {
        let top = arg_limit(&a, 0, 20, LIST_MAX)?;
        to_value(node.with_state(|s| s.risk_view(top)))
    });
    blocking_method!(module, "nov_listSubaccounts", |node, a| list_subaccounts(node, &a));
    // Ranking a position scans every holder of its market: off the sequencer's threads.
    blocking_method!(module, "nov_getAdlRank", |node, a| {
        let id = SubaccountId::new(arg_address(&a, 0)?, arg_subaccount(&a, 1)?);
        to_value(node.with_state(|s| s.adl_standing(id)))
    });
    method!(module, "nov_getBackstop", |node, _a| to_value(node.with_state(|s| s.backstop_view())));
    blocking_method!(module, "nov_getSystemTotals", |node, _a| to_value(node.with_state(|s| s.system_totals())));
    method!(module, "nov_getSurface", |node, a| get_surface(node, &a));
    method!(module, "nov_getImpliedVol", |node, a| get_implied_vol(node, &a));
    method!(module, "nov_getSeries", |node, a| get_series(node, &a));
    method!(module, "nov_getGreeks", |node, a| get_greeks(node, &a));
    method!(module, "nov_getMarginBreakdown", |node, a| get_margin_breakdown(node, &a));
    register_subscriptions(&mut module)?;
    Ok(module)
}

/// What a subscription listens for.
#[derive(Clone, Copy)]
enum Topic {
    Blocks,
    Book(MarketId),
    Trades(MarketId),
    Account(Address),
    Transaction(Hash32),
}

/// The message for one block on a topic, if any.
fn message_for(node: &Node, topic: Topic, notice: &BlockNotice) -> Option<Value> {
    match topic {
        Topic::Blocks => Some(json!({"header": notice.header.to_json(), "tx_count": notice.tx_count})),
        Topic::Book(market) => book_message(node, market),
        Topic::Trades(wanted) => {
            let units = node.chain().market_units();
            let fills: Vec<Value> =
                records_where(notice, &units, |event| matches!(event, Event::Fill { market, .. } if *market == wanted));
            (!fills.is_empty()).then_some(Value::Array(fills))
        }
        Topic::Account(address) => {
            let units = node.chain().market_units();
            let events = records_where(notice, &units, |event| touched_addresses(event).contains(&address));
            (!events.is_empty()).then_some(Value::Array(events))
        }
        Topic::Transaction(hash) => {
            if !notice.tx_hashes.contains(&hash) {
                return None;
            }
            rpc_history::transaction_status(node, &hash).ok()
        }
    }
}

/// The block's events that `wanted` keeps, as history records them.
fn records_where(notice: &BlockNotice, units: &[MarketUnits], wanted: impl Fn(&Event) -> bool) -> Vec<Value> {
    notice
        .events()
        .enumerate()
        .filter(|(_, record)| wanted(record.event))
        .map(|(seq, record)| {
            let position = Position { height: record.height, seq: seq as u32 };
            record_json(position, record.stored(), units)
        })
        .collect()
}

/// The market's book now, with the height it is at.
fn book_message(node: &Node, market: MarketId) -> Option<Value> {
    let chain = node.chain();
    let book = chain.state.l2_book(market, BOOK_DEPTH_DEFAULT)?;
    let mut value = serde_json::to_value(book).ok()?;
    if let Value::Object(map) = &mut value {
        map.insert("height".into(), json!(chain.height()));
    }
    Some(value)
}

async fn send(sink: &jsonrpsee::server::SubscriptionSink, value: &Value) -> bool {
    let Ok(raw) = serde_json::value::to_raw_value(value) else { return true };
    sink.send(SubscriptionMessage::from(raw)).await.is_ok()
}

/// Sends the topic's messages for the stored blocks `from..=` the latest; returns the last
/// height covered, or `None` when the subscription is over (the client went away, or the
/// awaited transaction's inclusion was sent).
async fn catch_up(
    node: &Arc<Node>,
    sink: &jsonrpsee::server::SubscriptionSink,
    topic: Topic,
    from: u64,
) -> Option<u64> {
    let store = node.chain().store.clone();
    let mut height = from;
    let mut covered = from.saturating_sub(1);
    while height <= node.height() {
        let read = store.clone();
        let notice = tokio::task::spawn_blocking(move || Chain::stored_notice(&read, height)).await;
        let Ok(Ok(Some(notice))) = notice else { break };
        if let Some(value) = message_for(node, topic, &notice) {
            if !send(sink, &value).await || matches!(topic, Topic::Transaction(_)) {
                return None;
            }
        }
        covered = height;
        height += 1;
    }
    Some(covered)
}

/// Serves one subscription: from the stored blocks after `from_height - 1` when the client
/// resumes, then live. A subscriber that falls behind the live feed is caught up from the
/// store, so it never silently misses a block.
async fn serve_subscription(node: Arc<Node>, pending: PendingSubscriptionSink, topic: Topic, from_height: Option<u64>) {
    let mut notices = node.shared.notices.subscribe();
    let Ok(sink) = pending.accept().await else { return };
    let mut covered = node.height();
    match topic {
        Topic::Book(market) => {
            if let Some(book) = book_message(&node, market) {
                if !send(&sink, &book).await {
                    return;
                }
            }
        }
        Topic::Transaction(hash) => {
            let status = rpc_history::transaction_status(&node, &hash).unwrap_or(Value::Null);
            let done = status.get("status").and_then(Value::as_str) == Some("included");
            if !send(&sink, &status).await || done {
                return;
            }
        }
        _ => {}
    }
    if let Some(from) = from_height {
        match catch_up(&node, &sink, topic, from).await {
            Some(last) => covered = last,
            None => return,
        }
    }
    loop {
        tokio::select! {
            _ = sink.closed() => return,
            notice = notices.recv() => match notice {
                Ok(notice) => {
                    let height = notice.header.height;
                    if height <= covered {
                        continue;
                    }
                    if height > covered + 1 {
                        // Blocks committed between a catch-up and this notice.
                        match catch_up(&node, &sink, topic, covered + 1).await {
                            Some(last) => covered = last,
                            None => return,
                        }
                        if height <= covered {
                            continue;
                        }
                    }
                    covered = height;
                    let Some(value) = message_for(&node, topic, &notice) else { continue };
                    if !send(&sink, &value).await {
                        return;
                    }
                    if matches!(topic, Topic::Transaction(_)) {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => match catch_up(&node, &sink, topic, covered + 1).await {
                    Some(last) => covered = last,
                    None => return,
                },
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

fn parse_topic(node: &Node, kind: &str, params: &Params<'_>) -> Result<(Topic, Option<u64>), ErrorObjectOwned> {
    let a = args(params)?;
    let (topic, from_index) = match kind {
        "blocks" => (Topic::Blocks, 0),
        "book" => (Topic::Book(resolve_market(&node.chain(), a.first())?), usize::MAX),
        "trades" => (Topic::Trades(resolve_market(&node.chain(), a.first())?), 1),
        "transaction" => {
            let hash =
                a.first().and_then(Value::as_str).and_then(parse_hash).ok_or_else(|| invalid("param 0: tx hash"))?;
            (Topic::Transaction(hash), usize::MAX)
        }
        _ => (Topic::Account(arg_address(&a, 0)?), 1),
    };
    let from_height = match a.get(from_index) {
        None | Some(Value::Null) => None,
        Some(value) => {
            let from = value.as_u64().filter(|h| *h > 0).ok_or_else(|| {
                invalid(format!("param {from_index}: from_height, the first block to resend (1 or more)"))
            })?;
            let latest = node.height();
            if latest.saturating_sub(from) > RESUME_MAX_BLOCKS {
                return Err(invalid(format!(
                    "from_height {from} is more than {RESUME_MAX_BLOCKS} blocks behind the latest ({latest}): read \
                     older blocks with nov_getBlock and the history methods"
                )));
            }
            Some(from)
        }
    };
    Ok((topic, from_height))
}

fn register_subscriptions(module: &mut RpcModule<Node>) -> Result<(), NodeError> {
    let topics: [(&'static str, &'static str, &'static str, &'static str); 5] = [
        ("nov_subscribeBlocks", "nov_blocks", "nov_unsubscribeBlocks", "blocks"),
        ("nov_subscribeBook", "nov_book", "nov_unsubscribeBook", "book"),
        ("nov_subscribeTrades", "nov_trades", "nov_unsubscribeTrades", "trades"),
        ("nov_subscribeAccount", "nov_account", "nov_unsubscribeAccount", "account"),
        ("nov_subscribeTransaction", "nov_transaction", "nov_unsubscribeTransaction", "transaction"),
    ];
    for (subscribe, notification, unsubscribe, kind) in topics {
        module
            .register_subscription(subscribe, notification, unsubscribe, move |params, pending, node, _| async move {
                match parse_topic(&node, kind, &params) {
                    Ok((topic, from_height)) => serve_subscription(node, pending, topic, from_height).await,
                    Err(error) => pending.reject(error).await,
                }
            })
            .map_err(|e| NodeError::InvalidParams(e.to_string()))?;
    }
    Ok(())
}

/// Starts the API server on `addr` (HTTP and WebSocket on one port, `/metrics` beside) behind
/// the front door's default limits (see [`start_rpc_with`]).
pub async fn start_rpc(node: Node, addr: SocketAddr) -> Result<(SocketAddr, ServerHandle), NodeError> {
    start_rpc_with(node, addr, RpcLimits::default()).await
}

/// Starts the API server on `addr` behind the front door with `limits`
/// ([`crate::front_door`]).
pub async fn start_rpc_with(
    node: Node,
    addr: SocketAddr,
    limits: RpcLimits,
) -> Result<(SocketAddr, ServerHandle), NodeError> {
    let module = rpc_module(node.clone())?;
    crate::front_door::start(node, module, addr, limits).await
}
