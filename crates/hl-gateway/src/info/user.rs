//! An account's info types: margin and positions (`clearinghouseState`), resting and trigger
//! orders (`openOrders`, `frontendOpenOrders`, `orderStatus`) and fills (`userFills`, from the
//! node's stored history). A Hyperliquid user is novation's subaccount 0 of the address.

use std::collections::BTreeMap;

use novation_math::{Decimal, Rounding};
use novation_node::{Node, PastEvent};
use novation_protocol::queries::{OpenOrderView, PositionView};
use novation_protocol::{State, TriggerOrder};
use novation_types::{CancelReason, Event, MarketId, OrderId, OrderKind, Side, SubaccountId, TriggerCondition};
use serde_json::{json, Value};

use super::{Fields, InfoResult, Refusal};
use crate::wire::{self, number, optional_number, usd, Coin};

/// Most fills one `userFills` answer holds (Hyperliquid's limit).
pub(super) const FILLS_MAX: usize = 2_000;

pub(super) fn account_of(fields: &Fields<'_>) -> Result<SubaccountId, Refusal> {
    Ok(SubaccountId::new(fields.user()?, 0))
}

/// `"B"` for a buy, `"A"` (ask) for a sell.
pub(crate) fn side_code(side: Side) -> &'static str {
    match side {
        Side::Buy => "B",
        Side::Sell => "A",
    }
}

/// A client order id as Hyperliquid's 16-byte `cloid`: `0x` and 32 hex digits.
pub(crate) fn cloid_hex(id: u64) -> String {
    format!("0x{id:032x}")
}

/// Parses a `cloid` into novation's 64-bit client order id; `None` if it is not 16 bytes of
/// hex or does not fit 64 bits (novation's client ids are 64-bit).
pub(crate) fn parse_cloid(text: &str) -> Option<u64> {
    novation_tx::hyperliquid::action::parse_cloid(text).ok()
}

/// Margin, positions and withdrawable funds of one account, in Hyperliquid's shape.
fn clearinghouse_json(state: &State, id: SubaccountId) -> Value {
    let coins = wire::universe(state);
    let account = state.account(id);
    let breakdown = state.margin_breakdown(id);
    let health = account.health;
    let mut signed_value = Decimal::ZERO;
    let mut positions = Vec::new();
    for position in &account.positions {
        let Some(coin) = wire::coin_of_market(&coins, position.market) else { continue };
        if position.size_lots == 0 {
            continue;
        }
        let margin = breakdown.positions.iter().find(|m| m.market == position.market);
        let (initial, maintenance) = margin.map_or((Decimal::ZERO, Decimal::ZERO), |m| (m.initial, m.maintenance));
        let value = if position.size_lots < 0 {
            position.notional.checked_neg().unwrap_or(position.notional)
        } else {
            position.notional
        };
        signed_value = signed_value.checked_add(value).unwrap_or(signed_value);
        let isolated = account.isolated_market == Some(position.market);
        let pending = unsettled_funding(state, id, position.market);
        positions.push(position_json(coin, position, (initial, maintenance), &health, isolated, pending));
    }
    let raw_usd = health.equity.checked_sub(signed_value).unwrap_or(health.equity);
    let summary = json!({
        "accountValue": usd(health.equity, Rounding::HalfEven),
        "totalNtlPos": usd(health.notional, Rounding::HalfEven),
        "totalRawUsd": usd(raw_usd, Rounding::HalfEven),
        "totalMarginUsed": usd(health.initial_requirement, Rounding::Ceil),
    });
    let withdrawable = health.free_collateral.max(Decimal::ZERO);
    json!({
        "marginSummary": summary,
        "crossMarginSummary": summary,
        "crossMaintenanceMarginUsed": usd(health.maintenance_requirement, Rounding::Ceil),
        "withdrawable": usd(withdrawable, Rounding::Floor),
        "assetPositions": positions,
        "time": state.time_ms(),
    })
}

