//! A trader's resting orders: every open order of a subaccount, and one order's status by id
//! or client id, in the market's units.

use novation_math::Decimal;
use novation_types::{MarketId, OrderId, Side, SubaccountId};
use serde::{Deserialize, Serialize};

use crate::book::RestingOrder;
use crate::state::State;

/// One resting order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OpenOrderView {
    /// The market.
    pub market: MarketId,
    /// The protocol's id.
    pub order_id: OrderId,
    /// The client's id, if it gave one.
    pub client_order_id: Option<u64>,
    /// The subaccount that placed it.
    pub owner: SubaccountId,
    /// Buy or sell.
    pub side: Side,
    /// The limit price, in ticks.
    pub price_ticks: u64,
    /// The limit price.
    pub price: Decimal,
    /// The size it was placed with, in lots.
    pub size_lots: u64,
    /// Filled so far, in lots.
    pub filled_lots: u64,
    /// Still resting, in lots.
    pub remaining_lots: u64,
    /// The size it was placed with, in the base asset.
    pub size: Decimal,
    /// Still resting, in the base asset.
    pub remaining: Decimal,
    /// Reduce-only.
    pub reduce_only: bool,
    /// Block time it was placed at (ms since the Unix epoch).
    pub placed_ms: u64,
}

/// How a client names one of its orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderRef {
    /// The protocol's id.
    Id(OrderId),
    /// The client's id.
    ClientId(u64),
}

impl State {
    fn order_view(&self, market: MarketId, order: &RestingOrder) -> OpenOrderView {
        let (tick, lot) = self
            .params
            .markets
            .get(market.0 as usize)
            .map_or((Decimal::ZERO, Decimal::ZERO), |m| (m.tick_size, m.lot_size));
        let units = |n: u64, unit: Decimal| Decimal::from_units(n as i128, unit).unwrap_or_default();
        OpenOrderView {
            market,
            order_id: order.id,
            client_order_id: order.client_order_id,
            owner: order.owner,
            side: order.side,
            price_ticks: order.price_ticks.0,
            price: units(order.price_ticks.0, tick),
            size_lots: order.size_lots.0.max(order.remaining_lots.0),
            filled_lots: order.size_lots.0.saturating_sub(order.remaining_lots.0),
            remaining_lots: order.remaining_lots.0,
            size: units(order.size_lots.0.max(order.remaining_lots.0), lot),
            remaining: units(order.remaining_lots.0, lot),
            reduce_only: order.reduce_only,
            placed_ms: order.placed_ms,
        }
    }

    /// Every resting order of `owner`, by market, then bids before asks in priority order.
    /// (The subaccount's `open_orders` count bounds how many there are.)
    pub fn open_orders(&self, owner: SubaccountId) -> Vec<OpenOrderView> {
        if self.subaccount(owner).is_none_or(|sub| sub.open_orders == 0) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (index, book) in self.trading.books.iter().enumerate() {
            let market = MarketId(index as u16);
            for side in [Side::Buy, Side::Sell] {
                out.extend(book.iter_side(side).filter(|o| o.owner == owner).map(|o| self.order_view(market, o)));
            }
        }
        out
    }

    /// One of `owner`'s resting orders, by id or client id; `None` once it no longer rests
    /// (filled, cancelled, or never placed).
    pub fn open_order(&self, owner: SubaccountId, order: OrderRef) -> Option<OpenOrderView> {
        self.open_orders(owner).into_iter().find(|view| match order {
            OrderRef::Id(id) => view.order_id == id,
            OrderRef::ClientId(client) => view.client_order_id == Some(client),
        })
    }
}
