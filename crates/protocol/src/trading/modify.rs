//! Amending a resting order. Lowering the size at the same price keeps the order's place in
//! the queue; any other change re-enters it at the back of its (new) price level, where it
//! may trade at once like a new good-till-cancel order (with the full checks of a new order
//! whenever it trades or grows).

use novation_types::{
    ErrorCode, Event, Lots, OrderId, OrderKind, OrderRequest, PriceTicks, SelfTradePrevention, SubaccountId,
    TimeInForce,
};

use super::matching::crosses;
use super::owned_order;
use super::place::{check_limit_ticks, check_order, execute_order};
use super::take_off_book;
use crate::markets::market_of_order;
use crate::state::State;

/// Sets the price and remaining size of `owner`'s order `order_id`.
pub(crate) fn modify_order(
    state: &mut State,
    owner: SubaccountId,
    order_id: OrderId,
    price_ticks: u64,
    size_lots: u64,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    let order = owned_order(state, owner, order_id).ok_or(ErrorCode::OrderNotFound)?;
    let market = market_of_order(order_id);
    check_limit_ticks(state, state.params.market(market)?, price_ticks)?;
    let keeps_priority = price_ticks == order.price_ticks.0 && size_lots <= order.remaining_lots.0;
    if keeps_priority {
        let released = order.remaining_lots.0 - size_lots;
        state.book_set_remaining(market, order_id, size_lots);
        state.with_subaccount(owner, |sub| {
            sub.position_mut(market).release_open_lots(order.side, order.reduce_only, Lots(released));
        });
        events.push(Event::OrderModified { order_id, market, price_ticks, size_lots, kept_priority: true });
        return Ok(());
    }
    let opposite_best = state.trading.books[market.0 as usize].best_price(order.side.opposite());
    let would_trade = opposite_best.is_some_and(|best| crosses(order.side, price_ticks, best));
    if !would_trade && size_lots <= order.remaining_lots.0 {
        // Moving without trading and without growing changes no exposure: no margin check,
        // the order just re-enters at the back of its new price level.
        move_resting(state, &order, price_ticks, size_lots);
        events.push(Event::OrderModified { order_id, market, price_ticks, size_lots, kept_priority: false });
        return Ok(());
    }
    let request = OrderRequest {
        subaccount: owner.number,
        market,
        side: order.side,
        size_lots: Lots(size_lots),
        kind: OrderKind::Limit { price_ticks: PriceTicks(price_ticks), time_in_force: TimeInForce::GoodTillCancel },
        reduce_only: order.reduce_only,
        client_order_id: order.client_order_id,
        self_trade: SelfTradePrevention::CancelResting,
    };
    take_off_book(state, &order);
    check_order(state, owner, &request, price_ticks, None)?;
    events.push(Event::OrderModified { order_id, market, price_ticks, size_lots, kept_priority: false });
    execute_order(state, owner, &request, order_id, price_ticks, events)
}

/// Re-rests `order` at `price_ticks` with `size_lots` (not more than it had), at the back of
/// the new level.
fn move_resting(state: &mut State, order: &crate::book::RestingOrder, price_ticks: u64, size_lots: u64) {
    let market = market_of_order(order.id);
    state.book_reprice(market, order.id, price_ticks, size_lots);
    let released = order.remaining_lots.0 - size_lots;
    if released > 0 {
        state.with_subaccount(order.owner, |sub| {
            sub.position_mut(market).release_open_lots(order.side, order.reduce_only, Lots(released));
        });
    }
}