/// Funding owed to (positive) or by the position since it was last settled into the balance.
fn unsettled_funding(state: &State, id: SubaccountId, market: MarketId) -> Decimal {
    let Some(sub) = state.subaccount(id) else { return Decimal::ZERO };
    let Some(position) = sub.positions.iter().find(|p| p.market == market) else { return Decimal::ZERO };
    let Some(view) = state.market(market) else { return Decimal::ZERO };
    let per_lot = view.funding_index.raw().saturating_sub(position.funding_index);
    // A long pays when the index rises.
    Decimal::from_raw(per_lot.saturating_mul(i128::from(position.size_lots.0)).saturating_neg())
}

/// The price at which this position alone would take the account to its maintenance line:
/// equity and requirement move linearly with the mark, so
/// `px = mark − (equity_maintenance − maintenance) / (size − |size| × maintenance fraction)`.
/// `None` when flat, without a mark, or when that price is not positive.
fn liquidation_price(
    position: &PositionView,
    maintenance: Decimal,
    health: &novation_protocol::queries::HealthView,
) -> Option<Decimal> {
    let mark = position.mark?;
    if position.size.is_zero() || position.notional.is_zero() {
        return None;
    }
    let fraction = maintenance.div(position.notional, Rounding::Ceil).ok()?;
    let size_abs = position.size.checked_abs().ok()?;
    let denominator = position.size.checked_sub(size_abs.mul(fraction, Rounding::HalfEven).ok()?).ok()?;
    if denominator.is_zero() {
        return None;
    }
    let cushion = health.equity_maintenance.checked_sub(health.maintenance_requirement).ok()?;
    let price = mark.checked_sub(cushion.div(denominator, Rounding::HalfEven).ok()?).ok()?;
    price.is_positive().then(|| price.round_dp(8, Rounding::HalfEven).ok()).flatten()
}

fn position_json(
    coin: &Coin,
    position: &PositionView,
    (initial, maintenance): (Decimal, Decimal),
    health: &novation_protocol::queries::HealthView,
    isolated: bool,
    pending_funding: Decimal,
) -> Value {
    // The leverage the margin implies: value / initial margin, at least 1.
    let leverage =
        position.notional.div(initial, Rounding::Floor).ok().and_then(|l| l.round_to_int(Rounding::Floor).ok());
    let leverage = leverage.map_or(i128::from(coin.max_leverage), |l| l.clamp(1, i128::from(coin.max_leverage.max(1))));
    let mut leverage_json = json!({"type": if isolated { "isolated" } else { "cross" }, "value": leverage});
    if isolated {
        leverage_json["rawUsd"] = Value::String(usd(health.collateral, Rounding::HalfEven));
    }
    let paid = pending_funding.checked_neg().unwrap_or(Decimal::ZERO);
    json!({
        "type": "oneWay",
        "position": {
            "coin": coin.name,
            "szi": number(position.size),
            "entryPx": optional_number(position.entry_price.and_then(|p| p.round_dp(8, Rounding::HalfEven).ok())),
            "positionValue": usd(position.notional, Rounding::HalfEven),
            "unrealizedPnl": usd(position.unrealized_pnl, Rounding::HalfEven),
            "returnOnEquity": number(wire::ratio(position.unrealized_pnl, initial).unwrap_or(Decimal::ZERO)),
            "liquidationPx": optional_number(liquidation_price(position, maintenance, health)),
            "leverage": leverage_json,
            "marginUsed": usd(initial, Rounding::Ceil),
            "maxLeverage": coin.max_leverage,
            "cumFunding": {
                "allTime": usd(paid, Rounding::HalfEven),
                "sinceOpen": usd(paid, Rounding::HalfEven),
                "sinceChange": usd(paid, Rounding::HalfEven),
            },
        }
    })
}

