//! Trigger orders (stop-loss, take-profit): they wait off the book and, at the end of a block
//! in which the mark crosses their trigger, are placed as ordinary orders under the same id.
//! They fire in order-id order (market, then age), after funding and before liquidations,
//! each one all-or-nothing.

use novation_math::Decimal;
use novation_types::{ErrorCode, Event, Lots, OrderId, SubaccountId, TriggerCondition, TriggerRequest};
use serde::{Deserialize, Serialize};

use super::place::{check_order, execute_order, limit_price_ticks};
use crate::markets::ticks_to_price;
use crate::state::State;

/// A waiting trigger order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerOrder {
    /// Owner.
    pub owner: SubaccountId,
    /// What it waits for and what it places.
    pub request: TriggerRequest,
}

/// Accepts a trigger order after checking its shape; it reserves no margin until it fires.
pub(crate) fn place_trigger(
    state: &mut State,
    owner: SubaccountId,
    request: &TriggerRequest,
    events: &mut Vec<Event>,
) -> Result<OrderId, ErrorCode> {
    let order = &request.order;
    let market = order.market;
    let params = state.params.markets.get(market.0 as usize).ok_or(ErrorCode::UnknownMarket)?;
    // The shape (kinds, non-zero prices) was checked statelessly.
    if ticks_to_price(params, request.trigger_price_ticks.0).is_none() {
        return Err(ErrorCode::InvalidTrigger);
    }
    if order.size_lots < Lots(params.min_order_lots) || order.size_lots > Lots(i64::MAX as u64 / 4) {
        return Err(ErrorCode::InvalidSize);
    }
    let sub = state.accounts.subaccounts.get(&owner);
    if sub.is_some_and(|s| s.isolated_market.is_some_and(|m| m != market)) {
        return Err(ErrorCode::IsolatedMarketMismatch);
    }
    let waiting =
        state.trading.open_order_index.range((owner, OrderId(0))..).take_while(|(id, _)| *id == owner).count();
    if waiting >= state.params.limits.max_open_orders as usize {
        return Err(ErrorCode::TooManyOpenOrders);
    }
    let order_id = state.market_mut(market).allocate_order_id(market);
    state.set_trigger(order_id, Some(TriggerOrder { owner, request: *request }));
    state.set_open_order_indexed(owner, order_id, true);
    events.push(Event::TriggerPlaced {
        order_id,
        subaccount: owner,
        market,
        trigger_price_ticks: request.trigger_price_ticks.0,
    });
    Ok(order_id)
}

/// Removes a waiting trigger order and its index entry.
pub(crate) fn remove_trigger(state: &mut State, order_id: OrderId) -> Option<TriggerOrder> {
    let trigger = *state.trading.triggers.get(&order_id)?;
    state.set_trigger(order_id, None);
    state.set_open_order_indexed(trigger.owner, order_id, false);
    Some(trigger)
}

fn fires(condition: TriggerCondition, mark: Decimal, trigger: Decimal) -> bool {
    match condition {
        TriggerCondition::MarkAtOrAbove => mark >= trigger,
        TriggerCondition::MarkAtOrBelow => mark <= trigger,
    }
}

/// End-of-block hook: fires every trigger whose condition the mark now meets.
pub(crate) fn fire_triggers(state: &mut State, events: &mut Vec<Event>) {
    let fired: Vec<OrderId> = state
        .trading
        .triggers
        .iter()
        .filter(|(id, trigger)| {
            let market = crate::markets::market_of_order(**id);
            let mark = state.markets.states.get(market.0 as usize).and_then(|m| m.mark);
            let params = state.params.markets.get(market.0 as usize);
            let price = params.and_then(|p| ticks_to_price(p, trigger.request.trigger_price_ticks.0));
            matches!((mark, price), (Some(mark), Some(price)) if fires(trigger.request.condition, mark, price))
        })
        .map(|(id, _)| *id)
        .collect();
    for order_id in fired {
        let Some(trigger) = remove_trigger(state, order_id) else { continue };
        let market = trigger.request.order.market;
        let mark = state.markets.states[market.0 as usize].mark.unwrap_or_default();
        let mut order_events = vec![Event::Triggered { order_id, market, mark }];
        state.journal.begin(state.liquidation.touched_since_check.len());
        match place_fired(state, trigger, order_id, &mut order_events) {
            Ok(()) => {
                state.journal.end();
                events.append(&mut order_events);
            }
            Err(code) => {
                state.rollback();
                events.push(Event::TriggerRejected { order_id, subaccount: trigger.owner, code: code.code() });
            }
        }
    }
}

fn place_fired(
    state: &mut State,
    trigger: TriggerOrder,
    order_id: OrderId,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    let request = &trigger.request.order;
    let params = state.params.market(request.market)?;
    let limit_ticks = limit_price_ticks(state, params, request)?;
    check_order(state, trigger.owner, request, limit_ticks, None)?;
    execute_order(state, trigger.owner, request, order_id, limit_ticks, events)
}
