//! Trading: order placement, matching, fills, cancels and amendments on the books.
//!
//! ```text
//!  Place ──► checks (size, price, flags, oracle, initial margin with open orders)
//!        ──► match against the opposite side, best price first, then time
//!              each fill: self-trade prevention ─► reduce-only ─► both sides' margin
//!                         ─► open-interest cap ─► clearing (positions, fees, PnL)
//!        ──► rest the remainder (GTC / post-only) or cancel it (IOC / market); FOK all or none
//! ```

mod cancel;
mod fill;
mod matching;
mod modify;
mod place;
mod triggers;

pub(crate) use cancel::{cancel_all, cancel_all_with_reason, cancel_by_client_id, cancel_market_orders, cancel_order};
pub(crate) use modify::modify_order;
pub(crate) use place::liquidation_order;
pub(crate) use place::place_order;
pub use triggers::TriggerOrder;
pub(crate) use triggers::{fire_triggers, place_trigger, remove_trigger};

use novation_types::{OrderId, SubaccountId};

use crate::book::RestingOrder;
use crate::markets::market_of_order;
use crate::state::State;

/// The open order `order_id` of `owner`, if it exists.
pub(crate) fn owned_order(state: &State, owner: SubaccountId, order_id: OrderId) -> Option<RestingOrder> {
    let book = state.books.get(market_of_order(order_id).0 as usize)?;
    book.get(order_id).filter(|order| order.owner == owner).copied()
}

/// Removes a resting order from the book and from every index, and releases its open lots.
pub(crate) fn take_off_book(state: &mut State, order: &RestingOrder) {
    let market = market_of_order(order.id);
    if state.book_remove(market, order.id).is_none() {
        return;
    }
    state.with_subaccount(order.owner, |sub| {
        sub.position_mut(market).release_open_lots(order.side, order.reduce_only, order.remaining_lots);
        sub.open_orders = sub.open_orders.saturating_sub(1);
    });
    forget_order(state, order);
}

/// Drops the client-id and per-subaccount index entries of an order that left the book.
pub(crate) fn forget_order(state: &mut State, order: &RestingOrder) {
    if let Some(client_id) = order.client_order_id {
        if state.client_ids.get(&(order.owner, client_id)) == Some(&order.id) {
            state.set_client_id(order.owner, client_id, None);
        }
    }
    state.set_open_order_indexed(order.owner, order.id, false);
}