/// `clearinghouseState`: margin summary, withdrawable and positions of `user`.
pub(super) fn clearinghouse_state(node: &Node, fields: &Fields<'_>) -> InfoResult {
    fields.default_dex()?;
    let id = account_of(fields)?;
    Ok(node.with_state(|state| clearinghouse_json(state, id)))
}

/// Resting orders of `id` on perpetuals, newest first as Hyperliquid lists them.
pub(super) fn resting(state: &State, id: SubaccountId) -> Vec<(Coin, OpenOrderView)> {
    let coins = wire::universe(state);
    let mut orders: Vec<(Coin, OpenOrderView)> = state
        .open_orders(id)
        .into_iter()
        .filter_map(|order| Some((wire::coin_of_market(&coins, order.market)?.clone(), order)))
        .collect();
    orders.sort_by_key(|(_, order)| std::cmp::Reverse(order.order_id.0));
    orders
}

fn open_order_json(coin: &Coin, order: &OpenOrderView) -> Value {
    let mut value = json!({
        "coin": coin.name,
        "limitPx": number(order.price),
        "oid": order.order_id.0,
        "side": side_code(order.side),
        "sz": number(order.remaining),
        "origSz": number(order.size),
        "timestamp": order.placed_ms,
    });
    if let Some(client) = order.client_order_id {
        value["cloid"] = Value::String(cloid_hex(client));
    }
    value
}

fn frontend_order_json(coin: &Coin, order: &OpenOrderView) -> Value {
    let mut value = open_order_json(coin, order);
    if let Value::Object(map) = &mut value {
        map.insert("children".into(), json!([]));
        map.insert("isPositionTpsl".into(), json!(false));
        map.insert("isTrigger".into(), json!(false));
        map.insert("orderType".into(), json!("Limit"));
        map.insert("reduceOnly".into(), json!(order.reduce_only));
        map.insert("tif".into(), json!("Gtc"));
        map.insert("triggerCondition".into(), json!("N/A"));
        map.insert("triggerPx".into(), json!("0.0"));
    }
    value
}

/// A waiting trigger order (stop-loss or take-profit) as Hyperliquid lists it: its order's
/// limit price (the trigger price for a market order), and with `frontend` the trigger fields
/// of `frontendOpenOrders`. `timestamp` is when it was placed, from the account's latest order
/// events (0 when older than those).
fn trigger_json(coin: &Coin, order_id: OrderId, trigger: &TriggerOrder, placed_ms: u64, frontend: bool) -> Value {
    let request = &trigger.request;
    let order = &request.order;
    let trigger_px = coin.price(request.trigger_price_ticks.0);
    let (limit_px, is_market) = match order.kind {
        OrderKind::Limit { price_ticks, .. } => (coin.price(price_ticks.0), false),
        OrderKind::Market { .. } => (trigger_px, true),
    };
    let size = number(coin.size(order.size_lots.0));
    let mut value = json!({
        "coin": coin.name,
        "limitPx": number(limit_px),
        "oid": order_id.0,
        "side": side_code(order.side),
        "sz": size,
        "origSz": size,
        "timestamp": placed_ms,
    });
    if let Some(client) = order.client_order_id {
        value["cloid"] = Value::String(cloid_hex(client));
    }
    if frontend {
        let above = matches!(request.condition, TriggerCondition::MarkAtOrAbove);
        // A sell firing as the price rises, or a buy as it falls, takes profit.
        let take_profit = above == matches!(order.side, Side::Sell);
        let order_type = match (take_profit, is_market) {
            (true, true) => "Take Profit Market",
            (true, false) => "Take Profit Limit",
            (false, true) => "Stop Market",
            (false, false) => "Stop Limit",
        };
        let condition = format!("Price {} {}", if above { "above" } else { "below" }, number(trigger_px));
        if let Value::Object(map) = &mut value {
            map.insert("children".into(), json!([]));
            map.insert("isPositionTpsl".into(), json!(false));
            map.insert("isTrigger".into(), json!(true));
            map.insert("orderType".into(), json!(order_type));
            map.insert("reduceOnly".into(), json!(order.reduce_only));
            map.insert("tif".into(), Value::Null);
            map.insert("triggerCondition".into(), json!(condition));
            map.insert("triggerPx".into(), json!(number(trigger_px)));
        }
    }
    value
}

