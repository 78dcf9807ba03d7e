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
mod handlers;
mod matching;
mod modify;
mod place;
mod state_key;
mod triggers;
mod writes;

pub(crate) use cancel::{cancel_all, cancel_all_with_reason, cancel_by_client_id, cancel_market_orders, cancel_order};
pub(crate) use modify::modify_order;
pub(crate) use place::liquidation_order;
pub(crate) use place::place_order;
pub use triggers::TriggerOrder;
pub(crate) use triggers::{fire_triggers, place_trigger, remove_trigger};

use std::collections::{BTreeMap, BTreeSet};

use novation_types::{Lots, MarketId, OrderId, SubaccountId};
use serde::Serialize;

use crate::book::{OrderBook, QueuePosition, RestingOrder};
use crate::markets::market_of_order;
use crate::params::ChainParams;
use crate::state::State;

/// The trading component's state.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Trading {
    /// One central limit order book per market, by id.
    pub(crate) books: Vec<OrderBook>,
    /// Open orders by (owner, client order id) (derived from the books).
    pub(crate) client_ids: BTreeMap<(SubaccountId, u64), OrderId>,
    /// Open and trigger orders per owner (derived from the books and triggers).
    pub(crate) open_order_index: BTreeSet<(SubaccountId, OrderId)>,
    /// Waiting stop-loss / take-profit orders, by id (so by market, then age).
    pub(crate) triggers: BTreeMap<OrderId, TriggerOrder>,
}

/// How to undo one write to the trading component.
#[derive(Clone, Debug)]
pub(crate) enum Undo {
    BookInserted(MarketId, OrderId),
    BookRemoved(MarketId, RestingOrder, QueuePosition),
    BookRemaining(MarketId, OrderId, u64),
    ClientId(SubaccountId, u64, Option<OrderId>),
    OpenOrderIndex { subaccount: SubaccountId, order: OrderId, was_present: bool },
    Trigger(OrderId, Option<Box<TriggerOrder>>),
}

impl Trading {
    pub(crate) fn new(params: &ChainParams) -> Self {
        Trading { books: params.markets.iter().map(|_| OrderBook::new()).collect(), ..Trading::default() }
    }

    pub(crate) fn undo(&mut self, undo: Undo) {
        match undo {
            Undo::BookInserted(market, id) => {
                if let Some(book) = self.books.get_mut(market.0 as usize) {
                    let _ = book.remove(id);
                }
            }
            Undo::BookRemoved(market, order, position) => {
                let restored = self.books.get_mut(market.0 as usize).map(|book| book.restore(order, position));
                debug_assert!(matches!(restored, Some(Ok(_))), "journal restores removals in reverse order");
            }
            Undo::BookRemaining(market, id, before) => {
                if let Some(book) = self.books.get_mut(market.0 as usize) {
                    let _ = book.set_remaining(id, before);
                }
            }
            Undo::ClientId(sub, client_id, before) => match before {
                Some(order) => {
                    self.client_ids.insert((sub, client_id), order);
                }
                None => {
                    self.client_ids.remove(&(sub, client_id));
                }
            },
            Undo::OpenOrderIndex { subaccount, order, was_present } => {
                if was_present {
                    self.open_order_index.insert((subaccount, order));
                } else {
                    self.open_order_index.remove(&(subaccount, order));
                }
            }
            Undo::Trigger(id, before) => match before {
                Some(trigger) => {
                    self.triggers.insert(id, *trigger);
                }
                None => {
                    self.triggers.remove(&id);
                }
            },
        }
    }
}

/// The open order `order_id` of `owner`, if it exists.
pub(crate) fn owned_order(state: &State, owner: SubaccountId, order_id: OrderId) -> Option<RestingOrder> {
    let book = state.trading.books.get(market_of_order(order_id).0 as usize)?;
    book.get(order_id).filter(|order| order.owner == owner).copied()
}

/// Removes a resting order from the book and from every index, and releases its open lots.
pub(crate) fn take_off_book(state: &mut State, order: &RestingOrder) {
    let market = market_of_order(order.id);
    if state.book_remove(market, order.id).is_none() {
        return;
    }
    state.with_subaccount(order.owner, |sub| {
        sub.position_mut(market).release_open_lots(order.side, order.reduce_only, Lots(order.remaining_lots.0));
        sub.open_orders = sub.open_orders.saturating_sub(1);
    });
    forget_order(state, order);
}

/// Drops the client-id and per-subaccount index entries of an order that left the book.
pub(crate) fn forget_order(state: &mut State, order: &RestingOrder) {
    if let Some(client_id) = order.client_order_id {
        if state.trading.client_ids.get(&(order.owner, client_id)) == Some(&order.id) {
            state.set_client_id(order.owner, client_id, None);
        }
    }
    state.set_open_order_indexed(order.owner, order.id, false);
}
