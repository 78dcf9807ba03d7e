//! The account subscriptions of `/ws`: `userFills`, `orderUpdates` and `userEvents`, from
//! the node's stored history of the account (subaccount 0 of the address), sent after every
//! block that touched it.
//!
//! - `userFills`: at once `{isSnapshot: true, user, fills}` (the latest fills, as `userFills`
//!   answers over HTTP), then `{user, fills}` with each block's new fills;
//! - `orderUpdates`: a list of `{order, status, statusTimestamp}` for each block's order
//!   events: an accepted order is `open` while it rests, `filled` once it no longer does, a
//!   cancelled one has Hyperliquid's cancel status; a resting order filled by others is
//!   reported `filled` when it leaves the book;
//! - `userEvents` (channel `user`): `{fills}` with each block's new fills.

use std::collections::{BTreeMap, BTreeSet};

use novation_node::{Node, PastEvent};
use novation_types::{Address, Event, OrderId, SubaccountId};
use serde_json::{json, Value};

use crate::info::user::{cancel_status, cloid_hex, fills_since, side_code};
use crate::wire::{self, number};

/// Most order events read for one update (and for finding an old order's details).
const ORDER_EVENTS_MAX: usize = 2_000;
/// Most fills sent when a `userFills` subscription starts.
const FILLS_SNAPSHOT_MAX: usize = 500;

/// The account a subscription's `user` names.
pub(super) fn account(subscription: &Value) -> Result<SubaccountId, String> {
    let text = subscription.get("user").and_then(Value::as_str).ok_or("the subscription needs a `user` address")?;
    let address: Address = text.parse().map_err(|_| format!("`user` {text:?} is not an address"))?;
    Ok(SubaccountId::new(address, 0))
}

/// Whether the account's newest record of a kind is in a block above `after`: one row read,
/// so an idle subscriber costs a block almost nothing.
fn touched_since(newest: Result<Vec<PastEvent>, novation_node::NodeError>, after: u64) -> bool {
    newest.ok().and_then(|rows| rows.first().map(|row| row.height > after)).unwrap_or(false)
}

/// The fills in blocks above `after`, newest first (all of them for `after` = 0, capped).
fn fills(node: &Node, id: SubaccountId, after: u64) -> Vec<Value> {
    if after > 0 && !touched_since(node.account_fills(id.owner, 1), after) {
        return Vec::new();
    }
    match fills_since(node, id, after) {
        Ok(Value::Array(fills)) => fills,
        _ => Vec::new(),
    }
}

/// `userFills`' first message.
pub(super) fn fills_snapshot(node: &Node, id: SubaccountId) -> Value {
    let mut fills = fills(node, id, 0);
    fills.truncate(FILLS_SNAPSHOT_MAX);
    json!({"channel": "userFills", "data": {"isSnapshot": true, "user": id.owner.to_string(), "fills": fills}})
}

/// `userFills`' update for the blocks above `after`.
pub(super) fn fills_update(node: &Node, id: SubaccountId, after: u64) -> Option<Value> {
    let fills = fills(node, id, after);
    (!fills.is_empty()).then(|| json!({"channel": "userFills", "data": {"user": id.owner.to_string(), "fills": fills}}))
}

/// `userEvents`' update for the blocks above `after`.
pub(super) fn events_update(node: &Node, id: SubaccountId, after: u64) -> Option<Value> {
    let fills = fills(node, id, after);
    (!fills.is_empty()).then(|| json!({"channel": "user", "data": {"fills": fills}}))
}

/// What an order was placed as.
struct Placed {
    market: novation_types::MarketId,
    side: novation_types::Side,
    price_ticks: u64,
    size_lots: u64,
    client: Option<u64>,
    at_ms: u64,
}

/// `orderUpdates`' update for the blocks above `after`.
pub(super) fn order_updates(node: &Node, id: SubaccountId, after: u64) -> Option<Value> {
    let orders_touched = touched_since(node.account_order_events(id.owner, 1), after);
    if !orders_touched && !touched_since(node.account_fills(id.owner, 1), after) {
        return None;
    }
    let events = node.account_order_events(id.owner, ORDER_EVENTS_MAX).ok()?;
    let maker_fills = node.account_fills(id.owner, ORDER_EVENTS_MAX).ok().unwrap_or_default();
    let (coins, resting) = node.with_state(|state| {
        let resting: BTreeSet<OrderId> = state.open_orders(id).iter().map(|o| o.order_id).collect();
        (wire::universe(state), resting)
    });
    // Every order the account placed that the events still show, by id (oldest first).
    let mut placed: BTreeMap<OrderId, Placed> = BTreeMap::new();
    for past in events.iter().rev() {
        if let Event::OrderAccepted { order_id, subaccount, market, side, price_ticks, size_lots, client_order_id } =
            past.event
        {
            if subaccount == id {
                let at_ms = past.time_ms;
                placed
                    .insert(order_id, Placed { market, side, price_ticks, size_lots, client: client_order_id, at_ms });
            }
        }
    }
    let order_json = |order_id: OrderId, remaining_lots: u64, status: &str, at_ms: u64| -> Option<Value> {
        let order = placed.get(&order_id)?;
        let coin = wire::coin_of_market(&coins, order.market)?;
        let mut body = json!({
            "coin": coin.name,
            "side": side_code(order.side),
            "limitPx": number(coin.price(order.price_ticks)),
            "sz": number(coin.size(remaining_lots)),
            "oid": order_id.0,
            "timestamp": order.at_ms,
            "origSz": number(coin.size(order.size_lots)),
        });
        if let Some(client) = order.client {
            body["cloid"] = Value::String(cloid_hex(client));
        }
        Some(json!({"order": body, "status": status, "statusTimestamp": at_ms}))
    };
    let mut updates = Vec::new();
    let mut reported: BTreeSet<OrderId> = BTreeSet::new();
    let recent = |past: &&PastEvent| past.height > after;
    for past in events.iter().rev().filter(recent) {
        let update = match past.event {
            Event::OrderAccepted { order_id, subaccount, size_lots, .. } if subaccount == id => {
                let cancelled = events
                    .iter()
                    .filter(recent)
                    .any(|p| matches!(p.event, Event::OrderCancelled { order_id: c, .. } if c == order_id));
                if cancelled {
                    None
                } else if resting.contains(&order_id) {
                    order_json(order_id, size_lots, "open", past.time_ms)
                } else {
                    reported.insert(order_id);
                    order_json(order_id, 0, "filled", past.time_ms)
                }
            }
            Event::OrderCancelled { order_id, subaccount, remaining_lots, reason, .. } if subaccount == id => {
                reported.insert(order_id);
                order_json(order_id, remaining_lots, cancel_status(reason), past.time_ms)
            }
            _ => None,
        };
        updates.extend(update);
    }
    // Resting orders others filled away in these blocks.
    for past in maker_fills.iter().rev().filter(recent) {
        if let Event::Fill { maker, maker_order, .. } = past.event {
            if maker == id && !resting.contains(&maker_order) && reported.insert(maker_order) {
                updates.extend(order_json(maker_order, 0, "filled", past.time_ms));
            }
        }
    }
    (!updates.is_empty()).then(|| json!({"channel": "orderUpdates", "data": updates}))
}