/// The account's resting orders, then its waiting trigger orders, newest first each.
fn open_orders_json(node: &Node, id: SubaccountId, frontend: bool) -> Vec<Value> {
    let (orders, triggers, coins) =
        node.with_state(|state| (resting(state, id), state.trigger_orders(id), wire::universe(state)));
    let mut listed: Vec<Value> = orders
        .iter()
        .map(|(coin, order)| if frontend { frontend_order_json(coin, order) } else { open_order_json(coin, order) })
        .collect();
    if triggers.is_empty() {
        return listed;
    }
    let events = node.account_order_events(id.owner, ORDER_EVENTS_MAX).unwrap_or_default();
    let placed_ms = |order_id: OrderId| {
        events
            .iter()
            .find_map(|past| match past.event {
                Event::TriggerPlaced { order_id: placed, .. } if placed == order_id => Some(past.time_ms),
                _ => None,
            })
            .unwrap_or(0)
    };
    for (order_id, trigger) in triggers.iter().rev() {
        if let Some(coin) = wire::coin_of_market(&coins, trigger.request.order.market) {
            listed.push(trigger_json(coin, *order_id, trigger, placed_ms(*order_id), frontend));
        }
    }
    listed
}

/// `openOrders`: `[{coin, limitPx, oid, side, sz, origSz, timestamp, cloid?}]`: resting
/// orders, then waiting trigger orders.
pub(super) fn open_orders(node: &Node, fields: &Fields<'_>) -> InfoResult {
    fields.default_dex()?;
    let id = account_of(fields)?;
    Ok(Value::Array(open_orders_json(node, id, false)))
}

/// `frontendOpenOrders`: [`open_orders`] with the order type fields the web front end reads
/// (`isTrigger`, `orderType` such as `"Stop Market"`, `triggerPx`, `triggerCondition`).
pub(super) fn frontend_open_orders(node: &Node, fields: &Fields<'_>) -> InfoResult {
    fields.default_dex()?;
    let id = account_of(fields)?;
    Ok(Value::Array(open_orders_json(node, id, true)))
}

/// `orderStatus` by `oid` (an integer) or cloid (`0x` and 32 hex digits):
/// `{"status": "order", "order": {"order": …, "status": …, "statusTimestamp": …}}` with status
/// `open` for a resting order, `canceled` (or `marginCanceled`, `selfTradeCanceled`, … by the
/// reason) for one cancelled, and `filled` for one accepted that neither rests nor was
/// cancelled; `{"status": "unknownOid"}` when the order is not among the account's latest
/// 2,000 order events. A cloid names the newest order with that client id.
pub(super) fn order_status(node: &Node, fields: &Fields<'_>) -> InfoResult {
    let id = account_of(fields)?;
    let wanted = match fields.value("oid") {
        Some(Value::Number(n)) => n.as_u64().map(OrderWanted::Id),
        Some(Value::String(text)) => parse_cloid(text).map(OrderWanted::Client),
        _ => None,
    };
    let Some(wanted) = wanted else {
        return Err(Refusal::new("orderStatus: `oid` must be an order id (integer) or a cloid (0x and 32 hex digits)"));
    };
    let (found, coins, now_ms) = node.with_state(|state| {
        let found =
            resting(state, id).into_iter().find(|(_, order)| wanted.matches(order.order_id.0, order.client_order_id));
        (found, wire::universe(state), state.time_ms())
    });
    if let Some((coin, order)) = found {
        return Ok(json!({"status": "order", "order": open_order_status_json(&coin, &order, now_ms)}));
    }
    let events =
        node.account_order_events(id.owner, ORDER_EVENTS_MAX).map_err(|e| Refusal::new(format!("orderStatus: {e}")))?;
    Ok(past_order_status(&events, id, wanted, &coins).unwrap_or_else(|| json!({"status": "unknownOid"})))
}

