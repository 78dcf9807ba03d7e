//! The records the book holds and reports: resting orders, queue positions and L2 levels.
//!
//! These are plain data; the book's structure (slab, price levels, queues) lives beside them.

use novation_types::{Lots, OrderId, PriceTicks, Side, SubaccountId};
use serde::{Deserialize, Serialize};

/// A resting order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestingOrder {
    /// The protocol-assigned id, unique within the book.
    pub id: OrderId,
    /// The subaccount that placed the order.
    pub owner: SubaccountId,
    /// Buy (a bid) or sell (an ask).
    pub side: Side,
    /// The limit price, in ticks.
    pub price_ticks: PriceTicks,
    /// What is left to fill, in lots; always positive while the order rests.
    pub remaining_lots: Lots,
    /// Whether the order may only reduce the owner's position.
    pub reduce_only: bool,
    /// The client's own reference for the order, if it gave one.
    pub client_order_id: Option<u64>,
    /// The size it was placed with, in lots (filled = this − remaining).
    pub size_lots: Lots,
    /// The block time it was placed at, ms since the Unix epoch.
    pub placed_ms: u64,
}

/// Where an order sat in its price level's queue: the order just ahead of it (None = it was
/// first). Used to undo a removal exactly with [`super::OrderBook::restore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuePosition {
    /// The order immediately ahead in the same price level, or `None` if it was at the front.
    pub ahead: Option<OrderId>,
}

/// One L2 level: the aggregate of all orders resting at one price on one side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Level {
    /// The level's price, in ticks.
    pub price_ticks: u64,
    /// The sum of the remaining lots of its orders (saturating at `u64::MAX`).
    pub total_lots: u64,
    /// How many orders rest at this price.
    pub order_count: u32,
}
