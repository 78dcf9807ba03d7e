//! The trading component's journaled writes.

use novation_types::{MarketId, OrderId, SubaccountId};

use super::{TriggerOrder, Undo};
use crate::book::RestingOrder;
use crate::state::State;

impl State {
    pub(crate) fn book_insert(&mut self, market: MarketId, order: RestingOrder) -> bool {
        let Some(book) = self.trading.books.get_mut(market.0 as usize) else { return false };
        let inserted = book.insert(order).is_ok();
        if inserted {
            self.journal.record(Undo::BookInserted(market, order.id));
        }
        inserted
    }

    pub(crate) fn book_remove(&mut self, market: MarketId, id: OrderId) -> Option<RestingOrder> {
        let (order, position) = self.trading.books.get_mut(market.0 as usize)?.remove(id)?;
        self.journal.record(Undo::BookRemoved(market, order, position));
        Some(order)
    }

    /// Moves a resting order to the back of another price level (see `OrderBook::reprice`),
    /// journaled as its removal and the insertion of the moved order.
    pub(crate) fn book_reprice(&mut self, market: MarketId, id: OrderId, price_ticks: u64, lots: u64) -> bool {
        let Some(book) = self.trading.books.get_mut(market.0 as usize) else { return false };
        let Ok((order, position)) = book.reprice(id, price_ticks, lots) else { return false };
        self.journal.record(Undo::BookRemoved(market, order, position));
        self.journal.record(Undo::BookInserted(market, id));
        true
    }

    pub(crate) fn book_set_remaining(&mut self, market: MarketId, id: OrderId, lots: u64) -> bool {
        let Some(book) = self.trading.books.get_mut(market.0 as usize) else { return false };
        match book.set_remaining(id, lots) {
            Ok(before) => {
                self.journal.record(Undo::BookRemaining(market, id, before));
                true
            }
            Err(_) => false,
        }
    }

    pub(crate) fn set_client_id(&mut self, sub: SubaccountId, client_id: u64, order: Option<OrderId>) {
        let before = match order {
            Some(order) => self.trading.client_ids.insert((sub, client_id), order),
            None => self.trading.client_ids.remove(&(sub, client_id)),
        };
        self.journal.record(Undo::ClientId(sub, client_id, before));
    }

    pub(crate) fn set_open_order_indexed(&mut self, sub: SubaccountId, order: OrderId, present: bool) {
        let index = &mut self.trading.open_order_index;
        let was_present = if present { !index.insert((sub, order)) } else { index.remove(&(sub, order)) };
        self.journal.record(Undo::OpenOrderIndex { subaccount: sub, order, was_present });
    }

    pub(crate) fn set_trigger(&mut self, id: OrderId, trigger: Option<TriggerOrder>) {
        let before = match trigger {
            Some(trigger) => self.trading.triggers.insert(id, trigger),
            None => self.trading.triggers.remove(&id),
        };
        self.journal.record(Undo::Trigger(id, before.map(Box::new)));
    }
}