/// Most order events `orderStatus` looks back through.
pub(super) const ORDER_EVENTS_MAX: usize = 2_000;

/// Hyperliquid's status of an order cancelled for `reason`.
pub(crate) fn cancel_status(reason: CancelReason) -> &'static str {
    match reason {
        CancelReason::InsufficientMargin => "marginCanceled",
        CancelReason::SelfTrade => "selfTradeCanceled",
        CancelReason::ReduceOnly => "reduceOnlyCanceled",
        CancelReason::OpenInterestCap => "openInterestCapCanceled",
        CancelReason::Liquidation => "liquidatedCanceled",
        CancelReason::Expired => "delistedCanceled",
        CancelReason::User | CancelReason::Unfilled | CancelReason::SlippageBound | CancelReason::OutsideBand => {
            "canceled"
        }
    }
}

/// How `orderStatus` names an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OrderWanted {
    Id(u64),
    Client(u64),
}

impl OrderWanted {
    fn matches(self, order_id: u64, client_order_id: Option<u64>) -> bool {
        match self {
            OrderWanted::Id(id) => order_id == id,
            OrderWanted::Client(client) => client_order_id == Some(client),
        }
    }
}

/// An order as its `OrderAccepted` event recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Accepted {
    pub(super) time_ms: u64,
    pub(super) order_id: u64,
    market: MarketId,
    side: Side,
    price_ticks: u64,
    size_lots: u64,
    client_order_id: Option<u64>,
}

/// The order `past` accepted for `id`, if it is such an event.
pub(super) fn accepted(past: &PastEvent, id: SubaccountId) -> Option<Accepted> {
    match past.event {
        Event::OrderAccepted { order_id, subaccount, market, side, price_ticks, size_lots, client_order_id }
            if subaccount == id =>
        {
            Some(Accepted {
                time_ms: past.time_ms,
                order_id: order_id.0,
                market,
                side,
                price_ticks,
                size_lots,
                client_order_id,
            })
        }
        _ => None,
    }
}

/// How an order left the book: when, with how many lots left, and why.
pub(super) type Cancellation = (u64, u64, CancelReason);

/// The cancellation `past` records for `id`, as (order id, cancellation).
pub(super) fn cancellation(past: &PastEvent, id: SubaccountId) -> Option<(u64, Cancellation)> {
    match past.event {
        Event::OrderCancelled { order_id, subaccount, remaining_lots, reason, .. } if subaccount == id => {
            Some((order_id.0, (past.time_ms, remaining_lots, reason)))
        }
        _ => None,
    }
}

/// `{order, status, statusTimestamp}` of an order that no longer rests: cancelled (by the
/// reason, with the size left) or, without a cancellation, `filled` at its acceptance time.
/// `None` when its market is not a coin.
pub(super) fn past_order_json(order: &Accepted, cancelled: Option<Cancellation>, coins: &[Coin]) -> Option<Value> {
    let coin = wire::coin_of_market(coins, order.market)?;
    let (status, at_ms, remaining_lots) = match cancelled {
        Some((at_ms, remaining, reason)) => (cancel_status(reason), at_ms, remaining),
        None => ("filled", order.time_ms, 0),
    };
    let mut json = json!({
        "coin": coin.name,
        "limitPx": number(coin.price(order.price_ticks)),
        "oid": order.order_id,
        "side": side_code(order.side),
        "sz": number(coin.size(remaining_lots)),
        "origSz": number(coin.size(order.size_lots)),
        "timestamp": order.time_ms,
        "children": [],
        "isPositionTpsl": false,
        "isTrigger": false,
        "orderType": "Limit",
        "reduceOnly": false,
        "tif": "Gtc",
        "triggerCondition": "N/A",
        "triggerPx": "0.0",
    });
    if let Some(client) = order.client_order_id {
        json["cloid"] = Value::String(cloid_hex(client));
    }
    Some(json!({"order": json, "status": status, "statusTimestamp": at_ms}))
}

