//! Cancels: by order id, by client order id, and all orders of a subaccount.

use novation_types::{CancelReason, ErrorCode, Event, MarketId, OrderId, SubaccountId};

use super::{owned_order, take_off_book};
use crate::book::RestingOrder;
use crate::markets::market_of_order;
use crate::state::State;

/// Removes `order` from the book and reports why.
pub(crate) fn cancel_resting(state: &mut State, order: &RestingOrder, reason: CancelReason, events: &mut Vec<Event>) {
    take_off_book(state, order);
    events.push(Event::OrderCancelled {
        order_id: order.id,
        subaccount: order.owner,
        market: market_of_order(order.id),
        remaining_lots: order.remaining_lots.0,
        reason,
    });
}

/// Cancels one open order of `owner`. Always allowed, whatever the oracle says.
pub(crate) fn cancel_order(
    state: &mut State,
    owner: SubaccountId,
    order_id: OrderId,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    if let Some(order) = owned_order(state, owner, order_id) {
        cancel_resting(state, &order, CancelReason::User, events);
        return Ok(());
    }
    if state.trading.triggers.get(&order_id).is_some_and(|t| t.owner == owner) {
        cancel_trigger(state, order_id, CancelReason::User, events);
        return Ok(());
    }
    Err(ErrorCode::OrderNotFound)
}

/// Cancels the open order `owner` placed with `client_order_id`.
pub(crate) fn cancel_by_client_id(
    state: &mut State,
    owner: SubaccountId,
    client_order_id: u64,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    let order_id = *state.trading.client_ids.get(&(owner, client_order_id)).ok_or(ErrorCode::OrderNotFound)?;
    cancel_order(state, owner, order_id, events)
}

/// Cancels every open order of `owner`, in `market` or everywhere. Cancelling nothing is fine.
pub(crate) fn cancel_all(state: &mut State, owner: SubaccountId, market: Option<MarketId>, events: &mut Vec<Event>) {
    cancel_all_with_reason(state, owner, market, CancelReason::User, events);
}

/// Cancels every open order of `owner` (in `market` or everywhere), reporting `reason`.
pub(crate) fn cancel_all_with_reason(
    state: &mut State,
    owner: SubaccountId,
    market: Option<MarketId>,
    reason: CancelReason,
    events: &mut Vec<Event>,
) {
    let lowest = (owner, OrderId(0));
    let orders: Vec<OrderId> = state
        .trading
        .open_order_index
        .range(lowest..)
        .take_while(|(sub, _)| *sub == owner)
        .map(|(_, order)| *order)
        .filter(|order| market.is_none_or(|m| market_of_order(*order) == m))
        .collect();
    for order_id in orders {
        if let Some(order) = owned_order(state, owner, order_id) {
            cancel_resting(state, &order, reason, events);
        } else {
            cancel_trigger(state, order_id, reason, events);
        }
    }
}

/// Removes a waiting trigger order and reports it cancelled.
fn cancel_trigger(state: &mut State, order_id: OrderId, reason: CancelReason, events: &mut Vec<Event>) {
    if let Some(trigger) = super::remove_trigger(state, order_id) {
        events.push(Event::OrderCancelled {
            order_id,
            subaccount: trigger.owner,
            market: market_of_order(order_id),
            remaining_lots: trigger.request.order.size_lots.0,
            reason,
        });
    }
}

/// Cancels every resting and trigger order in `market` (a series that expired), in id order.
pub(crate) fn cancel_market_orders(state: &mut State, market: MarketId, reason: CancelReason, events: &mut Vec<Event>) {
    let book = &state.trading.books[market.0 as usize];
    let mut resting: Vec<RestingOrder> = [novation_types::Side::Buy, novation_types::Side::Sell]
        .iter()
        .flat_map(|side| book.iter_side(*side).copied())
        .collect();
    resting.sort_unstable_by_key(|order| order.id);
    for order in resting {
        cancel_resting(state, &order, reason, events);
    }
    let first = OrderId((market.0 as u64) << crate::markets::ORDER_SEQUENCE_BITS);
    let triggers: Vec<OrderId> = state
        .trading
        .triggers
        .range(first..)
        .map(|(id, _)| *id)
        .take_while(|id| market_of_order(*id) == market)
        .collect();
    for order_id in triggers {
        cancel_trigger(state, order_id, reason, events);
    }
}
