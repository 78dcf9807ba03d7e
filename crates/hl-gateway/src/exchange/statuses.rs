//! A committed Hyperliquid transaction's outcome in Hyperliquid's `/exchange` answer shapes:
//! `{"status":"ok","response":{"type":"order","data":{"statuses":[…]}}}` with one status per
//! item (`{"resting":{oid}}`, `{"filled":{totalSz, avgPx, oid}}` or `{"error": …}`), and the
//! error strings Hyperliquid's clients match on.
//!
//! A bulk action's events come item by item, in order: an order's begin with its
//! `OrderAccepted` (or `TriggerPlaced`), a cancel's with its `OrderCancelled`, and a refused
//! item is one `ItemRejected`.

use novation_math::{Decimal, Rounding};
use novation_types::{ErrorCode, Event, OrderId};
use serde_json::{json, Value};

use crate::wire::{coin_of_market, number, Coin};

/// Hyperliquid's text for a refusal, where its clients know one; novation's own otherwise.
pub(crate) fn error_text(code: ErrorCode, asset: Option<u32>) -> String {
    let asset = asset.map(|a| format!(" asset={a}")).unwrap_or_default();
    match code {
        ErrorCode::OffTickPrice => format!("Price must be divisible by tick size.{asset}"),
        ErrorCode::OffLotSize | ErrorCode::InvalidSize => format!("Order has invalid size.{asset}"),
        ErrorCode::InvalidPrice => format!("Order has invalid price.{asset}"),
        ErrorCode::InsufficientMargin => format!("Insufficient margin to place order.{asset}"),
        ErrorCode::PostOnlyWouldCross => format!("Post only order would have immediately matched.{asset}"),
        ErrorCode::ReduceOnlyWouldIncrease => format!("Reduce only order would increase position.{asset}"),
        ErrorCode::NoLiquidity => format!("Order could not immediately match against any resting orders.{asset}"),
        ErrorCode::OrderNotFound => format!("Order was never placed, already canceled, or filled.{asset}"),
        ErrorCode::UnknownMarket => format!("Invalid asset.{asset}"),
        ErrorCode::NonceAlreadyUsed | ErrorCode::NonceOutsideWindow => {
            format!("Invalid nonce: {}", code.message())
        }
        ErrorCode::UnauthorizedAgent => "User or API Wallet does not exist.".to_string(),
        other => format!("{} (novation error {})", other.message(), other.code()),
    }
}

/// The events of each item, in item order (an item's events begin where `starts` says).
fn items(events: &[Event], count: usize, starts: impl Fn(&Event) -> bool) -> Vec<&[Event]> {
    let mut bounds: Vec<usize> = events.iter().enumerate().filter(|(_, e)| starts(e)).map(|(i, _)| i).collect();
    bounds.truncate(count);
    let mut slices = Vec::with_capacity(bounds.len());
    for (n, start) in bounds.iter().enumerate() {
        let end = bounds.get(n + 1).copied().unwrap_or(events.len());
        slices.push(&events[*start..end]);
    }
    slices
}

fn order_starts(event: &Event) -> bool {
    matches!(
        event,
        Event::OrderAccepted { .. }
            | Event::OrderModified { .. }
            | Event::TriggerPlaced { .. }
            | Event::ItemRejected { .. }
    )
}

/// One order's status from its events.
fn order_status(coins: &[Coin], asset: Option<u32>, events: &[Event]) -> Value {
    let (order_id, market, cloid) = match events.first() {
        Some(Event::ItemRejected { code, .. }) => return json!({"error": error_text(*code, asset)}),
        Some(Event::TriggerPlaced { order_id, .. } | Event::OrderModified { order_id, .. }) => {
            return json!({"resting": {"oid": order_id.0}})
        }
        Some(Event::OrderAccepted { order_id, market, client_order_id, .. }) => (*order_id, *market, *client_order_id),
        _ => return json!({"error": "the order left no record"}),
    };
    let with_cloid = |mut value: Value| {
        if let Some(cloid) = cloid {
            value["cloid"] = Value::String(crate::info::user::cloid_hex(cloid));
        }
        value
    };
    let rested = events.iter().any(|e| matches!(e, Event::OrderRested { order_id: id, .. } if *id == order_id));
    let (lots, notional) = filled(events, order_id);
    if rested {
        return json!({"resting": with_cloid(json!({"oid": order_id.0}))});
    }
    match (lots, coin_of_market(coins, market)) {
        (0, _) => json!({"error": error_text(ErrorCode::NoLiquidity, asset)}),
        (lots, Some(coin)) => {
            let size = coin.size(lots);
            let average = notional.div(size, Rounding::HalfEven).unwrap_or_default();
            json!({"filled": with_cloid(json!({"totalSz": number(size), "avgPx": number(average), "oid": order_id.0}))})
        }
        (_, None) => json!({"error": "the order's market is not a perpetual"}),
    }
}

/// Lots and quote value `order_id` traded as the incoming order.
fn filled(events: &[Event], order_id: OrderId) -> (u64, Decimal) {
    let mut lots = 0u64;
    let mut notional = Decimal::ZERO;
    for event in events {
        if let Event::Fill { taker_order, size_lots, notional: value, .. } = event {
            if *taker_order == order_id {
                lots = lots.saturating_add(*size_lots);
                notional = notional.checked_add(*value).unwrap_or(notional);
            }
        }
    }
    (lots, notional)
}

/// `{"statuses": […]}` of an `order` action (or a `batchModify`, whose items report as
/// orders do), given each item's asset.
pub(crate) fn order_statuses(coins: &[Coin], assets: &[u32], events: &[Event]) -> Value {
    let slices = items(events, assets.len(), order_starts);
    let statuses: Vec<Value> = assets
        .iter()
        .enumerate()
        .map(|(i, asset)| order_status(coins, Some(*asset), slices.get(i).copied().unwrap_or(&[])))
        .collect();
    json!({"statuses": statuses})
}

/// `{"statuses": ["success" | {"error"}]}` of a cancel action.
pub(crate) fn cancel_statuses(assets: &[u32], events: &[Event]) -> Value {
    let slices =
        items(events, assets.len(), |e| matches!(e, Event::OrderCancelled { .. } | Event::ItemRejected { .. }));
    let statuses: Vec<Value> = assets
        .iter()
        .enumerate()
        .map(|(i, asset)| match slices.get(i).and_then(|s| s.first()) {
            Some(Event::OrderCancelled { .. }) => Value::String("success".into()),
            Some(Event::ItemRejected { code, .. }) => json!({"error": error_text(*code, Some(*asset))}),
            _ => json!({"error": error_text(ErrorCode::OrderNotFound, Some(*asset))}),
        })
        .collect();
    json!({"statuses": statuses})
}

/// The first refusal among an action's events, if any.
pub(crate) fn first_rejection(events: &[Event]) -> Option<ErrorCode> {
    events.iter().find_map(|e| match e {
        Event::ItemRejected { code, .. } => Some(*code),
        _ => None,
    })
}