/// `{order, status: "open", statusTimestamp}` of a resting order.
pub(super) fn open_order_status_json(coin: &Coin, order: &OpenOrderView, now_ms: u64) -> Value {
    json!({"order": frontend_order_json(coin, order), "status": "open", "statusTimestamp": now_ms})
}

/// The status of an order that no longer rests, from the account's order events (newest
/// first): its acceptance, and its cancellation if any.
fn past_order_status(events: &[PastEvent], id: SubaccountId, wanted: OrderWanted, coins: &[Coin]) -> Option<Value> {
    let order = events
        .iter()
        .filter_map(|past| accepted(past, id))
        .find(|order| wanted.matches(order.order_id, order.client_order_id))?;
    let cancelled = events
        .iter()
        .filter_map(|past| cancellation(past, id))
        .find_map(|(order_id, cancelled)| (order_id == order.order_id).then_some(cancelled));
    let status = past_order_json(&order, cancelled, coins)?;
    Some(json!({"status": "order", "order": status}))
}

/// One fill as the user's side of it.
pub(super) struct UserFill<'a> {
    pub(super) past: &'a PastEvent,
    pub(super) coin: &'a Coin,
    pub(super) side: Side,
    pub(super) price_ticks: u64,
    pub(super) size_lots: u64,
    pub(super) taker: bool,
    pub(super) order_id: u64,
    pub(super) fee: Decimal,
    pub(super) closed_pnl: Decimal,
    /// The fill's value in USD.
    pub(super) notional: Decimal,
}

pub(super) fn user_side<'a>(past: &'a PastEvent, id: SubaccountId, coins: &'a [Coin]) -> Option<UserFill<'a>> {
    let Event::Fill {
        market,
        maker_order,
        taker_order,
        maker,
        taker,
        taker_side,
        price_ticks,
        size_lots,
        maker_fee,
        taker_fee,
        maker_realized_pnl,
        taker_realized_pnl,
        notional,
    } = &past.event
    else {
        return None;
    };
    let coin = wire::coin_of_market(coins, *market)?;
    let maker_side = match taker_side {
        Side::Buy => Side::Sell,
        Side::Sell => Side::Buy,
    };
    let (side, taker_flag, order, fee, pnl) = if *taker == id {
        (*taker_side, true, taker_order.0, *taker_fee, *taker_realized_pnl)
    } else if *maker == id {
        (maker_side, false, maker_order.0, *maker_fee, *maker_realized_pnl)
    } else {
        return None;
    };
    Some(UserFill {
        past,
        coin,
        side,
        price_ticks: *price_ticks,
        size_lots: *size_lots,
        taker: taker_flag,
        order_id: order,
        fee,
        closed_pnl: pnl,
        notional: *notional,
    })
}

/// Hyperliquid's `dir` of a fill moving a position from `start` to `end` lots.
fn direction(start: i64, end: i64) -> &'static str {
    match (start.signum(), end.signum()) {
        (s, e) if s >= 0 && e > 0 && end > start => "Open Long",
        (s, e) if s <= 0 && e < 0 && end < start => "Open Short",
        (1, e) if e <= 0 && end < 0 => "Long > Short",
        (-1, e) if e >= 0 && end > 0 => "Short > Long",
        (1, _) => "Close Long",
        (-1, _) => "Close Short",
        _ => "Open Long",
    }
}

/// `userFills`: the latest fills of `user`, newest first, at most 2,000. `startPosition` is
/// rebuilt backwards from the current position, so it is exact while every change of the
/// position was a fill (a liquidation by the backstop or an expiry settlement moves positions
/// without one). `hash` is the zero hash: novation's fill records do not carry the
/// transaction hash yet. `aggregateByTime` is accepted; fills are never aggregated.
pub(super) fn user_fills(node: &Node, fields: &Fields<'_>) -> InfoResult {
    aggregate_flag(fields)?;
    fills_json(node, account_of(fields)?, |_| true)
}

/// `userFillsByTime`: [`user_fills`] with block times in `startTime..=endTime` (`endTime`
/// absent: until now), among the latest 2,000.
pub(super) fn user_fills_by_time(node: &Node, fields: &Fields<'_>) -> InfoResult {
    aggregate_flag(fields)?;
    let start_ms = fields.integer("startTime")?;
    let end_ms = fields.optional_integer("endTime")?.unwrap_or(u64::MAX);
    fills_json(node, account_of(fields)?, |past| (start_ms..=end_ms).contains(&past.time_ms))
}

/// The account's fills in blocks above `after_height`, newest first (the WebSocket's
/// `userFills` and `userEvents` updates).
pub(crate) fn fills_since(node: &Node, id: SubaccountId, after_height: u64) -> InfoResult {
    fills_json(node, id, |past| past.height > after_height)
}

fn aggregate_flag(fields: &Fields<'_>) -> Result<(), Refusal> {
    match fields.value("aggregateByTime") {
        None | Some(Value::Bool(_)) => Ok(()),
        Some(_) => Err(Refusal::new("`aggregateByTime` must be true or false")),
    }
}

/// The universe and the account's current position (lots) in each market.
pub(super) fn coins_and_positions(node: &Node, id: SubaccountId) -> (Vec<Coin>, BTreeMap<MarketId, i64>) {
    node.with_state(|state| {
        let positions = state.account(id).positions.iter().map(|p| (p.market, p.size_lots)).collect();
        (wire::universe(state), positions)
    })
}

/// The position (lots) before and after each of `fills` (newest first), rebuilt backwards
/// from the current `positions`: every fill, newest first, moves its position back to where
/// it started.
pub(super) fn fill_positions(fills: &[UserFill<'_>], mut positions: BTreeMap<MarketId, i64>) -> Vec<(i64, i64)> {
    fills
        .iter()
        .map(|fill| {
            let after = positions.get(&fill.coin.market).copied().unwrap_or(0);
            let signed = i64::try_from(fill.size_lots).unwrap_or(i64::MAX);
            let start = match fill.side {
                Side::Buy => after.saturating_sub(signed),
                Side::Sell => after.saturating_add(signed),
            };
            positions.insert(fill.coin.market, start);
            (start, after)
        })
        .collect()
}

/// The account's latest fills that `keep` selects, newest first.
fn fills_json(node: &Node, id: SubaccountId, keep: impl Fn(&PastEvent) -> bool) -> InfoResult {
    let (coins, positions) = coins_and_positions(node, id);
    let records = node.account_fills(id.owner, FILLS_MAX).map_err(|e| Refusal::new(format!("userFills: {e}")))?;
    let user_fills: Vec<UserFill<'_>> = records.iter().filter_map(|past| user_side(past, id, &coins)).collect();
    let moves = fill_positions(&user_fills, positions);
    let mut fills = Vec::new();
    for (fill, &(start, after)) in user_fills.iter().zip(&moves) {
        if !keep(fill.past) {
            continue;
        }
        fills.push(json!({
            "coin": fill.coin.name,
            "px": number(fill.coin.price(fill.price_ticks)),
            "sz": number(fill.coin.size(fill.size_lots)),
            "side": side_code(fill.side),
            "time": fill.past.time_ms,
            "startPosition": number(fill.coin.signed_size(start)),
            "dir": direction(start, after),
            "closedPnl": usd(fill.closed_pnl, Rounding::HalfEven),
            "hash": format!("0x{}", "0".repeat(64)),
            "oid": fill.order_id,
            "crossed": fill.taker,
            "fee": usd(fill.fee, Rounding::HalfEven),
            "tid": wire::trade_id(fill.past.height, fill.past.seq),
            "feeToken": "USDC",
        }));
    }
    Ok(Value::Array(fills))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloids_round_trip_through_novations_64_bit_client_ids() {
        assert_eq!(cloid_hex(1), "0x00000000000000000000000000000001");
        assert_eq!(parse_cloid("0x00000000000000000000000000000001"), Some(1));
        assert_eq!(parse_cloid(&cloid_hex(u64::MAX)), Some(u64::MAX));
        assert_eq!(parse_cloid("0x10000000000000000000000000000001"), None, "wider than 64 bits");
        assert_eq!(parse_cloid("0x01"), None);
        assert_eq!(parse_cloid("00000000000000000000000000000001"), None);
    }

    fn past(time_ms: u64, event: Event) -> PastEvent {
        PastEvent { height: 1, seq: 0, time_ms, tx_index: Some(0), event }
    }

    fn coins() -> Vec<Coin> {
        let genesis = novation_protocol::params::Genesis::example(&[]);
        wire::universe(&State::new(genesis).unwrap())
    }

    #[test]
    fn an_order_that_no_longer_rests_is_filled_or_cancelled_by_its_events() {
        let owner = SubaccountId::new("0x00000000000000000000000000000000000000aa".parse().unwrap(), 0);
        let accepted = |order: u64, client: Option<u64>| Event::OrderAccepted {
            order_id: novation_types::OrderId(order),
            subaccount: owner,
            market: MarketId(0),
            side: Side::Buy,
            price_ticks: 600_000,
            size_lots: 5_000,
            client_order_id: client,
        };
        let cancelled = Event::OrderCancelled {
            order_id: novation_types::OrderId(5),
            subaccount: owner,
            market: MarketId(0),
            remaining_lots: 3_000,
            reason: CancelReason::User,
        };
        // Newest first, as history pages are.
        let events = [past(30, cancelled), past(20, accepted(6, None)), past(10, accepted(5, Some(9)))];
        let coins = coins();
        let by_cloid = past_order_status(&events, owner, OrderWanted::Client(9), &coins).unwrap();
        assert_eq!(by_cloid["order"]["status"], "canceled");
        assert_eq!(by_cloid["order"]["statusTimestamp"], 30);
        assert_eq!(by_cloid["order"]["order"]["sz"], "0.3");
        assert_eq!(by_cloid["order"]["order"]["origSz"], "0.5");
        assert_eq!(by_cloid["order"]["order"]["limitPx"], "60000.0");
        let filled = past_order_status(&events, owner, OrderWanted::Id(6), &coins).unwrap();
        assert_eq!((&filled["order"]["status"], &filled["order"]["order"]["sz"]), (&"filled".into(), &"0.0".into()));
        assert_eq!(past_order_status(&events, owner, OrderWanted::Id(7), &coins), None);
        let stranger = SubaccountId::new(owner.owner, 1);
        assert_eq!(
            past_order_status(&events, stranger, OrderWanted::Id(6), &coins),
            None,
            "another subaccount's order"
        );
    }

    #[test]
    fn directions_name_what_the_fill_did_to_the_position() {
        assert_eq!(direction(0, 5), "Open Long");
        assert_eq!(direction(5, 8), "Open Long");
        assert_eq!(direction(5, 2), "Close Long");
        assert_eq!(direction(5, 0), "Close Long");
        assert_eq!(direction(0, -5), "Open Short");
        assert_eq!(direction(-5, -1), "Close Short");
        assert_eq!(direction(5, -3), "Long > Short");
        assert_eq!(direction(-5, 3), "Short > Long");
    }
}
